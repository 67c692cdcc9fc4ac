"""Raw setting values from the environment and the ini file, parsed once each."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rcpyramid.config.table import BY_KEY, TABLE, SettingsError, where
from rcpyramid.routes import CALLBACK_PATH


class Reader:
    """Raw values from the environment and ini, parsed once each, for the sections to build on."""

    def __init__(self, ini: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        self.ini = ini
        self.environ = environ
        self._parsed: dict[str, Any] = {}

    def __call__(self, key: str) -> Any:
        if key not in self._parsed:
            setting = BY_KEY[key]
            # The environment wins over the ini file; an empty variable counts as unset.
            if setting.env and self.environ.get(setting.env, "").strip():
                raw = self.environ[setting.env]
            else:
                raw = self.ini.get(setting.key, setting.default)
            try:
                self._parsed[key] = setting.parse(raw) if isinstance(raw, str) else raw
            except ValueError as error:
                raise SettingsError(f"{where(key)}: {error}") from error
        return self._parsed[key]

    def section(self, name: str) -> dict[str, Any]:
        """The parsed rows of section ``name``, by field name."""
        return {s.target[1]: self(s.key) for s in TABLE if s.target[0] == name}

    # Values more than one section works out from.

    @property
    def production(self) -> bool:
        environment: str = self("rcpyramid.environment")
        return environment == "production"

    @property
    def var_dir(self) -> Path:
        var_dir = Path(self("rcpyramid.var_dir"))
        if not var_dir.is_absolute():
            var_dir = Path(self.ini.get("here") or os.getcwd()) / var_dir
        return var_dir

    @property
    def redirect_url(self) -> str:
        return (
            self("ringcentral.redirect_url")
            or f"http://localhost:{self('rcpyramid.http_port')}{CALLBACK_PATH}"
        )
