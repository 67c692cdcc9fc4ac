"""Session cookies under a ring of secrets: sign with the first, accept every one.

``rcpyramid.session.secret`` may list several secrets (comma or space separated), as
``rcpyramid.tokens.keys`` lists several keys: an operator puts a new secret first and
keeps the old one after it, so the cookies people hold keep working while every cookie
set from then on is signed with the new one. A cookie that only an older secret
verifies is signed again with the first on that same answer, so people active during
the rotation carry a new cookie before the old secret is retired. A secret removed from
the list signs nobody in any more. docs/operations.md has the procedure.

The cookie's format is Pyramid's own (``SignedCookieSessionFactory``: WebOb's
``SignedSerializer``, its salt and SHA-512, the JSON serializer), so cookies signed
before this change verify under their secret in the ring: itsdangerous has key
rotation built in but another format, which would have signed everyone out once.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from typing import Any

from pyramid.session import BaseCookieSessionFactory, JSONSerializer
from webob.cookies import SignedSerializer

#: Pyramid's defaults for SignedCookieSessionFactory: the same, so old cookies verify.
SALT = "pyramid.session."
HASHALG = "sha512"

#: Set by :meth:`RotatingSerializer.loads` when a secret other than the first verified.
_verified_by_older: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "rcpyramid_session_older_secret", default=False
)


class RotatingSerializer:
    """``dumps`` signs with the first secret; ``loads`` accepts a signature by any of them."""

    def __init__(self, secrets: Sequence[str]) -> None:
        if not secrets:
            raise ValueError("at least one session secret is needed")
        self._signers = [
            SignedSerializer(secret, SALT, HASHALG, serializer=JSONSerializer())
            for secret in secrets
        ]

    def dumps(self, appstruct: Any) -> bytes:
        return self._signers[0].dumps(appstruct)

    def loads(self, bstruct: bytes) -> Any:
        for position, signer in enumerate(self._signers):
            try:
                value = signer.loads(bstruct)
            except ValueError:
                continue
            _verified_by_older.set(position > 0)
            return value
        raise ValueError("the session cookie's signature matches no configured secret")


def rotating_session_factory(secrets: Sequence[str], **options: Any) -> Any:
    """Pyramid's cookie session, signed as :class:`RotatingSerializer` says.

    ``options`` are BaseCookieSessionFactory's (cookie name, secure, timeouts...).
    """
    base = BaseCookieSessionFactory(RotatingSerializer(secrets), **options)

    class RotatingCookieSession(base):  # type: ignore[misc, valid-type]
        def __init__(self, request: Any) -> None:
            _verified_by_older.set(False)
            super().__init__(request)
            if _verified_by_older.get():
                # Signed again with the first secret on this answer (see the module doc).
                _verified_by_older.set(False)
                self.changed()

    return RotatingCookieSession
