"""Redemption codes: created in batches (shown once), redeemed atomically, never more often than allowed."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from modelyard.billing import ledger
from modelyard.kit.clock import utcnow
from modelyard.models import CodeRedemption, LedgerKind, RedemptionCode, User

# Crockford's base32 without look-alikes: codes are read aloud and typed by hand.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_GROUPS = 4  # MY-XXXX-XXXX-XXXX-XXXX: 80 random bits
MAX_BATCH = 10_000


class CodeError(ValueError):
    """A code that cannot be redeemed. The message never says whether the code exists."""


class AlreadyRedeemedError(CodeError):
    pass


@dataclass(frozen=True)
class Redeemed:
    code_id: int
    amount_nanos: int
    balance_nanos: int


def new_code() -> str:
    groups = ["".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(_GROUPS)]
    return "MY-" + "-".join(groups)


def normalize(code: str) -> str:
    """Case, spaces and look-alike letters do not matter when typing a code."""
    cleaned = code.strip().upper().replace(" ", "").replace("-", "")
    return cleaned.replace("O", "0").replace("I", "1").replace("L", "1")


def hash_code(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()


async def create_batch(
    session: AsyncSession,
    *,
    count: int,
    amount_nanos: int,
    max_uses: int = 1,
    expires_at: datetime | None = None,
    created_by: int | None = None,
) -> tuple[str, list[str]]:
    if not 1 <= count <= MAX_BATCH:
        raise CodeError(f"count must be between 1 and {MAX_BATCH}")
    if amount_nanos <= 0:
        raise CodeError("amount must be positive")
    if max_uses < 1:
        raise CodeError("max uses must be at least 1")
    if expires_at is not None and expires_at <= utcnow():
        raise CodeError("expiry must be in the future")
    batch = f"batch-{secrets.token_hex(6)}"
    codes = [new_code() for _ in range(count)]
    now = utcnow()
    await session.execute(
        insert(RedemptionCode),
        [
            {
                "code_hash": hash_code(code),
                "label": code[:7],
                "batch": batch,
                "amount_nanos": amount_nanos,
                "max_uses": max_uses,
                "uses": 0,
                "expires_at": expires_at,
                "created_by": created_by,
                "created_at": now,
            }
            for code in codes
        ],
    )
    return batch, codes


async def redeem(
    sessions: async_sessionmaker[AsyncSession],
    user_id: int,
    code: str,
    *,
    alert_threshold_nanos: int | None = None,
) -> Redeemed:
    """One transaction: a conditional increment of the code's use count (so concurrent redemptions can never
    exceed max uses), the user's redemption row (unique per code and user) and the ledger entry.
    `alert_threshold_nanos`: see `ledger.append_sync`."""
    now = utcnow()
    code_hash = hash_code(code)
    try:
        async with sessions() as session, session.begin():
            row = (
                await session.execute(
                    update(RedemptionCode)
                    .where(
                        RedemptionCode.code_hash == code_hash,
                        RedemptionCode.uses < RedemptionCode.max_uses,
                        or_(RedemptionCode.expires_at.is_(None), RedemptionCode.expires_at > now),
                    )
                    .values(uses=RedemptionCode.uses + 1)
                    .returning(RedemptionCode.id, RedemptionCode.amount_nanos)
                )
            ).first()
            if row is None:
                mine = await session.scalar(
                    select(CodeRedemption.id)
                    .join(RedemptionCode, RedemptionCode.id == CodeRedemption.code_id)
                    .where(RedemptionCode.code_hash == code_hash, CodeRedemption.user_id == user_id)
                )
                if mine is not None:
                    raise AlreadyRedeemedError("You have already redeemed this code")
                raise CodeError("This code is not valid: it is unknown, expired or already used up")
            code_id, amount = int(row[0]), int(row[1])
            session.add(CodeRedemption(code_id=code_id, user_id=user_id, created_at=now))
            await session.flush()
            balances = await ledger.append(
                session,
                [
                    ledger.Entry(
                        user_id=user_id,
                        kind=LedgerKind.REDEMPTION,
                        amount_nanos=amount,
                        reference=f"code:{code_id}",
                        idempotency_key=f"redeem:{code_id}:{user_id}",
                    )
                ],
                alert_threshold_nanos=alert_threshold_nanos,
            )
    except IntegrityError:
        raise AlreadyRedeemedError("You have already redeemed this code") from None
    return Redeemed(code_id, amount, balances[user_id])


class FailureLimiter:
    """Counts failed guesses per user in a sliding window; past the limit, guessing waits."""

    def __init__(self, limit: int = 5, window_seconds: float = 600.0) -> None:
        self._limit = limit
        self._window = window_seconds
        self._failures: dict[int, deque[float]] = defaultdict(deque)

    def retry_after(self, user_id: int, now: float | None = None) -> float | None:
        """Seconds until this user may try again, or None when they may now."""
        now = time.monotonic() if now is None else now
        failures = self._failures.get(user_id)
        if not failures:
            return None
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        if len(failures) < self._limit:
            return None
        return failures[0] + self._window - now

    def failed(self, user_id: int, now: float | None = None) -> None:
        self._failures[user_id].append(time.monotonic() if now is None else now)


# ---------------------------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class BatchSummary:
    batch: str
    codes: int
    amount_nanos: int
    max_uses: int
    uses: int
    expires_at: datetime | None
    created_at: datetime


async def list_batches(session: AsyncSession, *, limit: int, before: str | None = None) -> list[BatchSummary]:
    """Batches newest first (a batch's codes share its amount, uses cap and expiry)."""
    query = (
        select(
            RedemptionCode.batch,
            func.count(RedemptionCode.id),
            func.max(RedemptionCode.amount_nanos),
            func.max(RedemptionCode.max_uses),
            func.sum(RedemptionCode.uses),
            func.max(RedemptionCode.expires_at),
            func.min(RedemptionCode.created_at).label("created"),
        )
        .group_by(RedemptionCode.batch)
        .order_by(func.min(RedemptionCode.created_at).desc(), RedemptionCode.batch.desc())
        .limit(limit)
    )
    if before is not None:
        started = select(func.min(RedemptionCode.created_at)).where(RedemptionCode.batch == before)
        query = query.having(func.min(RedemptionCode.created_at) < started.scalar_subquery())
    rows = await session.execute(query)
    return [
        BatchSummary(batch, int(count), int(amount), int(max_uses), int(uses or 0), expires, created)
        for batch, count, amount, max_uses, uses, expires, created in rows
    ]


@dataclass(frozen=True, slots=True)
class CodeUse:
    label: str
    uses: int
    max_uses: int
    redeemed_by: list[tuple[int, str, datetime]]  # user id, email, when


async def batch_codes(session: AsyncSession, batch: str) -> list[CodeUse]:
    """A batch's codes (by label: the codes themselves are stored only hashed) and who redeemed each."""
    codes = (
        await session.execute(
            select(RedemptionCode).where(RedemptionCode.batch == batch).order_by(RedemptionCode.id)
        )
    ).scalars()
    by_id = {code.id: CodeUse(code.label, code.uses, code.max_uses, []) for code in codes}
    if by_id:
        rows = await session.execute(
            select(CodeRedemption.code_id, User.id, User.email, CodeRedemption.created_at)
            .join(User, User.id == CodeRedemption.user_id)
            .where(CodeRedemption.code_id.in_(by_id))
            .order_by(CodeRedemption.created_at)
        )
        for code_id, user_id, email, at in rows:
            by_id[code_id].redeemed_by.append((user_id, email, at))
    return list(by_id.values())
