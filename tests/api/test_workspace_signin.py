"""Signing in to the workspace, over real HTTP: no session, no pages; a password opens
them; the session cookie is http-only and same-site, Secure over HTTPS (also behind a
trusted proxy, never because a client says so); every form needs the session's CSRF
token; a viewer cannot act; the cookie opens nothing but the workspace; API keys keep
working for applications, each change recorded under the key's name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_testkit import LiveServer, form_csrf
from api_testkit import sign_in as kit_sign_in

from api.passwords import hash_password
from graph.config import Settings
from graph.embedded import EmbeddedStore

PAGES = ("/inbox", "/people", "/dashboard", "/network", "/people.csv")
PASSWORDS = {"ana": "ana's long password", "vic": "vic's long password",
             "root": "root's long password",
             "gone": "gone's long password"}


@pytest.fixture(scope="module")
def secured(graph_db: tuple[Path, str]) -> Iterator[str]:
    from api.app import create_app

    store = EmbeddedStore(graph_db[0])
    store.save_user("ana", role="agent", password_hash=hash_password(PASSWORDS["ana"]))
    store.save_user("vic", role="viewer", password_hash=hash_password(PASSWORDS["vic"]))
    store.save_user("root", role="admin", password_hash=hash_password(PASSWORDS["root"]))
    store.save_user("gone", role="agent", password_hash=hash_password(PASSWORDS["gone"]))
    store.save_user("gone", role="agent", disabled=True)
    settings = Settings(api_keys="crm-sync:sync-key:agent,old-reader:read,old-writer:write",
                        public_graphiql=True, trusted_proxies="127.0.0.1")
    with LiveServer(create_app(store=store, settings=settings)) as server:
        yield server.url
    store.close()


def sign_in(browser: httpx.Client, name: str, password: str | None = None,
            next_url: str = "/inbox", **headers: str) -> httpx.Response:
    return kit_sign_in(browser, name, PASSWORDS.get(name, "") if password is None
                       else password, next_url, **headers)


def conversation(browser: httpx.Client) -> str:
    """A conversation of the test graph (Dana's kettle thread), whose page opens."""
    assert browser.get("/conversation/twitter:tw1").status_code == 200
    return "twitter:tw1"


def test_pages_without_a_session_lead_to_the_sign_in_page(secured: str) -> None:
    for path in (*PAGES, "/"):
        answer = httpx.get(secured + path)
        assert answer.status_code in (303, 307), path
        assert "customer" not in answer.text.lower(), path
    answer = httpx.get(secured + "/people?kind=detractor")
    assert answer.headers["location"] == "/signin?next=%2Fpeople%3Fkind%3Ddetractor"
    form = httpx.get(secured + "/inbox", follow_redirects=True)
    assert form.status_code == 200 and 'name="password"' in form.text
    forged = httpx.get(secured + "/inbox", cookies={"scrm_session": "guessed"})
    assert forged.status_code == 303
    posted = httpx.post(secured + "/conversation/twitter:1/note", data={"text": "hi"})
    assert posted.status_code == 303 and posted.headers["location"] == "/signin"


def test_a_password_opens_the_pages_with_a_safe_cookie(secured: str) -> None:
    with httpx.Client(base_url=secured) as browser:
        answer = sign_in(browser, "ana", next_url="/people")
        assert answer.status_code == 303 and answer.headers["location"] == "/people"
        cookie = answer.headers["set-cookie"]
        assert "scrm_session=" in cookie and "HttpOnly" in cookie
        assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
        assert "Secure" not in cookie  # plain HTTP: a Secure cookie would never come back
        for path in PAGES:
            assert browser.get(path).status_code == 200, path
        assert "Signed in as <b>ana</b>" in browser.get("/inbox").text
        # the cookie is for the pages only: the API still wants a key
        assert browser.post("/graphql", json={"query": "{ latestRun { runId } }"}
                            ).status_code == 401
        assert browser.post("/signout", data={"csrf": "forged"}).status_code == 403
        # a token with a character no token has is refused too, not a server error
        assert browser.post("/signout", data={"csrf": "f\u00f6rged"}).status_code == 403
        assert httpx.post(secured + "/signout").status_code in (401, 403)  # nobody is in
        assert browser.get("/inbox").status_code == 200  # still signed in
        signed_out = browser.post("/signout", data={"csrf": form_csrf(
            browser.get("/inbox").text)})
        assert signed_out.status_code == 303
        assert browser.get("/inbox").status_code == 303


def test_wrong_passwords_unknown_and_disabled_users_are_refused(secured: str) -> None:
    with httpx.Client(base_url=secured) as browser:
        for name, password in (("ana", "not her password"), ("nobody", "whatever it is"),
                               ("gone", None)):
            answer = sign_in(browser, name, password)
            assert answer.status_code == 401, name
            assert "do not match an active user" in answer.text
            assert "scrm_session" not in answer.headers.get("set-cookie", "")
        # the sign-in form needs its own token (no signing a browser in from another site)
        stale = browser.post("/signin", data={"name": "ana", "password": PASSWORDS["ana"],
                                              "csrf": "made-up"})
        assert stale.status_code == 400 and "scrm_session" not in stale.headers.get(
            "set-cookie", "")
        odd = browser.post("/signin", data={"name": "ana", "password": PASSWORDS["ana"],
                                            "csrf": "m\u00e4de-up \u2603"})
        assert odd.status_code == 400 and "The form expired" in odd.text


def test_the_cookie_is_secure_over_https_from_a_trusted_proxy_only(secured: str) -> None:
    with httpx.Client(base_url=secured) as browser:
        behind_proxy = sign_in(browser, "ana", **{"X-Forwarded-Proto": "https"})
        assert behind_proxy.status_code == 303 and "Secure" in behind_proxy.headers[
            "set-cookie"]
    # the same header from an address not in SCRM_TRUSTED_PROXIES means nothing
    from api.workspace.signin import is_https

    claim = [(b"x-forwarded-proto", b"https")]
    assert is_https({"client": ("127.0.0.1", 5), "headers": claim}, "127.0.0.1")
    assert not is_https({"client": ("10.0.0.9", 5), "headers": claim}, "127.0.0.1")
    assert not is_https({"client": ("127.0.0.1", 5), "headers": claim}, "")
    assert is_https({"scheme": "https", "client": ("10.0.0.9", 5), "headers": []}, "")


def test_every_form_needs_the_session_csrf_token(secured: str) -> None:
    with httpx.Client(base_url=secured) as browser:
        sign_in(browser, "ana")
        target = conversation(browser)
        page = browser.get(f"/conversation/{target}")
        assert page.text.count('name="csrf"') >= 4  # assign, resolve, reply, note, sign out
        for token in ("", "0" * 64, "\u00e9" * 64):
            refused = browser.post(f"/conversation/{target}/note",
                                   data={"text": "forged", "csrf": token})
            assert refused.status_code == 403
        forged = browser.post(f"/conversation/{target}/note",
                              data={"text": "hi", "csrf": form_csrf(page.text)},
                              headers={"Origin": "https://evil.example"})
        assert forged.status_code == 403
        done = browser.post(f"/conversation/{target}/note",
                            data={"text": "checked the order", "csrf": form_csrf(page.text)})
        assert done.status_code == 303 and "flash=Note+added" in done.headers["location"]
        after = browser.get(f"/conversation/{target}").text
        assert "<b>ana</b>" in after and "note: checked the order" in after


def test_a_viewer_may_look_but_not_act(secured: str) -> None:
    with httpx.Client(base_url=secured) as browser:
        sign_in(browser, "vic")
        target = conversation(browser)
        page = browser.get(f"/conversation/{target}")
        assert page.status_code == 200 and "may only look" in page.text
        assert 'action="/conversation/' not in page.text
        refused = browser.post(f"/conversation/{target}/assign",
                               data={"assignee": "vic", "csrf": form_csrf(page.text)})
        assert refused.status_code == 403 and "viewer" in refused.text


def test_keys_have_names_and_roles(secured: str) -> None:
    note = ("mutation($id: ID!) { addNote(conversationId: $id, author: \"Someone Else\", "
            "text: \"from the CRM\") { author } }")
    with httpx.Client(base_url=secured) as browser:
        sign_in(browser, "ana")
        target = conversation(browser)

    def call(key: str, query: str, **variables: str) -> httpx.Response:
        return httpx.post(secured + "/graphql", json={"query": query, "variables": variables},
                          headers={"Authorization": f"Bearer {key}"})

    done = call("sync-key", note, id=target).json()
    assert done["data"]["addNote"]["author"] == "crm-sync"  # never the name sent
    legacy = call("old-writer", note, id=target).json()
    assert legacy["data"]["addNote"]["author"] == "key-3"
    assert call("old-reader", note, id=target).status_code == 403
    audit = call("old-reader", "query($id: ID!) { careCase(conversationId: $id) { "
                 "audit { actor action summary } } }", id=target).json()
    entries = audit["data"]["careCase"]["audit"]
    assert entries[:2] == [{"actor": "key-3", "action": "note", "summary": "note: from the CRM"},
                           {"actor": "crm-sync", "action": "note",
                            "summary": "note: from the CRM"}]


def test_guessing_a_password_is_slowed_down(secured: str) -> None:
    with httpx.Client(base_url=secured) as browser:
        for _ in range(5):
            assert sign_in(browser, "eve", "a wrong guess here").status_code == 401
        locked = sign_in(browser, "eve", "a wrong guess here")
        assert locked.status_code == 429 and "Too many failed sign-ins" in locked.text
        assert sign_in(browser, "ana").status_code == 303  # others are not locked out


def test_only_admins_manage_users(secured: str) -> None:
    with httpx.Client(base_url=secured) as agent:
        sign_in(agent, "ana")
        assert agent.get("/users").status_code == 403
        assert 'href="/users"' not in agent.get("/inbox").text
        refused = agent.post("/users/add", data={
            "name": "sneaky", "role": "admin", "password": "a long password",
            "csrf": form_csrf(agent.get("/inbox").text)})
        assert refused.status_code == 403
    with httpx.Client(base_url=secured) as admin:
        sign_in(admin, "root")
        page = admin.get("/users")
        assert page.status_code == 200 and 'href="/users"' in page.text
        csrf = form_csrf(page.text)
        added = admin.post("/users/add", data={"name": "newbie", "role": "agent",
                                               "password": "newbie's password", "csrf": csrf})
        assert added.status_code == 303 and "Added+newbie" in added.headers["location"]
        assert admin.post("/users/add", data={"name": "x", "password": "short",
                                              "csrf": csrf}).headers["location"].startswith(
            "/users?error=")
        saved = admin.post("/users/newbie/save", data={"role": "viewer", "state": "active",
                                                       "csrf": csrf})
        assert saved.status_code == 303 and "Saved+newbie" in saved.headers["location"]
        with httpx.Client(base_url=secured) as newbie:
            PASSWORDS["newbie"] = "newbie's password"
            assert sign_in(newbie, "newbie").status_code == 303
            assert "(viewer)" in newbie.get("/inbox").text
            assert admin.post("/users/newbie/remove", data={"csrf": csrf}
                              ).status_code == 303
            assert newbie.get("/inbox").status_code == 303  # signed out with their removal
        own = admin.post("/users/root/remove", data={"csrf": csrf})
        assert "cannot+remove+yourself" in own.headers["location"]


def test_open_redirects_are_refused(secured: str) -> None:
    with httpx.Client(base_url=secured) as browser:
        for target in ("//evil.example", "https://evil.example", "/\\evil.example"):
            answer = sign_in(browser, "ana", next_url=target)
            assert answer.headers["location"] == "/inbox", target
