"""A call-log record and its wire form (the Simple and Detailed views, with legs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .clock import iso_ms

# RingCentral's `reason` values for each result, with descriptions in our own words.
_REASONS = {
    "Accepted": ("Accepted", "The call was answered on this extension."),
    "Call connected": ("Connected", "The number dialled answered the call."),
    "Missed": ("Not Answered", "Nobody answered before the caller hung up."),
    "Voicemail": ("Not Answered", "Nobody answered, so the caller left a voicemail."),
    "Rejected": ("Calls Not Accepted", "The call was declined on this extension."),
    "Blocked": ("Number Blocked", "The caller's number is on this extension's block list."),
    "No Answer": ("No Answer", "The number dialled did not answer."),
    "Busy": ("Line Busy", "The number dialled was busy."),
    "Hang Up": ("Hang Up", "The call ended before it connected."),
    "Received": ("Accepted", "The fax was received."),
    "Sent": ("Connected", "The fax was delivered."),
}


@dataclass(frozen=True, slots=True)
class Party:
    """One side of a call."""

    phone_number: str | None = None
    name: str | None = None
    extension_number: str | None = None
    extension_id: int | None = None
    location: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The wire form: only the fields that are set."""
        out: dict[str, Any] = {}
        if self.phone_number is not None:
            out["phoneNumber"] = self.phone_number
        if self.extension_number is not None:
            out["extensionNumber"] = self.extension_number
        if self.extension_id is not None:
            out["extensionId"] = str(self.extension_id)
        if self.name is not None:
            out["name"] = self.name
        if self.location is not None:
            out["location"] = self.location
        return out


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One call-log record, rendered per request."""

    id: str
    session_id: str
    telephony_session_id: str
    start_ms: int
    duration_ms: int
    type: str  # Voice | Fax
    direction: str  # Inbound | Outbound
    action: str
    result: str
    transport: str
    owner_id: int
    from_party: Party
    to_party: Party
    leg_type: str
    extra_leg_type: str | None = None
    recording: tuple[str, str] | None = None  # (id, Automatic | OnDemand)
    message_id: str | None = None

    @property
    def start(self) -> datetime:
        """Start time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.start_ms / 1000, UTC)

    def to_json(
        self, *, host_url: str, account_id: int, base_uri: str, view: str
    ) -> dict[str, Any]:
        """The wire form for the Simple or Detailed view."""
        account_uri = f"{host_url}/restapi/v1.0/account/{account_id}"
        out: dict[str, Any] = {
            "uri": f"{base_uri}/call-log/{self.id}?view={view}",
            "id": self.id,
            "sessionId": self.session_id,
            "telephonySessionId": self.telephony_session_id,
            **self._call_fields(account_uri, self.to_party, self.from_party),
        }
        if self.recording is not None:
            rec_id, rec_type = self.recording
            rec_uri = f"{account_uri}/recording/{rec_id}"
            out["recording"] = {
                "uri": rec_uri,
                "id": rec_id,
                "type": rec_type,
                "contentUri": f"{rec_uri}/content",
            }
        if self.message_id is not None:
            out["message"] = {
                "uri": f"{account_uri}/extension/{self.owner_id}/message-store/{self.message_id}",
                "id": self.message_id,
                "type": self.message_type,
            }
        reason = _REASONS.get(self.result)
        if reason is not None:
            out["reason"], out["reasonDescription"] = reason
        if view == "Detailed":
            end_ms = self.start_ms + self.duration_ms
            out["lastModifiedTime"] = iso_ms(end_ms + 2_000 + (self.start_ms % 5_000))
            out["billing"] = {"costIncluded": 0.0, "costPurchased": 0.0}
            out["legs"] = self._legs(account_uri)
        return out

    @property
    def message_type(self) -> str:
        """The message-store type of the record's message (a fax or a voicemail)."""
        return "Fax" if self.type == "Fax" else "VoiceMail"

    def _legs(self, account_uri: str) -> list[dict[str, Any]]:
        # The master leg is the call as the network carried it: numbers only (an internal
        # call shows extension numbers). A second "Accept" leg is the ring to the extension
        # that answered: its own side names the extension, not a number.
        inbound = self.direction == "Inbound"
        me, other = (
            (self.to_party, self.from_party) if inbound else (self.from_party, self.to_party)
        )
        if self.transport == "VoIP":
            my_view = Party(extension_number=me.extension_number)
            other_view = Party(extension_number=other.extension_number)
        else:
            my_view = Party(phone_number=me.phone_number, location=None)
            # An anonymous caller has no number; the network still calls it Anonymous.
            anonymous = other.name if other.phone_number is None else None
            other_view = Party(other.phone_number, anonymous, location=other.location)
        legs = [self._leg(self.leg_type, True, account_uri, my_view, other_view)]
        if self.extra_leg_type is not None:
            answered = Party(
                name=me.name, extension_number=me.extension_number, extension_id=me.extension_id
            )
            legs.append(self._leg(self.extra_leg_type, False, account_uri, answered, other))
        return legs

    def _leg(
        self, leg_type: str, master: bool, account_uri: str, me: Party, other: Party
    ) -> dict[str, Any]:
        inbound = self.direction == "Inbound"
        to, from_ = (me, other) if inbound else (other, me)
        return {
            **self._call_fields(account_uri, to, from_),
            "legType": leg_type,
            "master": master,
        }

    def _call_fields(self, account_uri: str, to: Party, from_: Party) -> dict[str, Any]:
        # What a record and each of its legs say alike about the call.
        return {
            "startTime": iso_ms(self.start_ms),
            "duration": self.duration_ms // 1000,
            "durationMs": self.duration_ms,
            "type": self.type,
            "direction": self.direction,
            "action": self.action,
            "result": self.result,
            "to": to.to_json(),
            "from": from_.to_json(),
            "extension": {
                "uri": f"{account_uri}/extension/{self.owner_id}",
                "id": self.owner_id,
            },
            "transport": self.transport,
        }
