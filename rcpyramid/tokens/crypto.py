"""Encryption at rest for tokens: AES-GCM, each ciphertext bound to the row it belongs to.

Keys come from ``RCPYRAMID_TOKEN_KEYS`` (or the ini key ``rcpyramid.tokens.keys``):
``kid:base64url-32-bytes`` entries separated by commas. The first key encrypts; every
key decrypts, so a new key can be put first while rows sealed under an older one are
still read (``rcpyramid-reencrypt`` then moves them to the new key).

The associated data of each ciphertext is the name of the field and the row's key
(the login id, or the state hash of a pending sign-in). A ciphertext copied onto
another login, or into another field of the same login, fails to decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rcpyramid import devsecrets
from rcpyramid.config import SettingsError, TokensSettings, where
from rcpyramid.tokens.interfaces import TokenStoreError

KEYS_SETTING = "rcpyramid.tokens.keys"
#: The key id development generates (into ``var_dir/token_key``) when no key is set.
DEVELOPMENT_KID = "dev"
NONCE_BYTES = 12  # 96 bits, as GCM wants; random per encryption
_KID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class DecryptionError(Exception):
    """A ciphertext failed authentication: tampered, or copied from another row."""


class UnknownKeyError(TokenStoreError):
    """A row names a key id that is not configured (an old key removed too early)."""


def associated_data(field: str, subject: str) -> bytes:
    """What a ciphertext is bound to: the field it sits in and its row's key."""
    return field.encode("ascii") + b"\x00" + subject.encode("utf-8", "surrogatepass")


class Keyring:
    """The configured keys: the first encrypts, all decrypt."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        self._aeads = {kid: AESGCM(key) for kid, key in keys}
        self.key_ids: tuple[str, ...] = tuple(kid for kid, _ in keys)

    @property
    def primary(self) -> str:
        """The id of the key new ciphertexts are sealed with."""
        return self.key_ids[0]

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """Read ``kid:base64url,...``; the ValueError never quotes key material."""
        keys: list[tuple[str, bytes]] = []
        for position, entry in enumerate(part.strip() for part in text.split(",")):
            if not entry:
                continue
            kid, sep, encoded = entry.partition(":")
            kid = kid.strip()
            if not sep or not _KID.match(kid):
                raise ValueError(
                    f"entry {position + 1} is not 'kid:base64url-key' "
                    "(a key id of letters, digits, '_', '.', '-', at most 32)"
                )
            if any(kid == known for known, _ in keys):
                raise ValueError(f"key id {kid!r} appears twice")
            encoded = encoded.strip()
            try:
                key = base64.b64decode(
                    encoded + "=" * (-len(encoded) % 4), altchars=b"-_", validate=True
                )
            except (binascii.Error, ValueError) as error:
                raise ValueError(f"the key of {kid!r} is not base64url") from error
            if len(key) != 32:
                raise ValueError(f"the key of {kid!r} is {len(key)} bytes; AES-256 needs 32")
            keys.append((kid, key))
        if not keys:
            raise ValueError("no key given")
        return cls(keys)

    def encrypt(self, plaintext: str, aad: bytes) -> bytes:
        """Seal ``plaintext`` under the primary key: a fresh random nonce, then the ciphertext."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aeads[self.primary].encrypt(nonce, plaintext.encode("utf-8"), aad)
        return nonce + sealed

    def decrypt(self, kid: str, blob: bytes, aad: bytes) -> str:
        """Open a ciphertext sealed under ``kid`` for ``aad``."""
        aead = self._aeads.get(kid)
        if aead is None:
            raise UnknownKeyError(
                f"a stored row was encrypted with key id {kid!r}, which "
                f"{where(KEYS_SETTING)} does not list; put that key back"
            )
        try:
            return aead.decrypt(bytes(blob[:NONCE_BYTES]), bytes(blob[NONCE_BYTES:]), aad).decode(
                "utf-8"
            )
        except (InvalidTag, UnicodeDecodeError) as error:
            raise DecryptionError("a stored ciphertext failed authentication") from error

    def encrypt_optional(self, plaintext: str | None, aad: bytes) -> bytes | None:
        """:meth:`encrypt`, for a column that may be empty: None stays None."""
        return None if plaintext is None else self.encrypt(plaintext, aad)

    def decrypt_optional(self, kid: str, blob: bytes | None, aad: bytes) -> str | None:
        """:meth:`decrypt`, for a column that may be empty: None stays None."""
        return None if blob is None else self.decrypt(kid, blob, aad)

    def reseal(self, kid: str, blob: bytes, aad: bytes) -> bytes:
        """Open a ciphertext sealed under ``kid`` and seal it again under the primary key."""
        return self.encrypt(self.decrypt(kid, blob, aad), aad)

    def reseal_fields(
        self, kid: str, subject: str, blobs: Mapping[str, bytes | None]
    ) -> dict[str, bytes]:
        """:meth:`reseal` each field of one row (by name; empty ones left out).

        Raises :class:`DecryptionError` or :class:`UnknownKeyError` when one does not open.
        """
        return {
            name: self.reseal(kid, blob, associated_data(name, subject))
            for name, blob in blobs.items()
            if blob is not None
        }

    def __repr__(self) -> str:
        return f"Keyring(key_ids={self.key_ids!r})"


@dataclass(frozen=True, kw_only=True)
class RotationReport:
    """What a re-encryption left behind; each store's report adds what it moved."""

    key_id: str
    undecryptable: int = 0
    unknown_key: int = 0

    @property
    def complete(self) -> bool:
        """True when no row is left under an older key (as far as the run could tell)."""
        return not (self.undecryptable or self.unknown_key)


def new_key_text(kid: str) -> str:
    """A fresh ``kid:base64url`` entry, for people setting up a deployment."""
    return f"{kid}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip('=')}"


def load_keyring(tokens: TokensSettings) -> Keyring:
    """The configured keys; development without any generates one under ``var_dir``."""
    text = tokens.keys
    if not text:
        if tokens.production:
            raise SettingsError(
                f"{where(KEYS_SETTING)} is missing: production encrypts tokens at rest and "
                "refuses to start without a key (make one with: python -m "
                "rcpyramid.tokens.crypto)"
            )
        # Development: one key, generated once (mode 0600) and reused across restarts.
        secret = devsecrets.load_or_create(tokens.var_dir, "token_key", nbytes=32)
        text = f"{DEVELOPMENT_KID}:{secret}"
    try:
        return Keyring.parse(text)
    except ValueError as error:
        raise SettingsError(f"{where(KEYS_SETTING)}: {error}") from error


if __name__ == "__main__":
    # `python -m rcpyramid.tokens.crypto [kid]` prints a new key entry for RCPYRAMID_TOKEN_KEYS.
    import sys

    print(new_key_text(sys.argv[1] if len(sys.argv) > 1 else "k1"))
