"""The lender's business rules as pure code: no I/O, only the standard library and msgspec.

Money is integer pence throughout; dates are plain ``datetime.date`` values chosen by the caller
(today in Europe/London), so every function here is deterministic and testable without fakes.
"""
