"""The arithmetic ``ff obv-verify`` re-does: per-account figures, transactions and balances,
compared between the archived payload and the rows."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime

import msgspec

from ff_shared.domain.open_banking import OpenBankingReport


class AccountFigures(msgspec.Struct, frozen=True, kw_only=True):
    """What a verification compares for one account: counts and sums in pence."""

    transaction_count: int
    credits_pence: int
    debits_pence: int
    """Total of the debits, as a positive number."""
    balance_count: int
    balances_pence: int
    """Sum of the account's signed balances (a checksum over every balance row)."""

    @property
    def net_pence(self) -> int:
        return self.credits_pence - self.debits_pence


class Mismatch(msgspec.Struct, frozen=True, kw_only=True):
    """One disagreement found by verification."""

    check: str
    subject: str
    expected: str
    found: str


def account_figures(report: OpenBankingReport) -> dict[str, AccountFigures]:
    """Counts and sums per account, from a report as the platform reads it."""
    counts: Counter[str] = Counter()
    credits: Counter[str] = Counter()
    debits: Counter[str] = Counter()
    balance_counts: Counter[str] = Counter()
    balance_sums: Counter[str] = Counter()
    for tx in report.transactions:
        counts[tx.account_id] += 1
        if tx.amount_pence > 0:
            credits[tx.account_id] += tx.amount_pence
        else:
            debits[tx.account_id] -= tx.amount_pence
    for balance in report.balances:
        balance_counts[balance.account_id] += 1
        balance_sums[balance.account_id] += balance.amount_pence
    return {
        account.account_id: AccountFigures(
            transaction_count=counts[account.account_id],
            credits_pence=credits[account.account_id],
            debits_pence=debits[account.account_id],
            balance_count=balance_counts[account.account_id],
            balances_pence=balance_sums[account.account_id],
        )
        for account in report.accounts
    }


def compare_figures(
    expected: Mapping[str, AccountFigures],
    found: Mapping[str, AccountFigures],
    *,
    subject: str,
    check: str,
) -> list[Mismatch]:
    """Every account and every figure that differs between two views of the same version."""
    mismatches: list[Mismatch] = []
    for account_id in sorted(set(expected) | set(found)):
        want, have = expected.get(account_id), found.get(account_id)
        where = f"{subject} account {account_id}"
        if want is None or have is None:
            mismatches.append(
                Mismatch(
                    check=f"{check}.account",
                    subject=where,
                    expected="present" if want is not None else "absent",
                    found="present" if have is not None else "absent",
                )
            )
            continue
        for field in msgspec.structs.fields(AccountFigures):
            a, b = getattr(want, field.name), getattr(have, field.name)
            if a != b:
                mismatches.append(
                    Mismatch(
                        check=f"{check}.{field.name}", subject=where, expected=str(a), found=str(b)
                    )
                )
    return mismatches


class TransactionFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What verification compares for one transaction, from the payload or from the rows."""

    account_id: str
    transaction_id: str
    status: str
    booked_at: datetime
    amount_pence: int
    running_balance_pence: int | None


def transaction_facts(report: OpenBankingReport) -> list[TransactionFacts]:
    return [
        TransactionFacts(
            account_id=t.account_id,
            transaction_id=t.transaction_id,
            status=t.status,
            booked_at=t.booked_at,
            amount_pence=t.amount_pence,
            running_balance_pence=t.running_balance_pence,
        )
        for t in report.transactions
    ]


def compare_transactions(
    expected: Iterable[TransactionFacts],
    found: Iterable[TransactionFacts],
    *,
    subject: str,
    limit: int = 20,
) -> list[Mismatch]:
    """Transactions missing from the rows, extra in them, or stored with other values; at most
    ``limit`` are listed, then one line counts the rest."""
    want = {(t.account_id, t.transaction_id): t for t in expected}
    have = {(t.account_id, t.transaction_id): t for t in found}
    mismatches: list[Mismatch] = []
    for key in sorted(set(want) | set(have)):
        a, b = want.get(key), have.get(key)
        where = f"{subject} account {key[0]} transaction {key[1]}"
        if a is None or b is None:
            mismatches.append(
                Mismatch(
                    check="transaction.present",
                    subject=where,
                    expected="present" if a is not None else "absent",
                    found="present" if b is not None else "absent",
                )
            )
            continue
        for field in ("status", "booked_at", "amount_pence", "running_balance_pence"):
            x, y = getattr(a, field), getattr(b, field)
            if x != y:
                mismatches.append(
                    Mismatch(
                        check=f"transaction.{field}", subject=where, expected=str(x), found=str(y)
                    )
                )
    if len(mismatches) > limit:
        rest = len(mismatches) - limit
        mismatches = mismatches[:limit]
        mismatches.append(
            Mismatch(check="transaction.more", subject=subject, expected="0", found=str(rest))
        )
    return mismatches


BOOKED_BALANCE_TYPES = frozenset({"ClosingBooked", "InterimBooked"})
"""Balance types that must equal the running balance after the last booked transaction."""


class BalanceFacts(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    type: str
    amount_pence: int
    at: datetime


def _booked_in_order(
    transactions: Iterable[TransactionFacts],
) -> dict[str, list[TransactionFacts]]:
    """Each account's booked transactions that carry a running balance, oldest first.

    Providers list transactions newest or oldest first, so a listing is turned oldest-first
    before the (stable) sort, and transactions booked at the same moment keep the order the
    provider gave them.
    """
    by_account: dict[str, list[TransactionFacts]] = {}
    for tx in transactions:
        if tx.status.lower() == "booked" and tx.running_balance_pence is not None:
            by_account.setdefault(tx.account_id, []).append(tx)
    for listed in by_account.values():
        if listed[0].booked_at > listed[-1].booked_at:
            listed.reverse()
        listed.sort(key=lambda tx: tx.booked_at)
    return by_account


def running_balance_breaks(
    transactions: Iterable[TransactionFacts], *, subject: str
) -> list[Mismatch]:
    """Where an account's running balance does not follow from the one before and the amount:
    each must equal the previous balance plus the transaction's own signed amount."""
    breaks: list[Mismatch] = []
    for account_id, listed in sorted(_booked_in_order(transactions).items()):
        for before, tx in itertools.pairwise(listed):
            assert before.running_balance_pence is not None
            expected = before.running_balance_pence + tx.amount_pence
            if tx.running_balance_pence != expected:
                breaks.append(
                    Mismatch(
                        check="running_balance",
                        subject=f"{subject} account {account_id} transaction {tx.transaction_id}",
                        expected=str(expected),
                        found=str(tx.running_balance_pence),
                    )
                )
    return breaks


def booked_balance_breaks(
    balances: Iterable[BalanceFacts], transactions: Iterable[TransactionFacts], *, subject: str
) -> list[Mismatch]:
    """Booked balances (closing or interim) that differ from the running balance after the
    account's last booked transaction."""
    last = {
        account_id: listed[-1].running_balance_pence
        for account_id, listed in _booked_in_order(transactions).items()
    }
    breaks: list[Mismatch] = []
    for balance in balances:
        if balance.type not in BOOKED_BALANCE_TYPES or balance.account_id not in last:
            continue
        expected = last[balance.account_id]
        if balance.amount_pence != expected:
            breaks.append(
                Mismatch(
                    check="booked_balance",
                    subject=f"{subject} account {balance.account_id} balance {balance.type}",
                    expected=str(expected),
                    found=str(balance.amount_pence),
                )
            )
    return breaks
