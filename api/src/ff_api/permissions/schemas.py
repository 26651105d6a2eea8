"""The staff member's own roles and permissions."""

from __future__ import annotations

import msgspec


class StaffMe(msgspec.Struct, kw_only=True):
    id: str
    username: str
    roles: list[str]
    permissions: list[str]
