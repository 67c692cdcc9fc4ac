"""``rcpyramid-reencrypt <ini>``: seal every stored token under the newest key.

Key rotation: put the new key first in RCPYRAMID_TOKEN_KEYS (keep the old one after
it), restart the app, run this, and remove the old key once it reports nothing left.
Each row is re-encrypted under its row lock (:mod:`rcpyramid.tokens.sqla.rotation`).
"""

from __future__ import annotations

import sys

from rcpyramid.callstore.rotation import HistoryReencryptReport, reencrypt_history
from rcpyramid.callstore.sqla import SQLAlchemyCallHistory, SqlCallStore
from rcpyramid.scripts import script_arguments, script_repository
from rcpyramid.tokens.interfaces import TokenStoreError
from rcpyramid.tokens.sqla import SQLAlchemyTokenRepository
from rcpyramid.tokens.sqla.rotation import ReencryptReport, reencrypt

PROG = "rcpyramid-reencrypt"


def main(argv: list[str] | None = None) -> int:
    report: ReencryptReport | None = None
    calls: HistoryReencryptReport | None = None
    try:
        config_uri = script_arguments(
            PROG, "Re-encrypt every stored token under the first key of RCPYRAMID_TOKEN_KEYS.", argv
        )
        with script_repository(PROG, config_uri) as repo:
            if isinstance(repo, SQLAlchemyTokenRepository):
                report = reencrypt(repo)
                # Call histories live in the same database, sealed with the same keys.
                calls = reencrypt_history(
                    SQLAlchemyCallHistory(SqlCallStore(repo.engine, repo.keyring))
                )
            else:
                print(
                    f"rcpyramid-reencrypt: {type(repo).__name__} keeps nothing at rest; "
                    "only the SQL backend stores encrypted tokens",
                    file=sys.stderr,
                )
    except TokenStoreError as error:
        print(f"rcpyramid-reencrypt: {error}", file=sys.stderr)
        return 1
    if report is None or calls is None:
        return 2
    print(
        f"re-encrypted {report.logins} logins and {report.pending} pending sign-ins "
        f"under key {report.key_id!r}"
    )
    print(f"re-encrypted {calls.records} call records and {calls.histories} sync tokens")
    if not (report.complete and calls.complete):
        print(
            f"{report.undecryptable + calls.undecryptable} rows failed to decrypt (tampered "
            f"or copied) and {report.unknown_key + calls.unknown_key} name a key that is not "
            "configured; they still use an older key: do not remove it yet",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
