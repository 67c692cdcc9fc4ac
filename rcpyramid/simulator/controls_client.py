"""The simulator's test controls (``/simulator/...``) as Python calls, for any test suite."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast

import requests

TIMEOUT = 10  # seconds; the simulator is on loopback, so only a hang takes this long
T = TypeVar("T")


def wait_until(check: Callable[[], T], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Poll `check()` until it returns something truthy; that value. AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not true within {timeout} s (last value {value!r})")
        time.sleep(interval)


class SimulatorControls:
    """The simulator's test controls (``/simulator/...``) over HTTP.

    Each call opens its own connection: a kept-alive one could meet the server closing
    it after a long quiet spell in a session-long fixture.
    """

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def control(self, name: str, **body: Any) -> Any:
        """POST one control with a JSON body; its JSON answer (HTTP errors raise)."""
        answer = requests.post(f"{self.url}/simulator/{name}", json=body, timeout=TIMEOUT)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def counters(self) -> dict[str, Any]:
        """Grants by type, refreshes, revokes, 429s, API calls and token errors so far."""
        return cast(dict[str, Any], self._get("counters"))

    def expire_access_tokens(self, username: str | None = None) -> int:
        """Current access tokens (of one user) expire now; how many did."""
        body = {} if username is None else {"username": username}
        return int(self.control("expire-access-tokens", **body)["expired"])

    def fail_next(
        self,
        status: int,
        *,
        count: int = 1,
        path: str = "/restapi",
        retry_after: int | None = None,
        content: str = "json",
        exact: bool = False,
    ) -> dict[str, Any]:
        """The next `count` requests under `path` (to it alone: `exact`) answer `status`
        (429, 500, 502, 503)."""
        body: dict[str, Any] = {"status": status, "count": count, "path": path, "exact": exact}
        if retry_after is not None:
            body["retry_after"] = retry_after
        return cast(dict[str, Any], self.control("fail-next", content=content, **body)["queued"])

    def latency(
        self, seconds: float, *, path: str = "/restapi", count: int | None = None
    ) -> dict[str, Any] | None:
        """Matching requests answer `seconds` late (0 clears)."""
        body: dict[str, Any] = {"seconds": seconds, "path": path}
        if count is not None:
            body["count"] = count
        return cast(dict[str, Any] | None, self.control("latency", **body)["latency"])

    def advance_clock(self, seconds: float) -> datetime:
        """Move the simulator's clock forward; its new time."""
        return datetime.fromisoformat(self.control("advance-clock", seconds=seconds)["now"])

    def reset(self) -> None:
        """Forget codes, sessions, counters, faults, latency, clock offset and rate windows."""
        self.control("reset")

    def _get(self, name: str) -> Any:
        answer = requests.get(f"{self.url}/simulator/{name}", timeout=TIMEOUT)
        answer.raise_for_status()
        return answer.json()

    # --- push and sync ------------------------------------------------------------------

    def place_call(
        self,
        username: str,
        *,
        direction: str = "Inbound",
        other: str = "+16505550199",
        result: str = "Answered",
        duration: int = 0,
        other_name: str | None = None,
    ) -> dict[str, Any]:
        """A call that ends now (events at once, record after the delay); its ids.

        Keys: telephonySessionId, sessionId, partyId, recordId, extensionId, startTime,
        endTime, recordVisibleAt, deliveriesQueued.
        """
        body: dict[str, Any] = {
            "username": username,
            "direction": direction,
            "other": other,
            "result": result,
            "duration": duration,
        }
        if other_name is not None:
            body["other_name"] = other_name
        return cast(dict[str, Any], self.control("calls", **body))

    def set_record_delay(self, seconds: float) -> float:
        """Seconds from a call's end until its record appears (calls placed from now on)."""
        return float(self.control("record-delay", seconds=seconds)["seconds"])

    def expire_sync_tokens(self) -> None:
        """Every sync token issued so far answers 400 CLG-104 ("call log was reset")."""
        self.control("expire-sync-tokens")

    def subscriptions(self) -> list[dict[str, Any]]:
        """Every webhook subscription with its state (Active, Blacklisted, Expired)."""
        return cast(list[dict[str, Any]], self._get("subscriptions")["subscriptions"])

    def deliveries(self) -> list[dict[str, Any]]:
        """The last 200 delivery attempts (uuid, event, status, ok, error, envelope)."""
        return cast(list[dict[str, Any]], self._get("deliveries")["deliveries"])

    def fail_deliveries(self, count: int) -> int:
        """The next `count` deliveries fail as if the receiver timed out (not sent)."""
        return int(self.control("fail-deliveries", count=count)["failing"])

    def delivery_quirks(
        self,
        *,
        delay: float | None = None,
        duplicate: int | None = None,
        out_of_order: int | None = None,
    ) -> dict[str, Any]:
        """Late deliveries, the next n sent twice (same uuid), the next n calls reversed."""
        body = {
            k: v
            for k, v in (("delay", delay), ("duplicate", duplicate), ("out_of_order", out_of_order))
            if v is not None
        }
        return cast(dict[str, Any], self.control("delivery-quirks", **body))
