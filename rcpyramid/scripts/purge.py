"""``rcpyramid-purge <ini>``: delete logins whose refresh token expired, and stale sign-ins.

Run it from cron (daily is plenty); it is safe while the app runs.
"""

from __future__ import annotations

import argparse
import sys

from pyramid.paster import setup_logging

from rcpyramid.clock import utcnow
from rcpyramid.config import SettingsError
from rcpyramid.scripts import repository_from_ini
from rcpyramid.tokens.interfaces import TokenStoreError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="rcpyramid-purge",
        description="Delete logins whose refresh token expired, and expired pending sign-ins.",
    )
    parser.add_argument("config_uri", help="the app's ini file, e.g. production.ini")
    args = parser.parse_args(argv)
    setup_logging(args.config_uri)
    try:
        repo = repository_from_ini(args.config_uri)
    except SettingsError as error:
        print(f"rcpyramid-purge: {error}", file=sys.stderr)
        return 2
    try:
        deleted = repo.purge(utcnow())
    except TokenStoreError as error:
        print(f"rcpyramid-purge: {error}", file=sys.stderr)
        return 1
    finally:
        repo.close()
    print(f"deleted {deleted} logins whose refresh token expired, and expired pending sign-ins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
