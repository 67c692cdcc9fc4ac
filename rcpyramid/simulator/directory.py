"""The simulated account: a deterministic set of extensions, the demo users' among them."""

from __future__ import annotations

import dataclasses
import hmac
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .demo_users import DEMO_USERS, DemoUser
from .regions import REGIONS, Region

EXTENSION_TYPES = (
    "User",
    "Department",
    "Announcement",
    "Voicemail",
    "IvrMenu",
    "ParkLocation",
    "Limited",
)
EXTENSION_STATUSES = ("Enabled", "Disabled", "Frozen", "NotActivated", "Unassigned")
COMPANY = "Example, Inc."


@dataclass(frozen=True)
class Extension:
    """One extension of the account."""

    id: int
    extension_number: str
    name: str
    type: str
    status: str | None  # some Announcement records carry no status
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    business_phone: str | None = None
    admin: bool = False
    has_contact: bool = True
    username: str | None = None  # set for the demo users
    region: Region = REGIONS["US/Pacific"]
    job_title: str | None = None
    department: str | None = None


# Word lists kept compact on purpose.
_FIRST = (  # noqa: SIM905
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy "
    "Anthony Betty Mark Sandra Donald Ashley Zoë José Søren Aoife Łukasz"
).split()
_LAST = (  # noqa: SIM905
    "Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas "
    "Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Nguyen Müller O'Neil"
).split()
# Names a renderer must escape: exact strings the app's tests may look for.
_HOSTILE_USER_NAMES = (
    ('<script>alert("x")</script>', ""),
    ("O'Brien", "& <Sons>"),
    ("Tom", '"Quote" <img src=x onerror=alert(1)>'),
)
_DEPARTMENT_NAMES = (
    "Sales",
    "Support",
    "Billing",
    "O'Brien & <Sons>",
    "Front Desk",
    "Engineering",
    "Reception",
    "Customer Care <Tier 2>",
    "Returns & Exchanges",
    "Night Shift",
    "Partners",
    "Escalations",
)

_JOB_TITLES = (
    "Account Manager",
    "Support Specialist",
    "Engineer",
    "Office Manager",
    "Sales Representative",
    "Designer",
    "Accountant",
)

_TYPE_PLAN = (
    # type, count, first extension number
    ("User", 62, 104),
    ("Limited", 8, 180),
    ("Department", 12, 200),
    ("Announcement", 10, 300),
    ("Voicemail", 10, 400),
    ("IvrMenu", 10, 500),
    ("ParkLocation", 10, 800),
)


def _generated_numbers() -> set[str]:
    return {str(first + i) for _, count, first in _TYPE_PLAN for i in range(count)}


def _check_users(users: tuple[DemoUser, ...]) -> None:
    """Raise ValueError for users the directory cannot hold."""
    if not users:
        raise ValueError("at least one user must be able to sign in")
    names = [u.username for u in users]
    if len(set(names)) != len(names) or not all(n and n.strip() == n for n in names):
        raise ValueError("usernames must be unique, non-empty and without surrounding spaces")
    numbers = [u.extension_number for u in users]
    taken = _generated_numbers()
    if len(set(numbers)) != len(numbers) or any(n in taken or not n.isdigit() for n in numbers):
        raise ValueError(
            "extension numbers must be unique digits outside the generated ones "
            "(use 100-103, 170-179, 190-199 or 900-999)"
        )
    unknown = sorted({u.timezone for u in users} - set(REGIONS))
    if unknown:
        raise ValueError(f"unknown time zones {unknown}; known: {', '.join(REGIONS)}")


def _either(fixed: str | None, draw: int) -> str:
    return fixed if fixed is not None else f"+1650555{draw}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower()) or "user"


def _service_name(ext_type: str, i: int) -> str:
    """The name of the i-th extension of a type that is not a person."""
    if ext_type == "Department":
        return _DEPARTMENT_NAMES[i % len(_DEPARTMENT_NAMES)]
    if ext_type == "Announcement":
        return f"Announcement {i + 1}"
    if ext_type == "Voicemail":
        return f"Shared voicemail {i + 1}"
    if ext_type == "IvrMenu":
        return f"Main menu {i + 1}" if i else "Main menu"
    return f"Park location {i + 1}"


class Directory:
    """The account and its extensions, deterministic from a seed."""

    def __init__(self, seed: int, users: tuple[DemoUser, ...] = DEMO_USERS) -> None:
        _check_users(users)
        rng = random.Random(f"{seed}:directory")
        self.account_id: int = rng.randrange(400_000_000, 499_999_999) * 1000 + 8
        self.main_number: str = f"+1650555{rng.randrange(1000, 9999)}"
        total = len(users) + sum(count for _, count, _ in _TYPE_PLAN)
        ids = rng.sample(range(1, 99_000_000), total)
        id_iter = (self.account_id + 1000 * i for i in ids)

        extensions: list[Extension] = []
        for user in users:
            first_word, _, rest = user.name.partition(" ")
            extensions.append(
                Extension(
                    id=next(id_iter),
                    extension_number=user.extension_number,
                    name=user.name,
                    type="User",
                    status="Enabled",
                    first_name=user.first_name or first_word,
                    last_name=user.last_name or rest,
                    email=user.email or f"{user.username}@example.com",
                    # The draw happens either way so every later extension stays put.
                    business_phone=_either(user.business_phone, rng.randrange(1000, 9999)),
                    admin=user.admin,
                    username=user.username,
                    region=REGIONS[user.timezone],
                    job_title=user.job_title,
                    department=user.department,
                )
            )
        for ext_type, count, first_number in _TYPE_PLAN:
            extensions.extend(self._generate(rng, id_iter, ext_type, count, first_number))
        extensions = [self._place(seed, e) for e in extensions]
        extensions.sort(key=lambda e: int(e.extension_number))
        self.extensions: tuple[Extension, ...] = tuple(extensions)
        self.by_id: dict[int, Extension] = {e.id: e for e in extensions}
        self.by_username: dict[str, Extension] = {
            e.username: e for e in extensions if e.username is not None
        }
        self.demo_users = users
        self.users: dict[str, DemoUser] = {u.username: u for u in users}

    @staticmethod
    def _place(seed: int, ext: Extension) -> Extension:
        """Generated users work in several time zones (their own generator: ids stay put)."""
        if ext.username is not None or ext.type not in ("User", "Limited"):
            return ext
        rng = random.Random(f"{seed}:region:{ext.id}")
        return dataclasses.replace(
            ext,
            region=rng.choice(list(REGIONS.values())),
            job_title=rng.choice(_JOB_TITLES),
            department=rng.choice(_DEPARTMENT_NAMES[:8]),
        )

    @staticmethod
    def _statuses(rng: random.Random, ext_type: str, count: int) -> list[str | None]:
        if ext_type == "User":
            # Several of every status, placed at seeded positions.
            forced: list[str | None] = [s for s in EXTENSION_STATUSES[1:] for _ in range(4)]
            statuses: list[str | None] = [*(["Enabled"] * (count - len(forced))), *forced]
            rng.shuffle(statuses)
            return statuses
        if ext_type == "Announcement":
            return [None if i % 2 else rng.choice(("Enabled", "Disabled")) for i in range(count)]
        weighted = ("Enabled",) * 6 + ("Disabled", "NotActivated")
        return [rng.choice(weighted) for _ in range(count)]

    def _generate(
        self,
        rng: random.Random,
        id_iter: Iterator[int],
        ext_type: str,
        count: int,
        first_number: int,
    ) -> list[Extension]:
        result = []
        statuses = self._statuses(rng, ext_type, count)
        hostile = list(_HOSTILE_USER_NAMES)
        for i in range(count):
            number = str(first_number + i)
            first: str | None
            last: str | None
            email: str | None
            phone: str | None
            if ext_type in ("User", "Limited"):
                if ext_type == "User" and hostile and i % 17 == 5:
                    first, last = hostile.pop(0)
                else:
                    first, last = rng.choice(_FIRST), rng.choice(_LAST)
                name = f"{first} {last}".strip()
                email = f"{_slug(first)}.{_slug(last or 'x')}.{number}@example.com"
                phone = f"+1650555{rng.randrange(1000, 9999)}"
                has_contact = True
            else:
                name = _service_name(ext_type, i)
                has_contact = ext_type != "Announcement"
                first, last, phone = (name if has_contact else None), None, None
                email = f"{_slug(name)}.{number}@example.com" if has_contact else None
            result.append(
                Extension(
                    id=next(id_iter),
                    extension_number=number,
                    name=name,
                    type=ext_type,
                    status=statuses[i],
                    first_name=first,
                    last_name=last,
                    email=email,
                    business_phone=phone,
                    has_contact=has_contact,
                )
            )
        return result

    def extension_for(self, username: str) -> Extension:
        """The extension a demo user signs in as."""
        return self.by_username[username]

    def check_password(self, username: str, password: str) -> DemoUser | None:
        """Return the demo user when the credentials match."""
        user = self.users.get(username)
        candidate = user.password if user else "x" * len(password)
        ok = hmac.compare_digest(candidate.encode(), password.encode())
        return user if user and ok else None
