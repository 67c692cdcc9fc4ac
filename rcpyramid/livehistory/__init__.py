"""The live call history engine: sync, subscriptions, the webhook receiver's logic, the worker.

Between the views and RingCentral: a person's history starts when their first
login starts (an FSync by the worker, then the webhook subscription), is kept
current by an ISync after each call-ended delivery (``rcpyramid.history.record_delay``
later), or, without a webhook address, at most once per ``poll_interval`` while a
page of theirs is open; and is deleted with their subscription when their last
login ends. An account's company history lives while one of its administrators
is signed in. ``registry.live_history`` is the one :class:`LiveHistory` per process.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import InitVar, dataclass
from datetime import datetime, timedelta
from typing import Any

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request

from rcpyramid.callstore import history_outside_requests, live_schedule
from rcpyramid.callstore.interfaces import CallHistory
from rcpyramid.callstore.schedule import COMPANY, PERSON, LiveSchedule, LoginLink
from rcpyramid.clock import Clock
from rcpyramid.config import HistorySettings
from rcpyramid.events import LoginEnded, LoginStarted
from rcpyramid.livehistory.census import CensusTaker
from rcpyramid.livehistory.keys import HistoryKeys
from rcpyramid.livehistory.receiver import Receiver, Verdict
from rcpyramid.livehistory.subscriptions import Subscriptions
from rcpyramid.livehistory.worker import ApiMaker, LiveWorker, RepoOpener
from rcpyramid.ringcentral.client import RingCentralClient
from rcpyramid.ringcentral.errors import SignedOutError
from rcpyramid.ringcentral.signed_in import SignedInRingCentral
from rcpyramid.services import process_service
from rcpyramid.tokens import open_repository
from rcpyramid.tokens.interfaces import Token, TokenRepository, TokenStoreError

log = logging.getLogger(__name__)

#: Where the session keeps the history keys of the signed-in person: [own, company or ""].
SESSION_KEY = "history"

__all__ = ["SESSION_KEY", "LiveHistory", "history_keys_of", "includeme"]


def _as_mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(eq=False, repr=False)
class LiveHistory:
    """One per process: the engine's parts, and what views and login events ask of it.

    Its collaborators are each injected, so tests can vary one; the worker alone keeps
    ``make_api`` and ``open_repository``.
    """

    settings: HistorySettings
    schedule: LiveSchedule
    history: CallHistory
    keys: HistoryKeys
    clock: Clock
    client: RingCentralClient
    make_api: InitVar[ApiMaker]
    open_repository: InitVar[RepoOpener]

    def __post_init__(self, make_api: ApiMaker, open_repository: RepoOpener) -> None:
        self.subscriptions = Subscriptions(self.schedule, self.keys, self.settings, self.clock)
        self.receiver = Receiver(self.schedule, self.keys, self.settings.record_delay)
        self.worker = LiveWorker(
            self.schedule,
            self.history,
            self.settings,
            self.clock,
            make_api,
            open_repository,
            self.subscriptions,
        )
        self.census = CensusTaker(self.schedule, self.clock)

    def subscriptions_word(self) -> str:
        """What ``/readyz`` says of the webhook subscriptions: never a reason to be not ready.

        A person's failing subscription is theirs (their history keeps syncing); a store
        that does not answer is the token store's check, which fails on its own.
        """
        try:
            return self.census.latest().words()
        except TokenStoreError as error:
            log.warning("counting the webhook subscriptions failed: %s", type(error).__name__)
            return "unknown"

    # -- logins -----------------------------------------------------------------------

    def login_started(self, login_id: str, token: Token, profile: Any) -> tuple[str, str]:
        """Link the login to its person's history (and the company's for an administrator).

        Returns the history keys (own, company or ""). The worker does the syncing and
        subscribing right after, never the sign-in itself.
        """
        person, company = self.owners_of(token, profile)
        if not person:
            return "", ""
        now = self.clock()
        self.schedule.add_login(
            LoginLink(
                login_key=self.keys.login(login_id),
                owner=person,
                company=company,
                login_id=login_id,
                created_at=now,
            )
        )
        self.schedule.ensure_owner(person, PERSON, now)
        self.schedule.mark_due(person, now)
        if company:
            self.schedule.ensure_owner(company, COMPANY, now)
        self.worker.wake()
        return person, company

    def owners_of(self, token: Token, profile: Any) -> tuple[str, str]:
        """The history keys of a login: the person's, and the account's for an administrator."""
        if not token.owner_id:
            return "", ""
        data = _as_mapping(profile)
        account_id = str(_as_mapping(data.get("account")).get("id") or "")
        admin = _as_mapping(_as_mapping(data.get("permissions")).get("admin")).get("enabled")
        person = self.keys.person(token.owner_id)
        company = self.keys.company(account_id) if admin is True and account_id else ""
        return person, company

    def login_ended(self, login_id: str, token: Token, usable: bool) -> None:
        """Unlink the login; the last one of a person deletes their history and subscription."""
        link = self.schedule.remove_login(self.keys.login(login_id))
        if link is None:
            return
        if not self.worker.links_of(link.owner, PERSON):
            if usable:
                self.subscriptions.delete_all(self.client, token, link.owner)
            self.forget(link.owner)
            log.info("a person's last login ended: their history is deleted")
        if link.company and not self.worker.links_of(link.company, COMPANY):
            self.forget(link.company)
            log.info("the last administrator of an account signed out: its history is deleted")

    def forget(self, owner: str) -> None:
        self.history.forget(owner)
        self.schedule.forget_owner(owner)

    # -- the receiver and the pages' poll ---------------------------------------------

    def deliver(self, headers: Mapping[str, str], envelope: Any) -> Verdict:
        verdict = self.receiver.deliver(headers, envelope, self.clock())
        if verdict.due:
            self.worker.wake()
        return verdict

    def updates(self, owner: str, since: int) -> dict[str, Any]:
        """What a live page polls: one read of the owner's state, no call to RingCentral.

        ``counter`` grows by one for every call record a sync brought in; ``new_calls``
        is how many since the page's ``since`` (0 when the history started over).
        """
        state = self.schedule.owner(owner) if owner else None
        if state is None:
            return {"counter": 0, "new_calls": 0, "history_from": None, "filling": True}
        now = self.clock()
        if (
            not self.settings.webhook_url
            and state.due_at is None
            and (
                state.last_sync_at is None
                or now - state.last_sync_at >= timedelta(seconds=self.settings.poll_interval)
            )
        ):
            # No webhooks: a page of this person is open, so an ISync is due (once a minute).
            self.schedule.mark_due(owner, now)
            self.worker.wake()
        new = state.counter - since if 0 <= since <= state.counter else 0
        return {
            "counter": state.counter,
            "new_calls": new,
            "history_from": _iso(state.history_from),
            "filling": state.filling or state.last_sync_at is None,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def history_keys_of(session: Mapping[str, Any]) -> tuple[str, str]:
    """The signed-in person's history keys the session holds: (own, company or "")."""
    kept = session.get(SESSION_KEY)
    if isinstance(kept, list | tuple) and len(kept) == 2 and all(isinstance(k, str) for k in kept):
        return kept[0], kept[1]
    return "", ""


def history_keys(request: Request) -> tuple[str, str]:
    """``request.history_keys``: the signed-in person's (own, company or "") history keys.

    A session from before the live history (no keys in it) is linked here, once: the
    person's own history starts (the company's waits for the next sign-in, which reads
    the administrator flag). ("", "") when nobody is signed in.
    """
    login_id = request.login
    if login_id is None:
        return "", ""
    own, company = history_keys_of(request.session)
    if own:
        return own, company
    try:
        token = request.find_service(SignedInRingCentral).load(login_id)
    except SignedOutError:
        return "", ""
    live: LiveHistory = request.registry.live_history
    own, _ = live.owners_of(token, None)
    if own:
        live.login_started(login_id, token, None)
        request.session[SESSION_KEY] = [own, ""]
    return own, ""


def on_login_started(event: LoginStarted) -> None:
    request = event.request
    live: LiveHistory = request.registry.live_history
    person, company = live.owners_of(event.token, event.profile)
    if not person:
        return
    # Opaque keyed hashes, not ids: the poll reads the history state by them.
    request.session[SESSION_KEY] = [person, company]

    def link(committed: bool = True) -> None:
        if committed:
            live.login_started(event.login_id, event.token, event.profile)

    if "dbsession_factory" in request.registry:
        # After the request's transaction commits: it holds the saved tokens (and, on
        # SQLite, the database's one write lock, which the schedule would wait for).
        request.tm.get().addAfterCommitHook(link)
    else:
        link()


def on_login_ended(event: LoginEnded) -> None:
    live: LiveHistory | None = getattr(event.registry, "live_history", None)
    if live is not None:
        live.login_ended(event.login_id, event.token, event.usable)


def includeme(config: Configurator) -> None:
    registry: Registry = config.registry
    settings = registry.app_settings

    @contextmanager
    def repository() -> Iterator[TokenRepository]:
        with open_repository(registry) as repo:
            yield repo

    registry.live_history = LiveHistory(
        settings.history,
        live_schedule(registry),
        history_outside_requests(registry),
        HistoryKeys(settings.session.secret),
        registry.clock,
        process_service(registry, RingCentralClient),
        registry.make_signed_in,
        repository,
    )
    if settings.history.worker:
        # In each gunicorn worker: its own lease name and thread (none runs in the master).
        config.add_after_fork(registry.live_history.worker.after_fork)
    config.add_request_method(history_keys, "history_keys", reify=True)

    def readiness_check() -> None:
        # Deferred: the readiness registry (rcpyramid.ops) is included after this package.
        registry.readiness.add(
            "subscriptions", lambda request: registry.live_history.subscriptions_word
        )

    if settings.history.webhook_url:
        # Without a webhook address there are no subscriptions to speak of.
        config.action(("rcpyramid.readiness", "subscriptions"), readiness_check)
    config.add_subscriber(on_login_started, LoginStarted)
    config.add_subscriber(on_login_ended, LoginEnded)
