"""Call-log sync (`call-log-sync`, Heavy): FSync, ISync with opaque tokens, no paging.

A record "changes" when it becomes readable: a generated call at its start, a placed call
`record_delay` seconds after its end. Nothing is ever deleted here, so `showDeleted` is
accepted and finds nothing. ISync's `recordCount` (older records to add) is accepted and
ignored. `dateFrom` defaults to the oldest allowed, 30 days back (sources disagree on it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response

from .. import api_errors
from ..callrecords import CallRecord
from ..clock import iso_ms, to_ms
from ..directory import Extension
from ..wire import first, json_response, query_string
from .guards import api_caller, simulator
from .params import account_base, choices, flag, parse_date, readable_extension
from .routing import ACCOUNT, EXTENSION, add_routes

if TYPE_CHECKING:
    from ..app import Simulator

MAX_RECORDS = 250
MAX_DAYS_BACK = timedelta(days=30)
_TOKEN = struct.Struct(">BIQQB")  # version, generation, owner (0 = account), sync ms, missed
_MAC_BYTES = 12
_MISSED_RESULTS = frozenset({"Missed", "Voicemail"})


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]


def make_token(key: bytes, generation: int, owner: int, sync_ms: int, missed: bool) -> str:
    """An opaque, tamper-proof sync token: what was synced, up to when."""
    payload = _TOKEN.pack(1, generation, owner, sync_ms, int(missed))
    return base64.urlsafe_b64encode(payload + _mac(key, payload)).rstrip(b"=").decode()


def read_token(key: bytes, generation: int, owner: int, raw: str) -> tuple[int, bool]:
    """(sync ms, missed only) of a token; CMN-101 if forged or not this log's, CLG-104 if reset."""
    try:
        blob = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise api_errors.parameter_invalid("syncToken") from None
    payload, mac = blob[: _TOKEN.size], blob[_TOKEN.size :]
    if len(payload) != _TOKEN.size or not hmac.compare_digest(mac, _mac(key, payload)):
        raise api_errors.parameter_invalid("syncToken")
    _version, token_generation, token_owner, sync_ms, missed = _TOKEN.unpack(payload)
    if token_owner != owner:
        raise api_errors.parameter_invalid("syncToken")
    if token_generation != generation:
        raise api_errors.sync_token_reset()
    return sync_ms, bool(missed)


def _sync(request: Request, owner: Extension | None, base: str) -> Response:
    sim = simulator(request)
    params = request.GET
    now = sim.clock.now()
    sync_type = (choices(params, "syncType", ("FSync", "ISync")) or ["FSync"])[-1]
    view = (choices(params, "view", ("Simple", "Detailed")) or ["Simple"])[-1]
    groups = choices(params, "statusGroup", ("Missed", "All"))
    flag(params, "showDeleted", default=False)
    owner_id = None if owner is None else owner.id
    pairs: list[tuple[str, str]] = [("syncType", sync_type)]
    if sync_type == "FSync":
        missed = "Missed" in groups and "All" not in groups
        raw_count = first(params, "recordCount")
        if raw_count is None:
            raise api_errors.parameter_required("recordCount")
        if not raw_count.strip().isdigit() or not 1 <= int(raw_count) <= MAX_RECORDS:
            raise api_errors.parameter_invalid("recordCount")
        raw_from = first(params, "dateFrom")
        oldest = now - MAX_DAYS_BACK
        date_from = parse_date(raw_from, "dateFrom") if raw_from is not None else oldest
        if date_from < oldest - timedelta(minutes=1):
            raise api_errors.parameter_invalid("dateFrom")
        found = sim.call_log.query(owner_id=owner_id, date_from=date_from, date_to=now, now=now)
        records = [r for r in found if not missed or r.result in _MISSED_RESULTS]
        records = records[: int(raw_count)]
        pairs += [
            ("statusGroup", "Missed" if missed else "All"),
            ("recordCount", raw_count.strip()),
        ]
        pairs.append(("dateFrom", iso_ms(to_ms(date_from))))
    else:
        raw_token = first(params, "syncToken")
        if raw_token is None:
            raise api_errors.parameter_required("syncToken")
        since_ms, missed = read_token(
            sim.sync_key, sim.sync_generation, owner_id or 0, raw_token.strip()
        )
        records = _changes(sim, owner_id, since_ms, now, missed)
    sim.counters.count("syncs")
    host, account_id = request.host_url, sim.directory.account_id
    token = make_token(sim.sync_key, sim.sync_generation, owner_id or 0, to_ms(now), missed)
    return json_response(
        {
            "uri": f"{base}/call-log-sync?{query_string(pairs)}",
            "records": [
                r.to_json(host_url=host, account_id=account_id, base_uri=base, view=view)
                for r in records
            ],
            "syncInfo": {"syncType": sync_type, "syncToken": token, "syncTime": iso_ms(to_ms(now))},
        }
    )


def _changes(
    sim: Simulator, owner_id: int | None, since_ms: int, now: datetime, missed: bool
) -> list[CallRecord]:
    since = datetime.fromtimestamp((since_ms + 1) / 1000, now.tzinfo)
    found = sim.call_log.query(
        owner_id=owner_id, date_from=since, date_to=now, now=now, include_placed=False
    )
    found += sim.placed.appeared_between(owner_id, since_ms, now)
    if missed:
        found = [r for r in found if r.result in _MISSED_RESULTS]
    if len(found) > MAX_RECORDS:
        raise api_errors.sync_too_many_changes()
    return sorted(found, key=lambda r: (-r.start_ms, r.id))


def user_sync(request: Request) -> Response:
    """GET /restapi/v1.0/account/{accountId}/extension/{extensionId}/call-log-sync (Heavy)."""
    sim = simulator(request)
    caller = api_caller(request, "Heavy", "ReadCallLog", "ReadCallLog")
    account_uri = account_base(request, sim.directory)
    ext = readable_extension(request, caller, sim.directory, "ReadCallLog")
    return _sync(request, ext, f"{account_uri}/extension/{ext.id}")


def account_sync(request: Request) -> Response:
    """GET /restapi/v1.0/account/{accountId}/call-log-sync (Heavy): administrators only."""
    sim = simulator(request)
    api_caller(request, "Heavy", "ReadCallLog", "FullCompanyCallLog")
    return _sync(request, None, account_base(request, sim.directory))


def includeme(config: Configurator) -> None:
    """Routes and views of call-log sync."""
    routes = {
        "rc.user_sync": (EXTENSION + "/call-log-sync", user_sync),
        "rc.account_sync": (ACCOUNT + "/call-log-sync", account_sync),
    }
    add_routes(config, routes)
