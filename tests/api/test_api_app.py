"""Building the app: every handler declares its parameters in the form Litestar 3 keeps."""

from __future__ import annotations

import warnings

from ff_api.app import create_app
from ff_shared.settings import Settings


def test_building_the_app_and_its_schema_warns_of_no_deprecation(settings: Settings) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = create_app(settings)
        schema = app.openapi_schema
    deprecations = [
        f"{w.filename}:{w.lineno}: {w.message}"
        for w in caught
        if issubclass(w.category, DeprecationWarning)
    ]
    assert deprecations == []
    assert schema.paths is not None
    assert "/v1/staff/applications/{application_id}/approve" in schema.paths
