"""Settings: the table of ini keys (:mod:`.table`), the sections the app reads (:mod:`.sections`).

A section's rows are read by :mod:`.reader` and completed and checked by :mod:`.derive`.

Everything is re-exported here, so ``from rcpyramid.config import load, SettingsError``
works wherever the names live. ``python -m rcpyramid.config.reference`` prints the
configuration reference (``docs/configuration.md``) from the table.
"""

from rcpyramid.config.checks import RATE_GROUPS, is_loopback_host
from rcpyramid.config.derive import CACHE_BACKENDS, DEVELOPMENT_DATABASE
from rcpyramid.config.sections import (
    SECTIONS,
    AppSettings,
    CacheSettings,
    DatabaseSettings,
    HistorySettings,
    OpsSettings,
    RingCentralSettings,
    SessionSettings,
    Settings,
    SimulatorSettings,
    StoreSettings,
    TokensSettings,
    load,
    load_section,
    load_store,
)
from rcpyramid.config.table import (
    BUILTIN_SIMULATOR,
    TABLE,
    Setting,
    SettingsError,
    environment_variables,
    where,
)

__all__ = [
    "BUILTIN_SIMULATOR",
    "CACHE_BACKENDS",
    "DEVELOPMENT_DATABASE",
    "RATE_GROUPS",
    "SECTIONS",
    "TABLE",
    "AppSettings",
    "CacheSettings",
    "DatabaseSettings",
    "HistorySettings",
    "OpsSettings",
    "RingCentralSettings",
    "SessionSettings",
    "Setting",
    "Settings",
    "SettingsError",
    "SimulatorSettings",
    "StoreSettings",
    "TokensSettings",
    "environment_variables",
    "is_loopback_host",
    "load",
    "load_section",
    "load_store",
    "where",
]
