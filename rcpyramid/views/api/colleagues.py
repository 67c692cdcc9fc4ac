"""The company log's colleagues: calls, missed calls and talk time per extension."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rcpyramid.callstore.interfaces import CallEntry, CallHistory
from rcpyramid.views.api.log_rows import RESULT_GROUP


@dataclass
class ColleagueSummary:
    extension_id: str
    name: str
    extension_number: str
    calls: int = 0
    missed: int = 0
    talk_seconds: int = 0

    @property
    def label(self) -> str:
        if self.name and self.extension_number:
            return f"{self.name} (ext. {self.extension_number})"
        return self.name or (f"ext. {self.extension_number}" if self.extension_number else "")


def colleagues(
    history: CallHistory, owner: str, entries: list[CallEntry], country: str
) -> list[ColleagueSummary]:
    """Per colleague: calls, missed incoming calls, talk time; names read from one record each."""
    out: dict[str, ColleagueSummary] = {}
    first_record: dict[str, str] = {}
    for entry in entries:
        key = entry.extension_id
        if not key:
            continue
        summary = out.get(key)
        if summary is None:
            summary = out[key] = ColleagueSummary(key, "", "")
            first_record[key] = entry.record_id
        summary.calls += 1
        group = RESULT_GROUP.get(entry.result, "")
        if entry.direction == "Inbound" and group in ("missed", "voicemail"):
            summary.missed += 1
        if group == "answered" and entry.type == "Voice":
            summary.talk_seconds += entry.duration
    for key, record_id in first_record.items():
        record = history.get(owner, record_id)
        if record is None:
            continue
        name, number = colleague_of(record, key)
        out[key].name, out[key].extension_number = name, number
    return sorted(out.values(), key=lambda s: (-s.calls, s.label.casefold()))


def colleague_of(record: Mapping[str, Any], extension_id: str) -> tuple[str, str]:
    """The name and extension number of the record's own extension, from its parties."""
    for side in ("from", "to"):
        party = record.get(side)
        if isinstance(party, Mapping) and str(party.get("extensionId") or "") == extension_id:
            return str(party.get("name") or "")[:200], str(party.get("extensionNumber") or "")[:20]
    inbound = record.get("direction") == "Inbound"
    party = record.get("to" if inbound else "from")
    if isinstance(party, Mapping):
        return str(party.get("name") or "")[:200], str(party.get("extensionNumber") or "")[:20]
    return "", ""
