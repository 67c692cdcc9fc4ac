"""``rcpyramid-purge <ini>``: end idle logins, delete expired ones and stale sign-ins.

Run it from cron (hourly is plenty); it is safe while the app runs. A login whose
person was last seen longer ago than ``rcpyramid.session.idle_timeout`` (their
browser never came back) is revoked at RingCentral, then deleted: the RingCentral
session ends, and no encrypted tokens stay behind. A revoke RingCentral does not
answer is logged; the login is deleted all the same.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timedelta

from rcpyramid.cache import forget_people
from rcpyramid.cache.store import StoreDown
from rcpyramid.callstore import history_outside_requests, live_schedule
from rcpyramid.clock import utcnow
from rcpyramid.config import RingCentralSettings, SessionSettings, SettingsError, load_section
from rcpyramid.livehistory.worker import forget_orphans
from rcpyramid.ringcentral.client import RingCentralClient
from rcpyramid.ringcentral.errors import RingCentralError
from rcpyramid.scripts import ini_settings, script_arguments, script_store, settings_or_exit
from rcpyramid.tokens.interfaces import TokenRepository, TokenStoreError

log = logging.getLogger(__name__)

PROG = "rcpyramid-purge"
#: Idle logins handled per round trip to the store.
BATCH = 100


def end_idle_logins(
    repo: TokenRepository,
    client: RingCentralClient,
    seen_before: datetime,
    owners: list[str] | None = None,
) -> tuple[int, int]:
    """Revoke and delete every login last seen before ``seen_before``: (ended, unrevoked).

    The owner id of each login ended is added to ``owners`` when given.
    """
    ended = unrevoked = 0
    done: set[str] = set()
    while True:
        batch = [item for item in repo.idle_logins(seen_before, BATCH) if item[0] not in done]
        if not batch:
            return ended, unrevoked
        for login_id, token in batch:
            done.add(login_id)
            try:
                client.revoke(token)
            except RingCentralError as error:
                unrevoked += 1
                log.warning("revoking an idle login at RingCentral failed: %s", error.message)
            repo.delete(login_id)
            ended += 1
            if owners is not None and token.owner_id:
                owners.append(token.owner_id)


def main(argv: list[str] | None = None) -> int:
    config_uri = script_arguments(
        PROG,
        "Revoke and delete idle logins; delete logins whose refresh token expired, and "
        "expired pending sign-ins.",
        argv,
    )
    try:
        with script_store(PROG, config_uri) as (registry, repo):
            ini = ini_settings(config_uri)
            ringcentral = settings_or_exit(PROG, lambda: load_section(RingCentralSettings, ini))
            session = settings_or_exit(PROG, lambda: load_section(SessionSettings, ini))
            now = utcnow()
            client = RingCentralClient(ringcentral, utcnow)
            cutoff = now - timedelta(seconds=session.idle_timeout)
            owners: list[str] = []
            ended, unrevoked = end_idle_logins(repo, client, cutoff, owners)
            # The rest purge() deletes: logins whose refresh token expired.
            owners += [
                token.owner_id
                for _, token in repo.idle_logins(now, 10**6)
                if token.owner_id and not token.refresh_valid(now)
            ]
            deleted = repo.purge(now)
            # Each history whose person has no login left, with its subscription rows.
            histories = forget_orphans(
                live_schedule(registry), history_outside_requests(registry), repo
            )
    except TokenStoreError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1
    print(
        f"ended {ended} idle logins ({unrevoked} not confirmed by RingCentral); "
        f"deleted {deleted} logins whose refresh token expired, and expired pending sign-ins; "
        f"deleted {histories} call histories nobody signed in can read any more"
    )
    try:
        # Their cached answers become unreachable in every app process sharing Redis.
        forget_people(ini, owners)
    except (SettingsError, StoreDown) as error:
        print(f"{PROG}: their cached answers expire on their own ({error})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
