"""Opaque keys for histories, logins and verification tokens: keyed hashes, never the values.

A dump of the history tables names no RingCentral id and no login id; the same
person's key is the same in every process (derived from the session secret).
"""

from __future__ import annotations

import hashlib
import hmac


class HistoryKeys:
    """HMAC-SHA256 under a key of its own, derived from the session secret."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(
            secret.encode(), b"rcpyramid live history keys", hashlib.sha256
        ).digest()

    def _mac(self, kind: str, value: str) -> str:
        message = f"{kind}\x00{value}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:40]

    def person(self, extension_id: str) -> str:
        """The history key of the person with this RingCentral extension id."""
        return "p" + self._mac("extension", str(extension_id))

    def company(self, account_id: str) -> str:
        """The history key of this RingCentral account's company call log."""
        return "c" + self._mac("account", str(account_id))

    def login(self, login_id: str) -> str:
        return self._mac("login", login_id)

    def token(self, verification_token: str) -> str:
        """What is kept of a subscription's verification token."""
        return self._mac("verification", verification_token)

    @staticmethod
    def same(a: str, b: str) -> bool:
        """Constant-time comparison of two keys."""
        return hmac.compare_digest(a.encode(), b.encode())
