"""Cache and budget keys: HMACs of who asks what, and each person's sign-out generation.

A key names the RingCentral server and client id, the person at RingCentral (owner
id), their current generation, the endpoint and the validated query. It is an HMAC
under a key derived from the session secret: owner ids are short enough that a plain
hash of them could be reversed by trying them all.

The generation is a random value per person, kept where every process reads it. Any
sign-out replaces it, so every entry made under the old one becomes unreachable at
once, in every process, however long the entry itself would still live.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
from collections.abc import Mapping
from typing import Any

from rcpyramid.cache.store import SharedStore, StoreDown
from rcpyramid.memo import LockedLRU

log = logging.getLogger(__name__)

PREFIX = "rcpyramid:"
#: How long a generation lives in Redis; when it lapses, the person simply starts afresh.
GENERATION_TTL = 24 * 3600


class KeyMaker:
    """HMAC-SHA256 keys for one RingCentral server and client id."""

    def __init__(self, secret: str, server_url: str, client_id: str) -> None:
        self._key = hmac.new(
            secret.encode("utf-8"), b"rcpyramid cache and budget keys", hashlib.sha256
        ).digest()
        self._scope = f"{server_url.rstrip('/')}\x00{client_id}"

    def _mac(self, *parts: str) -> str:
        message = "\x00".join(parts).encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:40]

    def person(self, owner_id: str) -> str:
        """The person at RingCentral, for this server and client id."""
        return self._mac("person", self._scope, owner_id)

    def account(self) -> str:
        """Everyone using this client id at this server (account-wide or global limits)."""
        return self._mac("account", self._scope)

    def answer(self, person: str, generation: str, path: str, query: Mapping[str, Any]) -> str:
        canonical = json.dumps(sorted((str(k), str(v)) for k, v in query.items()))
        return PREFIX + "a:" + self._mac("answer", person, generation, path, canonical)

    def generation_key(self, person: str) -> str:
        return PREFIX + "g:" + person

    def budget_key(self, person: str, group: str) -> str:
        return PREFIX + "b:" + self._mac("budget", person, group)

    def hold_key(self) -> str:
        return PREFIX + "h:" + self.account()


class Generations:
    """Each person's current generation: in Redis when shared, else in this process."""

    def __init__(self, keys: KeyMaker, store: SharedStore | None, max_entries: int = 10000):
        self.keys = keys
        self.store = store
        self._local: LockedLRU[str, str] = LockedLRU(max_entries)
        #: The shared generation this process read last, per person (see Cache.lookup).
        self._seen: LockedLRU[str, str] = LockedLRU(max_entries)
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def current(self, person: str) -> str:
        if self.store is not None:
            try:
                return self.store.run(lambda client: self._shared(client, person))
            except StoreDown:
                pass
        return self._local_current(person)

    def _shared(self, client: Any, person: str) -> str:
        self._flush_pending(client)
        key = self.keys.generation_key(person)
        # One GET on the hot path; only a person without a generation yet makes one.
        value = client.get(key)
        if value is None:
            pipe = client.pipeline(transaction=False)
            pipe.set(key, secrets.token_hex(16), nx=True, ex=GENERATION_TTL)
            pipe.get(key)
            _, value = pipe.execute()
        current = value.decode("ascii") if isinstance(value, bytes) else str(value)
        self._seen[person] = current
        return current

    def last_seen(self, person: str) -> str | None:
        """The generation this process read last for ``person``: a guess, until confirmed."""
        return None if self.store is None else self._seen.get(person)

    def read_with(self, person: str, key: str) -> tuple[str | None, Any]:
        """``person``'s current shared generation and ``key``'s value, read at one instant.

        One MGET, which Redis runs atomically: if the generation is the one ``key`` was
        made with, the value was read under it (StoreDown when Redis does not answer).
        """
        assert self.store is not None

        def read(client: Any) -> tuple[str | None, Any]:
            self._flush_pending(client)
            generation, value = client.mget([self.keys.generation_key(person), key])
            if isinstance(generation, bytes):
                return generation.decode("ascii"), value
            return None, value

        return self.store.run(read)

    def _local_current(self, person: str) -> str:
        value = self._local.get(person)
        if value is None:
            value = secrets.token_hex(16)
            self._local[person] = value
        return value

    def bump(self, person: str) -> None:
        """Make every entry of ``person`` unreachable, here and (when shared) everywhere."""
        self._local[person] = secrets.token_hex(16)
        self._seen.pop(person)
        if self.store is None:
            return
        key = self.keys.generation_key(person)
        try:
            self.store.run(lambda client: client.set(key, secrets.token_hex(16), ex=GENERATION_TTL))
        except StoreDown:
            # Told to Redis as soon as it answers again, before any read of a generation.
            with self._lock:
                self._pending.add(person)
            log.warning("a sign-out could not reach the shared Redis; it is applied when it can")

    def _flush_pending(self, client: Any) -> None:
        if not self._pending:
            return
        with self._lock:
            pending, self._pending = self._pending, set()
        try:
            for person in list(pending):
                client.set(
                    self.keys.generation_key(person), secrets.token_hex(16), ex=GENERATION_TTL
                )
                pending.discard(person)
        finally:
            if pending:
                with self._lock:
                    self._pending |= pending
