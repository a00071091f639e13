"""The credit APIs against a running server: balance, transactions, OpenRouter's /credits, admin top-ups with
idempotency, and redemption codes that can never be used more often than allowed."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from modelyard.billing import credits
from modelyard.billing.codes import hash_code
from modelyard.db.engine import create_engine, session_factory
from tests.conftest import Cli, Env, Server, query, wait_until
from tests.fakes.openai_upstream import FakeOpenAIUpstream


@dataclass
class Api:
    server: Server
    cli: Cli
    env: Env
    admin_key: str

    def call(self, method: str, path: str, key: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.server.url}{path}", headers=headers, timeout=30, **kwargs)

    def user_id(self, email: str) -> int:
        return int(query(self.env.database_url, "SELECT id FROM users WHERE email = :e", e=email)[0][0])


@pytest.fixture(scope="module")
def api(
    env: Env, cli: Cli, upstream: FakeOpenAIUpstream, server_factory: Callable[[Env], Server]
) -> Iterator[Api]:
    cli("users", "create", "admin@example.com", "--password", "correct-horse-battery", "--admin")
    admin_key = cli("keys", "create", "admin@example.com", "--name", "admin").stdout.strip().splitlines()[-1]
    cli(
        "channels", "add", "fake", "--provider", "openai", "--base-url", upstream.base_url,
        "--api-key", "sk-upstream-test", "--models", "openai/gpt-4o-mini=gpt-4o-mini-chunks-5",
    )  # fmt: skip
    yield Api(server_factory(env), cli, env, admin_key)


def test_balance_transactions_and_openrouter_credits(api: Api) -> None:
    key = api.cli.create_user_with_key("spender@example.com", "3")
    api.cli("credits", "grant", "spender@example.com", "2.5")
    costs = []
    for _ in range(3):
        reply = api.call(
            "POST", "/v1/chat/completions", key,
            json={"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hello there"}]},
        )  # fmt: skip
        assert reply.status_code == 200
        costs.append(Decimal(str(reply.json()["usage"]["cost"])))
    spent = sum(costs, Decimal(0))
    uid = api.user_id("spender@example.com")
    wait_until(
        lambda: (
            query(api.env.database_url, "SELECT COUNT(*) FROM ledger_entries WHERE user_id = :u", u=uid)[0][0]
            == 5
        ),
        what="the usage entries",
    )
    balance = api.call("GET", "/api/balance", key).json()
    assert Decimal(balance["balance"]) == Decimal("5.5") - spent
    assert balance["held"] == "0" and balance["available"] == balance["balance"]
    assert Decimal(balance["spent_today"]) == spent == Decimal(balance["spent_this_month"])

    credits = api.call("GET", "/api/v1/credits", key).json()["data"]
    assert credits["total_credits"] == 5.5
    assert Decimal(str(credits["total_usage"])) == spent

    first = api.call("GET", "/api/balance/transactions", key, params={"limit": 2}).json()
    assert [t["type"] for t in first["data"]] == ["usage", "usage"] and first["next_cursor"]
    rest = api.call(
        "GET", "/api/balance/transactions", key, params={"limit": 10, "cursor": first["next_cursor"]}
    )
    types = [t["type"] for t in rest.json()["data"]]
    assert types == ["usage", "topup", "topup"] and rest.json()["next_cursor"] is None
    ids = [t["id"] for t in first["data"] + rest.json()["data"]]
    assert ids == sorted(ids, reverse=True)
    topups = api.call("GET", "/api/balance/transactions", key, params={"type": "topup"}).json()["data"]
    assert [t["amount"] for t in topups] == ["2.5", "3"]
    assert topups[0]["balance_after"] == "5.5"
    future = api.call("GET", "/api/balance/transactions", key, params={"since": "2999-01-01T00:00:00Z"})
    assert future.json()["data"] == []
    for params in ({"cursor": "abc"}, {"type": "bonus"}, {"since": "2026-01-01T00:00:00"}, {"limit": 0}):
        bad = api.call("GET", "/api/balance/transactions", key, params=params)
        assert bad.status_code == 400 and bad.json()["error"]["code"] == 400


def test_transactions_export_as_csv_with_the_lists_filters(api: Api) -> None:
    key = api.cli.create_user_with_key("exporter@example.com", "3")
    uid = api.user_id("exporter@example.com")
    path = f"/api/admin/users/{uid}/credits"
    # Free text a spreadsheet would run as a formula is written as text.
    noted = api.call("POST", path, api.admin_key, json={"amount": "1.25", "note": '=HYPERLINK("x")'})
    assert noted.status_code == 201
    reply = api.call(
        "POST", "/v1/chat/completions", key,
        json={"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "export me"}]},
    )  # fmt: skip
    assert reply.status_code == 200
    wait_until(
        lambda: api.call("GET", "/api/balance/transactions", key, params={"type": "usage"}).json()["data"],
        what="the usage entry",
    )
    listed = api.call("GET", "/api/balance/transactions", key).json()["data"]

    export = api.call("GET", "/api/balance/transactions/export", key)
    assert export.status_code == 200, export.text
    assert export.headers["content-type"].startswith("text/csv")
    assert 'filename="modelyard-transactions.csv"' in export.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0] == [
        "id", "created_at", "type", "amount", "balance_after", "reference", "note", "generation_id",
    ]  # fmt: skip
    assert [(int(r[0]), r[2], r[3], r[4]) for r in rows[1:]] == [
        (t["id"], t["type"], t["amount"], t["balance_after"]) for t in listed
    ]
    assert [r[6] for r in rows[1:] if r[2] == "topup"] == ['\'=HYPERLINK("x")', ""]
    (usage,) = [r for r in rows[1:] if r[2] == "usage"]
    assert usage[7] == reply.json()["id"] and Decimal(usage[3]) < 0
    assert datetime.fromisoformat(usage[1]).utcoffset() is not None

    topups = api.call("GET", "/api/balance/transactions/export", key, params={"type": "topup,refund"})
    assert [r[2] for r in list(csv.reader(io.StringIO(topups.text)))[1:]] == ["topup", "topup"]
    later = api.call("GET", "/api/balance/transactions/export", key, params={"since": "2999-01-01T00:00:00Z"})
    assert later.text.strip().splitlines() == [",".join(rows[0])]
    for params in ({"type": "bonus"}, {"until": "2026-01-01T00:00:00"},
                   {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}):  # fmt: skip
        bad = api.call("GET", "/api/balance/transactions/export", key, params=params)
        assert bad.status_code == 400 and bad.json()["error"]["metadata"]["field"] in (
            "type",
            "since",
            "until",
        )
    # Only one's own entries: another user's export is empty.
    other = api.cli.create_user_with_key("nothing-to-export@example.com")
    assert api.call("GET", "/api/balance/transactions/export", other).text.count("\n") == 1
    assert httpx.get(f"{api.server.url}/api/balance/transactions/export").status_code == 401


def test_the_export_reads_in_batches(api: Api) -> None:
    """Keyset batches cover every entry once, in order, whatever the batch size."""
    key = api.cli.create_user_with_key("batched@example.com")
    for amount in ("1", "2", "3", "4", "5"):
        api.cli("credits", "grant", "batched@example.com", amount)
    uid = api.user_id("batched@example.com")

    async def collect(batch: int) -> list[list[str]]:
        engine = create_engine(api.env.database_url)
        try:
            chunks = [
                chunk
                async for chunk in credits.export_transactions(session_factory(engine), uid, batch=batch)
            ]
        finally:
            await engine.dispose()
        return list(csv.reader(io.StringIO(b"".join(chunks).decode())))[1:]

    expected = [
        r for r in csv.reader(io.StringIO(api.call("GET", "/api/balance/transactions/export", key).text))
    ][1:]
    assert [r[3] for r in expected] == ["5", "4", "3", "2", "1"]
    for batch in (1, 2, 5, 6):
        assert asyncio.run(collect(batch)) == expected, batch


def test_balance_needs_a_key(api: Api) -> None:
    response = httpx.get(f"{api.server.url}/api/balance")
    assert response.status_code == 401 and response.json()["error"]["code"] == 401


def test_admin_top_up_is_idempotent_and_names_the_admin(api: Api) -> None:
    key = api.cli.create_user_with_key("topped@example.com")
    uid = api.user_id("topped@example.com")
    path = f"/api/admin/users/{uid}/credits"
    refused = api.call("POST", path, key, json={"amount": "100"})
    assert refused.status_code == 403

    headers = {"Idempotency-Key": "order-42"}
    first = api.call(
        "POST", path, api.admin_key, json={"amount": "12.34", "note": "invoice 42"}, headers=headers
    )
    again = api.call(
        "POST", path, api.admin_key, json={"amount": "12.34", "note": "invoice 42"}, headers=headers
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    entry = first.json()
    admin_id = api.user_id("admin@example.com")
    assert (entry["type"], entry["amount"], entry["reference"], entry["note"]) == (
        "topup", "12.34", f"admin:{admin_id}", "invoice 42",
    )  # fmt: skip
    assert api.call("GET", "/api/balance", key).json()["balance"] == "12.34"

    taken = api.call("POST", path, api.admin_key, json={"amount": "-2.34"})
    assert taken.status_code == 201 and taken.json()["type"] == "adjustment"
    assert api.call("GET", "/api/balance", key).json()["balance"] == "10"

    for amount in ("abc", "0", "1.0000000001", True, None):
        bad = api.call("POST", path, api.admin_key, json={"amount": amount})
        assert bad.status_code == 400, amount
        assert "amount" in bad.json()["error"]["message"]
    missing = api.call("POST", "/api/admin/users/999999/credits", api.admin_key, json={"amount": "1"})
    assert missing.status_code == 404
    api.cli("ledger", "verify")


def test_redemption_codes(api: Api) -> None:
    created = api.call("POST", "/api/admin/codes", api.admin_key, json={"count": 3, "amount": "2.5"})
    assert created.status_code == 201
    codes = created.json()["codes"]
    assert len(set(codes)) == 3 and all(c.startswith("MY-") for c in codes)
    # Only hashes are stored.
    stored = query(api.env.database_url, "SELECT code_hash FROM redemption_codes")
    assert not {c for c in codes} & {row[0] for row in stored}

    key = api.cli.create_user_with_key("redeemer@example.com")
    redeemed = api.call("POST", "/api/balance/redeem", key, json={"code": codes[0].lower().replace("-", " ")})
    assert redeemed.status_code == 200 and redeemed.json() == {"amount": "2.5", "balance": "2.5"}
    twice = api.call("POST", "/api/balance/redeem", key, json={"code": codes[0]})
    assert twice.status_code == 409
    other = api.cli.create_user_with_key("latecomer@example.com")
    used_up = api.call("POST", "/api/balance/redeem", other, json={"code": codes[0]})
    assert used_up.status_code == 400
    unknown = api.call("POST", "/api/balance/redeem", other, json={"code": "MY-0000-0000-0000-0000"})
    # The same answer for a used and an unknown code: nothing tells a guesser which codes exist.
    assert unknown.status_code == 400 and unknown.json() == used_up.json()

    query(
        api.env.database_url,
        "UPDATE redemption_codes SET expires_at = :t WHERE code_hash = :h",
        t=datetime(2020, 1, 1, tzinfo=UTC),
        h=hash_code(codes[2]),
    )
    expired = api.call("POST", "/api/balance/redeem", other, json={"code": codes[2]})
    assert expired.status_code == 400
    assert api.call("GET", "/api/balance", other).json()["balance"] == "0"


def test_wrong_guesses_are_rate_limited(api: Api) -> None:
    key = api.cli.create_user_with_key("guesser@example.com")
    statuses = [
        api.call("POST", "/api/balance/redeem", key, json={"code": f"MY-AAAA-AAAA-AAAA-{i:04d}"}).status_code
        for i in range(7)
    ]
    assert statuses[:5] == [400] * 5 and statuses[5:] == [429, 429]
    limited = api.call("POST", "/api/balance/redeem", key, json={"code": "MY-AAAA-AAAA-AAAA-0000"})
    assert int(limited.headers["retry-after"]) > 0


def test_a_code_is_never_redeemed_more_often_than_allowed(api: Api) -> None:
    code = api.call(
        "POST", "/api/admin/codes", api.admin_key, json={"count": 1, "amount": "1", "max_uses": 3}
    )
    value = code.json()["codes"][0]
    keys = [api.cli.create_user_with_key(f"racer{i}@example.com") for i in range(10)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(
            pool.map(
                lambda k: api.call("POST", "/api/balance/redeem", k, json={"code": value}).status_code, keys
            )
        )
    assert sorted(statuses) == [200] * 3 + [400] * 7
    code_id, uses = query(api.env.database_url, "SELECT id, uses FROM redemption_codes WHERE max_uses = 3")[0]
    assert uses == 3
    total = query(
        api.env.database_url,
        "SELECT COUNT(*), SUM(amount_nanos) FROM ledger_entries WHERE kind = 'redemption' AND reference = :r",
        r=f"code:{code_id}",
    )
    assert tuple(total[0]) == (3, 3_000_000_000)
    api.cli("ledger", "verify")


def test_admins_see_each_batch_and_who_redeemed_its_codes(api: Api) -> None:
    older = api.call("POST", "/api/admin/codes", api.admin_key, json={"count": 1, "amount": "1"}).json()
    made = api.call(
        "POST", "/api/admin/codes", api.admin_key, json={"count": 2, "amount": "0.75", "max_uses": 2}
    ).json()
    users = [api.cli.create_user_with_key(f"batch-user-{i}@example.com") for i in range(3)]
    for key, code in zip(users, [made["codes"][0], made["codes"][0], made["codes"][1]], strict=True):
        assert api.call("POST", "/api/balance/redeem", key, json={"code": code}).status_code == 200

    page = api.call("GET", "/api/admin/codes", api.admin_key, params={"limit": 1}).json()
    (newest,) = page["data"]
    assert newest["batch"] == made["batch"] and page["next_cursor"] == made["batch"]
    assert (newest["codes"], newest["amount"], newest["max_uses"], newest["uses"]) == (2, "0.75", 2, 3)
    following = api.call("GET", "/api/admin/codes", api.admin_key, params={"before": page["next_cursor"]})
    assert following.json()["data"][0]["batch"] == older["batch"]

    detail = api.call("GET", f"/api/admin/codes/{made['batch']}", api.admin_key).json()
    assert [c["label"] for c in detail] == [c[:7] for c in made["codes"]]
    assert [[r["email"] for r in c["redemptions"]] for c in detail] == [
        ["batch-user-0@example.com", "batch-user-1@example.com"], ["batch-user-2@example.com"],
    ]  # fmt: skip
    # The codes themselves are nowhere in the answer: only their labels.
    assert not any(code in str(detail) for code in made["codes"])
    assert api.call("GET", "/api/admin/codes/batch-nope", api.admin_key).status_code == 404
    assert api.call("GET", "/api/admin/codes", users[0]).status_code == 403
