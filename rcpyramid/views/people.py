"""The signed-in person as pages show them: name, extension, role, time zone; and the tabs.

What RingCentral's extension info said at sign-in is kept in the session (not secret:
a name, an extension number, an administrator flag, a time-zone name), so every page
can draw its tabs without another call to RingCentral.
"""

from __future__ import annotations

import functools
import importlib.resources
import zoneinfo
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pyramid.events import BeforeRender, subscriber
from pyramid.request import Request

from rcpyramid.ringcentral.api import RingCentralApi
from rcpyramid.ringcentral.errors import SignedOutError
from rcpyramid.security import held_login_id
from rcpyramid.tokens.interfaces import TokenStoreError
from rcpyramid.views.formatting import iso_utc
from rcpyramid.views.links import route_with_query
from rcpyramid.views.safety import safe_local_path

PERSON_KEY = "person"
#: A zone the person chose on a page; it wins over RingCentral's regional settings.
ZONE_KEY = "zone"
#: Names RingCentral uses (``US/Pacific``) are links in the tz database; tzdata has them all.
_REGIONS: tuple[str, ...] = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia")
_REGIONS += ("Europe", "Indian", "Pacific")


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
    """The person this session belongs to, or None when nobody is signed in."""
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


def zone_named(name: str) -> ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def fallback_zone(request: Request) -> ZoneInfo:
    """The app's configured zone, for people whose RingCentral settings name none we know."""
    return request.registry.app_settings.app.timezone


@dataclass(frozen=True)
class ZoneChoice:
    zone: ZoneInfo
    #: "chosen" (on a page), "ringcentral" (regional settings) or "default" (the app's).
    source: str
    ringcentral_name: str

    @property
    def name(self) -> str:
        return self.zone.key

    @property
    def explained(self) -> str:
        if self.source == "chosen":
            return "the time zone you chose"
        if self.source == "ringcentral":
            return "your RingCentral time zone"
        return "this app's default time zone"


def zone_choice(request: Request) -> ZoneChoice:
    who = person(request)
    rc_name = who.ringcentral_zone if who else ""
    chosen = request.session.get(ZONE_KEY)
    if isinstance(chosen, str) and (zone := zone_named(chosen)) is not None:
        return ZoneChoice(zone, "chosen", rc_name)
    if (zone := zone_named(rc_name)) is not None:
        return ZoneChoice(zone, "ringcentral", rc_name)
    return ZoneChoice(fallback_zone(request), "default", rc_name)


def _current_names() -> set[str]:
    """The tz database's zones by country (zone.tab): today's names, no legacy aliases."""
    # zone.tab, not "every zone that is no link": Europe/Oslo is a link now, yet people's name.
    table = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab")
    rows = (line.split("\t") for line in table.read_text(encoding="utf-8").splitlines())
    return {row[2].strip() for row in rows if len(row) >= 3 and not row[0].startswith("#")}


@functools.cache
def zone_names() -> tuple[str, ...]:
    """Zone names a person picks from: the regional ones, without the legacy aliases."""
    current = _current_names()
    names = {
        name
        for name in zoneinfo.available_timezones()
        if name.split("/", 1)[0] in _REGIONS and "/" in name and name in current
    }
    return ("UTC", *sorted(names))


@dataclass(frozen=True)
class Tab:
    label: str
    url: str
    current: bool


def tabs(request: Request, who: Person) -> list[Tab]:
    """The sections a signed-in person can use; the company's call log for administrators."""
    # Imported here: api.py renders through this module's subscriber.
    from rcpyramid.views.api import PAGES

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
    event["nav"] = {
        "person": who,
        "name": display_name(request) if who else "",
        "tabs": tabs(request, who) if who else [],
    }
    values = event.rendering_val if isinstance(event.rendering_val, dict) else {}
    if "status" in values and "retry_after" in values:
        event.update(error_ways_on(request, values.get("status"), values.get("retry_after")))


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
        token = request.find_service(RingCentralApi).load(login_id)
    except (SignedOutError, TokenStoreError):
        return ""
    return (token.owner_name or "")[:80]


#: Statuses where asking again can succeed; a 4xx for bad input fails the same way every time.
RETRYABLE = frozenset({429, 502, 503, 504})


def error_ways_on(request: Request, status: Any, retry_after: Any) -> dict[str, Any]:
    """An error page's ways on: the same address again, the page before, when to retry."""
    callback_path = request.route_path("oauth.callback")
    again = ""
    # The callback's query holds a spent code and state: never put them in a link.
    if request.method == "GET" and status in RETRYABLE and request.path != callback_path:
        again = safe_local_path(request.path_qs, default="")
    back = ""
    referer = urlsplit(request.referer or "")
    if referer.netloc == request.host and referer.scheme in ("http", "https"):
        came_from = referer.path + ("?" + referer.query if referer.query else "")
        back = safe_local_path(came_from, default="")
        if back == again or referer.path == callback_path:
            back = ""
    retry_at = None
    if isinstance(retry_after, int) and retry_after >= 0:
        zone = zone_choice(request).zone
        moment = request.registry.clock() + timedelta(seconds=retry_after)
        retry_at = {
            "iso": iso_utc(moment),
            "text": moment.astimezone(zone).strftime("%H:%M:%S"),
            "zone": zone.key,
        }
    return {"again_url": again, "back_url": back, "retry_at": retry_at}
