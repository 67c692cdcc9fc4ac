"""The response headers every answer of the app carries, the last-resort page's included.

One table, read by the headers tween (:mod:`rcpyramid.security`) and by the guard's
last-resort page (:mod:`rcpyramid.guard`), so the two cannot drift apart.
"""

from __future__ import annotations

#: Set on every response unless a view set its own (the static view sets a max-age):
#: pages hold account data and redirects carry sign-in material, so nothing is cached.
DEFAULTS: tuple[tuple[str, str], ...] = (
    ("Cache-Control", "no-store"),
    ("Pragma", "no-cache"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
)

#: HTTPS only, for a year: sent in production.
HSTS = ("Strict-Transport-Security", "max-age=31536000")


def defaults(*, production: bool) -> tuple[tuple[str, str], ...]:
    """:data:`DEFAULTS`, with HSTS in production."""
    return (*DEFAULTS, HSTS) if production else DEFAULTS
