"""``GET /v1/application-form``: the application's steps, for any form to render; no token."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from ff_api.applications.schemas import ApplicationForm, FormStep
from ff_api.services import Services
from ff_shared.domain.application import STEPS, example_for, step_json_schema


class ApplicationFormController(Controller):
    tags = ["public"]
    security = []

    @get(
        "/application-form",
        operation_id="describe_application_form",
        summary="The application's steps in order, each with its JSON Schema and a valid example",
    )
    async def application_form(self, services: NamedDependency[Services]) -> ApplicationForm:
        p = services.product
        return ApplicationForm(
            steps=[
                FormStep(
                    name=step,
                    position=i,
                    json_schema=step_json_schema(step, product=p),
                    example=example_for(step),
                )
                for i, step in enumerate(STEPS, start=1)
            ],
            product=p,
        )
