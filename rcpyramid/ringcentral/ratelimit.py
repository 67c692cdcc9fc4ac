"""One rate-limit budget per person and group, shared by every process through Redis.

RingCentral counts requests per user, app and group in a sliding window and answers
429 when one runs out; every request during the penalty restarts it. The budget
remembers, where every process reads it, what RingCentral said: the penalty of a
429 (``Retry-After``) and the ``X-Rate-Limit-Remaining`` count of the last answer
with its ``X-Rate-Limit-Window``. A call is made only when neither says no, so the
app stops before RingCentral would refuse. Keys name the server, the client id, the
person at RingCentral (owner id) and the group (:mod:`~rcpyramid.ringcentral.endpoints`),
so signing in again changes nothing.

RingCentral's count only arrives with its answers, so a burst from a cold budget (no
answer yet) would all be sent. The budget also keeps its own sliding log of the calls
it let through in the last window, as RingCentral counts them, and lets no more than
RingCentral's documented limit for the group (:data:`DOCUMENTED_LIMITS`) through in
any window (or than the ``X-Rate-Limit-Limit`` an answer gave, since RingCentral can
set an app's limits higher): a burst stops at the limit, and the rest gets the app's
own pacing page.

A 429 without ``X-Rate-Limit-*`` headers comes from an account-wide or global limit:
it holds back everyone using this client id at this server.

When Redis does not answer, each process falls back to a budget of its own (the
store logs one warning and ``/healthz`` says degraded); nothing fails because of it.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rcpyramid.cache.keys import KeyMaker
from rcpyramid.cache.store import SharedStore, StoreDown
from rcpyramid.ops import metrics
from rcpyramid.ringcentral.endpoints import HEAVY, LIGHT, MEDIUM
from rcpyramid.ringcentral.errors import PacingError, RateLimitedError

#: RingCentral's advice when a 429 carries no Retry-After.
DEFAULT_WAIT = 60
#: The longest a 429 without rate-limit headers holds back the whole app. RingCentral's
#: documents say such a 429 comes from an account, global or custom limit (so everyone
#: is held), with a 60-second penalty: a longer Retry-After (clamped at an hour) would
#: otherwise stop every page of every person for that long on one answer.
ACCOUNT_HOLD_LIMIT = 60
#: RingCentral's default rate-limit window (seconds), when an answer does not say.
DEFAULT_WINDOW = 60
#: RingCentral's default limits per window for an app and user (its rate-limit guide):
#: the budget's own log lets no more through. Auth is left out: a token request is not
#: an API call here (a 429 on one still holds the group back, see ``block``).
DOCUMENTED_LIMITS = {LIGHT: 50, MEDIUM: 40, HEAVY: 10}
#: The largest ``X-Rate-Limit-Limit`` believed (a bounded number, as every one from outside).
MOST_LIMIT = 100_000


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _whole(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


# Atomically: a hold on the account, a penalty, a spent count, or a full log (the calls
# let through in the last window, ARGV[3] ms: ARGV[2] of them) says no (the time it
# ends, in ms); otherwise the call is logged, taken from a known count, and 0 returned.
_CHECK = """
local now = tonumber(ARGV[1])
local hold = tonumber(redis.call('GET', KEYS[2]) or '0')
if hold > now then return hold end
local f = redis.call('HMGET', KEYS[1], 'until', 'remaining', 'reset', 'limit')
local penalty = tonumber(f[1] or '0')
if penalty > now then return penalty end
local reset = tonumber(f[3] or '0')
local known = f[2] and reset > now
if known and tonumber(f[2]) <= 0 then return reset end
local limit, window = tonumber(ARGV[2]), tonumber(ARGV[3])
if limit > 0 and f[4] then limit = tonumber(f[4]) end
if limit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
  if redis.call('ZCARD', KEYS[3]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
    return tonumber(oldest[2]) + window + 1
  end
  local n = redis.call('INCR', KEYS[3] .. ':n')
  redis.call('PEXPIRE', KEYS[3] .. ':n', window + 1000)
  redis.call('ZADD', KEYS[3], now, now .. ':' .. n)
  redis.call('PEXPIRE', KEYS[3], window + 1000)
end
if known then redis.call('HINCRBY', KEYS[1], 'remaining', -1) end
return 0
"""


@dataclass
class _Local:
    until: int = 0
    remaining: int | None = None
    reset: int = 0
    #: When the calls of the last window were let through (ms), oldest first.
    sent: deque[int] = field(default_factory=deque)
    #: The limit RingCentral's last answer gave (``X-Rate-Limit-Limit``), if any.
    limit: int | None = None


class RateLimitBudget:
    """What RingCentral allows each person per group; shared when a store is given."""

    def __init__(self, keys: KeyMaker | None = None, store: SharedStore | None = None) -> None:
        self.keys = keys
        self.store = store
        self._check_script = store.client.register_script(_CHECK) if store is not None else None
        self._lock = threading.Lock()
        self._local: dict[tuple[str, str], _Local] = {}
        self._hold = 0

    def _budget_key(self, person: str, group: str) -> str:
        return self.keys.budget_key(person, group) if self.keys else f"{person}\x00{group}"

    def _hold_key(self) -> str:
        return self.keys.hold_key() if self.keys else "hold"

    # -- the three verbs ------------------------------------------------------------

    def check(self, person: str, group: str, now: datetime) -> None:
        """Take one request from the budget, or raise :class:`RateLimitedError` (no call)."""
        now_ms = _ms(now)
        ends = None
        if self.store is not None and self._check_script is not None:
            script = self._check_script
            key = self._budget_key(person, group)
            keys = [key, self._hold_key(), key + ":log"]
            args = [now_ms, DOCUMENTED_LIMITS.get(group, 0), DEFAULT_WINDOW * 1000]
            try:
                ends = int(self.store.run(lambda client: script(keys=keys, args=args)))
            except StoreDown:
                ends = None
        if ends is None:
            ends = self._check_local(person, group, now_ms)
        if ends > now_ms:
            wait = max(1, math.ceil((ends - now_ms) / 1000))
            raise PacingError(
                f"pacing {group} requests within RingCentral's limit", status=429, retry_after=wait
            )

    def record(self, person: str, group: str, headers: Mapping[str, str], now: datetime) -> None:
        """Remember the count an answer's ``X-Rate-Limit-Remaining`` and ``-Window`` give."""
        remaining = _whole(_header(headers, "x-rate-limit-remaining"))
        if remaining is None:
            return
        metrics.rate_limit_remaining(group, remaining)
        window = _whole(_header(headers, "x-rate-limit-window")) or DEFAULT_WINDOW
        now_ms = _ms(now)
        reset = now_ms + window * 1000
        key = self._budget_key(person, group)
        fields = {"remaining": remaining, "reset": reset}
        limit = _whole(_header(headers, "x-rate-limit-limit"))
        if limit is not None and limit > 0:
            fields["limit"] = min(limit, MOST_LIMIT)
        if self.store is not None:
            try:
                self.store.run(lambda client: _write(client, key, fields, window * 1000 + 1000))
            except StoreDown:
                pass
            else:
                return
        with self._lock:
            entry = self._local.setdefault((person, group), _Local())
            entry.remaining, entry.reset = remaining, reset
            entry.limit = fields.get("limit", entry.limit)

    def block(self, person: str, group: str, error: RateLimitedError, now: datetime) -> None:
        """Remember a 429: this person's group, or the whole account when no headers came."""
        wait = error.retry_after if error.retry_after is not None else DEFAULT_WAIT
        account_wide = error.rate_headers == {}
        if account_wide:
            wait = min(wait, ACCOUNT_HOLD_LIMIT)
            # The page says when the app tries again, which is this, not RingCentral's figure.
            error.retry_after = wait
        now_ms = _ms(now)
        until = now_ms + wait * 1000
        metrics.rate_limited(group, wait, account_wide)
        key = self._hold_key() if account_wide else self._budget_key(person, group)
        if self.store is not None:
            try:
                if account_wide:
                    self.store.run(lambda client: client.set(key, until, px=wait * 1000 + 1000))
                else:
                    self.store.run(
                        lambda client: _write(client, key, {"until": until}, wait * 1000 + 1000)
                    )
            except StoreDown:
                pass
            else:
                return
        with self._lock:
            if account_wide:
                self._hold = max(self._hold, until)
            else:
                self._local.setdefault((person, group), _Local()).until = until

    def left(self, person: str, group: str, now: datetime) -> int | None:
        """Requests left for ``person`` and ``group`` now, without taking one (None: unknown).

        Read-only, for pages that say beforehand how far they can go (the CSV export).
        """
        now_ms = _ms(now)
        window = DEFAULT_WINDOW * 1000
        fields: dict[str, int] = {}
        hold = sent = 0
        if self.store is not None:
            key, hold_key = self._budget_key(person, group), self._hold_key()
            try:
                raw = self.store.run(lambda client: client.hgetall(key))
                hold = int(self.store.run(lambda client: client.get(hold_key)) or 0)
                sent = int(
                    self.store.run(
                        lambda client: client.zcount(key + ":log", now_ms - window + 1, "+inf")
                    )
                )
                fields = {
                    (k.decode() if isinstance(k, bytes) else str(k)): int(v) for k, v in raw.items()
                }
            except (StoreDown, ValueError):
                fields, hold, sent = {}, 0, 0
        else:
            with self._lock:
                entry = self._local.get((person, group))
                hold = self._hold
                if entry is not None:
                    fields = {"until": entry.until, "reset": entry.reset}
                    if entry.remaining is not None:
                        fields["remaining"] = entry.remaining
                    if entry.limit:
                        fields["limit"] = entry.limit
                    sent = sum(1 for at in entry.sent if at > now_ms - window)
        if hold > now_ms or fields.get("until", 0) > now_ms:
            return 0
        limit = DOCUMENTED_LIMITS.get(group, 0)
        logged = max((fields.get("limit") or limit) - sent, 0) if limit else None
        if "remaining" in fields and fields.get("reset", 0) > now_ms:
            remaining = max(fields["remaining"], 0)
            return remaining if logged is None else min(remaining, logged)
        return logged if sent else None

    # -- the per-process fallback ---------------------------------------------------------

    def _check_local(self, person: str, group: str, now_ms: int) -> int:
        with self._lock:
            window = DEFAULT_WINDOW * 1000
            for stale in [
                k
                for k, v in self._local.items()
                if max(v.until, v.reset, v.sent[-1] + window if v.sent else 0) <= now_ms
            ]:
                del self._local[stale]
            if self._hold > now_ms:
                return self._hold
            entry = self._local.setdefault((person, group), _Local())
            if entry.until > now_ms:
                return entry.until
            known = entry.remaining is not None and entry.reset > now_ms
            if known and (entry.remaining or 0) <= 0:
                return entry.reset
            limit = DOCUMENTED_LIMITS.get(group, 0)
            if limit and entry.limit:
                limit = entry.limit
            if limit:
                while entry.sent and entry.sent[0] <= now_ms - window:
                    entry.sent.popleft()
                if len(entry.sent) >= limit:
                    return entry.sent[0] + window + 1
                entry.sent.append(now_ms)
            if known and entry.remaining is not None:
                entry.remaining -= 1
            return 0


def _write(client: Any, key: str, fields: dict[str, int], expire_ms: int) -> None:
    """Set hash fields and the key's expiry in one transaction."""
    pipe = client.pipeline(transaction=True)
    pipe.hset(key, mapping=fields)
    pipe.pexpire(key, expire_ms)
    pipe.execute()


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
