"""The answer cache and sign-out generations, wired for the app.

One :class:`Cache` per process (the ``Cache`` service). With ``rcpyramid.cache.url``
set, every process shares one Redis for the answers (with the redis backend) and the
generations (and :mod:`rcpyramid.ringcentral` keeps its rate-limit budget there);
without it, each process keeps its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyramid.config import Configurator

from rcpyramid.cache.answers import Answer, AnswerCache
from rcpyramid.cache.keys import Generations, KeyMaker
from rcpyramid.cache.store import SharedStore, StoreDown
from rcpyramid.config import CacheSettings, Settings, load
from rcpyramid.tokens.crypto import load_keyring

__all__ = ["Answer", "Cache", "build_cache", "includeme", "script_cache"]


@dataclass(eq=False, repr=False)
class Cache:
    """Keys, generations and answers of one RingCentral server and client id."""

    settings: CacheSettings
    keys: KeyMaker
    store: SharedStore | None
    answers: AnswerCache
    generations: Generations

    def person(self, owner_id: str) -> str:
        return self.keys.person(owner_id)

    def key(self, person: str, path: str, query: Mapping[str, Any]) -> str:
        return self.keys.answer(person, self.generations.current(person), path, query)

    def lookup(
        self, person: str, path: str, query: Mapping[str, Any], lifetime: int
    ) -> tuple[str, Answer | None]:
        """The key of ``person``'s answer, and the answer under it if younger than ``lifetime``.

        In Redis, one round trip when the person's generation is still the one this
        process read last: the entry made under that guess and the current generation
        are read together, and the entry counts only if the guess was right.
        """
        if not self.answers.enabled:
            return "", None  # dogpile.cache.null: nothing is kept, so nothing needs a key
        guess = self.generations.last_seen(person) if self.answers.shared else None
        if guess is not None:
            key = self.keys.answer(person, guess, path, query)
            try:
                generation, sealed = self.generations.read_with(person, key)
            except StoreDown:
                pass
            else:
                if generation == guess:
                    return key, self.answers.fresh_from(key, sealed, lifetime)
        key = self.key(person, path, query)
        return key, self.answers.fresh(key, lifetime)

    def forget(self, owner_id: str) -> None:
        """Sign-out: every entry of this person becomes unreachable in every process."""
        self.generations.bump(self.person(owner_id))

    def lifetime(self, group: str) -> int:
        return self.settings.lifetime(group)

    @property
    def degraded(self) -> bool:
        """True while the shared Redis is configured but does not answer."""
        return self.store is not None and self.store.degraded

    def health(self) -> str:
        if self.store is None:
            return "per-process"
        return "ok" if self.store.ping() else "degraded"


def build_cache(settings: Settings) -> Cache:
    """The cache the settings describe; its key ring is the token key ring, whatever the backend."""
    cache = settings.cache
    keys = KeyMaker(
        settings.session.secret, settings.ringcentral.server_url, settings.ringcentral.client_id
    )
    store = SharedStore(cache.url, cache.socket_timeout) if cache.url else None
    # Only answers that leave the process are sealed; the memory backend needs no key.
    keyring = load_keyring(settings.tokens) if cache.backend == "dogpile.cache.redis" else None
    answers = AnswerCache(cache, keyring, store)
    return Cache(cache, keys, store, answers, Generations(keys, store))


def includeme(config: Configurator) -> None:
    cache = build_cache(config.registry.app_settings)
    config.register_service(cache, Cache)
    if cache.store is not None:
        config.add_after_fork(cache.store.after_fork)


def script_cache(ini: Mapping[str, Any]) -> Cache | None:
    """For console scripts (purge): the shared cache the ini configures, None without one.

    Only a shared Redis (``rcpyramid.cache.url``) can be told from outside the app;
    without one, each app process keeps its own entries until they expire.
    SettingsError when the ini's app settings do not load.
    """
    settings = load(ini)
    if not settings.cache.url:
        return None
    return build_cache(settings)
