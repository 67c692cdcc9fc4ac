"""Jinja2 rendering for the simulator's own pages (autoescaped)."""

from __future__ import annotations

import pathlib
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

_TEMPLATES = pathlib.Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(name: str, **context: Any) -> str:
    """Render one of the simulator's templates."""
    return _env.get_template(name).render(**context)
