"""The home page: a sign-in button, or the signed-in person's dashboard.

The dashboard never becomes an error page because RingCentral failed: each part that
could not be read says so, and the rest shows.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any

from pyramid.httpexceptions import HTTPFound
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from rcpyramid.ringcentral.cached import CachedRingCentral
from rcpyramid.ringcentral.endpoints import EXTENSION_INFO, OWN_CALL_LOG, rc_time
from rcpyramid.ringcentral.errors import (
    PacingError,
    RateLimitedError,
    RingCentralError,
    SignedOutError,
)
from rcpyramid.simulator.directory import DEMO_USERS, DemoUser
from rcpyramid.views.calllog import call_row, fetch_range, heavy_calls_allowed, summarise
from rcpyramid.views.charts import call_volume_svg
from rcpyramid.views.formatting import day_text, talk_time_text
from rcpyramid.views.links import route_with_query
from rcpyramid.views.safety import safe_local_path
from rcpyramid.views.signed_in import PERSON_KEY, person, person_from_extension_info
from rcpyramid.views.zones import zone_choice

log = logging.getLogger(__name__)

#: The dashboard's ranges: today by default, a week and a month a click away.
RANGES = {"today": ("Today", 1), "7d": ("Last 7 days", 7), "30d": ("Last 30 days", 30)}


@view_config(route_name="home", request_method="GET", renderer="rcpyramid.templates:home.jinja2")
def home(request: Request) -> dict[str, Any]:
    login_id = request.identity
    signed_in = False
    if login_id:
        try:
            request.find_service(CachedRingCentral).load(login_id)
            signed_in = True
        except SignedOutError:
            signed_in = False
    messages = request.session.pop_flash()
    if not signed_in:
        wanted = safe_local_path(request.GET.get("next"), default="")
        return {
            "signed_in": False,
            "messages": messages,
            "return_to": wanted,
            "demo_users": demo_users(request),
        }
    assert login_id is not None
    request.override_renderer = "rcpyramid.templates:dashboard.jinja2"
    return {**dashboard(request, login_id), "messages": messages}


def demo_users(request: Request) -> list[DemoUser]:
    """Who can sign in at the built-in simulator; none where RingCentral is real.

    The settings refuse the built-in simulator in production, so this is development only.
    """
    settings = request.registry.app_settings
    if not settings.ringcentral.builtin_simulator or settings.app.production:
        return []
    return list(DEMO_USERS)


def dashboard(request: Request, login_id: str) -> dict[str, Any]:
    api = request.find_service(CachedRingCentral)
    notes: list[str] = []
    token = api.load(login_id)
    info: Any = {}
    try:
        info = api.cached_get(login_id, EXTENSION_INFO, {}).data
        request.session[PERSON_KEY] = person_from_extension_info(info)
    except SignedOutError:
        raise
    except RingCentralError as error:
        log.info("dashboard: extension info unavailable (%s)", type(error).__name__)
        notes.append(
            "RingCentral did not answer with your extension details just now, so some of "
            "them are missing here."
        )
    info = info if isinstance(info, dict) else {}
    who = person(request)
    identity = {
        "name": str(info.get("name") or token.owner_name or ""),
        "extension_number": str(info.get("extensionNumber") or ""),
        "admin": who.admin if who else None,
    }
    zone = zone_choice(request)
    chosen = request.GET.get("range", "today")
    if chosen not in RANGES:
        chosen = "today"
    label, days = RANGES[chosen]
    now = request.registry.clock()
    local_now = now.astimezone(zone.zone)
    first_day = local_now.date() - timedelta(days=days - 1)
    start = datetime.combine(first_day, time(0), tzinfo=zone.zone)
    values: dict[str, Any] = {
        "who": identity,
        "zone": zone,
        "ranges": [
            (key, name, route_with_query(request, "home", {"range": key}), key == chosen)
            for key, (name, _days) in RANGES.items()
        ],
        "range_label": label,
        "range_text": (
            f"{day_text(start, zone.zone)}, until {now.astimezone(zone.zone):%H:%M}"
            if days == 1
            else f"{day_text(start, zone.zone)} to {day_text(local_now, zone.zone)}"
        ),
        "summary": None,
        "notes": notes,
        "calls_url": route_with_query(
            request,
            "api.page",
            {
                "api": "extension-call-log",
                "from": first_day.isoformat(),
                "to": local_now.date().isoformat(),
            },
        ),
    }
    params = {
        "dateFrom": rc_time(start),
        "dateTo": rc_time(now + timedelta(seconds=1)),
    }
    try:
        fetched = fetch_range(
            request,
            login_id,
            OWN_CALL_LOG,
            params,
            heavy_calls_allowed(request),
            # The range ends now: one key per start, so reloads share the cached answer.
            key_params={"dateFrom": params["dateFrom"], "window": "until-now"},
        )
    except SignedOutError:
        raise
    except RateLimitedError as error:
        wait = f" Try again in {error.retry_after} seconds." if error.retry_after else ""
        if isinstance(error, PacingError):
            notes.append(
                "This app is pacing its requests to stay within RingCentral's limits, so "
                f"there is no call summary now.{wait}"
            )
        else:
            notes.append(
                f"RingCentral asked us to slow down, so there is no call summary now.{wait}"
            )
        return values
    except RingCentralError as error:
        log.info("dashboard: call log unavailable (%s)", type(error).__name__)
        notes.append(
            "RingCentral did not answer with your call log just now, so there is "
            "no call summary. The rest of the app still works; try again in a moment."
        )
        return values
    me = None  # the person's own call log: every record is theirs
    country = who.country if who else "US"
    rows = [call_row(record, me, country) for record in fetched.records]
    summary = summarise(rows, start, now + timedelta(seconds=1), zone.zone, hourly=days == 1)
    values["summary"] = summary
    values["talk_time"] = talk_time_text(summary.talk_seconds)
    values["complete"] = fetched.complete
    values["fetched_count"] = len(fetched.records)
    values["stopped"] = fetched.stopped
    values["chart"] = call_volume_svg(
        summary, f"Calls per {'hour' if days == 1 else 'day'}, {label.lower()}"
    )
    return values


@view_config(route_name="home.index")
def index(request: Request) -> Response:
    return HTTPFound(location=request.route_path("home"))
