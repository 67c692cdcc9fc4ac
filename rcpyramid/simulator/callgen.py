"""Deterministic call-log records: the same (seed, day) always gives the same calls."""

from __future__ import annotations

import base64
import functools
import random
from datetime import UTC, date, datetime, time

from .callrecords import CallRecord, Party
from .clock import to_ms
from .demo_users import DEMO_USERS, DemoUser
from .directory import Directory, Extension

DAY_MS = 86_400_000
HOUR_MS = 3_600_000

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


@functools.lru_cache(maxsize=8)
def generator(seed: int, users: tuple[DemoUser, ...]) -> _DayGenerator:
    """The day generator of a seed and its users (cached: one directory per seed)."""
    return _DayGenerator(seed, Directory(seed, users))


@functools.lru_cache(maxsize=512)
def day_records(
    seed: int, day: date, users: tuple[DemoUser, ...] = DEMO_USERS
) -> tuple[CallRecord, ...]:
    """The records generated for one UTC day: a pure function of its arguments, so cached."""
    return tuple(generator(seed, users).day(day))
