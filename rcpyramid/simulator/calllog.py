"""Deterministic call-log records, shared by the user logs and the account log."""

from __future__ import annotations

import base64
import bisect
import functools
import random
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from .directory import DEMO_USERS, DemoUser, Directory, Extension

if TYPE_CHECKING:
    from .livelog import PlacedRecords

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
# Days kept before the anchor day; the anchor day and the next one are generated too so
# any 24-hour window ending "now" is full.
HISTORY_DAYS = 90

_CALLER_NAMES = (
    "John Smith",
    "Wireless Caller",
    "O'Brien & <Sons>",
    '<script>alert("x")</script>',
    "Acme Corp",
    "Dr. Zoë Ångström",
    "Pizza Place",
    "Unknown",
)
_LOCATIONS = ("San Mateo, CA", "Belmont, CA", "New York, NY", "Denver, CO", "Austin, TX")
_AREA_CODES = ("650", "415", "212", "303", "512", "206", "617")
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


def iso_ms(epoch_ms: int) -> str:
    """ISO 8601 with milliseconds and Z, as RingCentral writes times."""
    dt = datetime.fromtimestamp(epoch_ms // 1000, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{epoch_ms % 1000:03d}Z"


def to_ms(dt: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(dt.timestamp() * 1000)


def _rid(rng: random.Random, nbytes: int = 12) -> str:
    return base64.urlsafe_b64encode(rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big")).decode()


class _DayGenerator:
    """Builds the records of one UTC day; the same (seed, day) always gives the same list."""

    def __init__(self, seed: int, directory: Directory) -> None:
        self.seed = seed
        self.directory = directory
        # The users who sign in: the first is busiest, the second rings hourly, the rest
        # every other hour (with the demo users: alice, bob, carol).
        self.people = [directory.extension_for(u.username) for u in directory.demo_users]
        self.others = [
            e
            for e in directory.extensions
            if e.type == "User" and e.status == "Enabled" and e.username is None
        ]
        self.internal = [e for e in directory.extensions if e.type in ("User", "Department")]

    def day(self, day: date) -> list[CallRecord]:
        rng = random.Random(f"{self.seed}:calllog:{day.isoformat()}")
        day_ms = to_ms(datetime.combine(day, time(0), UTC))
        out = []
        for hour in range(24):
            hour_ms = day_ms + hour * HOUR_MS
            # Four per quarter-hour slot keeps any 24-hour window above 90 records for alice.
            busiest, *others = self.people
            for quarter in range(4):
                start = hour_ms + quarter * 900_000 + rng.randrange(0, 870_000)
                out.append(self._record(rng, busiest, start))
            if others:
                out.append(self._record(rng, others[0], hour_ms + rng.randrange(0, 3_540_000)))
            for person in others[1:]:
                if hour % 2 == 0:
                    out.append(self._record(rng, person, hour_ms + rng.randrange(0, 7_140_000)))
        for _ in range(rng.randint(50, 70)):
            owner = rng.choice(self.others)
            out.append(self._record(rng, owner, day_ms + rng.randrange(0, DAY_MS)))
        return out

    def _external(self, rng: random.Random) -> Party:
        roll = rng.random()
        if roll < 0.05:
            return Party(name="Anonymous")
        number = f"+1{rng.choice(_AREA_CODES)}555{rng.randrange(0, 10_000):04d}"
        name = rng.choice(_CALLER_NAMES) if roll < 0.6 else None
        location = rng.choice(_LOCATIONS) if roll > 0.3 else None
        return Party(phone_number=number, name=name, location=location)

    def _record(self, rng: random.Random, owner: Extension, start_ms: int) -> CallRecord:
        inbound = rng.random() < 0.55
        direction = "Inbound" if inbound else "Outbound"
        me = Party(
            phone_number=owner.business_phone,
            name=owner.name,
            extension_number=owner.extension_number,
            extension_id=owner.id,
        )
        is_fax = rng.random() < 0.08
        internal = not is_fax and rng.random() < 0.15
        if internal:
            peer_ext = rng.choice(self.internal)
            other = Party(
                name=peer_ext.name,
                extension_number=peer_ext.extension_number,
                extension_id=peer_ext.id,
            )
        else:
            other = self._external(rng)
        recording = None
        message_id = None
        extra_leg = None
        voicemail = False
        if is_fax:
            kind = "Fax"
            action = "Incoming Fax" if inbound else "Outgoing Fax"
            result = "Received" if inbound else "Sent"
            duration_ms = rng.randrange(20_000, 180_000)
            message_id = str(rng.randrange(10**10, 10**11))
            if not inbound and other.location is None:
                other = Party(
                    phone_number=other.phone_number or "+16505550100",
                    name=other.name,
                    location=rng.choice(_LOCATIONS),
                )
            # RingCentral names no "fax received" leg: an inbound fax arrives from the network.
            leg_type = "PstnToSip" if inbound else "FaxSent"
        else:
            kind = "Voice"
            if inbound:
                action = "Phone Call"
                result = rng.choices(
                    ("Accepted", "Missed", "Voicemail", "Rejected", "Blocked"),
                    (55, 20, 12, 8, 5),
                )[0]
                leg_type = "ExtensionToExtension" if internal else "PstnToSip"
            else:
                action = rng.choice(("VoIP Call", "RingOut Web", "Phone Call", "RingOut PC"))
                result = rng.choices(
                    ("Call connected", "No Answer", "Busy", "Hang Up"), (70, 14, 9, 7)
                )[0]
                leg_type = "ExtensionToExtension" if internal else "SipToPstnMetered"
            if result in ("Accepted", "Call connected"):
                duration_ms = rng.randrange(5_000, 1_800_000)
                if rng.random() < 0.15:
                    recording = (
                        str(rng.randrange(10**10, 10**11)),
                        rng.choice(("Automatic", "OnDemand")),
                    )
                if inbound and rng.random() < 0.2:
                    extra_leg = "Accept"
            elif result == "Voicemail":
                duration_ms = rng.randrange(5_000, 90_000)
                voicemail = True
            else:
                duration_ms = rng.randrange(0, 30_000)
        record_id = _rid(rng)
        if voicemail:
            # Drawn from the record's own generator: the day's stream, and so every other
            # record, stays as it was before voicemails had messages.
            message_id = str(random.Random(f"{self.seed}:voicemail:{record_id}").randrange(10**11))
        return CallRecord(
            id=record_id,
            session_id=str(rng.randrange(10**11, 10**12)),
            telephony_session_id=f"s-{rng.getrandbits(128):032x}",
            start_ms=start_ms,
            duration_ms=duration_ms,
            type=kind,
            direction=direction,
            action=action,
            result=result,
            transport="VoIP" if internal else "PSTN",
            owner_id=owner.id,
            from_party=other if inbound else me,
            to_party=me if inbound else other,
            leg_type=leg_type,
            extra_leg_type=extra_leg,
            recording=recording,
            message_id=message_id,
        )


@dataclass(frozen=True)
class _Index:
    records: tuple[CallRecord, ...]  # newest first
    neg_start: tuple[int, ...]  # -start_ms, ascending, for bisect

    @classmethod
    def of(cls, records: Iterable[CallRecord]) -> _Index:
        recs = tuple(sorted(records, key=lambda r: (-r.start_ms, r.id)))
        return cls(recs, tuple(-r.start_ms for r in recs))

    def between(self, start_ms: int, end_ms: int) -> tuple[CallRecord, ...]:
        """Records with start_ms in [start_ms, end_ms), newest first."""
        lo = bisect.bisect_right(self.neg_start, -end_ms)
        hi = bisect.bisect_right(self.neg_start, -start_ms)
        return self.records[lo:hi]


@dataclass(frozen=True)
class _Day:
    all: _Index
    by_owner: dict[int, _Index]


@functools.lru_cache(maxsize=8)
def _generator(seed: int, users: tuple[DemoUser, ...]) -> _DayGenerator:
    return _DayGenerator(seed, Directory(seed, users))


@functools.lru_cache(maxsize=512)
def day_records(
    seed: int, day: date, users: tuple[DemoUser, ...] = DEMO_USERS
) -> tuple[CallRecord, ...]:
    """The records generated for one UTC day: a pure function of its arguments, so cached."""
    return tuple(_generator(seed, users).day(day))


@functools.lru_cache(maxsize=512)
def _day_index(seed: int, users: tuple[DemoUser, ...], day: date) -> _Day:
    records = day_records(seed, day, users)
    per_owner: dict[int, list[CallRecord]] = defaultdict(list)
    for r in records:
        per_owner[r.owner_id].append(r)
    return _Day(_Index.of(records), {owner: _Index.of(recs) for owner, recs in per_owner.items()})


# A day's records may start up to this long after its midnight (carol's late calls).
_SPILL = timedelta(days=1)


class CallLog:
    """All call-log records of the account over a window of days that follows the clock.

    Days are generated when a query first reaches them, so a simulator starts at once.
    """

    def __init__(
        self, seed: int, directory: Directory, today: date, placed: PlacedRecords | None = None
    ) -> None:
        self.placed = placed
        # The directory is deterministic from the seed too; the records use the same ids.
        users = directory.demo_users
        if _generator(seed, users).directory.account_id != directory.account_id:
            raise ValueError("the directory was not built from this seed")
        self._seed = seed
        self._users = users
        self._lock = threading.Lock()
        self.anchor_day = today

    def _span(self, now: datetime | None = None) -> tuple[date, date]:
        with self._lock:
            # A long-running simulator moves its window along so "now" always has data.
            if now is not None and now.date() > self.anchor_day:
                self.anchor_day = now.date()
            anchor = self.anchor_day
        return anchor - timedelta(days=HISTORY_DAYS), anchor + timedelta(days=1)

    def __len__(self) -> int:
        first, last = self._span()
        days = (last - first).days + 1
        seed, users = self._seed, self._users
        return sum(len(day_records(seed, first + timedelta(days=n), users)) for n in range(days))

    def query(
        self,
        *,
        owner_id: int | None,
        date_from: datetime,
        date_to: datetime,
        now: datetime,
        types: frozenset[str] = frozenset(),
        directions: frozenset[str] = frozenset(),
        show_blocked: bool = True,
        include_placed: bool = True,
    ) -> list[CallRecord]:
        """Matching records, newest first; nothing after `now` is visible.

        Placed calls' records count from the moment they became readable.
        """
        first, last = self._span(now)
        start_ms = to_ms(date_from)
        end_ms = min(to_ms(date_to), to_ms(now) + 1)
        day = min(last, date_to.astimezone(UTC).date())
        stop = max(first, (date_from.astimezone(UTC) - _SPILL).date())
        found: list[CallRecord] = []
        while day >= stop:
            index = _day_index(self._seed, self._users, day)
            chosen = index.all if owner_id is None else index.by_owner.get(owner_id)
            if chosen is not None:
                found.extend(chosen.between(start_ms, end_ms))
            day -= timedelta(days=1)
        if include_placed and self.placed is not None:
            found.extend(self.placed.started_between(owner_id, start_ms, end_ms, now))
        found.sort(key=lambda r: (-r.start_ms, r.id))
        return [
            r
            for r in found
            if (not types or r.type in types)
            and (not directions or r.direction in directions)
            and (show_blocked or r.result != "Blocked")
        ]

    def find(self, record_id: str, now: datetime) -> CallRecord | None:
        """A record of the current window (or a readable placed one) by its id."""
        found = self._lookup(now).records.get(record_id)
        if found is None and self.placed is not None:
            found = self.placed.find(record_id, now)
        return found

    def find_recording(self, recording_id: str, now: datetime) -> CallRecord | None:
        """The record a recording id belongs to."""
        return self._lookup(now).recordings.get(recording_id)

    def find_message(self, message_id: str, now: datetime) -> CallRecord | None:
        """The record a voicemail or fax message id belongs to."""
        return self._lookup(now).messages.get(message_id)

    def _lookup(self, now: datetime) -> _Lookup:
        first, last = self._span(now)
        return _lookup(self._seed, self._users, first, last)


@dataclass(frozen=True)
class _Lookup:
    records: dict[str, CallRecord]
    recordings: dict[str, CallRecord]
    messages: dict[str, CallRecord]


@functools.lru_cache(maxsize=4)
def _lookup(seed: int, users: tuple[DemoUser, ...], first: date, last: date) -> _Lookup:
    found = _Lookup({}, {}, {})
    for n in range((last - first).days + 1):
        for r in day_records(seed, first + timedelta(days=n), users):
            found.records[r.id] = r
            if r.recording is not None:
                found.recordings[r.recording[0]] = r
            if r.message_id is not None:
                found.messages[r.message_id] = r
    return found
