"""The declarative base, its metadata and the naming convention every migration relies on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, TypeAlias

from sqlalchemy import DateTime, MetaData
from sqlalchemy.engine import Dialect, Row
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from rcpyramid.clock import as_utc

#: A result row of any shape (SQLAlchemy 2.1 types a row by its columns).
AnyRow: TypeAlias = Row[*tuple[Any, ...]]

# Constraint names that do not depend on the database, so migrations can name what
# they drop (SQLite's batch mode needs the names, PostgreSQL would invent its own).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    metadata = metadata
    #: The columns a row's repr shows: never a secret, nor a key that works as one.
    repr_columns: ClassVar[tuple[str, ...]] = ()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.repr_columns)
        return f"{type(self).__name__}({shown})"


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime in, an aware UTC datetime out, on every database.

    SQLite keeps ``DateTime(timezone=True)`` as text without an offset and reads it
    back naive; the value is converted to UTC before it is stored, so a naive value
    read back is UTC and :func:`rcpyramid.clock.as_utc` makes it aware again.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)
