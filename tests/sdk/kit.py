"""The real-SDK suites' helpers: their simulator's clock and clients, the node SDK scripts."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rcpyramid.simulator import DEMO_CLIENT, RegisteredClient
from tests.browser import authorize_at_simulator, query_of

SDK_DIR = Path(__file__).resolve().parent
REDIRECT_URI = DEMO_CLIENT.redirect_uris[0]
# A fixed simulator clock keeps the call-log windows deterministic; tests move it with
# POST /simulator/advance-clock, never by sleeping.
START = datetime(2026, 3, 15, 12, 34, 56, tzinfo=UTC)
# A client without a secret, as a browser or mobile app registers it (PKCE, client_id in body).
PUBLIC_CLIENT = RegisteredClient("sdk-public-client", "", (REDIRECT_URI,))
ENABLE_JS = "run `npm ci --prefix tests/sdk` to enable it"


def browser_sign_in(authorize_url: str, username: str = "alice") -> dict[str, str]:
    """Sign in on the simulator's page as a person would; return the callback's query."""
    return query_of(authorize_at_simulator(authorize_url, username=username))


# --- the JavaScript SDKs -----------------------------------------------------------------


def _pinned_packages() -> dict[str, str]:
    return json.loads((SDK_DIR / "package.json").read_text())["dependencies"]


def js_sdks_missing(node: str | None) -> str | None:
    """Why the JS SDK tests cannot run here, or None when they can."""
    if node is None:
        return f"node is not on PATH; install Node.js 18 or later, then {ENABLE_JS}"
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout.strip()
    major = version.lstrip("v").split(".")[0]
    if not major.isdigit() or int(major) < 18:
        shown = version or "(unknown version)"
        return f"node {shown} is older than 18; upgrade it, then {ENABLE_JS}"
    for name, pinned in _pinned_packages().items():
        manifest = SDK_DIR / "node_modules" / name / "package.json"
        if not manifest.is_file():
            return f"the npm package {name} is not installed; {ENABLE_JS}"
        installed = json.loads(manifest.read_text()).get("version")
        if installed != pinned:
            return f"the npm package {name} is {installed}, not the pinned {pinned}; {ENABLE_JS}"
    return None


class NodeSDKs:
    """Runs tests/sdk/js3_client.js and js5_client.mjs; each prints one JSON line."""

    def __init__(self, node: str) -> None:
        self.node = node

    def run(
        self,
        script: str,
        command: str,
        *,
        server: str,
        client: RegisteredClient,
        redirect_uri: str = REDIRECT_URI,
        **options: str | bool | list,
    ) -> dict[str, Any]:
        flags = {"server": server, "client_id": client.client_id, "redirect_uri": redirect_uri}
        args = [self.node, str(SDK_DIR / script), command]
        for name, value in {**flags, **options}.items():
            option = "--" + name.replace("_", "-")
            if value is True:
                args.append(option)
            elif value is not False:
                # One "--name=value" argument: codes and verifiers may begin with "-".
                text = json.dumps(value) if isinstance(value, list) else str(value)
                args.append(f"{option}={text}")
        # The secret goes through the environment so it never shows in a process list.
        env = {**os.environ, "RINGCENTRAL_CLIENT_SECRET": client.client_secret}
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=60, env=env, cwd=SDK_DIR, check=False
        )
        assert done.returncode == 0, f"{script} {command} failed:\n{done.stderr}"
        lines = done.stdout.splitlines()
        assert len(lines) == 1, f"{script} should print one JSON line, printed:\n{done.stdout}"
        return json.loads(lines[0])
