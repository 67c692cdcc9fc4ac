"""``rcpyramid-reencrypt <ini>``: seal every stored token under the newest key.

Key rotation: put the new key first in RCPYRAMID_TOKEN_KEYS (keep the old one after
it), restart the app, run this, and remove the old key once it reports nothing left.
Each row is re-encrypted under its row lock (:mod:`rcpyramid.tokens.rotation`).
"""

from __future__ import annotations

import sys

from rcpyramid.scripts import script_arguments, script_repository
from rcpyramid.tokens.interfaces import TokenStoreError
from rcpyramid.tokens.sqla import SQLAlchemyTokenRepository
from rcpyramid.tokens.sqla.rotation import ReencryptReport, reencrypt

PROG = "rcpyramid-reencrypt"


def main(argv: list[str] | None = None) -> int:
    report: ReencryptReport | None = None
    try:
        config_uri = script_arguments(
            PROG, "Re-encrypt every stored token under the first key of RCPYRAMID_TOKEN_KEYS.", argv
        )
        with script_repository(PROG, config_uri) as repo:
            if isinstance(repo, SQLAlchemyTokenRepository):
                report = reencrypt(repo)
            else:
                print(
                    f"rcpyramid-reencrypt: {type(repo).__name__} keeps nothing at rest; "
                    "only the SQL backend stores encrypted tokens",
                    file=sys.stderr,
                )
    except TokenStoreError as error:
        print(f"rcpyramid-reencrypt: {error}", file=sys.stderr)
        return 1
    if report is None:
        return 2
    print(
        f"re-encrypted {report.logins} logins and {report.pending} pending sign-ins "
        f"under key {report.key_id!r}"
    )
    if not report.complete:
        print(
            f"{report.undecryptable} rows failed to decrypt (tampered or copied) and "
            f"{report.unknown_key} name a key that is not configured; they still use an "
            "older key: do not remove it yet",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
