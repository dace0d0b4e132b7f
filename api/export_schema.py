"""Write the committed SDL, ``api/schema.graphql``, from the schema.

Usage: ``python -m api.export_schema`` (write) or ``python -m api.export_schema --check``
(exit 1 when the committed file is out of date, for CI).
"""

from __future__ import annotations

import sys
from pathlib import Path

from api.schema import schema

__all__ = ["SDL_PATH", "main", "sdl"]

SDL_PATH = Path(__file__).resolve().parent / "schema.graphql"


def sdl() -> str:
    """The schema in GraphQL SDL, as committed."""
    return schema.as_str() + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = sdl()
    if "--check" in args:
        current = SDL_PATH.read_text(encoding="utf-8") if SDL_PATH.exists() else ""
        if current != text:
            print(f"{SDL_PATH} is out of date; run 'python -m api.export_schema'",
                  file=sys.stderr)
            return 1
        return 0
    SDL_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SDL_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
