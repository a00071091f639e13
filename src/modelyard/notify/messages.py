"""What an alert says: one email in English and Simplified Chinese, and the webhook's JSON body."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import orjson

from modelyard.billing.alerts import LowBalance
from modelyard.kit.money import nanos_to_usd_str


def _usd(nanos: int) -> str:
    return f"${nanos_to_usd_str(nanos)}"


def email_subject(alert: LowBalance) -> str:
    threshold = _usd(alert.threshold_nanos)
    if alert.is_test:
        return "[Test] Modelyard low-balance alert / [测试] Modelyard 低余额提醒"
    return f"Modelyard: your balance is below {threshold} / 您的余额已低于 {threshold}"


def email_text(alert: LowBalance) -> str:
    balance, threshold = _usd(alert.balance_nanos), _usd(alert.threshold_nanos)
    when = alert.at.strftime("%Y-%m-%d %H:%M UTC")
    if alert.is_test:
        english = (
            "This is a test of your Modelyard low-balance alert.\n"
            f"Your balance is {balance}. When a charge takes it below {threshold}, you will get an alert "
            "like this one."
        )
        chinese = (
            "这是一条 Modelyard 低余额提醒的测试消息。\n"
            f"您当前的余额为 {balance}。当扣费使余额低于 {threshold} 时,您会收到这样的提醒。"
        )
    else:
        english = (
            f"Your Modelyard balance is {balance}, below your alert threshold of {threshold} "
            f"(as of {when}).\n"
            "Add credit to keep your requests running. You will not be alerted again until your balance "
            f"is back at {threshold} or above and falls below it again."
        )
        chinese = (
            f"您的 Modelyard 余额为 {balance},已低于您设置的提醒阈值 {threshold}(截至 {when})。\n"
            f"请及时充值,以免请求因余额不足而失败。余额回到 {threshold} 及以上之后再次低于阈值时,"
            "才会再次提醒。"
        )
    return f"{english}\n\n{chinese}\n"


def email_message(alert: LowBalance, sender: str) -> EmailMessage:
    assert alert.email is not None
    message = EmailMessage()
    message["From"] = sender
    message["To"] = alert.email
    message["Subject"] = email_subject(alert)
    message["Date"] = format_datetime(alert.at)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=alert.event_id, domain=domain)
    message.set_content(email_text(alert))
    return message


def webhook_body(alert: LowBalance) -> bytes:
    """The JSON a webhook receives; retries send the very same bytes (`id` tells a repeat apart)."""
    return orjson.dumps(
        {
            "type": "low_balance",
            "id": alert.event_id,
            "user_id": alert.user_id,
            "balance": nanos_to_usd_str(alert.balance_nanos),
            "threshold": nanos_to_usd_str(alert.threshold_nanos),
            "at": alert.at.isoformat().replace("+00:00", "Z"),
            "test": alert.is_test,
        }
    )
