"""The directory (``/directory``, the seed's ``api=extension``): search, plain words, badges.

RingCentral's extension list filters by type and status itself but has no text search,
so a search asks for the whole list in one call (up to :data:`WHOLE_LIST`, a Medium
call, cached like every answer) and filters and pages it here. Without a search the
list is paged by RingCentral as before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyramid.request import Request

from rcpyramid.views.formatting import code_words, extension_status, phone_text
from rcpyramid.views.links import route_with_query

#: How many extensions one search reads: RingCentral's largest page.
WHOLE_LIST = 1000
LONGEST_SEARCH = 80

#: RingCentral's extension types in the words its own admin portal uses.
TYPE_WORDS = {
    "User": "Person",
    "Department": "Call queue",
    "Announcement": "Announcement only",
    "Voicemail": "Voicemail only",
    "IvrMenu": "Phone menu (IVR)",
    "ParkLocation": "Park location",
    "Limited": "Limited extension",
    "SharedLinesGroup": "Shared lines group",
    "PagingOnly": "Paging group",
    "FaxUser": "Fax user",
    "Site": "Site",
    "Bot": "Bot",
    "Room": "Room",
    "ApplicationExtension": "Application",
    "DelegatedLinesGroup": "Delegated lines group",
    "GroupCallPickup": "Call pickup group",
    "VirtualUser": "Virtual user",
    "FlexibleUser": "Flexible user",
    "ProxyAdmin": "Proxy administrator",
}
#: What the "Show" choice offers: its words and the RingCentral types it asks for.
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "": ("Everything", ()),
    "people": ("People", ("User", "Limited")),
    "queues": ("Call queues", ("Department",)),
    "menus": ("Menus, announcements", ("IvrMenu", "Announcement")),
    "other": ("Voicemail, park", ("Voicemail", "ParkLocation")),
}
#: Statuses a person filters by (RingCentral's values), in the badge's words.
STATUSES = {
    "": "Any status",
    "Enabled": "Enabled",
    "NotActivated": "Not activated yet",
    "Disabled": "Disabled",
    "Frozen": "Frozen",
    "Unassigned": "Unassigned",
}
#: The badge each status wears: the word says it, the colour only helps.
STATUS_BADGES = {
    "Enabled": "ok",
    "NotActivated": "warn",
    "Frozen": "warn",
    "Disabled": "off",
    "Unassigned": "off",
}


def type_words(value: Any) -> str:
    """``IvrMenu`` -> ``Phone menu (IVR)``."""
    return code_words(value, TYPE_WORDS)


@dataclass(frozen=True)
class DirectoryQuery:
    """What the directory's search form asked for; anything unknown is simply ignored."""

    text: str = ""
    kind: str = ""
    status: str = ""

    @property
    def searching(self) -> bool:
        """True when the list is filtered here (a search text), not only by RingCentral."""
        return bool(self.text)

    @property
    def filtered(self) -> bool:
        return bool(self.text or self.kind or self.status)

    def query(self) -> dict[str, str]:
        """The form's values for the app's own links."""
        out = {"q": self.text} if self.text else {}
        if self.kind:
            out["show"] = self.kind
        if self.status:
            out["status"] = self.status
        return out

    def ringcentral_params(self) -> list[tuple[str, str]]:
        """RingCentral's own filters (it takes ``type`` more than once)."""
        pairs = [("type", t) for t in KINDS[self.kind][1]]
        if self.status:
            pairs.append(("status", self.status))
        return pairs


def directory_query(params: Mapping[str, str]) -> DirectoryQuery:
    text = " ".join(str(params.get("q", "")).split())[:LONGEST_SEARCH]
    kind = str(params.get("show", ""))
    status = str(params.get("status", ""))
    return DirectoryQuery(text, kind if kind in KINDS else "", status if status in STATUSES else "")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@dataclass(frozen=True)
class Entry:
    """One extension as the directory shows it."""

    id: str
    name: str
    number: str
    kind: str
    type_label: str
    status_label: str
    status_badge: str
    email: str
    department: str
    phone: str
    #: The number as RingCentral gave it (E.164), for a ``tel:`` link.
    phone_uri: str
    calls_url: str

    def matches(self, text: str) -> bool:
        """A search finds a name, an extension, an email, a department or a phone number."""
        needle = text.casefold()
        haystack = " ".join((self.name, self.email, self.department, self.type_label))
        if needle in haystack.casefold():
            return True
        digits = _digits(text)
        return bool(digits) and (self.number.startswith(digits) or digits in _digits(self.phone))


def entry(request: Request, record: Mapping[str, Any], *, admin: bool, country: str) -> Entry:
    """An extension record of RingCentral's list, in the directory's words."""
    contact = record.get("contact")
    contact = contact if isinstance(contact, dict) else {}
    kind = str(record.get("type") or "")
    status = str(record.get("status") or "")
    ext_id = str(record.get("id") or "")
    phone = str(contact.get("businessPhone") or "")
    calls_url = ""
    if admin and kind == "User" and ext_id.isdigit():
        # The company call log, filtered to this colleague (the ``colleague`` parameter).
        query = {"api": "account-call-log", "colleague": ext_id}
        calls_url = route_with_query(request, "api.page", query)
    return Entry(
        id=ext_id,
        name=str(record.get("name") or ""),
        number=str(record.get("extensionNumber") or ""),
        kind=kind,
        type_label=type_words(kind) if kind else "",
        status_label=extension_status(status) if status else "",
        status_badge=STATUS_BADGES.get(status, "off"),
        email=str(contact.get("email") or ""),
        department=str(contact.get("department") or ""),
        phone=phone_text(phone, country) if phone else "",
        phone_uri="tel:" + re.sub(r"[^+\d]", "", phone) if phone else "",
        calls_url=calls_url,
    )


def directory_values(
    request: Request,
    records: list[Any],
    query: DirectoryQuery,
    *,
    admin: bool,
    country: str,
    window: tuple[int, int],
) -> dict[str, Any]:
    """The directory's rows; for a search, the matches and the pager's figures too.

    ``window`` is the page shown: its number and its size.
    """
    page_number, per_page = window
    entries = [
        entry(request, r, admin=admin, country=country) for r in records if isinstance(r, dict)
    ]
    values: dict[str, Any] = {
        "directory": query,
        "kinds": {key: words for key, (words, _types) in KINDS.items()},
        "statuses": STATUSES,
        "has_department": any(e.department for e in entries),
        "has_phone": any(e.phone for e in entries),
        "admin": admin,
    }
    if not query.searching:
        values["entries"] = entries
        return values
    found = [e for e in entries if e.matches(query.text)]
    total_pages = max(1, -(-len(found) // per_page))
    start = (page_number - 1) * per_page
    shown = found[start : start + per_page]
    values.update(
        entries=shown,
        matches=len(found),
        total=len(found),
        total_pages=total_pages,
        count=len(shown),
        first_index=start + 1,
        last_index=start + len(shown),
        past_end=not shown and page_number > 1,
        has_department=any(e.department for e in shown),
        has_phone=any(e.phone for e in shown),
    )
    return values
