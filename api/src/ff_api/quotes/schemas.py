"""The loan calculator's request (the answer is the domain's ``Quote``)."""

from __future__ import annotations

from typing import Annotated

import msgspec


class QuoteRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    amount_pence: Annotated[
        int, msgspec.Meta(ge=1, le=100_000_000, description="Loan amount in pence")
    ]
    term_months: Annotated[int, msgspec.Meta(ge=1, le=600, description="Term in whole months")]
