"""Small generated files the simulator serves: profile images and silent recordings."""

from __future__ import annotations

import functools
import hashlib
import io
import struct
import wave
import zlib

PROFILE_SIZE = 96
RECORDING_RATE = 8000  # Hz, 8-bit mono: the quality of a phone line
RECORDING_SECONDS_MAX = 5


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


@functools.lru_cache(maxsize=256)
def profile_png(extension_id: int) -> bytes:
    """A disc on a square, in colours derived from the extension id: a stand-in photo."""
    digest = hashlib.sha256(str(extension_id).encode()).digest()
    background = bytes(64 + b // 2 for b in digest[:3])
    disc = bytes(255 - b // 4 for b in digest[3:6])
    size, middle = PROFILE_SIZE, PROFILE_SIZE / 2
    rows = []
    for y in range(size):
        row = bytearray(b"\x00")  # filter type: none
        for x in range(size):
            inside = (x + 0.5 - middle) ** 2 + (y + 0.5 - middle) ** 2 < (size / 3) ** 2
            row += disc if inside else background
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


def recording_seconds(call_seconds: int) -> int:
    """How long the silent stand-in of a call's recording is."""
    return max(1, min(call_seconds, RECORDING_SECONDS_MAX))


@functools.lru_cache(maxsize=8)
def silent_wav(seconds: int) -> bytes:
    """A WAV file of silence (8-bit PCM is unsigned: silence is 0x80)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(RECORDING_RATE)
        wav.writeframes(b"\x80" * (RECORDING_RATE * seconds))
    return out.getvalue()
