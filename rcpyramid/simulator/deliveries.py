"""Webhook HTTP: the Validation-Token handshake and the deliveries, sent as RingCentral does.

Deliveries go out from background lanes (one thread each; a subscription always uses the
same lane, so its events leave in order unless a test asks otherwise), never from a
request thread, so a slow receiver can never stall the simulator's API.
"""

from __future__ import annotations

import json
import logging
import queue
import secrets
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import requests

from . import api_errors

log = logging.getLogger(__name__)

USER_AGENT = "RingCentral-Webhook/8.3"
MAX_HANDSHAKE_BYTES = 1024
LANES = 4
KEEP_DELIVERIES = 200


def shown(address: str) -> str:
    """An address fit for logs and pages: a query may hold the receiver's own secret."""
    try:
        parts = urlsplit(address)
    except ValueError:
        return "(an address that is not a URL)"
    return urlunsplit(
        (parts.scheme, parts.netloc, parts.path, "(query hidden)" if parts.query else "", "")
    )


def handshake(address: str, timeout: float) -> None:
    """POST an empty body with Validation-Token; raise SUB-525 unless answered as required.

    Required (RingCentral's guide): 200, the same Validation-Token header back, within
    `timeout` (3 s), headers and body together at most 1024 bytes.
    """
    token = secrets.token_urlsafe(24)
    headers = {
        "Validation-Token": token,
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }
    started = time.monotonic()
    try:
        with requests.post(
            address, data=b"", headers=headers, timeout=timeout, stream=True, allow_redirects=False
        ) as answer:
            body = answer.raw.read(MAX_HANDSHAKE_BYTES + 1, decode_content=False)
            head = len(f"HTTP/1.1 {answer.status_code} {answer.reason}\r\n") + 2
            head += sum(len(k) + len(v) + 4 for k, v in answer.raw.headers.items())
            echoed = answer.headers.get("Validation-Token")
            status = answer.status_code
    except requests.exceptions.SSLError as error:
        raise api_errors.webhook_certificate_invalid() from error
    except requests.RequestException as error:
        log.info("webhook handshake to %s failed: %s", shown(address), type(error).__name__)
        raise api_errors.parameter_invalid("deliveryMode.address") from error
    too_slow = time.monotonic() - started > timeout
    if status != 200 or echoed != token or head + len(body) > MAX_HANDSHAKE_BYTES or too_slow:
        log.info("webhook handshake to %s refused (status %s)", shown(address), status)
        raise api_errors.webhook_response_invalid()


@dataclass(frozen=True)
class Delivery:
    """One notification for one subscription."""

    subscription_id: str
    address: str
    verification_token: str | None
    envelope: dict[str, Any]


@dataclass
class Quirks:
    """Production's imperfections, on demand: late, repeated and reordered deliveries."""

    delay: float = 0.0  # seconds each delivery waits before it is sent
    duplicate: int = 0  # the next N deliveries are sent twice with the same uuid
    out_of_order: int = 0  # the next N calls' events are sent newest first
    fail: int = 0  # the next N deliveries fail without being sent

    def take(self, quirk: Literal["duplicate", "out_of_order", "fail"]) -> bool:
        """Use up one of a next-N quirk: whether it applies this time (callers hold a lock)."""
        left: int = getattr(self, quirk)
        if left <= 0:
            return False
        setattr(self, quirk, left - 1)
        return True


Outcome = Callable[[str, bool, str], None]  # (subscription id, ok, reason)


class DeliveryWorker:
    """Lanes of background threads that POST deliveries and report each outcome."""

    def __init__(
        self,
        timeout: float,
        on_outcome: Outcome,
        now_iso: Callable[[], str],
        active: Callable[[str], bool],
    ) -> None:
        self._timeout = timeout
        self._active = active
        self._on_outcome = on_outcome
        self._now_iso = now_iso
        self._lock = threading.Lock()
        self._lanes: list[queue.Queue[Delivery | None]] = []
        self._threads: list[threading.Thread] = []
        self.quirks = Quirks()
        self.log: deque[dict[str, Any]] = deque(maxlen=KEEP_DELIVERIES)

    def enqueue(self, delivery: Delivery) -> None:
        """Queue a delivery on its subscription's lane (threads start on first use)."""
        with self._lock:
            if not self._lanes:
                for n in range(LANES):
                    lane: queue.Queue[Delivery | None] = queue.Queue()
                    thread = threading.Thread(
                        target=self._run, args=(lane,), name=f"webhook-lane-{n}", daemon=True
                    )
                    self._lanes.append(lane)
                    self._threads.append(thread)
                    thread.start()
            lane = self._lanes[zlib.crc32(delivery.subscription_id.encode()) % LANES]
            copies = 2 if self.quirks.take("duplicate") else 1
        for _ in range(copies):
            lane.put(delivery)

    def take_reorder(self) -> bool:
        """Whether the call being published now should go out newest first."""
        with self._lock:
            return self.quirks.take("out_of_order")

    def _take_failure(self) -> bool:
        with self._lock:
            return self.quirks.take("fail")

    def _run(self, lane: queue.Queue[Delivery | None]) -> None:
        while True:
            delivery = lane.get()
            if delivery is None:
                return
            try:
                self._send(delivery)
            except Exception:  # a bug must not kill the lane
                log.exception("webhook delivery crashed")

    def _send(self, delivery: Delivery) -> None:
        if not self._active(delivery.subscription_id):
            return  # blacklisted, deleted or expired since it was queued
        delay = self.quirks.delay
        if delay > 0:
            time.sleep(delay)  # a lane thread, never a request thread
        status: int | None = None
        if self._take_failure():
            ok, reason = False, "I/O operation is failed. Details: [Connect timed out]"
        else:
            ok, status, reason = self._post(delivery)
        entry = {
            "uuid": delivery.envelope["uuid"],
            "subscriptionId": delivery.subscription_id,
            "event": delivery.envelope["event"],
            "address": shown(delivery.address),
            "attemptedAt": self._now_iso(),
            "status": status,
            "ok": ok,
            "error": None if ok else reason,
            "envelope": delivery.envelope,
        }
        with self._lock:
            self.log.append(entry)
        self._on_outcome(delivery.subscription_id, ok, reason)

    def _post(self, delivery: Delivery) -> tuple[bool, int | None, str]:
        headers = {
            "Content-Type": "application/json; charset=UTF-8",
            "Accept": "application/json",
            "Accept-Encoding": "UTF-8",
            "User-Agent": USER_AGENT,
        }
        if delivery.verification_token:
            headers["Verification-Token"] = delivery.verification_token
        payload = json.dumps(delivery.envelope, separators=(",", ":")).encode("utf-8")
        try:
            with requests.post(
                delivery.address,
                data=payload,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
            ) as answer:
                status, reason = answer.status_code, answer.reason
        except requests.Timeout:
            return False, None, "I/O operation is failed. Details: [Read timed out]"
        except requests.RequestException as error:
            return False, None, f"I/O operation is failed. Details: [{type(error).__name__}]"
        if 200 <= status < 300:
            return True, status, ""
        return False, status, f"Webhook responses with code: [{status}], reason: [{reason}]"

    def recent(self) -> list[dict[str, Any]]:
        """Recent deliveries, oldest first."""
        with self._lock:
            return list(self.log)

    def reset(self) -> None:
        """Forget the log and the quirks (queued deliveries still go out)."""
        with self._lock:
            self.quirks = Quirks()
            self.log.clear()

    def close(self) -> None:
        """Stop the lanes after what they hold."""
        with self._lock:
            lanes, self._lanes = self._lanes, []
        for lane in lanes:
            lane.put(None)
