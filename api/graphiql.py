"""GraphiQL from the package: strawberry's page with every script and style served by
``scrm serve`` (``api/static/graphiql/``, the npm builds pinned in ``tools/browser``)
instead of unpkg.com, so the API is explorable with no internet."""

from __future__ import annotations

import re
from functools import lru_cache

from strawberry.http.ides import get_graphql_ide_html

__all__ = ["ASSETS", "offline_graphiql_html"]

ASSETS = "/explore/static/graphiql/"
_LOCAL = {
    "react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    "react-dom@18.2.0/umd/react-dom.production.min.js": "react-dom.production.min.js",
    "js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    "graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    "graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    "@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
    "@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": "plugin-explorer.umd.js",
}
_UNPKG = re.compile(r"https://unpkg\.com/([^\"']+)")
# Subresource-integrity and CORS attributes name the CDN's copies; same-origin files need none.
_SRI = re.compile(r"\s+(?:integrity=\"[^\"]*\"|crossorigin(?:=\"[^\"]*\")?)")


@lru_cache(maxsize=1)
def offline_graphiql_html() -> str:
    """Strawberry's GraphiQL page pointing at the bundled files.

    Raises:
        RuntimeError: When strawberry's page names a file that is not bundled (a strawberry
            upgrade changed the versions): bundle the new ones from npm.
    """

    def local(match: re.Match[str]) -> str:
        name = _LOCAL.get(match.group(1))
        if name is None:
            raise RuntimeError(f"GraphiQL asks for {match.group(0)}, which is not bundled in "
                               "api/static/graphiql: add it from npm (tools/browser)")
        return ASSETS + name

    page = _UNPKG.sub(local, get_graphql_ide_html(graphql_ide="graphiql"))
    return _SRI.sub("", page)
