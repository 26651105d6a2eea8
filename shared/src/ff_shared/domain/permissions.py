"""Who on the staff may do what: the one permission table.

Every staff route names one permission; the API's guard looks it up here. Roles come from the
staff user pool's groups. A role not listed for a permission is refused (403).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    UNDERWRITER = "underwriter"
    SENIOR_UNDERWRITER = "senior_underwriter"
    OPERATIONS = "operations"
    ANALYST = "analyst"
    ADMIN = "admin"


ALL_ROLES = frozenset(Role)
UNDERWRITING = frozenset({Role.UNDERWRITER, Role.SENIOR_UNDERWRITER, Role.ADMIN})

CASEWORK = frozenset({Role.UNDERWRITER, Role.SENIOR_UNDERWRITER, Role.OPERATIONS, Role.ADMIN})
"""Everyone who works customers' cases; analysts see aggregates only, never a person's file."""

PERMISSIONS: dict[str, frozenset[Role]] = {
    "staff.self": ALL_ROLES,
    # Journey analytics: "analyst and up" is the analyst and the admin (others see no funnels).
    "analytics.read": frozenset({Role.ANALYST, Role.ADMIN}),
    "applications.read": CASEWORK,
    "applications.assign": UNDERWRITING,
    "applications.decide": UNDERWRITING,
    "applications.confirm": frozenset({Role.SENIOR_UNDERWRITER}),
    "applications.note": CASEWORK,
    "customers.read": CASEWORK,
    "customers.note": CASEWORK,
    "customers.edit": frozenset({Role.OPERATIONS, Role.ADMIN}),
    "customers.export": frozenset({Role.OPERATIONS, Role.ADMIN}),
    "customers.erase": frozenset({Role.ADMIN}),
    # The nightly loan-book backup: runs, re-runs, restores and rollback.
    "ops.lms": frozenset({Role.OPERATIONS, Role.ADMIN}),
    "documents.read": CASEWORK,
    "documents.upload": CASEWORK,
    "audit.read": frozenset({Role.ADMIN}),
    "loans.read": CASEWORK,
    # Business and portfolio reports (aggregates, small cells suppressed) and the pipeline runs.
    "reports.read": frozenset({Role.ANALYST, Role.OPERATIONS, Role.ADMIN}),
    # Forbearance (payment plans, breathing space): those who work arrears, never analysts.
    "payments.forbearance": frozenset({Role.SENIOR_UNDERWRITER, Role.OPERATIONS, Role.ADMIN}),
    "payments.operate": frozenset({Role.OPERATIONS, Role.ADMIN}),
}


def roles_from_groups(groups: Iterable[str]) -> frozenset[Role]:
    known = {r.value for r in Role}
    return frozenset(Role(g) for g in groups if g in known)


def allowed(permission: str, roles: Iterable[Role]) -> bool:
    """Unknown permissions are refused: a route that forgot to register one is closed, not open."""
    permitted = PERMISSIONS.get(permission)
    return permitted is not None and any(role in permitted for role in roles)


def permissions_of(roles: Iterable[Role]) -> list[str]:
    held = set(roles)
    return sorted(name for name, permitted in PERMISSIONS.items() if held & permitted)
