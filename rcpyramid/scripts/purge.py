"""``rcpyramid-purge <ini>``: delete logins whose refresh token expired, and stale sign-ins.

Run it from cron (daily is plenty); it is safe while the app runs.
"""

from __future__ import annotations

import sys

from rcpyramid.clock import utcnow
from rcpyramid.scripts import script_repository
from rcpyramid.tokens.interfaces import TokenStoreError


def main(argv: list[str] | None = None) -> int:
    try:
        with script_repository(
            "rcpyramid-purge",
            "Delete logins whose refresh token expired, and expired pending sign-ins.",
            argv,
        ) as repo:
            deleted = repo.purge(utcnow())
    except TokenStoreError as error:
        print(f"rcpyramid-purge: {error}", file=sys.stderr)
        return 1
    print(f"deleted {deleted} logins whose refresh token expired, and expired pending sign-ins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
