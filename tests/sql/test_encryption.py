"""Encryption at rest (S10): what a dump holds, what a copied row gives, key rotation."""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from rcpyramid.config import SettingsError, TokensSettings, load_section, load_store
from rcpyramid.tokens.crypto import Keyring, UnknownKeyError, load_keyring, new_key_text
from rcpyramid.tokens.interfaces import PendingSignIn, Token, TokenStoreError, state_digest
from rcpyramid.tokens.sqla import SQLAlchemyTokenRepository, SqlTokenStore
from rcpyramid.tokens.sqla.rotation import reencrypt
from rcpyramid.tokens.testing import ROOMY
from tests.clocks import MovableClock
from tests.databases import MakeRepo, fixed_key

K1, K2 = fixed_key("k1"), fixed_key("k2")
ACCESS = "AT-plaintext-4f1c9e"
REFRESH = "RT-plaintext-77ab20"
VERIFIER = "verifier-plaintext-" + "q" * 30
BROWSER = "browser-plaintext-d00d"


def token(clock: MovableClock, access: str = ACCESS, refresh: str = REFRESH) -> Token:
    now = clock()
    return Token(
        access_token=access,
        access_expires_at=now + timedelta(hours=1),
        refresh_token=refresh,
        refresh_expires_at=now + timedelta(days=7),
        scope="ReadAccounts",
        owner_id="101",
    )


def raw_rows(repo: SQLAlchemyTokenRepository, table: str) -> list[dict]:
    with repo.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(text(f"SELECT * FROM {table}"))]  # noqa: S608


def tamper(repo: SQLAlchemyTokenRepository, statement: str, values: dict | None = None) -> None:
    """Change the stored rows behind the repository's back, as someone with the database."""
    with repo.engine.begin() as conn:
        conn.execute(text(statement), values or {})


def as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def test_s10_sql_database_dump_holds_neither_token_nor_the_verifier(
    sql_repo: SQLAlchemyTokenRepository, clock: MovableClock
) -> None:
    sql_repo.save("login-a", token(clock))
    sql_repo.add_pending(
        PendingSignIn(state_digest("s"), VERIFIER, BROWSER, clock() + timedelta(minutes=10)),
        now=clock(),
        limits=ROOMY,
    )
    dump = b"".join(
        as_bytes(value)
        for table in ("logins", "pending_sign_ins")
        for row in raw_rows(sql_repo, table)
        for value in row.values()
    )
    for secret in (ACCESS, REFRESH, VERIFIER, BROWSER):
        assert secret.encode() not in dump
        assert secret.encode().hex().encode() not in dump
    assert [row["key_id"] for row in raw_rows(sql_repo, "logins")] == ["test1"]
    # The repository still reads them back.
    assert sql_repo.get("login-a").access_token == ACCESS


def test_sql_every_save_uses_a_fresh_nonce(
    sql_repo: SQLAlchemyTokenRepository, clock: MovableClock
) -> None:
    sql_repo.save("login-a", token(clock))
    first = as_bytes(raw_rows(sql_repo, "logins")[0]["access_token"])
    sql_repo.save("login-a", token(clock))
    second = as_bytes(raw_rows(sql_repo, "logins")[0]["access_token"])
    assert first != second


def test_s10_sql_row_copied_onto_another_login_fails_to_decrypt_and_reads_as_signed_out(
    sql_repo: SQLAlchemyTokenRepository, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    sql_repo.save("victim-login", token(clock))
    sql_repo.save("attacker-login", token(clock, "AT-attacker", "RT-attacker"))
    tamper(
        sql_repo,
        "UPDATE logins SET access_token = (SELECT access_token FROM logins "
        "WHERE login_id = 'victim-login'), refresh_token = (SELECT refresh_token "
        "FROM logins WHERE login_id = 'victim-login') WHERE login_id = 'attacker-login'",
    )
    with caplog.at_level(logging.WARNING, logger="rcpyramid.tokens.sqla"):
        assert sql_repo.get("attacker-login") is None
        with sql_repo.refreshing("attacker-login") as lease:
            assert lease.token is None
    assert "failed to decrypt" in caplog.text
    for secret in ("victim-login", "attacker-login", ACCESS, REFRESH):
        assert secret not in caplog.text
    assert sql_repo.get("victim-login").access_token == ACCESS


def test_sql_access_and_refresh_ciphertexts_cannot_trade_places(
    sql_repo: SQLAlchemyTokenRepository, clock: MovableClock
) -> None:
    sql_repo.save("login-a", token(clock))
    tamper(
        sql_repo,
        "UPDATE logins SET access_token = refresh_token, refresh_token = access_token "
        "WHERE login_id = 'login-a'",
    )
    assert sql_repo.get("login-a") is None


def test_sql_pending_sign_in_copied_onto_another_state_is_refused(
    sql_repo: SQLAlchemyTokenRepository, clock: MovableClock
) -> None:
    expires = clock() + timedelta(minutes=10)
    sql_repo.add_pending(
        PendingSignIn(state_digest("real"), VERIFIER, BROWSER, expires), now=clock(), limits=ROOMY
    )
    sql_repo.add_pending(
        PendingSignIn(state_digest("other"), "v" * 43, "b", expires), now=clock(), limits=ROOMY
    )
    tamper(
        sql_repo,
        "UPDATE pending_sign_ins SET code_verifier = (SELECT code_verifier FROM "
        "pending_sign_ins WHERE state_hash = :real), browser_id = (SELECT browser_id "
        "FROM pending_sign_ins WHERE state_hash = :real) WHERE state_hash = :other",
        {"real": state_digest("real"), "other": state_digest("other")},
    )
    assert sql_repo.take_pending(state_digest("other"), clock()) is None
    assert sql_repo.take_pending(state_digest("real"), clock()).code_verifier == VERIFIER


def test_s10_sql_key_rotation_new_key_first_then_reencrypt_then_old_key_removed(
    make_repo: MakeRepo, clock: MovableClock
) -> None:
    before = make_repo(keys=K1)
    before.save("old-login", token(clock, "AT-old", "RT-old"))
    before.add_pending(
        PendingSignIn(state_digest("s"), VERIFIER, BROWSER, clock() + timedelta(minutes=10)),
        now=clock(),
        limits=ROOMY,
    )

    # Step 1: the new key first, the old one still listed: old rows read, new rows use k2.
    rotating = make_repo(keys=f"{K2},{K1}")
    assert rotating.get("old-login").access_token == "AT-old"
    rotating.save("new-login", token(clock, "AT-new", "RT-new"))
    keys = {row["login_id"]: row["key_id"] for row in raw_rows(rotating, "logins")}
    assert keys == {"old-login": "k1", "new-login": "k2"}

    # Step 2: rcpyramid-reencrypt.
    report = reencrypt(rotating)
    assert (report.key_id, report.logins, report.pending, report.complete) == ("k2", 1, 1, True)
    assert {row["key_id"] for row in raw_rows(rotating, "logins")} == {"k2"}
    assert {row["key_id"] for row in raw_rows(rotating, "pending_sign_ins")} == {"k2"}
    assert reencrypt(rotating).logins == 0  # nothing left under an older key

    # Step 3: the old key removed: everything still reads.
    after = make_repo(keys=K2)
    assert after.get("old-login").refresh_token == "RT-old"
    assert after.get("new-login").refresh_token == "RT-new"
    assert after.take_pending(state_digest("s"), clock()).code_verifier == VERIFIER


def test_sql_row_under_a_key_no_longer_configured_is_a_store_error(
    make_repo: MakeRepo, clock: MovableClock
) -> None:
    make_repo(keys=K1).save("login-a", token(clock))
    with pytest.raises(UnknownKeyError) as raised:
        make_repo(keys=K2).get("login-a")
    assert isinstance(raised.value, TokenStoreError)
    assert "'k1'" in str(raised.value) and "RCPYRAMID_TOKEN_KEYS" in str(raised.value)


def test_sql_reencrypt_waits_for_a_refresh_and_seals_the_new_pair_not_the_spent_one(
    make_repo: MakeRepo, clock: MovableClock
) -> None:
    # An app process not restarted yet (old key only) refreshes while the operator runs
    # rcpyramid-reencrypt: the re-encryption must not write the spent pair back.
    app = make_repo(keys=K1)
    operator = make_repo(keys=f"{K2},{K1}")
    app.save("login-a", token(clock, "AT-0", "RT-0"))
    inside, go_on = threading.Event(), threading.Event()

    def refresh() -> None:
        with app.refreshing("login-a") as lease:
            inside.set()
            go_on.wait(10)
            lease.save(token(clock, "AT-1", "RT-1"))

    refresher = threading.Thread(target=refresh)
    refresher.start()
    assert inside.wait(10)
    reports = []
    reencrypter = threading.Thread(target=lambda: reports.append(reencrypt(operator)))
    reencrypter.start()
    reencrypter.join(0.5)
    assert reencrypter.is_alive(), "re-encryption did not wait for the refresh's lock"
    go_on.set()
    refresher.join(10)
    reencrypter.join(20)
    assert reports[0].logins == 1
    stored = make_repo(keys=K2).get("login-a")
    assert (stored.access_token, stored.refresh_token) == ("AT-1", "RT-1")


def test_sql_reencrypt_reports_rows_it_cannot_decrypt(
    make_repo: MakeRepo, clock: MovableClock
) -> None:
    old = make_repo(keys=K1)
    old.save("good", token(clock))
    old.save("tampered", token(clock))
    tamper(
        old,
        "UPDATE logins SET access_token = (SELECT access_token FROM logins "
        "WHERE login_id = 'good') WHERE login_id = 'tampered'",
    )
    report = reencrypt(make_repo(keys=f"{K2},{K1}"))
    assert (report.logins, report.undecryptable, report.complete) == (1, 1, False)


# -- the keys setting (no database) -----------------------------------------------------


def test_keyring_first_key_encrypts_and_all_decrypt() -> None:
    both = Keyring.parse(f" {K2} , {K1} ")
    assert both.key_ids == ("k2", "k1") and both.primary == "k2"
    sealed = Keyring.parse(K1).encrypt("hello", b"ad")
    assert both.decrypt("k1", sealed, b"ad") == "hello"


@pytest.mark.parametrize(
    ("text_value", "problem"),
    [
        ("nokid", "is not 'kid:base64url-key'"),
        ("bad kid:AAAA", "is not 'kid:base64url-key'"),
        ("k1:c2hvcnQ", "is 5 bytes; AES-256 needs 32"),
        ("k1:!!!!", "is not base64url"),
        (f"{K1},{K1}", "appears twice"),
        (" , ", "no key given"),
    ],
)
def test_keyring_refuses_bad_entries_without_quoting_them(text_value: str, problem: str) -> None:
    with pytest.raises(ValueError) as raised:
        Keyring.parse(text_value)
    assert problem in str(raised.value)
    assert K1.split(":")[1] not in str(raised.value)


def test_keyring_repr_names_key_ids_only() -> None:
    assert repr(Keyring.parse(K1)) == "Keyring(key_ids=('k1',))"


def keys_section(tmp_path: Path, environ: dict[str, str], **ini: str) -> TokensSettings:
    return load_section(TokensSettings, {"rcpyramid.var_dir": str(tmp_path), **ini}, environ)


def test_production_refuses_to_start_without_a_token_key(tmp_path: Path) -> None:
    tokens = keys_section(tmp_path, {}, **{"rcpyramid.environment": "production"})
    with pytest.raises(SettingsError, match="RCPYRAMID_TOKEN_KEYS"):
        load_keyring(tokens)


def test_development_generates_a_key_once_under_var_with_mode_0600(tmp_path: Path) -> None:
    first = load_keyring(keys_section(tmp_path, {}))
    second = load_keyring(keys_section(tmp_path, {}))
    assert first.primary == "dev"
    assert second.decrypt("dev", first.encrypt("x", b"ad"), b"ad") == "x"
    assert (tmp_path / "token_key").stat().st_mode & 0o777 == 0o600


def test_token_keys_from_the_environment_win_over_the_ini(tmp_path: Path) -> None:
    tokens = keys_section(
        tmp_path,
        {"RCPYRAMID_TOKEN_KEYS": K2},
        **{"rcpyramid.tokens.keys": K1, "rcpyramid.environment": "production"},
    )
    assert load_keyring(tokens).key_ids == ("k2",)
    assert not (tmp_path / "token_key").exists()


def test_a_malformed_key_setting_names_the_setting(tmp_path: Path) -> None:
    tokens = keys_section(tmp_path, {}, **{"rcpyramid.tokens.keys": "k1:short"})
    with pytest.raises(SettingsError, match=r"rcpyramid\.tokens\.keys .*RCPYRAMID_TOKEN_KEYS"):
        load_keyring(tokens)


def test_new_key_text_makes_a_usable_entry() -> None:
    entry = new_key_text("k9")
    assert Keyring.parse(entry).primary == "k9"
    assert entry != new_key_text("k9")


def test_sql_backend_in_production_needs_a_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RCPYRAMID_DATABASE_URL", raising=False)
    monkeypatch.setenv("RCPYRAMID_TOKEN_KEYS", K1)
    settings = {"rcpyramid.environment": "production", "rcpyramid.var_dir": str(tmp_path)}
    with pytest.raises(SettingsError, match="RCPYRAMID_DATABASE_URL"):
        SqlTokenStore.from_settings(load_store(settings), MovableClock())


def test_sql_backend_in_production_refuses_auto_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RCPYRAMID_TOKEN_KEYS", K1)
    monkeypatch.setenv("RCPYRAMID_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    settings = {
        "rcpyramid.environment": "production",
        "rcpyramid.database.auto_upgrade": "true",
    }
    with pytest.raises(SettingsError, match="auto_upgrade"):
        SqlTokenStore.from_settings(load_store(settings), MovableClock())


def test_sql_backend_refuses_an_in_memory_sqlite_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCPYRAMID_TOKEN_KEYS", K1)
    monkeypatch.setenv("RCPYRAMID_DATABASE_URL", "sqlite://")
    with pytest.raises(SettingsError, match="in-memory SQLite"):
        SqlTokenStore.from_settings(load_store({}), MovableClock())


def test_sqlite_database_file_is_private_to_its_user(tmp_path: Path) -> None:
    from rcpyramid.models import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'private' / 'db.sqlite'}")
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    engine.dispose()
    assert os.stat(tmp_path / "private" / "db.sqlite").st_mode & 0o777 == 0o600
