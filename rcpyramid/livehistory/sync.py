"""Call-log sync: FSync at sign-in, ISync after each call, backfill to the history window.

RingCentral's call-log sync (``call-log-sync``, Heavy) gives the newest 250 records
of at most the last 30 days (FSync) and a token; with the token, an ISync gives
only what changed since, deleted records flagged. What lies before the FSync's
frame (up to ``rcpyramid.history.days``) comes from the paged call log, one page
per worker round while the shared Heavy budget leaves the pages their share. A
token RingCentral no longer takes (``CLG-10x``, "Parameter [syncToken] is invalid")
is answered with an FSync. Records are merged before the token that follows them
is saved, so a sync cut short repeats the same records (merged by id) and loses
nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from rcpyramid.callstore.interfaces import CallHistory, SyncState
from rcpyramid.callstore.schedule import COMPANY, LiveSchedule, OwnerState
from rcpyramid.clock import Clock
from rcpyramid.config import HistorySettings
from rcpyramid.livehistory.records import start_time
from rcpyramid.ops import metrics
from rcpyramid.ringcentral.endpoints import (
    ACCOUNT_CALL_LOG,
    ACCOUNT_CALL_LOG_SYNC,
    HEAVY,
    OWN_CALL_LOG,
    OWN_CALL_LOG_SYNC,
    rc_time,
)
from rcpyramid.ringcentral.errors import ApiError, RateLimitedError, SignedOutError
from rcpyramid.ringcentral.signed_in import SignedInRingCentral

log = logging.getLogger(__name__)

#: RingCentral's FSync reaches back this far at most, and returns this many records at most.
FSYNC_DAYS = 30
RECORD_COUNT = 250
#: The paged call log's largest page, for the backfill.
BACKFILL_PER_PAGE = 1000
#: Heavy requests a person keeps for their own pages: the backfill waits below this.
HEAVY_RESERVE = 4
#: A frame this close to the window's start counts as reaching it (no backfill for a minute).
WINDOW_SLACK = timedelta(minutes=5)
#: Between two backfill pages of one history, so the pages keep their Heavy budget.
BACKFILL_PAUSE = timedelta(seconds=8)
#: While a backfill runs, an ISync at most this often, unless a delivery asks for one.
ISYNC_WHILE_FILLING = timedelta(seconds=60)


class SyncTokenLostError(Exception):
    """RingCentral no longer takes the stored sync token: an FSync starts over."""


def token_lost(error: ApiError) -> bool:
    """True for RingCentral's answers that mean "this sync token is no good: FSync again"."""
    code = (error.error_code or "").upper()
    return error.status == 400 and (
        code.startswith("CLG-10") or "parameter [synctoken] is invalid" in error.message.lower()
    )


@dataclass(frozen=True)
class SyncResult:
    """What one sync did, for the worker's next due time and the logs."""

    kind: str
    new: int = 0
    deleted: int = 0
    backfilled: int = 0
    filling: bool = False
    #: When this history wants its next round (backfill pages left), else None.
    next_due: datetime | None = None


def _records(data: Any) -> list[dict[str, Any]]:
    records = data.get("records") if isinstance(data, dict) else None
    return [r for r in records if isinstance(r, dict) and r.get("id")] if records else []


def _sync_info(data: Any) -> tuple[str, datetime | None]:
    info = data.get("syncInfo") if isinstance(data, dict) else None
    info = info if isinstance(info, dict) else {}
    token = str(info.get("syncToken") or "")
    when = start_time({"startTime": info.get("syncTime")})
    return token, when


@dataclass(eq=False, repr=False)
class HistorySync:
    """One sync round of one history; the caller holds the owner's lease.

    Records and the sync token live in the call history (:class:`CallHistory`); the
    schedule gets the poll's summary (how far back, still filling, how many came in).
    """

    schedule: LiveSchedule
    history: CallHistory
    settings: HistorySettings
    clock: Clock

    def window_start(self, now: datetime) -> datetime:
        return now - timedelta(days=self.settings.days)

    def run(
        self, api: SignedInRingCentral, login_id: str, state: OwnerState, holder: str
    ) -> SyncResult:
        """Catch up (ISync or FSync), then one backfill page; while a backfill runs, a
        round may be the page alone (:meth:`backfill_only`)."""
        company = state.kind == COMPANY
        sync = self.history.sync_state(state.owner)
        if self.backfill_only(sync, state):
            result = SyncResult("Backfill")
        else:
            result = self.catch_up(api, login_id, state.owner, sync, company)
        now = self.clock()
        self.history.trim(state.owner, self.window_start(now))
        sync = self.history.sync_state(state.owner)
        if sync.backfilling:
            result = self.backfill(api, login_id, state.owner, sync, company, result)
            sync = self.history.sync_state(state.owner)
        self.schedule.save_sync(
            state.owner,
            holder,
            add=result.new,
            history_from=sync.covers_from,
            filling=sync.backfilling,
            last_sync_at=now,
        )
        return result

    def backfill_only(self, sync: SyncState, state: OwnerState) -> bool:
        """A round that only fetches an older page: a backfill runs, no delivery asked for
        an ISync, and the last one is recent (each round's ISync would otherwise spend the
        Heavy budget the backfill waits for, and the backfill would never end)."""
        if not (sync.sync_token and sync.backfilling) or state.retries > 0:
            return False
        return sync.synced_at is not None and self.clock() - sync.synced_at < ISYNC_WHILE_FILLING

    def catch_up(
        self, api: SignedInRingCentral, login_id: str, owner: str, sync: SyncState, company: bool
    ) -> SyncResult:
        """ISync when a token is kept, FSync when it is lost or missing."""
        kind = "ISync" if sync.sync_token else "FSync"
        try:
            if sync.sync_token:
                try:
                    result = self.isync(api, login_id, owner, sync, company)
                except SyncTokenLostError:
                    log.info("RingCentral no longer takes a history's sync token; full sync")
                    metrics.sync(kind, "token_lost")
                    kind = "FSync"
                    result = self.fsync(api, login_id, owner, sync, company)
            else:
                result = self.fsync(api, login_id, owner, sync, company)
        except Exception as error:
            metrics.sync(kind, outcome_of(error))
            raise
        metrics.sync(kind, "ok")
        return result

    def fsync(
        self, api: SignedInRingCentral, login_id: str, owner: str, sync: SyncState, company: bool
    ) -> SyncResult:
        now = self.clock()
        window = self.window_start(now)
        # A minute inside RingCentral's 30 days, so its clock and ours may differ a little.
        date_from = max(window, now - timedelta(days=FSYNC_DAYS) + timedelta(minutes=1))
        params = {"syncType": "FSync", "recordCount": RECORD_COUNT, "dateFrom": rc_time(date_from)}
        path = ACCOUNT_CALL_LOG_SYNC if company else OWN_CALL_LOG_SYNC
        data = api.get(login_id, path, params).data
        records = _records(data)
        token, sync_time = _sync_info(data)
        merged = self.history.merge(owner, records)
        full = len(records) >= RECORD_COUNT
        oldest = min((t for r in records if (t := start_time(r)) is not None), default=None)
        # Full: the frame reaches only to its oldest record; otherwise to date_from.
        covered = (oldest or date_from) if full else date_from
        if (
            sync.covers_from is not None
            and sync.synced_at is not None
            and covered <= sync.synced_at
        ):
            # The frame joins what was kept (a lost token): the older part stays covered.
            covered = min(covered, sync.covers_from)
        if covered - window <= WINDOW_SLACK:
            # The frame reaches (all but the minute kept for clocks) back to the window.
            covered = min(covered, window)
        self.history.save_sync_state(
            owner,
            SyncState(
                sync_token=token or None,
                synced_at=sync_time or now,
                covers_from=covered,
                backfill_until=window if covered > window else None,
            ),
        )
        new = len(merged.added)
        log.info("full sync of a history: %s records (%s new)", len(records), new)
        return SyncResult("FSync", new=new)

    def isync(
        self, api: SignedInRingCentral, login_id: str, owner: str, sync: SyncState, company: bool
    ) -> SyncResult:
        now = self.clock()
        params = {"syncType": "ISync", "syncToken": sync.sync_token, "showDeleted": "true"}
        path = ACCOUNT_CALL_LOG_SYNC if company else OWN_CALL_LOG_SYNC
        try:
            data = api.get(login_id, path, params).data
        except ApiError as error:
            if token_lost(error):
                raise SyncTokenLostError(error.message) from error
            raise
        # Deleted records (``deleted: true``) are removed by the merge.
        merged = self.history.merge(owner, _records(data))
        token, sync_time = _sync_info(data)
        self.history.save_sync_state(
            owner,
            replace(sync, sync_token=token or sync.sync_token, synced_at=sync_time or now),
        )
        new, gone = len(merged.added), len(merged.deleted)
        log.info("incremental sync of a history: %s new, %s deleted", new, gone)
        return SyncResult("ISync", new=new, deleted=gone)

    def backfill(
        self,
        api: SignedInRingCentral,
        login_id: str,
        owner: str,
        sync: SyncState,
        company: bool,
        result: SyncResult,
    ) -> SyncResult:
        """One page of the paged call log before ``covers_from``, if the budget allows."""
        now = self.clock()
        later = now + BACKFILL_PAUSE
        person, _ = api.whose(login_id)
        left = api.budget.left(person, HEAVY, now)
        if left is not None and left <= HEAVY_RESERVE:
            metrics.sync("backfill", "deferred")
            return _with(result, filling=True, next_due=later)
        window = max(self.window_start(now), sync.backfill_until or now)
        before = sync.covers_from or now
        params = {
            "dateFrom": rc_time(window),
            "dateTo": rc_time(before),
            "perPage": BACKFILL_PER_PAGE,
            "page": 1,
        }
        try:
            data = api.get(login_id, ACCOUNT_CALL_LOG if company else OWN_CALL_LOG, params).data
        except RateLimitedError as error:
            metrics.sync("backfill", "rate_limited")
            wait = timedelta(seconds=error.retry_after or 60)
            return _with(result, filling=True, next_due=now + wait)
        except Exception as error:
            metrics.sync("backfill", outcome_of(error))
            raise
        metrics.sync("backfill", "ok")
        page = _records(data)
        records = [r for r in page if (start_time(r) or now) < before]
        self.history.merge(owner, records)
        oldest = min((t for r in records if (t := start_time(r)) is not None), default=None)
        done = len(page) < BACKFILL_PER_PAGE or oldest is None or oldest <= window
        current = self.history.sync_state(owner)
        if done:
            self.history.save_sync_state(
                owner, replace(current, covers_from=window, backfill_until=None)
            )
            return _with(result, backfilled=len(records), filling=False)
        self.history.save_sync_state(owner, replace(current, covers_from=oldest))
        return _with(result, backfilled=len(records), filling=True, next_due=later)


def outcome_of(error: Exception) -> str:
    """The metric's word for a sync that raised."""
    if isinstance(error, RateLimitedError):
        return "rate_limited"
    if isinstance(error, SignedOutError):
        return "signed_out"
    return "failed"


def _with(result: SyncResult, **changes: Any) -> SyncResult:
    values = {**result.__dict__, **changes}
    return SyncResult(**values)
