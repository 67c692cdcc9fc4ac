"""The demo users who can sign in on the simulator's page (public demo passwords)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoUser:
    """A user who can sign in on the simulator's page."""

    username: str
    password: str
    name: str
    extension_number: str
    admin: bool = False
    first_name: str = ""  # "" = the first word of the name
    last_name: str = ""  # "" = the rest of the name
    email: str = ""  # "" = username@example.com
    timezone: str = "US/Pacific"  # a key of REGIONS
    job_title: str | None = None
    department: str | None = None
    business_phone: str | None = None  # None = a seeded +1 650 number

    @property
    def role(self) -> str:
        """Human label for the user's role."""
        return "Account administrator" if self.admin else "Standard user"


# Demo passwords, public by design: they only open the simulator's own sign-in page.
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "alice",
        "alice-demo",
        "Alice Smith",
        "101",
        True,
        "Alice",
        "Smith",
        "alice.smith@example.com",
        "US/Pacific",
        "Head of Operations",
        "Operations",
    ),
    DemoUser(
        "bob",
        "bob-demo",
        "Bob Johnson",
        "102",
        False,
        "Bob",
        "Johnson",
        "bob.johnson@example.com",
        "US/Eastern",
        "Account Executive",
        "Sales",
    ),
    DemoUser(
        "carol",
        "carol-demo",
        'Carol "<b>O\'Hara</b>" & Sons',
        "103",
        False,
        "Carol",
        '"<b>O\'Hara</b>" & Sons',
        "carol.ohara@example.com",
        "Europe/London",
        "Support Engineer <Tier 2>",
        "Support & Returns",
        # 020 7946 0xxx: set aside by Ofcom for fiction, so it rings nobody.
        "+442079460123",
    ),
)
