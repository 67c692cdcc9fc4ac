"""What the benchmarks share: the checkout on ``sys.path``, the app's settings, a database.

Each script imports it first (``import common``: scripts run as ``python bench/x.py``, so
this folder is on the path), which puts the checkout before the installed package.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rcpyramid.simulator import DEMO_CLIENT  # noqa: E402
from tests.databases import postgres_schema  # noqa: E402

__all__ = ["ROOT", "app_settings", "postgres_schema"]


def app_settings(server_url: str, var_dir: str, **overrides: str) -> dict[str, str]:
    """The app in development against a simulator that knows the demo client."""
    return {
        "rcpyramid.environment": "development",
        "ringcentral.server_url": server_url,
        "ringcentral.client_id": DEMO_CLIENT.client_id,
        "ringcentral.client_secret": DEMO_CLIENT.client_secret,
        "ringcentral.redirect_url": DEMO_CLIENT.redirect_uris[0],
        "rcpyramid.var_dir": var_dir,
        **overrides,
    }
