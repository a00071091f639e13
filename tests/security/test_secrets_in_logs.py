"""Secrets never reach the server's log: passwords, access and refresh tokens, API keys, provider keys and
invitation codes, even at debug level and when things fail."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from tests.conftest import Cli, Env, Server
from tests.fakes.openai_upstream import FakeOpenAIUpstream
from tests.security.helpers import PASSWORD, api_client, bearer, login, make_account, unique_email


def test_no_secret_reaches_the_log(env: Env, cli: Cli, server_factory: Callable[[Env], Server]) -> None:
    provider_key = f"sk-provider-{secrets.token_hex(16)}"
    wrong_provider_key = f"sk-provider-wrong-{secrets.token_hex(16)}"
    env.extra["MODELYARD_LOG_LEVEL"] = "debug"
    server = server_factory(env)
    url = server.url
    known: dict[str, str] = {}  # what must not be in the log -> where it came from
    admin = make_account(cli, url, "admin", "--admin")
    known[admin.api_key] = "admin's API key (CLI)"
    with api_client() as http, FakeOpenAIUpstream(api_key=provider_key) as upstream:
        # Sign-up, failed and good sign-ins, refresh, a new password.
        email = unique_email("secretive")
        password = f"pw-{secrets.token_hex(12)}"
        made = http.post(f"{url}/api/auth/signup", json={"email": email, "password": password})
        assert made.status_code == 201, made.text
        wrong_password = f"wrong-{secrets.token_hex(12)}"
        assert login(url, email, wrong_password).status_code == 401
        assert login(url, unique_email("nobody"), wrong_password).status_code == 401
        signed_in = login(url, email, password).json()
        refreshed = http.post(f"{url}/api/auth/refresh", json={"refresh_token": signed_in["refresh_token"]})
        assert refreshed.status_code == 200
        reused = http.post(f"{url}/api/auth/refresh", json={"refresh_token": signed_in["refresh_token"]})
        assert reused.status_code == 401  # and the whole session ended with it: sign in again
        again = login(url, email, password).json()
        token = again["access_token"]
        known[again["refresh_token"]] = "the second sign-in's refresh token"
        new_password = f"new-{secrets.token_hex(12)}"
        wrong_current = http.patch(
            f"{url}/api/user/profile",
            json={"password": new_password, "current_password": wrong_password},
            headers=bearer(token),
        )
        assert wrong_current.status_code == 400
        changed = http.patch(
            f"{url}/api/user/profile",
            json={"password": new_password, "current_password": password},
            headers=bearer(token),
        )
        assert changed.status_code == 200, changed.text
        known |= {
            password: "password (sign-up)",
            wrong_password: "wrong password",
            new_password: "new password",
            made.json()["access_token"]: "access token (sign-up)",
            made.json()["refresh_token"]: "refresh token (sign-up)",
            signed_in["access_token"]: "access token (login)",
            signed_in["refresh_token"]: "refresh token (login)",
            token: "access token (refresh)",
            refreshed.json()["refresh_token"]: "refresh token (refresh)",
        }
        for value in list(known):
            if value.startswith("myr_"):
                known[value.rsplit(".", 1)[-1]] = "refresh token secret"

        # API keys: over HTTP when the server has the keys API, else with the CLI.
        created = http.post(f"{url}/api/keys", json={"name": "logged?"}, headers=bearer(token))
        if created.status_code == 201:
            user_key = created.json()["key"]
        else:
            assert created.status_code == 404, created.text
            user_key = cli("keys", "create", email, "--name", "cli").stdout.strip().splitlines()[-1]
        known[user_key] = "user's API key"
        cli("credits", "grant", email, "5")
        bad_key = "sk-my-v1-" + secrets.token_hex(32)
        known[bad_key] = "unknown API key"
        assert http.get(f"{url}/api/balance", headers=bearer(bad_key)).status_code == 401
        garbage = f"garbage-{secrets.token_hex(12)}"
        known[garbage] = "garbage bearer token"
        assert http.get(f"{url}/api/auth/me", headers=bearer(garbage)).status_code == 401

        # Channels with a provider key: one that works, one the upstream refuses.
        for name, key in (("logged-ok", provider_key), ("logged-bad", wrong_provider_key)):
            channel = http.post(
                f"{url}/api/admin/channels",
                json={"name": name, "provider": "openai", "base_url": upstream.base_url, "api_key": key,
                      "models": [{"slug": "openai/gpt-4o-mini" if name == "logged-ok" else "openai/gpt-4o"}]},
                headers=bearer(admin.api_key),
            )  # fmt: skip
            assert channel.status_code == 201, channel.text
            assert key not in channel.text
            http.post(f"{url}/api/admin/channels/{channel.json()['id']}/test", headers=bearer(admin.api_key))
        known[provider_key] = "provider key"
        known[wrong_provider_key] = "refused provider key"
        for model in ("openai/gpt-4o-mini", "openai/gpt-4o"):
            chat = http.post(
                f"{url}/api/v1/chat/completions",
                json={"model": model, "messages": [{"role": "user", "content": "hello"}], "max_tokens": 5},
                headers=bearer(user_key),
            )
            assert chat.status_code in (200, 401, 502, 503), chat.text
        invite = http.post(f"{url}/api/admin/invites", json={}, headers=bearer(admin.api_key))
        assert invite.status_code == 201
        known[invite.json()["code"]] = "invitation code"

        out = http.post(f"{url}/api/auth/logout", headers=bearer(token))
        assert out.status_code == 204
    server.stop()  # everything flushed
    log = server.log()
    assert "Modelyard listening" in log
    leaked = sorted({where for secret, where in known.items() if secret in log})
    assert not leaked, f"the server log shows: {', '.join(leaked)}"
    assert PASSWORD not in log
