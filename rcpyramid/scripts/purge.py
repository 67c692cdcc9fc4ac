"""``rcpyramid-purge <ini>``: end idle logins, delete expired ones and stale sign-ins.

Run it from cron (hourly is plenty); it is safe while the app runs. A login whose
person was last seen longer ago than ``rcpyramid.session.idle_timeout`` (their
browser never came back) is revoked at RingCentral, then deleted: the RingCentral
session ends, and no encrypted tokens stay behind. A revoke RingCentral does not
answer is logged; the login is deleted all the same (:func:`rcpyramid.logins.end_login`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pyramid.registry import Registry

from rcpyramid.cache import Cache, script_cache
from rcpyramid.clock import utcnow
from rcpyramid.config import RingCentralSettings, SessionSettings, SettingsError, load_section
from rcpyramid.logins import EndReason, end_login
from rcpyramid.ringcentral.client import RingCentralClient
from rcpyramid.ringcentral.signed_in import SignedInRingCentral
from rcpyramid.scripts import (
    ScriptServices,
    ini_settings,
    script_arguments,
    settings_or_exit,
    token_registry,
)
from rcpyramid.tokens import open_repository
from rcpyramid.tokens.interfaces import TokenStoreError

log = logging.getLogger(__name__)

PROG = "rcpyramid-purge"
#: Idle logins handled per round trip to the store.
BATCH = 100


def end_idle_logins(
    registry: Registry, client: RingCentralClient, cache: Cache | None, seen_before: datetime
) -> tuple[int, int]:
    """End (revoke and delete) every login last seen before ``seen_before``: (ended, unrevoked).

    A batch is read in a short transaction; the revokes, which wait on RingCentral, run
    with no database transaction open (each delete commits on its own), so no snapshot
    stays open across them.
    """
    ended = unrevoked = 0
    done: set[str] = set()
    while True:
        with open_repository(registry) as repo:
            batch = [item for item in repo.idle_logins(seen_before, BATCH) if item[0] not in done]
        if not batch:
            return ended, unrevoked
        with open_repository(registry) as repo:
            signed_in = SignedInRingCentral(client, repo, utcnow, cache=cache)
            services = ScriptServices({SignedInRingCentral: signed_in})
            for login_id, token in batch:
                done.add(login_id)
                if not end_login(services, EndReason.IDLE, login_id=login_id, token=token):
                    unrevoked += 1
                ended += 1


def purge_expired(registry: Registry, cache: Cache | None, now: datetime) -> int:
    """Delete the logins whose refresh token expired; their cached answers go everywhere."""
    owners: list[str] = []
    with open_repository(registry) as repo:
        deleted = repo.purge(now, owners)
    if cache is not None:
        # Their cached answers become unreachable in every app process sharing Redis.
        for owner in owners:
            cache.forget(owner)
    return deleted


def _shared_cache(ini: Mapping[str, Any]) -> Cache | None:
    """The shared cache, so the people purged lose their cached answers in every process."""
    try:
        return script_cache(ini)
    except SettingsError as error:
        print(f"{PROG}: their cached answers expire on their own ({error})")
        return None


def main(argv: list[str] | None = None) -> int:
    config_uri = script_arguments(
        PROG,
        "Revoke and delete idle logins; delete logins whose refresh token expired, and "
        "expired pending sign-ins.",
        argv,
    )
    try:
        registry = settings_or_exit(PROG, lambda: token_registry(config_uri))
    except TokenStoreError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1
    cache: Cache | None = None
    try:
        ini = ini_settings(config_uri)
        ringcentral = settings_or_exit(PROG, lambda: load_section(RingCentralSettings, ini))
        session = settings_or_exit(PROG, lambda: load_section(SessionSettings, ini))
        now = utcnow()
        cache = _shared_cache(ini)
        client = RingCentralClient(ringcentral, utcnow)
        cutoff = now - timedelta(seconds=session.idle_timeout)
        ended, unrevoked = end_idle_logins(registry, client, cache, cutoff)
        deleted = purge_expired(registry, cache, now)
    except TokenStoreError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1
    finally:
        if cache is not None and cache.store is not None:
            cache.store.close()
        registry.close_token_store()
    print(
        f"ended {ended} idle logins ({unrevoked} not confirmed by RingCentral); "
        f"deleted {deleted} logins whose refresh token expired, and expired pending sign-ins"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
