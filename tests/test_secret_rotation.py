"""`modelyard secrets rotate`: every stored secret (channel credentials, site-setting secrets) re-encrypted
under a new secret key in one transaction, then a server started on the new key relays through the same
channels, applies the same site secrets and keeps its users' sessions. A dry run, a wrong current key or one
unreadable value change nothing; `channels edit --api-key-file` replaces a channel's keys without putting
them on the command line. A rolling rotation (MODELYARD_SECRET_KEY_PREVIOUS) keeps a server working while
it runs on the new key with values and tokens still under the old one."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai import OpenAI
from typer.testing import CliRunner

from modelyard.auth.oidc import Flow, FlowSealer
from modelyard.auth.tokens import TokenError, TokenSigner
from modelyard.cli import app as cli_app
from modelyard.kit.secrets import SecretBox
from tests.conftest import Cli, CliResult, Env, Server, query
from tests.fakes.openai_upstream import FakeOpenAIUpstream

PASSWORD = "correct-horse-battery"
ADMIN = "rotation-admin@example.com"
RELAY_KEY = "sk-upstream-test"  # the fake upstream accepts only this one
SPARE_KEYS = ("sk-spare-one-0123456789", "sk-spare-two-0123456789")
SMTP_SECRET = "smtp-password-kept-across-rotation"
OIDC_SECRET = "oidc-client-secret-kept-across-rotation"
PLAINTEXTS = {
    "channel relay": RELAY_KEY,
    "channel spare": "\n".join(SPARE_KEYS),
    "site smtp_password": SMTP_SECRET,
    "site oidc_client_secret": OIDC_SECRET,
}


@dataclass
class Seeded:
    env: Env
    cli: Cli
    api_key: str  # the administrator's
    # The administrator's sign-in (access and refresh tokens), renewed by the key-file rotation test.
    session: dict[str, Any]
    webhook_secret: str  # the administrator's alert-webhook signing secret under the old key
    start_server: Callable[[Env], Server]

    def key_file_key(self) -> str:
        return (self.env.data_dir / "secret.key").read_text().strip()

    def with_key(self, secret_key: str, previous: str | None = None) -> Env:
        keys = {"MODELYARD_SECRET_KEY": secret_key}
        if previous is not None:
            keys["MODELYARD_SECRET_KEY_PREVIOUS"] = previous
        return Env(self.env.data_dir, self.env.database_url, {**self.env.extra, **keys})


def stored(database_url: str) -> list[tuple[Any, ...]]:
    """Every encrypted value as stored, with its updated_at: what a refused rotation must leave alone."""
    return query(
        database_url,
        "SELECT 'channel ' || name, api_key_encrypted, updated_at FROM channels UNION ALL "
        "SELECT 'site ' || name, encrypted, updated_at FROM site_settings WHERE encrypted IS NOT NULL "
        "ORDER BY 1",
    )


def decrypted(database_url: str, secret_key: str) -> dict[str, str]:
    box = SecretBox(secret_key)
    return {name: box.decrypt(token) for name, token, _ in stored(database_url)}


def chat_reply(server: Server, api_key: str) -> str | None:
    """One completion through the relay, which decrypts the channel's key as it loads its routes."""
    reply = OpenAI(base_url=f"{server.url}/v1", api_key=api_key, max_retries=0).chat.completions.create(
        model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    return reply.choices[0].message.content


def invoke(env: Env, *args: str, stdin: str | None = None, expect: int = 0) -> CliResult:
    """The CLI with standard input (the conftest helper has none)."""
    result = CliRunner().invoke(cli_app, list(args), env=env.vars(), input=stdin, catch_exceptions=False)
    outcome = CliResult(result.exit_code, result.stdout, result.stderr)
    assert result.exit_code == expect, outcome
    return outcome


@pytest.fixture(scope="module")
def seeded(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Seeded:
    """Two channels, two site secrets and a signed-in administrator, all under the generated key file."""
    env.extra["MODELYARD_HEALTH_PROBE_INTERVAL_SECONDS"] = "0"
    cli("users", "create", ADMIN, "--password", PASSWORD, "--admin")
    cli("credits", "grant", ADMIN, "5")
    api_key = cli("keys", "create", ADMIN, "--name", "a").stdout.strip().splitlines()[-1]
    cli(
        "channels", "add", "relay", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", RELAY_KEY, "--models", "openai/gpt-4o-mini=gpt-4o-mini-chunks-3", "--no-probe",
    )  # fmt: skip
    cli(
        "channels", "add", "spare", "--provider", "openai", "--base-url", "http://127.0.0.1:9/v1",
        "--api-key", SPARE_KEYS[0], "--api-key", SPARE_KEYS[1], "--models", "openai/gpt-4o", "--no-probe",
    )  # fmt: skip
    server = server_factory(env)
    admin = {"Authorization": f"Bearer {api_key}"}
    changed = httpx.patch(
        f"{server.url}/api/admin/settings",
        headers=admin,
        json={
            "smtp_host": "127.0.0.1",
            "smtp_username": "alerts",
            "smtp_password": SMTP_SECRET,
            "oidc_client_id": "modelyard-test",
            "oidc_client_secret": OIDC_SECRET,
        },
        timeout=30,
    )
    assert changed.status_code == 200, changed.text
    session = httpx.post(
        f"{server.url}/api/auth/login", json={"email": ADMIN, "password": PASSWORD}, timeout=30
    )
    assert session.status_code == 200, session.text
    alerts = httpx.get(f"{server.url}/api/balance/alerts", headers=admin, timeout=30).json()
    server.stop()
    seeded = Seeded(env, cli, api_key, session.json(), alerts["webhook_secret"], server_factory)
    assert decrypted(env.database_url, seeded.key_file_key()) == PLAINTEXTS
    return seeded


def test_a_dry_run_checks_every_value_and_changes_nothing(seeded: Seeded) -> None:
    before, key = stored(seeded.env.database_url), seeded.key_file_key()
    result = seeded.cli("secrets", "rotate", "--dry-run")
    assert "dry run: 2 channel credential(s) and 2 site secret(s) decrypt" in result.stdout, result
    assert stored(seeded.env.database_url) == before
    assert seeded.key_file_key() == key
    assert not (seeded.env.data_dir / "secret.key.new").exists()


def test_a_wrong_current_key_or_one_unreadable_value_changes_nothing(seeded: Seeded, tmp_path: Path) -> None:
    url = seeded.env.database_url
    before, key = stored(url), seeded.key_file_key()
    new_key = tmp_path / "new.key"
    new_key.write_text("n" * 40)

    wrong = Cli(seeded.with_key("w" * 40))("secrets", "rotate", "--new-key-file", str(new_key), expect=1)
    assert "cannot decrypt channel relay (id 1), channel spare (id 2), site setting oidc_client_secret, " in (
        wrong.stderr
    )
    assert stored(url) == before
    assert Cli(seeded.with_key("w" * 40))("secrets", "rotate", "--dry-run", expect=1).exit_code == 1

    # One value saved under some other key (here by a newer version, under a name this one does not know):
    # the readable ones are not rotated without it.
    foreign = SecretBox("f" * 40).encrypt("from-elsewhere")
    query(
        url,
        "INSERT INTO site_settings (name, encrypted, updated_at) "
        "VALUES ('future_secret', :t, CURRENT_TIMESTAMP)",
        t=foreign,
    )
    try:
        refused = seeded.cli("secrets", "rotate", expect=1)
        assert "cannot decrypt site setting future_secret; nothing was changed" in refused.stderr, refused
        assert [row for row in stored(url) if row[0] != "site future_secret"] == before
        assert seeded.key_file_key() == key
        assert not (seeded.env.data_dir / "secret.key.new").exists()
    finally:
        query(url, "DELETE FROM site_settings WHERE name = 'future_secret'")
    for output in (wrong.stdout + wrong.stderr, refused.stdout + refused.stderr):
        assert all(secret not in output for secret in PLAINTEXTS.values())


def test_a_bad_new_key_is_refused(seeded: Seeded, tmp_path: Path) -> None:
    before = stored(seeded.env.database_url)
    short = tmp_path / "short.key"
    short.write_text("too-short\n")
    assert (
        "at least 32 characters"
        in seeded.cli("secrets", "rotate", "--new-key-file", str(short), expect=1).stderr
    )
    comma = tmp_path / "comma.key"
    comma.write_text("c" * 20 + "," + "c" * 20)  # could never be listed in MODELYARD_SECRET_KEY_PREVIOUS
    assert (
        "must not contain commas"
        in seeded.cli("secrets", "rotate", "--new-key-file", str(comma), expect=1).stderr
    )
    same = seeded.cli(
        "secrets", "rotate", "--new-key-file", str(seeded.env.data_dir / "secret.key"), expect=1
    )
    assert "the new key is the current key" in same.stderr
    missing = seeded.cli("secrets", "rotate", "--new-key-file", str(tmp_path / "absent"), expect=1)
    assert "cannot read" in missing.stderr
    staged = seeded.env.data_dir / "secret.key.new"
    staged.write_text("s" * 40)  # left by a rotation that died between its commit and the rename
    try:
        unfinished = seeded.cli("secrets", "rotate", expect=1)
        assert "an earlier rotation did not finish" in unfinished.stderr
        assert staged.read_text() == "s" * 40  # it may be the only copy of the key in use: kept
    finally:
        staged.unlink()
    # With the key in the environment there is nowhere to put a generated one: the operator brings it.
    from_env = Cli(seeded.with_key(seeded.key_file_key()))("secrets", "rotate", expect=1)
    assert "MODELYARD_SECRET_KEY is set: give the new key with --new-key-file" in from_env.stderr
    # Rolling, the configured key is the new one: another one on top would leave the servers unable to read.
    rolling = Cli(seeded.with_key("r" * 40, previous=seeded.key_file_key()))
    both = rolling("secrets", "rotate", "--new-key-file", str(tmp_path / "absent"), expect=1)
    assert "MODELYARD_SECRET_KEY_PREVIOUS is set" in both.stderr
    assert stored(seeded.env.database_url) == before


def test_rotating_the_key_file_keeps_every_secret_and_the_gateway_working(seeded: Seeded) -> None:
    url, old_key = seeded.env.database_url, seeded.key_file_key()
    before = stored(url)
    result = seeded.cli("secrets", "rotate")
    assert "re-encrypted 2 channel credential(s) and 2 site secret(s)" in result.stdout, result
    assert all(secret not in result.stdout + result.stderr for secret in PLAINTEXTS.values())

    new_key = seeded.key_file_key()
    key_path = seeded.env.data_dir / "secret.key"
    assert new_key != old_key and len(new_key) >= 32
    assert key_path.stat().st_mode & 0o777 == 0o600
    assert not (seeded.env.data_dir / "secret.key.new").exists()
    after = stored(url)
    assert [(n, u) for n, _, u in after] == [(n, u) for n, _, u in before]  # nothing else touched
    assert decrypted(url, new_key) == PLAINTEXTS
    for _, token, _ in after:
        with pytest.raises(ValueError, match="MODELYARD_SECRET_KEY differs"):
            SecretBox(old_key).decrypt(token)

    server = seeded.start_server(seeded.env)
    try:
        assert chat_reply(server, seeded.api_key)
        admin = {"Authorization": f"Bearer {seeded.api_key}"}
        site = httpx.get(f"{server.url}/api/admin/settings", headers=admin, timeout=30).json()
        assert site["problem"] is None
        assert site["values"]["smtp_password_set"] and site["values"]["oidc_client_secret_set"]

        # Sessions go on: the old access token is refused, its refresh token still works.
        old_access = {"Authorization": f"Bearer {seeded.session['access_token']}"}
        assert httpx.get(f"{server.url}/api/auth/me", headers=old_access, timeout=30).status_code == 401
        refreshed = httpx.post(
            f"{server.url}/api/auth/refresh",
            json={"refresh_token": seeded.session["refresh_token"]},
            timeout=30,
        )
        assert refreshed.status_code == 200, refreshed.text
        me = httpx.get(
            f"{server.url}/api/auth/me",
            headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"},
            timeout=30,
        )
        assert me.status_code == 200 and me.json()["email"] == ADMIN
        seeded.session = refreshed.json()

        # Derived from the key, stored nowhere: webhook receivers need the new signing secret.
        alerts = httpx.get(f"{server.url}/api/balance/alerts", headers=admin, timeout=30).json()
        assert alerts["webhook_secret"] != seeded.webhook_secret
    finally:
        server.stop()
    assert "skipped" not in server.log()  # the cache names each channel it cannot decrypt


def test_rotating_a_key_given_in_the_environment_leaves_the_key_file_alone(
    seeded: Seeded, tmp_path: Path
) -> None:
    url, file_key = seeded.env.database_url, seeded.key_file_key()
    new_key = "e" * 20 + os.urandom(16).hex()
    result = invoke(
        seeded.with_key(file_key), "secrets", "rotate", "--new-key-file", "-", stdin=new_key + "\n"
    )
    assert "set MODELYARD_SECRET_KEY to the new key on every instance" in result.stdout, result
    assert decrypted(url, new_key) == PLAINTEXTS
    assert seeded.key_file_key() == file_key

    # And back, the new key now being the configured one, the key file's given as the next.
    invoke(
        seeded.with_key(new_key),
        "secrets",
        "rotate",
        "--new-key-file",
        str(seeded.env.data_dir / "secret.key"),
    )
    assert decrypted(url, file_key) == PLAINTEXTS


def test_channels_edit_takes_new_provider_keys_from_a_file_or_standard_input(
    seeded: Seeded, tmp_path: Path
) -> None:
    url, key = seeded.env.database_url, seeded.key_file_key()
    keys = tmp_path / "keys"
    keys.write_text("sk-rotated-one-0123456789\n\nsk-rotated-two-0123456789\n")
    edited = seeded.cli("channels", "edit", "2", "--api-key-file", str(keys))
    assert "2 key(s)" in edited.stdout
    assert decrypted(url, key)["channel spare"] == "sk-rotated-one-0123456789\nsk-rotated-two-0123456789"

    invoke(seeded.env, "channels", "edit", "2", "--api-key-file", "-", stdin="sk-rotated-three-0123456789\n")
    assert decrypted(url, key)["channel spare"] == "sk-rotated-three-0123456789"
    both = seeded.cli("channels", "edit", "2", "--api-key", "x", "--api-key-file", str(keys), expect=1)
    assert "either --api-key or --api-key-file" in both.stderr


def test_a_rolling_rotation_keeps_servers_working_before_during_and_after(seeded: Seeded) -> None:
    """The operator's three steps: servers restarted with the new key and the old one as previous, `secrets
    rotate` while they run, servers restarted with the new key alone."""
    url, old_key = seeded.env.database_url, seeded.key_file_key()
    expected = decrypted(url, old_key)
    new_key = "r" * 16 + os.urandom(16).hex()
    admin = {"Authorization": f"Bearer {seeded.api_key}"}
    old_access = {"Authorization": f"Bearer {seeded.session['access_token']}"}

    # (1) A server on the new key reads what is still under the old one.
    rolling = seeded.start_server(seeded.with_key(new_key, previous=old_key))
    try:
        assert chat_reply(rolling, seeded.api_key)  # the channel's credential is under the old key
        assert httpx.get(f"{rolling.url}/api/auth/me", headers=old_access, timeout=30).status_code == 200
        site = httpx.get(f"{rolling.url}/api/admin/settings", headers=admin, timeout=30).json()
        assert site["problem"] is None

        # What it saves and signs is under the new key only.
        changed = httpx.patch(
            f"{rolling.url}/api/admin/settings",
            headers=admin,
            json={"smtp_password": "smtp-password-saved-mid-rotation"},
            timeout=30,
        )
        assert changed.status_code == 200, changed.text
        expected["site smtp_password"] = "smtp-password-saved-mid-rotation"
        saved = {name: token for name, token, _ in stored(url)}["site smtp_password"]
        assert SecretBox(new_key).decrypt(saved) == "smtp-password-saved-mid-rotation"
        with pytest.raises(ValueError):
            SecretBox(old_key).decrypt(saved)
        signed = httpx.post(
            f"{rolling.url}/api/auth/login", json={"email": ADMIN, "password": PASSWORD}, timeout=30
        )
        assert signed.status_code == 200, signed.text
        alerts = httpx.get(f"{rolling.url}/api/balance/alerts", headers=admin, timeout=30).json()

        # (2) Everything onto the new key while the server runs.
        env = seeded.with_key(new_key, previous=old_key)
        checked = Cli(env)("secrets", "rotate", "--dry-run")
        assert "2 site secret(s) decrypt with the configured keys, 3 of them only with" in checked.stdout
        result = Cli(env)("secrets", "rotate")
        assert "re-encrypted 2 channel credential(s) and 2 site secret(s) under the current key (3 were" in (
            result.stdout
        ), result
        assert all(secret not in result.stdout + result.stderr for secret in expected.values())
        assert decrypted(url, new_key) == expected
        for _, token, _ in stored(url):
            with pytest.raises(ValueError):
                SecretBox(old_key).decrypt(token)
        assert seeded.key_file_key() == old_key  # the key in use is MODELYARD_SECRET_KEY's: nothing to write
    finally:
        rolling.stop()

    # (3) The previous key dropped: everything works on the new key alone, and the old key's tokens end.
    final = seeded.start_server(seeded.with_key(new_key))
    try:
        assert chat_reply(final, seeded.api_key)
        site = httpx.get(f"{final.url}/api/admin/settings", headers=admin, timeout=30).json()
        assert site["problem"] is None
        assert httpx.get(f"{final.url}/api/auth/me", headers=old_access, timeout=30).status_code == 401
        new_access = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        assert httpx.get(f"{final.url}/api/auth/me", headers=new_access, timeout=30).status_code == 200
        # Webhooks are signed with the current key: their secret changed once, at step (1), not again.
        again = httpx.get(f"{final.url}/api/balance/alerts", headers=admin, timeout=30).json()
        assert again["webhook_secret"] == alerts["webhook_secret"]
    finally:
        final.stop()
    assert "skipped" not in rolling.log() + final.log()  # the cache names each channel it cannot decrypt


OLD_KEY, OLDER_KEY, NEW_KEY, OTHER_KEY = "o" * 40, "p" * 40, "n" * 40, "x" * 40


def test_a_box_with_previous_keys_decrypts_under_any_but_encrypts_under_the_current_one() -> None:
    box = SecretBox(NEW_KEY, [OLD_KEY, OLDER_KEY])
    under_old, under_older = SecretBox(OLD_KEY).encrypt("a"), SecretBox(OLDER_KEY).encrypt("b")
    assert (box.decrypt(under_old), box.decrypt(under_older)) == ("a", "b")
    assert not box.is_current(under_old)

    token = box.encrypt("c")
    assert box.is_current(token) and SecretBox(NEW_KEY).decrypt(token) == "c"
    for key in (OLD_KEY, OLDER_KEY):
        with pytest.raises(ValueError):
            SecretBox(key).decrypt(token)
    with pytest.raises(ValueError, match="nor MODELYARD_SECRET_KEY_PREVIOUS"):
        box.decrypt(SecretBox(OTHER_KEY).encrypt("d"))


def test_tokens_and_sign_in_cookies_under_a_previous_key_are_accepted() -> None:
    """...and those made now are under the current key, which a server without the previous one accepts."""
    ttl, now = timedelta(minutes=15), datetime.now(UTC)
    signer = TokenSigner(NEW_KEY, ttl, [OLD_KEY])
    old_token, _ = TokenSigner(OLD_KEY, ttl).issue(7, "user", "session", now)
    assert signer.verify(old_token).user_id == 7
    expired, _ = TokenSigner(OLD_KEY, ttl).issue(7, "user", "session", now - 2 * ttl)
    with pytest.raises(TokenError, match="expired"):
        signer.verify(expired)
    with pytest.raises(TokenError, match="not valid"):
        signer.verify(TokenSigner(OTHER_KEY, ttl).issue(7, "user", "session", now)[0])
    new_token, _ = signer.issue(8, "user", "session", now)
    assert TokenSigner(NEW_KEY, ttl).verify(new_token).user_id == 8
    with pytest.raises(TokenError):
        TokenSigner(OLD_KEY, ttl).verify(new_token)

    flow = Flow("state", "nonce", "v" * 64, "https://gw.example/cb", "/", None, None)
    sealer = FlowSealer(NEW_KEY, [OLD_KEY])
    assert sealer.open(FlowSealer(OLD_KEY).seal(flow)) == flow
    assert FlowSealer(NEW_KEY).open(sealer.seal(flow)) == flow
    with pytest.raises(ValueError):
        FlowSealer(OLD_KEY).open(sealer.seal(flow))
