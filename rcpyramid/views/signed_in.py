"""Who is signed in: the security policy that ends a timed-out session, the person, the tabs.

Pyramid's security policy is the one place a session's timeouts are checked with side
effects: ``request.identity`` (through ``permission="signed-in"`` or a view that asks)
ends a timed-out session once per request (revoked at RingCentral, its tokens deleted,
a message for the next page) and otherwise notes the person was seen. Static files,
``/healthz`` and error pages do not ask, so they touch neither the token store nor
RingCentral. A view that needs a person and finds none is forbidden, and the one
forbidden view sends the browser home to sign in, with ``next`` for an API page.

What RingCentral's extension info said at sign-in is kept in the session (not secret:
an administrator flag and regional settings), so every page can draw its tabs without
another call to RingCentral.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyramid.config import Configurator
from pyramid.events import BeforeRender, subscriber
from pyramid.httpexceptions import HTTPFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.security import Allowed, Denied
from pyramid.view import forbidden_view_config

from rcpyramid.logins import EndReason, end_login
from rcpyramid.memo import LockedLRU
from rcpyramid.ringcentral.cached import CachedRingCentral
from rcpyramid.ringcentral.errors import SignedOutError
from rcpyramid.routes import READABLE_PATHS
from rcpyramid.security import held_login_id, note_seen, seen_at_resolution, session_timed_out
from rcpyramid.tokens.interfaces import TokenRepository, TokenStoreError
from rcpyramid.views.links import route_with_query
from rcpyramid.views.pages import PAGES
from rcpyramid.views.safety import safe_local_path

PERSON_KEY = "person"
#: The permission of the views that need a signed-in person.
SIGNED_IN = "signed-in"


class SeenWrites:
    """When this process last wrote each login's last-seen time.

    The session cookie's idle clock says when a write is due, but a client that does
    not keep the cookie it is given (a script, a load generator) shows the old one every
    time, and every request would write. Per process, a login's last-seen time is
    written at most once per resolution.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._written: LockedLRU[str, float] = LockedLRU(max_entries)

    def due(self, login_id: str, now: float, resolution: float) -> bool:
        last = self._written.get(login_id)
        if isinstance(last, float) and 0 <= now - last <= resolution:
            return False
        self._written[login_id] = now
        return True


class SessionSecurityPolicy:
    """The identity is the session's login id; the one permission is being signed in."""

    def __init__(self, seen_writes: SeenWrites) -> None:
        self.seen_writes = seen_writes

    def identity(self, request: Request) -> str | None:
        """The login id, after ending a timed-out session (once per request)."""
        # Reified: Pyramid asks the policy each time request.identity is read.
        login_id: str | None = request.checked_login
        return login_id

    def check(self, request: Request) -> str | None:
        """End a timed-out session; otherwise note the person was seen. Once per request."""
        login_id = held_login_id(request)
        if login_id is None:
            return None
        if session_timed_out(request):
            end_login(request, EndReason.TIMED_OUT)
            return None
        if note_seen(request):
            # The login's last-seen time, so rcpyramid-purge finds browsers that never came back.
            registry = request.registry
            now = registry.clock()
            resolution = seen_at_resolution(registry.app_settings.session.idle_timeout)
            if self.seen_writes.due(login_id, now.timestamp(), resolution):
                request.find_service(TokenRepository).touch(login_id, now)
        return login_id

    def authenticated_userid(self, request: Request) -> str | None:
        return self.identity(request)

    def permits(self, request: Request, context: Any, permission: str) -> Allowed | Denied:
        if permission == SIGNED_IN and self.identity(request) is not None:
            return Allowed("signed in")
        return Denied("not signed in")

    def remember(self, request: Request, userid: str, **kw: Any) -> list[tuple[str, str]]:
        return []  # the session cookie holds the login (rcpyramid.security.start_login_session)

    def forget(self, request: Request, **kw: Any) -> list[tuple[str, str]]:
        return []


@forbidden_view_config()
def sign_in_first(request: Request) -> Response:
    """Home, to sign in; an API page asked for comes back after it (a validated local path)."""
    route = request.matched_route.name if request.matched_route else ""
    wanted = ""
    if route == "api.page" and request.GET.get("api") in PAGES:
        # The page's readable address (/calls?...), whichever address was asked for.
        asked = route_with_query(request, "api.page", dict(request.GET.items()))
        wanted = safe_local_path(asked, default="")
    location = route_with_query(request, "home", {"next": wanted} if wanted else {})
    if request.method == "GET":
        return HTTPFound(location=location)
    return HTTPSeeOther(location=location)


@dataclass(frozen=True)
class Person:
    #: None when RingCentral's answer did not say (the pages then offer everything).
    admin: bool | None
    ringcentral_zone: str
    country: str


def as_mapping(value: Any) -> dict[str, Any]:
    """A JSON object from RingCentral, or an empty one for anything else."""
    return value if isinstance(value, dict) else {}


def person_from_extension_info(data: Any) -> dict[str, Any]:
    """What the session keeps of ``/restapi/v1.0/account/~/extension/~``.

    The cookie is readable by the browser, so it holds no name, number or id: only the
    administrator flag (RingCentral enforces it anyway) and the regional settings.
    """
    data = data if isinstance(data, dict) else {}
    permissions = as_mapping(data.get("permissions"))
    admin = as_mapping(permissions.get("admin"))
    regional = as_mapping(data.get("regionalSettings"))
    zone = as_mapping(regional.get("timezone"))
    country = as_mapping(regional.get("homeCountry"))
    enabled = admin.get("enabled")
    return {
        "admin": enabled if isinstance(enabled, bool) else None,
        "tz": str(zone.get("name") or "")[:64],
        "cc": str(country.get("isoCode") or "")[:2].upper(),
    }


def remember_person(request: Request, extension_info: Any) -> None:
    request.session[PERSON_KEY] = person_from_extension_info(extension_info)


def person(request: Request) -> Person | None:
    """The person this session belongs to, or None when nobody is signed in. No side effects."""
    # request.login is read once per request; an error page may have ended the session since.
    if request.login is None or held_login_id(request) is None:
        return None
    saved = request.session.get(PERSON_KEY)
    saved = saved if isinstance(saved, dict) else {}
    admin = saved.get("admin")
    return Person(
        admin=admin if isinstance(admin, bool) else None,
        ringcentral_zone=str(saved.get("tz") or ""),
        country=str(saved.get("cc") or "") or "US",
    )


@dataclass(frozen=True)
class Tab:
    label: str
    url: str
    current: bool


def tabs(request: Request, who: Person) -> list[Tab]:
    """The sections a signed-in person can use; the company's call log for administrators."""
    route = request.matched_route.name if request.matched_route else ""
    current_api = request.GET.get("api") if route == "api.page" else None
    out = [Tab("Dashboard", request.route_path("home"), route == "home")]
    for page in PAGES.values():
        if page.admin_only and who.admin is False:
            continue
        url = route_with_query(request, "api.page", {"api": page.key})
        out.append(Tab(page.title, url, current_api == page.key))
    return out


@subscriber(BeforeRender)
def add_layout_values(event: BeforeRender) -> None:
    """Every page knows who is signed in, for the header and the tabs (error pages too)."""
    request = event.get("request")
    if request is None or "nav" in event:
        return
    who = person(request)
    route = request.matched_route
    api = request.GET.get("api", "") if route is not None and route.name == "api.page" else ""
    if api in READABLE_PATHS and "canonical_url" not in event:
        # The seed's /test?api=... and the readable /calls are one page: search engines and
        # bookmarks are told the readable one.
        query = {k: v for k, v in request.GET.items() if k not in ("refresh", "wait")}
        event["canonical_url"] = request.host_url + route_with_query(request, "api.page", query)
    event["nav"] = {
        "person": who,
        "name": display_name(request) if who else "",
        "tabs": tabs(request, who) if who else [],
    }


def display_name(request: Request) -> str:
    """The signed-in person's name for the header, from the token store (not the cookie).

    The cookie is readable by the browser, so the name stays on the server with the
    tokens; pages that called RingCentral have just read them (RecentLogins), so this
    is usually no extra read. A store that fails here costs the header its name only.
    """
    login_id = request.login
    if login_id is None:
        return ""
    try:
        token = request.find_service(CachedRingCentral).load(login_id)
    except (SignedOutError, TokenStoreError):
        return ""
    except Exception:  # an error page must render even when the store has a bug
        return ""
    return (token.owner_name or "")[:80]


def includeme(config: Configurator) -> None:
    policy = SessionSecurityPolicy(SeenWrites())
    config.set_security_policy(policy)
    config.add_request_method(policy.check, "checked_login", reify=True)
