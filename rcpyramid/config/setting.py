"""One row of the settings table, and the error a bad setting raises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyramid.exceptions import ConfigurationError


class SettingsError(ConfigurationError):
    """A setting is missing or wrong; the message names it."""


@dataclass(frozen=True)
class Setting:
    """One row of the table: ini key, environment variable, default, parser, meaning."""

    key: str
    env: str | None
    default: Any
    parse: Callable[[str], Any]
    #: ``section.name`` of the field this fills; empty: worked out from the key.
    field: str = ""
    #: What it means, when to change it (a sentence or a short paragraph, Markdown).
    help: str = ""
    #: The default as the reference shows it, when the raw value would mislead.
    shown_default: str = ""

    @property
    def target(self) -> tuple[str, str]:
        """(section, field name) this row fills."""
        if self.field:
            section, _, name = self.field.partition(".")
            return section, name
        parts = self.key.split(".")
        if parts[0] == "rcpyramid":
            parts = parts[1:]
        return ("app", parts[0]) if len(parts) == 1 else (parts[0], ".".join(parts[1:]))
