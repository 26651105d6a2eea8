"""moto server, with ``/moto-api/data.json`` that always answers.

moto's dump of every model reads each attribute of each object it tracks; an S3 object whose
bucket is gone (a finished multipart upload's parts, until they are collected) raises on one of
them, and the whole dump is a 500. Here an attribute that raises is left out, as moto already does
for one that is not JSON, so the local stack's e-mails (SES) can be read at any time.

Its SQS is moto's with :mod:`ff_standins.moto_sqs` installed: the same API, with each call's cost
independent of the queue's backlog (moto's own walks every stored message several times per call),
and the list of moto's services a request is matched against is read once, not per request.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from moto import backends
from moto.moto_api._internal.responses import MotoAPIResponse

from ff_standins import (
    moto_cognito,  # noqa: F401 - adds ResendConfirmationCode to moto's Cognito
    moto_sqs,
)


def _model_data(self: MotoAPIResponse, request: Any, full_url: str, headers: Any) -> Any:
    from moto.core.model_instances import model_data  # filled in as moto runs

    results: dict[str, dict[str, list[Any]]] = {}
    for service in sorted(model_data):
        models = model_data[service]
        results[service] = {}
        for name in sorted(models):
            rows = results[service][name] = []
            for instance in models[name].instances_tracked:  # type: ignore[attr-defined]
                row = {}
                for attr in dir(instance):
                    if attr.startswith("_"):
                        continue
                    try:
                        value = getattr(instance, attr)
                        json.dumps(value)
                    except Exception:  # noqa: BLE001, S112 - moto's own objects, left out
                        continue
                    row[attr] = value
                rows.append(row)
    return 200, {"Content-Type": "application/javascript"}, json.dumps(results)


MotoAPIResponse.model_data = _model_data  # type: ignore[method-assign]

_MOTO_MODULES = tuple(backends.list_of_moto_modules())


def _moto_modules() -> Iterable[str]:
    """moto's service packages, listed once: moto lists its own directory (a ``stat`` per
    service, about 170) on every request to find the service a request is for."""
    return _MOTO_MODULES


backends.list_of_moto_modules = _moto_modules
moto_sqs.install()


def main() -> None:
    from moto.server import main as moto_main  # after the patch above

    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()
