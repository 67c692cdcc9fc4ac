"""The wheel ships every package: setup.cfg lists them (templates/ and migrations/ are mapped)."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_setup_cfg_lists_every_package_of_the_checkout() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "rcpyramid").rglob("__init__.py")
    }
    assert found - listed == set(), "add these to [options] packages in setup.cfg"
    assert {"rcpyramid.templates", "rcpyramid.migrations"} <= listed
