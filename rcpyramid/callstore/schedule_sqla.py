"""The live schedule in SQLite or PostgreSQL, on the token store's database.

Every verb is one short transaction of its own on the engine (see the contract in
:mod:`rcpyramid.callstore.schedule`), written as conditional single-statement
updates: a claim is ``UPDATE ... WHERE due and not leased``, so two processes (or
hosts) never both take one history, on SQLite's one write lock as on PostgreSQL's
row locks, and nothing reads then writes inside one transaction (which SQLite's WAL
mode may refuse with "database is locked" under contention). Driver errors become
:class:`~rcpyramid.tokens.interfaces.TokenStoreError` (a 503 page, a worker that
waits a round). The login id a worker signs in with is sealed with the token key ring.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, case, delete, literal, or_, select, update
from sqlalchemy.engine import Connection, Engine, Row

from rcpyramid.callstore.schedule import LiveSchedule, LoginLink, OwnerState, SubscriptionRow
from rcpyramid.models.live import LiveLogin, LiveOwner, LiveSubscription
from rcpyramid.models.meta import UTCDateTime
from rcpyramid.tokens.crypto import DecryptionError, Keyring, associated_data
from rcpyramid.tokens.sqla.errors import translated
from rcpyramid.tokens.sqla.rows import insert_for

OWNERS: Table = LiveOwner.__table__  # type: ignore[assignment]
LOGINS: Table = LiveLogin.__table__  # type: ignore[assignment]
SUBS: Table = LiveSubscription.__table__  # type: ignore[assignment]

_OWNER_FIELDS = [f.name for f in fields(OwnerState)]
_SUB_FIELDS = [f.name for f in fields(SubscriptionRow)]


class SqlLiveSchedule(LiveSchedule):
    shared_across_processes = True

    def __init__(self, engine: Engine, keyring: Keyring) -> None:
        self.engine = engine
        self.keyring = keyring
        self.dialect = engine.dialect.name

    @contextmanager
    def _tx(self, doing: str) -> Iterator[Connection]:
        with translated(doing, "the live schedule"), self.engine.begin() as conn:
            yield conn

    # -- logins ------------------------------------------------------------------------

    def add_login(self, link: LoginLink) -> None:
        sealed = self.keyring.encrypt(link.login_id, associated_data("login_id", link.login_key))
        values = {
            "login_key": link.login_key,
            "owner": link.owner,
            "company": link.company,
            "key_id": self.keyring.primary,
            "login_id": sealed,
            "created_at": link.created_at,
        }
        statement = insert_for(self.dialect, LOGINS).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["login_key"],
            set_={k: v for k, v in values.items() if k != "login_key"},
        )
        with self._tx("remembering a login") as conn:
            conn.execute(statement)

    def _link(self, row: Row[Any]) -> LoginLink | None:
        try:
            login_id = self.keyring.decrypt(
                row.key_id, row.login_id, associated_data("login_id", row.login_key)
            )
        except DecryptionError:
            return None
        return LoginLink(row.login_key, row.owner, row.company, login_id, row.created_at)

    def remove_login(self, login_key: str) -> LoginLink | None:
        with self._tx("forgetting a login") as conn:
            row = conn.execute(select(LOGINS).where(LOGINS.c.login_key == login_key)).first()
            if row is None:
                return None
            conn.execute(delete(LOGINS).where(LOGINS.c.login_key == login_key))
        return self._link(row) or LoginLink(row.login_key, row.owner, row.company)

    def logins_of(self, owner: str) -> list[LoginLink]:
        with self._tx("reading logins") as conn:
            rows = conn.execute(
                select(LOGINS)
                .where(or_(LOGINS.c.owner == owner, LOGINS.c.company == owner))
                .order_by(LOGINS.c.created_at.desc())
            ).all()
        return [link for row in rows if (link := self._link(row)) is not None]

    # -- owners ------------------------------------------------------------------------

    @staticmethod
    def _state(row: Row[Any]) -> OwnerState:
        values = {name: getattr(row, name) for name in _OWNER_FIELDS}
        values["lease_holder"] = values["lease_holder"] or ""
        return OwnerState(**values)

    def ensure_owner(self, owner: str, kind: str, now: datetime) -> OwnerState:
        values = {
            "owner": owner,
            "kind": kind,
            "due_at": now,
            "due_seq": 1,
            "claimed_seq": 0,
            "retries": 0,
            "lease_holder": "",
            "counter": 0,
            "filling": False,
        }
        statement = insert_for(self.dialect, OWNERS).values(**values).on_conflict_do_nothing()
        with self._tx("starting a history") as conn:
            conn.execute(statement)
            row = conn.execute(select(OWNERS).where(OWNERS.c.owner == owner)).one()
        return self._state(row)

    def owner(self, owner: str) -> OwnerState | None:
        with self._tx("reading a history's state") as conn:
            row = conn.execute(select(OWNERS).where(OWNERS.c.owner == owner)).first()
        return None if row is None else self._state(row)

    def mark_due(self, owner: str, at: datetime, *, retries: int | None = None) -> bool:
        when = literal(at, UTCDateTime())
        serving = and_(OWNERS.c.lease_holder != "", OWNERS.c.due_seq == OWNERS.c.claimed_seq)
        changes: dict[str, Any] = {
            # One statement: the conditions read the row as it was before this update.
            "due_at": case(
                (or_(serving, OWNERS.c.due_at.is_(None), OWNERS.c.due_at > when), when),
                else_=OWNERS.c.due_at,
            ),
            "due_seq": OWNERS.c.due_seq + 1,
        }
        if retries is not None:
            changes["retries"] = retries
        with self._tx("marking a history due") as conn:
            found = conn.execute(update(OWNERS).where(OWNERS.c.owner == owner).values(**changes))
        return bool(found.rowcount)

    def claim_due(
        self, now: datetime, holder: str, until: datetime, limit: int
    ) -> list[OwnerState]:
        free = or_(OWNERS.c.lease_until.is_(None), OWNERS.c.lease_until <= now)
        due = OWNERS.c.due_at <= now
        with self._tx("finding due histories") as conn:
            candidates = (
                conn.execute(
                    select(OWNERS.c.owner).where(due, free).order_by(OWNERS.c.due_at).limit(limit)
                )
                .scalars()
                .all()
            )
        claimed: list[OwnerState] = []
        for owner in candidates:
            with self._tx("claiming a history") as conn:
                taken = conn.execute(
                    update(OWNERS)
                    .where(OWNERS.c.owner == owner, due, free)
                    .values(lease_holder=holder, lease_until=until, claimed_seq=OWNERS.c.due_seq)
                )
                if taken.rowcount:
                    row = conn.execute(select(OWNERS).where(OWNERS.c.owner == owner)).one()
                    claimed.append(self._state(row))
        return claimed

    def save_sync(self, owner: str, holder: str, **changes: Any) -> bool:
        add = int(changes.pop("add", 0))
        unknown = set(changes) - set(_OWNER_FIELDS)
        if unknown:
            raise ValueError(f"not sync fields: {sorted(unknown)}")
        values: dict[str, Any] = dict(changes)
        if add:
            values["counter"] = OWNERS.c.counter + add
        if not values:
            return True
        with self._tx("saving a sync") as conn:
            result = conn.execute(
                update(OWNERS)
                .where(OWNERS.c.owner == owner, OWNERS.c.lease_holder == holder)
                .values(**values)
            )
        return bool(result.rowcount)

    def release(
        self, owner: str, holder: str, due_seq: int, next_due: datetime | None, retries: int
    ) -> None:
        mine = (OWNERS.c.owner == owner, OWNERS.c.lease_holder == holder)
        with self._tx("releasing a history") as conn:
            unchanged = conn.execute(
                update(OWNERS)
                .where(*mine, OWNERS.c.due_seq == due_seq)
                .values(due_at=next_due, retries=retries, lease_holder="", lease_until=None)
            )
            if unchanged.rowcount:
                return
            # A mark came during the sync: it stays (or an earlier next_due wins).
            conn.execute(update(OWNERS).where(*mine).values(lease_holder="", lease_until=None))
            if next_due is not None:
                conn.execute(
                    update(OWNERS)
                    .where(OWNERS.c.owner == owner)
                    .where(or_(OWNERS.c.due_at.is_(None), OWNERS.c.due_at > next_due))
                    .values(due_at=next_due)
                )

    def forget_owner(self, owner: str) -> None:
        with self._tx("forgetting a history") as conn:
            conn.execute(delete(SUBS).where(SUBS.c.owner == owner))
            conn.execute(delete(LOGINS).where(LOGINS.c.owner == owner))
            conn.execute(delete(OWNERS).where(OWNERS.c.owner == owner))

    def owners(self) -> list[str]:
        with self._tx("listing histories") as conn:
            return list(conn.execute(select(OWNERS.c.owner)).scalars().all())

    # -- subscriptions -------------------------------------------------------------------

    def save_subscription(self, row: SubscriptionRow) -> None:
        values = {name: getattr(row, name) for name in _SUB_FIELDS}
        statement = insert_for(self.dialect, SUBS).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["id"], set_={k: v for k, v in values.items() if k != "id"}
        )
        with self._tx("saving a subscription") as conn:
            conn.execute(statement)

    @staticmethod
    def _sub(row: Row[Any]) -> SubscriptionRow:
        return SubscriptionRow(**{name: getattr(row, name) for name in _SUB_FIELDS})

    def subscription(self, subscription_id: str) -> SubscriptionRow | None:
        with self._tx("reading a subscription") as conn:
            row = conn.execute(select(SUBS).where(SUBS.c.id == subscription_id)).first()
        return None if row is None else self._sub(row)

    def subscriptions_of(self, owner: str) -> list[SubscriptionRow]:
        with self._tx("reading subscriptions") as conn:
            rows = conn.execute(select(SUBS).where(SUBS.c.owner == owner)).all()
        return [self._sub(row) for row in rows]

    def delete_subscription(self, subscription_id: str) -> None:
        with self._tx("forgetting a subscription") as conn:
            conn.execute(delete(SUBS).where(SUBS.c.id == subscription_id))

    def flag_renewal(self, subscription_id: str) -> None:
        with self._tx("flagging a renewal") as conn:
            conn.execute(update(SUBS).where(SUBS.c.id == subscription_id).values(renew=True))

    def subscriptions_to_check(
        self, checked_before: datetime, expiring_before: datetime, limit: int
    ) -> list[SubscriptionRow]:
        with self._tx("finding subscriptions to check") as conn:
            rows = conn.execute(
                select(SUBS)
                .where(
                    or_(
                        SUBS.c.renew.is_(True),
                        SUBS.c.checked_at.is_(None),
                        SUBS.c.checked_at < checked_before,
                        SUBS.c.expires_at < expiring_before,
                    )
                )
                .limit(limit)
            ).all()
        return [self._sub(row) for row in rows]

    def ping(self) -> None:
        with self._tx("checking the history store") as conn:
            conn.execute(select(OWNERS.c.owner).limit(1))
