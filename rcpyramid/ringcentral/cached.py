"""The signed-in RingCentral behind the answer cache: what the pages call.

A fresh cached answer is served without reading the tokens again (a login read a
moment ago is known) or asking RingCentral; a miss asks RingCentral once for all the
requests that want the same answer (dogpile's lock), spending the person's budget.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rcpyramid.cache import Answer
from rcpyramid.ops import metrics
from rcpyramid.ringcentral.endpoints import group_of
from rcpyramid.ringcentral.errors import RateLimitedError, RingCentralUnavailableError
from rcpyramid.ringcentral.rest import ApiCall
from rcpyramid.ringcentral.signed_in import SignedInRingCentral


class CachedRingCentral(SignedInRingCentral):
    """:class:`SignedInRingCentral` plus :meth:`cached_get`; the pages' service."""

    def cached_get(
        self,
        login_id: str,
        path: str,
        params: dict[str, Any],
        *,
        key_params: dict[str, Any] | None = None,
        refresh: bool = False,
    ) -> Answer:
        """The cached answer for ``path`` and ``key_params`` (``params`` when not given).

        ``refresh`` skips the cache but still spends the budget. When the budget says
        no and an older answer is kept, that answer comes back with ``fresh_in`` (the
        seconds until a call may be made); without one, :class:`RateLimitedError`.
        """
        if self.cache is None:
            tokens = self.load(login_id)
            response = self.get_as(
                login_id, tokens, self.person(login_id, tokens), ApiCall(path, params)
            )
            return Answer.received(
                "", response.body, response.content_type, self.clock(), response.data
            )
        cache = self.cache
        lifetime = cache.lifetime(group_of(path))
        person, _ = self.whose(login_id)
        query = params if key_params is None else key_params
        if refresh:
            key = cache.key(person, path, query)
        else:
            # The hot path: a fresh answer for a login read a moment ago reads no tokens.
            key, hit = cache.lookup(person, path, query, lifetime)
            metrics.answer_cache(group_of(path), hit is not None)
            if hit is not None:
                return hit
        # A miss calls RingCentral (load: the tokens just read, see RecentLogins).
        current = self.load(login_id)

        def fetch() -> Answer:
            response = self.get_as(login_id, current, person, ApiCall(path, params))
            return Answer.received(
                key, response.body, response.content_type, self.clock(), response.data
            )

        try:
            if refresh:
                answer = fetch()
                cache.answers.put(answer)
                return answer
            return cache.answers.get_or_fetch(key, fetch, lifetime)
        except RateLimitedError as error:
            kept = cache.answers.stale(key)
            if kept is None:
                raise
            return replace(kept, fresh_in=error.retry_after or 1)
        except RingCentralUnavailableError:
            # Down or too slow (timeouts too): the last answer, marked, beats an error page.
            kept = cache.answers.stale(key)
            if kept is None:
                raise
            return replace(kept, unavailable=True)

    def has_fresh(self, login_id: str, path: str, key_params: dict[str, Any]) -> bool:
        """True when a fresh answer for ``path`` and ``key_params`` is kept (no call made)."""
        if self.cache is None or not self.cache.answers.enabled:
            return False
        person, _ = self.whose(login_id)
        lifetime = self.cache.lifetime(group_of(path))
        return self.cache.lookup(person, path, key_params, lifetime)[1] is not None
