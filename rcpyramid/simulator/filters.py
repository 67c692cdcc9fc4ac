"""Event filters a webhook subscription may name, parsed, checked and expanded (`~` -> ids)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from . import api_errors
from .directory import Directory, Extension
from .events import Event
from .wire import query_string

_ACCOUNT = r"/restapi/v1\.0/account/(?P<account>~|\d+)"
_EXTENSION = _ACCOUNT + r"/extension/(?P<extension>~|\d+)"
_PATTERNS = (
    ("telephony", re.compile(_EXTENSION + r"/telephony/sessions/?$")),
    ("telephony", re.compile(_ACCOUNT + r"/telephony/sessions/?$")),
    ("presence", re.compile(_EXTENSION + r"/presence/?$")),
    ("presence", re.compile(_ACCOUNT + r"/presence/?$")),
    ("reminder", re.compile(r"/restapi/v1\.0/subscription/~/?$")),
)
# The app permission RingCentral requires for each kind of filter.
PERMISSION = {"telephony": "CallControl", "presence": "ReadPresence", "reminder": None}
_TELEPHONY_STATUSES = frozenset(
    [
        "Setup",
        "Proceeding",
        "Answered",
        "Disconnected",
        "Gone",
        "Parked",
        "Hold",
        "VoiceMail",
        "FaxReceive",
        "VoiceMailScreening",
    ]
)


@dataclass(frozen=True)
class EventFilter:
    """One parsed filter: which events it selects and how it reads once expanded."""

    kind: str  # telephony | presence | reminder
    extension_id: int | None  # None = the whole account
    text: str  # as RingCentral echoes it: ids expanded, query kept
    detailed: bool = False  # presence?detailedTelephonyState=true
    statuses: frozenset[str] = frozenset()  # telephony ?statusCode=
    direction: str | None = None  # telephony ?direction=
    missed_only: bool = False  # telephony ?missedCall=true
    threshold: int = 0  # reminder
    interval: int = 0  # reminder

    def matches(self, event: Event) -> bool:
        """Whether this filter selects an event."""
        if event.kind != self.kind:
            return False
        if self.extension_id is not None and event.extension_id != self.extension_id:
            return False
        if self.statuses and event.status not in self.statuses:
            return False
        if self.direction is not None and event.direction != self.direction:
            return False
        return not self.missed_only or event.missed


def _flag(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value.strip().lower())


def parse(
    raw: str, caller: Extension, directory: Directory, permissions: tuple[str, ...]
) -> EventFilter | None:
    """The filter, or None when the simulator does not know it (SUB-508).

    Raises the 403 RingCentral answers for a filter this caller may not use.
    """
    if not isinstance(raw, str):
        return None
    parts = urlsplit(raw.strip())
    kind, match = next(
        ((k, m) for k, p in _PATTERNS if (m := p.match(parts.path)) is not None), ("", None)
    )
    if match is None:
        return None
    params = parse_qsl(parts.query, keep_blank_values=True)
    if kind == "reminder":
        return _reminder(params)
    needed = PERMISSION[kind]
    if needed is not None and needed not in permissions:
        raise api_errors.app_permission_missing(needed)
    account = match.group("account")
    if account not in ("~", str(directory.account_id)):
        raise api_errors.other_account_filter()
    ext_raw = match.groupdict().get("extension")
    extension: Extension | None
    if ext_raw is None:
        extension = None
        if not caller.admin:
            # Company-wide events are an administrator's (RingCentral: a user permission).
            raise api_errors.user_permission_missing("AccountAdministration")
    elif ext_raw == "~":
        extension = caller
    else:
        extension = directory.by_id.get(int(ext_raw))
        if extension is None:
            return None
        if extension.id != caller.id and not caller.admin:
            raise api_errors.other_extension_filter()
    path = f"/restapi/v1.0/account/{directory.account_id}"
    if extension is not None:
        path += f"/extension/{extension.id}"
    path += "/telephony/sessions" if kind == "telephony" else "/presence"
    text = f"{path}?{query_string(params)}" if params else path
    ext_id = None if extension is None else extension.id
    if kind == "presence":
        detailed = any(k == "detailedTelephonyState" and _flag(v) for k, v in params)
        return EventFilter(kind, ext_id, text, detailed=detailed)
    statuses = frozenset(
        code for k, v in params if k == "statusCode" for code in v.split(",") if code
    )
    directions = [v for k, v in params if k == "direction"]
    if not statuses <= _TELEPHONY_STATUSES or not set(directions) <= {"Inbound", "Outbound"}:
        return None
    missed = any(k == "missedCall" and _flag(v) for k, v in params)
    return EventFilter(
        kind,
        ext_id,
        text,
        statuses=statuses,
        direction=directions[-1] if directions else None,
        missed_only=missed,
    )


def _reminder(params: list[tuple[str, str]]) -> EventFilter | None:
    values = dict(params)
    threshold, interval = values.get("threshold", ""), values.get("interval", "")
    if not threshold.isdigit() or not interval.isdigit() or int(interval) < 1:
        return None
    text = "/restapi/v1.0/subscription/~?" + query_string(params)
    return EventFilter("reminder", None, text, threshold=int(threshold), interval=int(interval))
