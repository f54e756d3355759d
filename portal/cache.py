"""The cache: Redis, shared by all web processes, and while Redis cannot be reached a
memory cache of this process instead.

What the cache holds is a shortcut or a guard, never a source: allauth's sign-in rate
limits and the consent overview's counts. Django's RedisCache raises when Redis is down,
which turned every sign-in into a server error (nobody could work until Redis was back).
Falling back per process keeps sign-in available and keeps the rate limits, per process
instead of shared (with 4 workers an attacker gets at most 4 times the attempts, and a
professional's second factor still stands in the way).
"""

import structlog
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis import RedisError

logger = structlog.get_logger("werkpad.cache")

# Without these, a Redis that accepts no connections or stops answering would hold every
# request that touches the cache (redis-py waits forever by default).
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}


def _or_fallback(name):
    def method(self, *args, **kwargs):
        try:
            return getattr(RedisCache, name)(self, *args, **kwargs)
        except RedisError as exc:
            logger.warning("redis_onbereikbaar", operation=name, error=str(exc))
            return getattr(self.fallback, name)(*args, **kwargs)

    method.__name__ = name
    return method


class RedisWithFallback(RedisCache):
    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**REDIS_TIMEOUTS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self.fallback = LocMemCache(
            f"werkpad-fallback:{server}",
            {key: value for key, value in params.items() if key != "OPTIONS"},
        )

    # Every operation of Django's cache API; the others (get_or_set, decr, ...) use these.
    add = _or_fallback("add")
    get = _or_fallback("get")
    set = _or_fallback("set")
    touch = _or_fallback("touch")
    delete = _or_fallback("delete")
    get_many = _or_fallback("get_many")
    has_key = _or_fallback("has_key")
    incr = _or_fallback("incr")
    set_many = _or_fallback("set_many")
    delete_many = _or_fallback("delete_many")
    clear = _or_fallback("clear")
