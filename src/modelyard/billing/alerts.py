"""Low-balance alerts: each user's settings, and the detection that runs inside the settlement writer's
transaction.

One alert per period below the threshold. A period starts when a charge leaves the balance below the user's
threshold (their own, or the server's `MODELYARD_LOW_BALANCE_THRESHOLD_USD`) while `is_low_balance_alerted`
is false: one conditional `UPDATE ... WHERE is_low_balance_alerted = false ... RETURNING` per settlement batch
sets the flag and names the users to notify, so however many server processes settle charges, exactly one
of them alerts. The period ends when the balance is at or above the threshold again: a credit clears the
flag in the ledger's own balance update (`ledger.append_sync`), and so does a new threshold at or below the
balance. The flag lives in the database, so a restart neither repeats nor forgets an alert.

Delivery (email, webhook, retries) is `modelyard.notify`'s: detection only queues.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import ColumnElement, SQLColumnExpression, case, false, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.kit.clock import utcnow
from modelyard.kit.ids import new_generation_id
from modelyard.models import User


@dataclass(frozen=True, slots=True)
class LowBalance:
    """One notification: the user's balance is below their threshold (or, `is_test`, a test of channels)."""

    event_id: str
    user_id: int
    balance_nanos: int
    threshold_nanos: int
    email: str | None  # recipient; None: no email for this user
    webhook_url: str | None
    at: datetime
    is_test: bool = False

    @property
    def has_channels(self) -> bool:
        return self.email is not None or self.webhook_url is not None


@dataclass(frozen=True, slots=True)
class AlertSettings:
    threshold_nanos: int  # in effect: the user's own, else the server's default
    is_default_threshold: bool
    email: str | None  # where email alerts go; None: none
    webhook_url: str | None
    is_alerted: bool
    balance_nanos: int


class Keep(Enum):
    """An update argument left out: the setting stays as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


class AlertsError(LookupError):
    pass


def new_event_id() -> str:
    return "alert-" + new_generation_id().removeprefix("gen-")


def recipient(alert_email: str | None, account_email: str) -> str | None:
    """The `alert_email` column: None follows the account's email, "" turns email alerts off."""
    if alert_email is None:
        return account_email
    return alert_email or None


def threshold_in_effect(default_threshold_nanos: int) -> ColumnElement[int]:
    """SQL: the user's own threshold, else the server's default."""
    return func.coalesce(User.low_balance_threshold_nanos, default_threshold_nanos)


def rearm_expression(
    balance: SQLColumnExpression[int], threshold: SQLColumnExpression[int] | int
) -> ColumnElement[bool]:
    """The new `is_low_balance_alerted` of a row whose balance becomes `balance` (SQL over the row's values
    before the update): false at or above the threshold, unchanged below it."""
    return case((balance >= threshold, false()), else_=User.is_low_balance_alerted)


def flag_low_balances_sync(
    connection: Connection,
    user_ids: Iterable[int],
    default_threshold_nanos: int,
    now: datetime | None = None,
) -> list[LowBalance]:
    """After a batch of charges, in its transaction: the charged users now below their threshold and not yet
    alerted are flagged and returned. One statement for the whole batch; the rows are already locked by the
    batch's balance updates, so this waits on nobody."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    rows = connection.execute(
        update(User)
        .where(
            User.id.in_(ids),
            User.is_low_balance_alerted.is_(False),
            User.balance_nanos < threshold_in_effect(default_threshold_nanos),
        )
        .values(is_low_balance_alerted=True)
        .returning(
            User.id,
            User.email,
            User.alert_email,
            User.alert_webhook_url,
            User.balance_nanos,
            User.low_balance_threshold_nanos,
        )
    ).all()
    at = now or utcnow()
    return [
        LowBalance(
            event_id=new_event_id(),
            user_id=int(user_id),
            balance_nanos=int(balance),
            threshold_nanos=default_threshold_nanos if own is None else int(own),
            email=recipient(alert_email, account_email),
            webhook_url=webhook_url,
            at=at,
        )
        for user_id, account_email, alert_email, webhook_url, balance, own in sorted(rows)
    ]


async def get_settings(session: AsyncSession, user_id: int, default_threshold_nanos: int) -> AlertSettings:
    row = (
        await session.execute(
            select(
                User.email,
                User.low_balance_threshold_nanos,
                User.alert_email,
                User.alert_webhook_url,
                User.is_low_balance_alerted,
                User.balance_nanos,
            ).where(User.id == user_id)
        )
    ).first()
    if row is None:
        raise AlertsError(f"no user with id {user_id}")
    account_email, own, alert_email, webhook_url, is_alerted, balance = row
    return AlertSettings(
        threshold_nanos=default_threshold_nanos if own is None else int(own),
        is_default_threshold=own is None,
        email=recipient(alert_email, account_email),
        webhook_url=webhook_url,
        is_alerted=bool(is_alerted),
        balance_nanos=int(balance),
    )


async def update_settings(
    session: AsyncSession,
    user_id: int,
    default_threshold_nanos: int,
    *,
    threshold_nanos: int | Keep | None = KEEP,
    email: str | Keep | None = KEEP,
    webhook_url: str | Keep | None = KEEP,
) -> AlertSettings:
    """Changes what is given (None: the threshold back to the server's default, no email, no webhook). A
    threshold at or below the balance re-arms the alert; one above it alerts at the next charge."""
    values: dict[str, object] = {}
    if not isinstance(threshold_nanos, Keep):
        values["low_balance_threshold_nanos"] = threshold_nanos
        in_effect = default_threshold_nanos if threshold_nanos is None else threshold_nanos
        values["is_low_balance_alerted"] = rearm_expression(User.balance_nanos, in_effect)
    if not isinstance(email, Keep):
        account_email = await session.scalar(select(User.email).where(User.id == user_id))
        if account_email is None:
            raise AlertsError(f"no user with id {user_id}")
        # The account's own address is stored as "follow the account", anything else as given.
        values["alert_email"] = "" if email is None else (None if email == account_email else email)
    if not isinstance(webhook_url, Keep):
        values["alert_webhook_url"] = webhook_url
    if values:
        changed = await session.scalar(
            update(User).where(User.id == user_id).values(values).returning(User.id)
        )
        if changed is None:
            raise AlertsError(f"no user with id {user_id}")
    return await get_settings(session, user_id, default_threshold_nanos)
