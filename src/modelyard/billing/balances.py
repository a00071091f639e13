"""Spendable balances kept in memory, so the relay checks credit without a database round trip.

available = balance in the database - charges queued but not yet written - reservations of requests in flight.

A request reserves the most it can cost before the upstream is called and releases the reservation when its
charge is queued. Within one process this makes concurrent requests unable to overspend. Across several
processes each sees the others' spending at the next refresh; the database-backed holds of the credits issue
close that gap.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class _Account:
    stored_nanos: int
    pending_nanos: int = 0
    reserved_nanos: int = 0

    @property
    def available_nanos(self) -> int:
        return self.stored_nanos - self.pending_nanos - self.reserved_nanos


class BalanceBook:
    def __init__(self) -> None:
        self._accounts: dict[int, _Account] = {}

    def knows(self, user_id: int) -> bool:
        return user_id in self._accounts

    def available_nanos(self, user_id: int) -> int:
        account = self._accounts.get(user_id)
        return account.available_nanos if account else 0

    def reserve(self, user_id: int, amount_nanos: int) -> bool:
        """Reserves the amount if the balance covers it. A request that can cost nothing still needs a
        balance that is not negative."""
        account = self._accounts.get(user_id)
        if account is None:
            return False
        available = account.available_nanos
        if available < amount_nanos or available < 0:
            return False
        account.reserved_nanos += amount_nanos
        return True

    def release(self, user_id: int, amount_nanos: int) -> None:
        account = self._accounts.get(user_id)
        if account is not None:
            account.reserved_nanos -= amount_nanos

    def settle(self, user_id: int, reserved_nanos: int, charge_nanos: int) -> None:
        """The request finished: its reservation becomes a queued charge of the actual cost."""
        account = self._accounts.get(user_id)
        if account is not None:
            account.reserved_nanos -= reserved_nanos
            account.pending_nanos += charge_nanos

    def written(self, user_id: int, charged_nanos: int, stored_nanos: int) -> None:
        """Charges reached the database; `stored_nanos` is the balance it returned."""
        account = self._accounts.get(user_id)
        if account is None:
            self._accounts[user_id] = _Account(stored_nanos)
            return
        account.pending_nanos -= charged_nanos
        account.stored_nanos = stored_nanos

    def load(self, stored: dict[int, int]) -> None:
        """Fresh balances read from the database while no write of ours was in flight."""
        for user_id, nanos in stored.items():
            account = self._accounts.get(user_id)
            if account is None:
                self._accounts[user_id] = _Account(nanos)
            else:
                account.stored_nanos = nanos
