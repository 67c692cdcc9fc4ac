"""A developer's shell cannot change what the suite tests: every settings variable is cleared."""

from __future__ import annotations

import os
import subprocess
import sys

from rcpyramid.config import TABLE, environment_variables
from tests.processes import ROOT


def test_every_variable_the_settings_table_names_is_cleared() -> None:
    names = {setting.env for setting in TABLE if setting.env}
    assert set(environment_variables()) == names
    assert not names & set(os.environ)


def test_the_journey_passes_with_a_canonical_host_and_a_time_zone_in_the_shell() -> None:
    # Before the environment was cleared from the table, these two variables gave the
    # journey 9 failures and 9 errors, and the call-log date range 2 failures.
    shell = {
        **os.environ,
        "RCPYRAMID_CANONICAL_HOST": "app.example.com",
        "RCPYRAMID_TIMEZONE": "Asia/Tokyo",
        "RCPYRAMID_HTTP_PORT": "5999",
        "RCPYRAMID_VAR_DIR": "/nonexistent/var",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/functional/test_journey.py",
            "tests/functional/test_failures.py::test_call_log_date_range_is_shown_and_sent",
        ],
        cwd=ROOT,
        env=shell,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
