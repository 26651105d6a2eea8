"""What ``ff dev``'s seeders share: the stack being built, and the shape of a seeder."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec

from ff_workers.cli.devstate import PoolState


class Stack(msgspec.Struct, kw_only=True):
    """What the seeders have learnt; each adds its FF_ variables to ``env``."""

    env: dict[str, str]
    pools: dict[str, PoolState]
    aws_endpoint_url: str
    aws_region: str


Seeder = Callable[[Stack], Awaitable[None]]
