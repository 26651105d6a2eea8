"""Generated but realistic UK households for the OBV simulator: a year of bank data each.

Five kinds, each deterministic for a seed: ``salaried`` (monthly pay, rent, bills, a savings
account), ``benefits`` (Universal Credit and Child Benefit), ``gig`` (irregular weekly platform
payouts), ``gambling_heavy`` (pay with several bets a week and the odd win) and
``returned_dd`` (low pay, an overdraft and direct debits returned unpaid). Transactions carry
London booking times with their offsets (+00:00 in winter, +01:00 in summer), AIS codes,
running balances and merchant details; the summary is computed from the same transactions with
the categories the generator knows, as a provider's categorisation engine would.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from ff_shared.clock import LONDON
from ff_shared.integrations.obv import schemas as wire

HOUSEHOLDS = ("salaried", "benefits", "gig", "gambling_heavy", "returned_dd")
Household = Literal["salaried", "benefits", "gig", "gambling_heavy", "returned_dd"]

INCOME = {"Salary", "Benefits", "Pension", "SelfEmployed"}
ESSENTIAL = {
    "Housing",
    "CouncilTax",
    "Utilities",
    "Communications",
    "Groceries",
    "Transport",
    "Childcare",
    "Insurance",
}
CREDIT = {"CreditCommitments"}
DISCRETIONARY = {"EatingOut", "Entertainment", "Shopping", "Cash"}
PENNY = Decimal("0.01")

_FIRST = ["AMELIA", "OLIVER", "PRIYA", "JAMES", "SOPHIE", "KWAME", "GRACE", "DANIEL", "AISHA"]
_LAST = ["SMITH", "JONES", "PATEL", "OBRIEN", "WILLIAMS", "NOWAK", "TAYLOR", "BROWN", "HUSSAIN"]
_EMPLOYERS = ["ACME LOGISTICS LTD", "NORTHGATE CARE LTD", "BRIGHTSIDE RETAIL PLC", "CITY COUNCIL"]
_GROCERS = [("TESCO STORES", "5411"), ("SAINSBURYS", "5411"), ("ALDI", "5411"), ("LIDL GB", "5411")]
_BOOKIES = [
    ("BET365", "7995"),
    ("SKY BETTING", "7995"),
    ("PADDY POWER", "7995"),
    ("WILLIAM HILL", "7995"),
    ("NATIONAL LOTTERY", "7995"),
]


@dataclass
class _Txn:
    account_id: str
    at: datetime
    amount: Decimal
    indicator: wire.CreditDebit
    description: str
    category: str
    code: tuple[str, str]
    proprietary: str
    merchant: tuple[str, str] | None = None
    returned: bool = False


def _money(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(PENNY, rounding=ROUND_HALF_UP)


def _amount(value: Decimal) -> wire.Amount:
    return wire.Amount(amount=f"{abs(value):.2f}", currency="GBP")


class _Builder:
    def __init__(self, rng: random.Random, start: date, end: date, current: str) -> None:
        self.rng = rng
        self.start = start
        self.end = end
        self.current = current
        self.txns: list[_Txn] = []

    def days(self) -> list[date]:
        count = (self.end - self.start).days
        return [self.start + timedelta(days=n) for n in range(count)]

    def monthly(self, day_of_month: int) -> list[date]:
        out = []
        for d in self.days():
            last = (d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            if d.day == min(day_of_month, last.day):
                out.append(d)
        return out

    def every(self, days: int, offset: int = 0) -> list[date]:
        return [d for i, d in enumerate(self.days()) if i % days == offset % days]

    def at(self, day: date, hour_from: int = 7, hour_to: int = 21) -> datetime:
        moment = time(self.rng.randint(hour_from, hour_to), self.rng.randint(0, 59))
        return datetime.combine(day, moment, tzinfo=LONDON)

    def add(
        self,
        day: date,
        amount: Decimal | float,
        indicator: wire.CreditDebit,
        description: str,
        category: str,
        *,
        kind: str = "card",
        merchant: tuple[str, str] | None = None,
        account: str | None = None,
        hours: tuple[int, int] = (7, 21),
        returned: bool = False,
    ) -> _Txn:
        codes = {
            "card": (("IssuedCreditTransfers", "CardPayment"), "POS"),
            "dd": (("IssuedDirectDebits", "DirectDebitPayment"), "DD"),
            "so": (("IssuedCreditTransfers", "StandingOrder"), "SO"),
            "credit": (("ReceivedCreditTransfers", "DomesticCreditTransfer"), "BGC"),
            "faster": (("ReceivedCreditTransfers", "DomesticCreditTransfer"), "FPI"),
            "transfer": (("IssuedCreditTransfers", "DomesticCreditTransfer"), "FPO"),
            "return": (("IssuedDirectDebits", "ReversalDueToPaymentReturn"), "DDR"),
            "fee": (("AccountManagement", "Fees"), "CHG"),
            "atm": (("CashWithdrawal", "CashWithdrawal"), "ATM"),
        }
        code, proprietary = codes[kind]
        txn = _Txn(
            account_id=account or self.current,
            at=self.at(day, *hours),
            amount=_money(amount),
            indicator=indicator,
            description=description,
            category=category,
            code=code,
            proprietary=proprietary,
            merchant=merchant,
            returned=returned,
        )
        self.txns.append(txn)
        return txn

    def uniform(self, low: float, high: float) -> Decimal:
        return _money(self.rng.uniform(low, high))


def _essentials(
    b: _Builder, *, rent: float, dependants: int, car: bool, childcare: bool = True
) -> None:
    rng = b.rng
    for d in b.monthly(1):
        b.add(d, rent, "Debit", "LANDLORD RENT", "Housing", kind="so", hours=(6, 8))
    council_tax = b.uniform(110, 165)
    for d in b.monthly(5):
        if d.month not in (2, 3):  # paid over ten months, April to January
            b.add(d, council_tax, "Debit", "CITY COUNCIL CTAX", "CouncilTax", kind="dd")
    energy, water = b.uniform(85, 160), b.uniform(32, 48)
    phone, broadband = b.uniform(12, 30), b.uniform(24, 36)
    for d in b.monthly(12):
        b.add(d, energy, "Debit", "OCTOPUS ENERGY", "Utilities", kind="dd")
    for d in b.monthly(15):
        b.add(d, water, "Debit", "THAMES WATER", "Utilities", kind="dd")
        b.add(d, phone, "Debit", "EE LIMITED", "Communications", kind="dd")
    for d in b.monthly(18):
        b.add(d, broadband, "Debit", "VIRGIN MEDIA", "Communications", kind="dd")
    if car:
        insurance = b.uniform(45, 80)
        for d in b.monthly(20):
            b.add(d, insurance, "Debit", "ADMIRAL INSURANCE", "Insurance", kind="dd")
    basket = 45 + 18 * dependants
    for d in b.days():
        if d.weekday() in (2, 5):
            grocer = rng.choice(_GROCERS)
            b.add(
                d,
                b.uniform(basket * 0.6, basket * 1.4),
                "Debit",
                grocer[0],
                "Groceries",
                merchant=grocer,
            )
        if d.weekday() < 5 and rng.random() < 0.35:
            if car:
                b.add(
                    d, b.uniform(35, 60), "Debit", "SHELL", "Transport", merchant=("SHELL", "5541")
                )
            else:
                b.add(
                    d,
                    b.uniform(2.8, 8.5),
                    "Debit",
                    "TFL TRAVEL CH",
                    "Transport",
                    merchant=("TFL", "4111"),
                )
    if dependants and childcare:
        for d in b.monthly(3):
            b.add(d, b.uniform(180, 320), "Debit", "BRIGHT KIDS NURSERY", "Childcare", kind="dd")


def _discretionary(b: _Builder, weekly: float) -> None:
    rng = b.rng
    for d in b.days():
        if rng.random() < weekly / 7:
            choice = rng.choice(
                [
                    ("DELIVEROO", "5812", "EatingOut", (8, 32)),
                    ("COSTA COFFEE", "5814", "EatingOut", (2.5, 7.5)),
                    ("AMAZON.CO.UK", "5942", "Shopping", (6, 60)),
                    ("PRIMARK", "5651", "Shopping", (8, 45)),
                    ("ODEON CINEMAS", "7832", "Entertainment", (8, 24)),
                ]
            )
            b.add(
                d,
                b.uniform(*choice[3]),
                "Debit",
                choice[0],
                choice[2],
                merchant=(choice[0], choice[1]),
            )
    for d in b.monthly(9):
        b.add(d, 10.99, "Debit", "NETFLIX.COM", "Entertainment", kind="dd")
    for d in b.every(23, 4):
        b.add(d, rng.choice([20, 30, 40]), "Debit", "CASH ATM", "Cash", kind="atm")


def _salary(b: _Builder, employer: str, net: float) -> None:
    for d in b.monthly(28):
        pay_day = d - timedelta(days=max(0, d.weekday() - 4))  # Friday when it falls at a weekend
        b.add(
            pay_day,
            b.uniform(net * 0.97, net * 1.03),
            "Credit",
            f"{employer} SALARY",
            "Salary",
            kind="credit",
            hours=(0, 2),
        )


def _credit_commitments(b: _Builder, monthly: float) -> None:
    for d in b.monthly(22):
        b.add(d, monthly, "Debit", "BARCLAYCARD", "CreditCommitments", kind="dd")


def _build(kind: Household, b: _Builder, savings: str | None) -> None:
    rng = b.rng
    if kind in ("salaried", "gambling_heavy"):
        _salary(b, rng.choice(_EMPLOYERS), rng.uniform(1_900, 2_700))
        _essentials(
            b, rent=rng.uniform(650, 950), dependants=rng.choice([0, 0, 1]), car=rng.random() < 0.5
        )
        _credit_commitments(b, rng.uniform(40, 120))
        _discretionary(b, weekly=3.0)
        if savings is not None:
            for d in b.monthly(29):
                amount = b.uniform(50, 150)
                b.add(d, amount, "Debit", "TO SAVINGS", "Transfer", kind="transfer")
                b.add(
                    d,
                    amount,
                    "Credit",
                    "FROM CURRENT ACCOUNT",
                    "Transfer",
                    kind="faster",
                    account=savings,
                )
    if kind == "gambling_heavy":
        for d in b.days():
            for _ in range(rng.choice([0, 0, 1, 1, 2])):
                bookie = rng.choice(_BOOKIES)
                b.add(
                    d,
                    rng.choice([5, 10, 10, 20, 25, 50]),
                    "Debit",
                    bookie[0],
                    "Gambling",
                    merchant=bookie,
                    hours=(12, 23),
                )
            if rng.random() < 0.04:
                bookie = rng.choice(_BOOKIES[:4])
                b.add(
                    d,
                    b.uniform(20, 300),
                    "Credit",
                    f"{bookie[0]} WITHDRAWAL",
                    "GamblingWinnings",
                    kind="faster",
                )
    if kind == "benefits":
        dependants = rng.choice([1, 2, 3])
        uc = rng.uniform(950, 1_400)
        for d in b.monthly(rng.randint(8, 20)):
            b.add(
                d,
                b.uniform(uc * 0.95, uc * 1.05),
                "Credit",
                "DWP UC",
                "Benefits",
                kind="credit",
                hours=(0, 2),
            )
        child = 102.40 + 67.60 * (dependants - 1)
        for d in b.every(28, 10):
            b.add(d, child, "Credit", "HMRC CHILD BENEFIT", "Benefits", kind="credit", hours=(0, 2))
        _essentials(
            b, rent=rng.uniform(380, 520), dependants=dependants, car=False, childcare=False
        )
        _discretionary(b, weekly=1.2)
    if kind == "gig":
        for d in b.days():
            if d.weekday() == 0:
                for platform in ("UBER BV", "DELIVEROO RIDER", "STUART DELIVERY"):
                    if rng.random() < 0.55:
                        b.add(
                            d,
                            b.uniform(90, 420),
                            "Credit",
                            f"{platform} PAYOUT",
                            "SelfEmployed",
                            kind="faster",
                            hours=(3, 9),
                        )
        _essentials(b, rent=rng.uniform(500, 800), dependants=0, car=True)
        _credit_commitments(b, rng.uniform(25, 80))
        _discretionary(b, weekly=2.0)
    if kind == "returned_dd":
        _salary(b, rng.choice(_EMPLOYERS), rng.uniform(1_050, 1_400))
        _essentials(b, rent=rng.uniform(520, 700), dependants=0, car=False)
        _credit_commitments(b, rng.uniform(60, 140))
        _discretionary(b, weekly=1.5)
        months = b.monthly(22)
        for d in rng.sample(months, k=min(len(months), rng.randint(3, 5))):
            payee = rng.choice(["BARCLAYCARD", "EE LIMITED", "ADMIRAL INSURANCE"])
            amount = b.uniform(40, 120)
            b.add(d, amount, "Debit", payee, "CreditCommitments", kind="dd", hours=(6, 7))
            b.add(
                d,
                amount,
                "Credit",
                f"UNPAID DD {payee}",
                "ReturnedPayment",
                kind="return",
                hours=(8, 9),
                returned=True,
            )


def _stream_frequency(
    count: int, irregular: bool
) -> Literal["Weekly", "Fortnightly", "FourWeekly", "Monthly", "Irregular"]:
    if irregular:
        return "Irregular"
    if count >= 48:
        return "Weekly"
    if count >= 24:
        return "Fortnightly"
    if count == 13:
        return "FourWeekly"
    if 10 <= count <= 12:
        return "Monthly"
    return "Irregular"


def _monthly(total: Decimal, months: int) -> wire.Amount:
    return _amount(_money(total / months))


def _summary(
    txns: list[_Txn], start: datetime, end: datetime, months: int, end_of_day: dict[date, Decimal]
) -> wire.Summary:
    streams: dict[tuple[str, str], list[_Txn]] = defaultdict(list)
    by_category: dict[str, Decimal] = defaultdict(Decimal)
    gambling = [t for t in txns if t.category == "Gambling"]
    returned = [t for t in txns if t.returned]
    for t in txns:
        if t.category in INCOME and t.indicator == "Credit":
            streams[t.category, t.description].append(t)
        elif t.indicator == "Debit":
            by_category[t.category] += t.amount
    income_total = sum((t.amount for group in streams.values() for t in group), Decimal(0))
    income = wire.Income(
        monthly_average=_monthly(income_total, months),
        streams=tuple(
            wire.IncomeStream(
                category=category,  # type: ignore[arg-type]
                description=description.removesuffix(" SALARY").removesuffix(" PAYOUT"),
                frequency=_stream_frequency(len(group), category == "SelfEmployed"),
                monthly_average=_monthly(sum((t.amount for t in group), Decimal(0)), months),
                occurrences=len(group),
            )
            for (category, description), group in sorted(streams.items())
        ),
    )
    essential_total = sum((v for k, v in by_category.items() if k in ESSENTIAL), Decimal(0))
    gambling_total = sum((t.amount for t in gambling), Decimal(0))
    share = (gambling_total / income_total) if income_total else Decimal(0)
    overdrawn = sum(1 for value in end_of_day.values() if value < 0)
    flags = []
    if gambling and share >= Decimal("0.05"):
        flags.append("Gambling")
    if returned:
        flags.append("ReturnedPayments")
    if overdrawn >= 30:
        flags.append("OverdraftReliance")
    if any(category == "SelfEmployed" for category, _d in streams):
        flags.append("IrregularIncome")
    return wire.Summary(
        currency="GBP",
        from_date_time=start,
        to_date_time=end,
        months_analysed=months,
        income=income,
        essential_spend=wire.EssentialSpend(
            monthly_average=_monthly(essential_total, months),
            categories=tuple(
                wire.SpendCategory(category=k, monthly_average=_monthly(v, months))
                for k, v in sorted(by_category.items())
                if k in ESSENTIAL
            ),
        ),
        credit_commitments=wire.MonthlySpend(
            monthly_average=_monthly(
                sum((v for k, v in by_category.items() if k in CREDIT), Decimal(0)), months
            )
        ),
        discretionary_spend=wire.MonthlySpend(
            monthly_average=_monthly(
                sum((v for k, v in by_category.items() if k in DISCRETIONARY), Decimal(0)), months
            )
        ),
        gambling=wire.Gambling(
            transaction_count=len(gambling),
            total=_amount(gambling_total),
            monthly_average=_monthly(gambling_total, months),
            share_of_income=f"{share.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):.4f}",
        ),
        returned_payments=wire.ReturnedPayments(
            count=len(returned),
            total=_amount(sum((t.amount for t in returned), Decimal(0))),
            last_date_time=max((t.at for t in returned), default=None),
        ),
        overdraft=wire.Overdraft(days_overdrawn=overdrawn),
        flags=tuple(flags),
    )


def _seed(*parts: object) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def household_for(reference: str) -> Household:
    """The household a reference gets when none is asked for: spread evenly over the kinds."""
    return HOUSEHOLDS[_seed(reference) % len(HOUSEHOLDS)]  # type: ignore[return-value]


def generate_report(
    *,
    reference: str,
    application_reference: str,
    household: Household,
    generated_at: datetime,
    self_url: str,
    seed: int = 0,
    extra_transactions: int = 0,
) -> wire.Report:
    """A year of one household's bank data up to ``generated_at``, with the provider's summary.

    ``extra_transactions`` adds that many small card payments, for reports as large as a
    benchmark needs."""
    rng = random.Random(_seed(reference, household, seed))
    end_local = generated_at.astimezone(LONDON)
    end_day = end_local.date()
    start_day = end_day - timedelta(days=365)
    current = f"{_seed(reference, 'current') % 10**10:010d}"
    savings = f"{_seed(reference, 'savings') % 10**10:010d}" if household == "salaried" else None
    b = _Builder(rng, start_day, end_day, current)
    _build(household, b, savings)
    for _ in range(extra_transactions):
        day = start_day + timedelta(days=rng.randrange(365))
        b.add(
            day,
            b.uniform(1, 15),
            "Debit",
            "CORNER SHOP",
            "Shopping",
            merchant=("CORNER SHOP", "5499"),
        )
    b.txns.sort(key=lambda t: (t.at, t.description))
    holder = f"{rng.choice(['MR', 'MS', 'MRS', 'MX'])} {rng.choice(_FIRST)[0]} {rng.choice(_LAST)}"
    accounts = [current] + ([savings] if savings else [])
    opening = {
        current: b.uniform(-350, -50) if household == "returned_dd" else b.uniform(150, 900),
        **({savings: b.uniform(300, 2_500)} if savings else {}),
    }
    running = dict(opening)
    end_of_day: dict[date, Decimal] = {}
    transactions: list[wire.Transaction] = []
    for n, t in enumerate(b.txns, start=1):
        running[t.account_id] += t.amount if t.indicator == "Credit" else -t.amount
        if t.account_id == current:
            end_of_day[t.at.date()] = running[current]
        balance = running[t.account_id]
        transactions.append(
            wire.Transaction(
                account_id=t.account_id,
                transaction_id=f"{t.account_id[-4:]}-{n:06d}-{_seed(reference, n) % 10**8:08d}",
                transaction_reference=t.proprietary + f"{n:06d}",
                credit_debit_indicator=t.indicator,
                status="Booked",
                booking_date_time=t.at,
                value_date_time=t.at.replace(hour=0, minute=0),
                transaction_information=t.description,
                amount=_amount(t.amount),
                bank_transaction_code=wire.BankTransactionCode(code=t.code[0], sub_code=t.code[1]),
                proprietary_bank_transaction_code=wire.ProprietaryBankTransactionCode(
                    code=t.proprietary, issuer="OBV"
                ),
                balance=wire.TransactionBalance(
                    amount=_amount(balance),
                    credit_debit_indicator="Credit" if balance >= 0 else "Debit",
                    type="InterimBooked",
                ),
                merchant_details=(
                    wire.MerchantDetails(
                        merchant_name=t.merchant[0], merchant_category_code=t.merchant[1]
                    )
                    if t.merchant
                    else None
                ),
            )
        )
    at = end_local.replace(microsecond=0)
    balances = []
    for account in accounts:
        value = running[account]
        indicator: wire.CreditDebit = "Credit" if value >= 0 else "Debit"
        lines = (
            (wire.CreditLine(included=True, type="Pre-Agreed", amount=_amount(Decimal(500))),)
            if household == "returned_dd" and account == current
            else ()
        )
        for kind in ("InterimBooked", "ClosingAvailable"):
            balances.append(
                wire.Balance(
                    account_id=account,
                    credit_debit_indicator=indicator,
                    type=kind,
                    date_time=at,
                    amount=_amount(value),
                    credit_line=lines if kind == "ClosingAvailable" else (),
                )
            )
    sort_code = f"{_seed(reference, 'sort') % 10**6:06d}"
    wire_accounts = tuple(
        wire.Account(
            account_id=account,
            currency="GBP",
            account_type="Personal",
            account_sub_type="CurrentAccount" if account == current else "Savings",
            nickname="Everyday" if account == current else "Rainy day",
            account=(
                wire.AccountIdentification(
                    scheme_name="UK.OBIE.SortCodeAccountNumber",
                    identification=sort_code + account[-8:],
                    name=holder,
                ),
            ),
        )
        for account in accounts
    )
    start = datetime.combine(start_day, time(0), tzinfo=LONDON)
    summary = _summary(b.txns, start, at, 12, end_of_day)
    return wire.Report(
        data=wire.ReportData(
            reference=reference,
            application_reference=application_reference,
            generated_date_time=at,
            account=wire_accounts,
            balance=tuple(balances),
            transaction=tuple(transactions),
            summary=summary,
        ),
        links=wire.Links(self=self_url),
        meta=wire.Meta(
            total_pages=1,
            first_available_date_time=start,
            last_available_date_time=at,
        ),
    )
