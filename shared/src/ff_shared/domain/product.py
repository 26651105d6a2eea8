"""The loan product: which amounts and terms may be offered, and at what rate."""

from collections.abc import Iterator

import msgspec

from ff_shared.domain.money import format_pence


class LoanProduct(msgspec.Struct, frozen=True, kw_only=True):
    """A fixed-rate, fee-free, level-instalment unsecured personal loan.

    Amounts run from ``min_amount_pence`` to ``max_amount_pence`` in ``amount_step_pence``
    steps counted from the minimum; every whole number of months between the term bounds is
    allowed. ``annual_rate_bps`` is the nominal annual rate (3600 = 36.0%), charged monthly at
    one twelfth of it.
    """

    code: str = "personal_loan"
    min_amount_pence: int = 20_000
    max_amount_pence: int = 300_000
    amount_step_pence: int = 5_000
    min_term_months: int = 3
    max_term_months: int = 24
    annual_rate_bps: int = 3_600

    def __post_init__(self) -> None:
        # A misconfigured product would quietly make every application undecidable, so it
        # fails loudly where it is built (settings parsing) instead.
        if not 0 < self.min_amount_pence <= self.max_amount_pence:
            raise ValueError("product amounts need 0 < min_amount_pence <= max_amount_pence")
        if self.amount_step_pence <= 0:
            raise ValueError("product amount_step_pence must be positive")
        if not 0 < self.min_term_months <= self.max_term_months:
            raise ValueError("product terms need 0 < min_term_months <= max_term_months")
        if self.annual_rate_bps < 0:
            raise ValueError("product annual_rate_bps must not be negative")

    def amount_allowed(self, pence: int) -> bool:
        return (
            self.min_amount_pence <= pence <= self.max_amount_pence
            and (pence - self.min_amount_pence) % self.amount_step_pence == 0
        )

    def term_allowed(self, months: int) -> bool:
        return self.min_term_months <= months <= self.max_term_months

    def amounts(self) -> Iterator[int]:
        """Every allowed amount, smallest first."""
        return iter(range(self.min_amount_pence, self.max_amount_pence + 1, self.amount_step_pence))

    def terms(self) -> Iterator[int]:
        """Every allowed term in months, shortest first."""
        return iter(range(self.min_term_months, self.max_term_months + 1))

    def amount_rule(self) -> str:
        """The amount rule in words, for customer-facing messages."""
        return (
            f"amount must be between {format_pence(self.min_amount_pence)} and "
            f"{format_pence(self.max_amount_pence)} in steps of "
            f"{format_pence(self.amount_step_pence)}"
        )

    def term_rule(self) -> str:
        """The term rule in words, for customer-facing messages."""
        return f"term must be between {self.min_term_months} and {self.max_term_months} months"
