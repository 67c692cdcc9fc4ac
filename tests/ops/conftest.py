"""The ops suites use the cache suite's real Redis."""

from tests.cache.conftest import redis_url

__all__ = ["redis_url"]
