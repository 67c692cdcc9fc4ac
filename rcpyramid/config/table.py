"""The settings table: every ini key, its environment override, default, parser and meaning.

:data:`TABLE` is the only list of settings, and each row's ``help`` is the only place
its meaning is written: ``docs/configuration.md`` is generated from it
(:mod:`rcpyramid.config.reference`), and a test fails when the two differ. A new
setting is one row here and one field in its section (:mod:`rcpyramid.config.sections`):
a row's key ``rcpyramid.<section>.<name>`` (or ``ringcentral.<name>``) fills that field,
and ``field=`` says where a key of another shape goes.

Longer than 300 lines on purpose: it is one table, and each of its forty rows carries
its own help text. The row type is in :mod:`.setting`, the parsers in :mod:`.parsers`.
"""

from __future__ import annotations

from pyramid.settings import asbool

from rcpyramid.config import parsers
from rcpyramid.config.setting import Setting, SettingsError

__all__ = [
    "BUILTIN_SIMULATOR",
    "BY_KEY",
    "TABLE",
    "Setting",
    "SettingsError",
    "environment_variables",
    "where",
]

#: ``ringcentral.server_url`` takes this word to mean the built-in simulator.
BUILTIN_SIMULATOR = "simulator"


TABLE: tuple[Setting, ...] = (
    # app
    Setting(
        "rcpyramid.environment",
        "RCPYRAMID_ENVIRONMENT",
        "development",
        parsers.environment,
        help="`development` or `production`. `production` refuses http URLs, placeholder "
        "or demo secrets and the built-in simulator; `production.ini` sets it.",
    ),
    Setting(
        "rcpyramid.http_port",
        "RCPYRAMID_HTTP_PORT",
        5000,
        parsers.port,
        help="The app's port under `pserve development.ini` (also "
        "`pserve development.ini http_port=8080`); the default redirect URI follows it.",
    ),
    Setting(
        "rcpyramid.canonical_host",
        "RCPYRAMID_CANONICAL_HOST",
        "",
        parsers.text,
        shown_default="the redirect URI's host",
        help="The host name people must reach the app under: a request for another host "
        "(say `127.0.0.1` for `localhost`) is redirected to it before signing in, and every "
        "absolute `Location` takes its origin from it, never from the `Host` header. `off` "
        "turns the redirect off (`Location` then takes the redirect URI's host).",
    ),
    Setting(
        "rcpyramid.var_dir",
        "RCPYRAMID_VAR_DIR",
        "var",
        parsers.text,
        shown_default="`var` next to the ini file",
        help="Where development keeps generated secrets (`session_secret`, `token_key`), the "
        "SQLite database and the simulator's state.",
    ),
    Setting(
        "rcpyramid.timezone",
        "RCPYRAMID_TIMEZONE",
        "UTC",
        parsers.timezone,
        help="The fallback IANA time zone for people whose RingCentral regional settings "
        "name none the app knows.",
    ),
    # ringcentral
    Setting(
        "ringcentral.server_url",
        "RINGCENTRAL_SERVER_URL",
        BUILTIN_SIMULATOR,
        parsers.text,
        help="RingCentral's base URL (`https://platform.ringcentral.com`). `simulator` is the "
        "built-in simulator, which `pserve` then starts; with any other URL no simulator "
        "starts.",
    ),
    Setting(
        "ringcentral.client_id",
        "RINGCENTRAL_CLIENT_ID",
        "",
        parsers.text,
        shown_default="(required)",
        help="Your app's client id from the RingCentral developer console. Missing or a "
        "placeholder refuses to start.",
    ),
    Setting(
        "ringcentral.client_secret",
        "RINGCENTRAL_CLIENT_SECRET",
        "",
        parsers.text,
        shown_default="(required)",
        help="Your app's client secret; keep it in the environment, never in an ini file. "
        "Production refuses the simulator's demo secret.",
    ),
    Setting(
        "ringcentral.redirect_url",
        "RINGCENTRAL_REDIRECT_URL",
        "",
        parsers.text,
        shown_default="`http://localhost:<http_port>/oauth2callback`",
        help="The redirect URI registered with RingCentral, exactly (https in production).",
    ),
    Setting(
        "ringcentral.connect_timeout",
        None,
        5.0,
        parsers.positive_float,
        help="Seconds to connect to RingCentral.",
    ),
    Setting(
        "ringcentral.read_timeout",
        None,
        20.0,
        parsers.positive_float,
        help="Seconds to wait for each read of RingCentral's answer.",
    ),
    Setting(
        "ringcentral.total_timeout",
        None,
        30.0,
        parsers.positive_float,
        help="Seconds for a whole call to RingCentral, connect to last byte (token calls "
        "included); then a watchdog cuts the connection and the page says 504.",
    ),
    Setting(
        "ringcentral.max_response_bytes",
        None,
        16 * 1024 * 1024,
        parsers.positive_int,
        shown_default="`16777216` (16 MiB)",
        help="The largest answer read from RingCentral, in bytes; a longer one gets the "
        '"RingCentral is having trouble" page.',
    ),
    Setting(
        "ringcentral.pool_size",
        None,
        20,
        parsers.positive_int,
        help="HTTP connections to RingCentral kept open per process.",
    ),
    Setting(
        "ringcentral.webhook_url",
        "RINGCENTRAL_WEBHOOK_URL",
        "",
        parsers.text,
        "history.webhook_url",
        shown_default="development with the built-in simulator: "
        "`http://localhost:<http_port>/webhooks/ringcentral`; otherwise empty",
        help="Where RingCentral delivers webhook events for the live call history: this "
        "app's `/webhooks/ringcentral` at a public https address (production refuses http "
        "and loopback addresses). Empty: no subscriptions; a person's history is synced at "
        "most once per `rcpyramid.history.poll_interval` while a page of theirs is open. "
        "See [the live call history](live-history.md).",
    ),
    Setting(
        "ringcentral.retries",
        None,
        2,
        parsers.non_negative_int,
        help="Times an API GET is sent again after a 408, 502, 503 or 504 or a broken "
        "connection, after a jittered backoff or RingCentral's `Retry-After`, inside "
        "`ringcentral.total_timeout` and spending the rate-limit budget; never a POST or a "
        "token request. `0` turns retries off. See [operations](operations.md).",
    ),
    # session
    Setting(
        "rcpyramid.session.secret",
        "RCPYRAMID_SESSION_SECRET",
        "",
        parsers.text,
        shown_default="generated in development",
        help="Signs the session cookie (32 characters or more); required in production. "
        "Development generates one into `var/session_secret`. Several instances share one. "
        "Several secrets (comma or space separated) rotate it: the first signs, every one "
        "is accepted, and the first also keys the cache (see [operations](operations.md)).",
    ),
    Setting(
        "rcpyramid.session.cookie_name",
        None,
        "rcpyramid_session",
        parsers.text,
        help="The cookie's name (`__Host-rcpyramid` in `production.ini`).",
    ),
    Setting(
        "rcpyramid.session.cookie_secure",
        None,
        False,
        asbool,
        help="Send the cookie over HTTPS only (`true` in `production.ini`).",
    ),
    Setting(
        "rcpyramid.session.idle_timeout",
        None,
        7200,
        parsers.positive_int,
        help="Seconds of inactivity before the session ends (and `rcpyramid-purge` revokes "
        "the login).",
    ),
    Setting(
        "rcpyramid.session.absolute_timeout",
        None,
        43200,
        parsers.positive_int,
        help="Seconds after sign-in before the session ends.",
    ),
    Setting(
        "rcpyramid.sign_in_timeout",
        None,
        600,
        parsers.positive_int,
        "session.sign_in_timeout",
        help="Seconds a started sign-in (its `state`) stays valid.",
    ),
    Setting(
        "rcpyramid.sign_ins_per_browser",
        None,
        5,
        parsers.positive_int,
        "session.sign_ins_per_browser",
        help="Sign-ins one browser may have in progress; its oldest give way to a new one.",
    ),
    Setting(
        "rcpyramid.sign_ins_in_progress",
        None,
        10000,
        parsers.positive_int,
        "session.sign_ins_in_progress",
        help="Sign-ins in progress in all; over it a new sign-in is refused with a 503 page "
        "saying so, and nobody else's is evicted.",
    ),
    Setting(
        "rcpyramid.sign_ins_per_address",
        None,
        100,
        parsers.positive_int,
        "session.sign_ins_per_address",
        help="Sign-ins in progress from one client address (an IPv6 address's /64), as "
        "seen after the trusted proxy's headers; over it a new sign-in from there gets a "
        "429 page with Retry-After (when its oldest expires), so one address cannot fill "
        "`rcpyramid.sign_ins_in_progress`. Behind a proxy, set `trusted_proxy`, or every "
        "sign-in counts as the proxy's.",
    ),
    # tokens
    Setting(
        "rcpyramid.tokens.backend",
        None,
        "rcpyramid.tokens.memory.MemoryTokenRepository",
        parsers.text,
        shown_default="`rcpyramid.tokens.memory.MemoryTokenRepository` (both ini files: "
        "`rcpyramid.tokens.sqla.SQLAlchemyTokenRepository`)",
        help="Dotted name of the token repository class (see [tokens and "
        "backends](tokens.md)); start-up refuses one that does not import or does not "
        "implement the contract.",
    ),
    Setting(
        "rcpyramid.tokens.keys",
        "RCPYRAMID_TOKEN_KEYS",
        "",
        parsers.text,
        shown_default="development: generated into `var/token_key`; production: (required)",
        help="Token encryption keys, `kid:base64url-32-bytes` separated by commas; the first "
        "encrypts, all decrypt. Make one with `python -m rcpyramid.tokens.crypto k2`.",
    ),
    # database (the SQL token backend; the memory backend ignores these)
    Setting(
        "sqlalchemy.url",
        "RCPYRAMID_DATABASE_URL",
        "",
        parsers.text,
        "database.url",
        shown_default="development: `sqlite:///<var_dir>/rcpyramid.sqlite`; production: (required)",
        help="The SQL backend's database (`postgresql://user@host/db`); keep a password in "
        "the environment.",
    ),
    Setting(
        "rcpyramid.database.pool_size",
        None,
        20,
        parsers.positive_int,
        help="Database connections per process (no overflow): at least twice "
        "`[server:main] threads`, which the server checks at start.",
    ),
    Setting(
        "rcpyramid.database.lock_timeout",
        None,
        30.0,
        parsers.positive_float,
        help="Seconds a refresh waits for another's lock of the same login (PostgreSQL "
        "`lock_timeout`, SQLite busy timeout, and the pool's wait) before a 503.",
    ),
    Setting(
        "rcpyramid.database.timeout",
        None,
        10.0,
        parsers.positive_float,
        help="Seconds any one database call may take, kept by the app itself (a watchdog "
        "cuts the connection; also libpq's connect timeout): a database that stops "
        "answering is a 503 page, not a hung thread.",
    ),
    Setting(
        "rcpyramid.database.max_waiting",
        None,
        0,
        parsers.non_negative_int,
        shown_default="`0` (half the server's threads)",
        help="Threads that may wait on the database at once; one more gets a 503 within "
        "half a second, so pages that need no database keep answering.",
    ),
    Setting(
        "rcpyramid.database.auto_upgrade",
        None,
        False,
        asbool,
        shown_default="`false` (`true` in development.ini)",
        help="Run the Alembic migrations at start; production refuses it.",
    ),
    Setting(
        "rcpyramid.database.migrations",
        None,
        "",
        parsers.text,
        shown_default="the scripts the package ships (`rcpyramid.migrations`: "
        "`migrations/` of a checkout)",
        help="The Alembic scripts `auto_upgrade` runs.",
    ),
    # simulator (started by pserve when ringcentral.server_url = simulator)
    Setting(
        "rcpyramid.simulator.host",
        None,
        "localhost",
        parsers.text,
        help="Where the built-in simulator listens.",
    ),
    Setting(
        "rcpyramid.simulator.port",
        "RCPYRAMID_SIMULATOR_PORT",
        5001,
        parsers.port,
        help="The built-in simulator's port (also `pserve development.ini simulator_port=8081`).",
    ),
    # The simulator parses this itself (rcpyramid.simulator.config.parse_rate_limits).
    Setting(
        "rcpyramid.simulator.rate_limits",
        None,
        "default",
        parsers.text,
        help="The built-in simulator's rate limits: `default`, `off` or "
        "`Light=50,Medium=40,Heavy=10,Auth=5` (see [the simulator](simulator.md)); checked "
        "when pserve starts the simulator.",
    ),
    Setting(
        "rcpyramid.simulator.state_file",
        None,
        "",
        parsers.text,
        shown_default="`<var_dir>/simulator.json`",
        help="Where the built-in simulator keeps codes and tokens across restarts.",
    ),
    Setting(
        "rcpyramid.simulator.office",
        None,
        0.0,
        parsers.non_negative_float,
        help="Mean seconds between the calls the built-in simulator's demo users make and "
        "receive (webhook events, new call-log records); `0` is a quiet office. "
        "`development.ini` sets 90.",
    ),
    # cache (RingCentral's answers, sign-out generations and the rate-limit budget)
    Setting(
        "rcpyramid.cache.backend",
        "RCPYRAMID_CACHE_BACKEND",
        "dogpile.cache.memory",
        parsers.text,
        help="Where RingCentral's answers are cached: `dogpile.cache.memory` (this process, "
        "bounded), `dogpile.cache.redis` (shared; needs `rcpyramid.cache.url`), "
        "`dogpile.cache.null` (off); anything else refuses to start.",
    ),
    Setting(
        "rcpyramid.cache.url",
        "RCPYRAMID_CACHE_URL",
        "",
        parsers.text,
        shown_default="empty (each process on its own)",
        help="The Redis (`redis://127.0.0.1:6379/0`) every process shares for answers, "
        "sign-out generations and the rate-limit budget; keep a password in the environment.",
    ),
    Setting(
        "rcpyramid.cache.lifetimes",
        None,
        "Light=60,Medium=120,Heavy=300",
        parsers.text,
        help="Seconds an answer is served from the cache, per RingCentral rate-limit group "
        "(the extension list is Medium, call logs Heavy); a group not named keeps its "
        "default.",
    ),
    Setting(
        "rcpyramid.cache.max_entries",
        None,
        5000,
        parsers.positive_int,
        help="Answers the memory backend keeps per process; the least recently used go first.",
    ),
    Setting(
        "rcpyramid.cache.socket_timeout",
        None,
        0.5,
        parsers.positive_float,
        help="Seconds to wait for Redis to connect or answer before going on without it.",
    ),
    Setting(
        "rcpyramid.workers",
        "RCPYRAMID_WORKERS",
        1,
        parsers.positive_int,
        "cache.workers",
        help="Worker processes under `egg:rcpyramid#main`: `1` is waitress in one process; "
        "more is gunicorn's threaded workers, which needs the SQL token backend, "
        "`dogpile.cache.redis` and `rcpyramid.cache.url` (anything else refuses to start, "
        "naming the setting). See [deployment](deployment.md).",
    ),
    # history (the live call history: rcpyramid.livehistory)
    Setting(
        "rcpyramid.history.days",
        None,
        90,
        parsers.positive_int,
        help="Days of calls kept per person (and per account for administrators); older "
        "records are trimmed at every sync.",
    ),
    Setting(
        "rcpyramid.history.record_delay",
        None,
        30.0,
        parsers.non_negative_float,
        shown_default="`30` (`2` in development.ini)",
        help="Seconds from a call-ended event to the incremental sync that fetches its "
        "record (RingCentral's record appears 15-30 s after the call); one more sync "
        "follows as long again later if the record was not there yet. The built-in "
        "simulator makes its records appear after this long.",
    ),
    Setting(
        "rcpyramid.history.worker",
        None,
        True,
        asbool,
        help="Run the history's background thread in each server process (`false`: "
        "another process, or a test, calls `run_due_once`).",
    ),
    Setting(
        "rcpyramid.history.subscription_lifetime",
        None,
        604800,
        parsers.positive_int,
        help="Seconds each webhook subscription is asked to live (`expiresIn`); it is "
        "renewed before it ends.",
    ),
    Setting(
        "rcpyramid.history.poll_interval",
        None,
        60,
        parsers.positive_int,
        help="Without a webhook address: at most one incremental sync this often per person "
        "while a page of theirs is open.",
    ),
    Setting(
        "rcpyramid.history.lease",
        None,
        60.0,
        parsers.positive_float,
        help="Seconds a worker holds one person's sync; another process takes over after a "
        "killed worker's lease runs out.",
    ),
    # ops (health, the build's version, metrics: rcpyramid/ops/, docs/operations.md)
    Setting(
        "rcpyramid.health.timeout",
        None,
        2.0,
        parsers.positive_float,
        "ops.health_timeout",
        help="Seconds each check of `/readyz` (token store, Redis, ...) may take on its own "
        "before it counts as failed (`timeout`).",
    ),
    Setting(
        "rcpyramid.build.commit",
        "RCPYRAMID_COMMIT",
        "",
        parsers.text,
        "ops.commit",
        shown_default="the version file's, else `unknown`",
        help="The commit this build is, as `/version` reports it.",
    ),
    Setting(
        "rcpyramid.build.version_file",
        "RCPYRAMID_VERSION_FILE",
        "",
        parsers.text,
        "ops.version_file",
        shown_default="`version.json` beside the ini file",
        help='A JSON file the build wrote (`{"commit": ..., "build": ..., "source": ...}`, '
        "Dockerflow's shape), read once at start for `/version`.",
    ),
    Setting(
        "rcpyramid.metrics",
        "RCPYRAMID_METRICS",
        False,
        asbool,
        "ops.metrics",
        help="Serve Prometheus metrics at `/metrics` (off: the path is a 404). Under gunicorn "
        "the workers' values are added up (multiprocess mode). See [operations](operations.md).",
    ),
    Setting(
        "rcpyramid.metrics.allow",
        None,
        "127.0.0.0/8 ::1",
        parsers.networks,
        "ops.metrics_allow",
        help="Addresses or networks (comma or space separated) that may read `/metrics`; "
        "behind the trusted proxy, the client's address from `X-Forwarded-For`.",
    ),
    Setting(
        "rcpyramid.metrics.token",
        "RCPYRAMID_METRICS_TOKEN",
        "",
        parsers.text,
        "ops.metrics_tokens",
        help="Bearer tokens (32 characters or more, comma separated while rotating) that may "
        "read `/metrics` from any address: `Authorization: Bearer <token>`.",
    ),
)

BY_KEY = {setting.key: setting for setting in TABLE}


def where(key: str) -> str:
    """How an error message names a setting: its ini key and its environment variable."""
    setting = BY_KEY[key]
    if setting.env:
        return f"{setting.key} (or the environment variable {setting.env})"
    return setting.key


def environment_variables() -> tuple[str, ...]:
    """Every environment variable the table reads (tests clear them all)."""
    return tuple(setting.env for setting in TABLE if setting.env)
