"""Local-stack seeders for the staff portal: the documents bucket, the verified e-mail sender,
and one submitted application waiting in the review queue."""

from __future__ import annotations

import copy

import aioboto3
import msgspec

from ff_shared.clock import london_date, now_utc
from ff_shared.domain.application import STEPS, StepStruct, assemble, validate_step
from ff_shared.domain.decision import decide
from ff_shared.domain.lifecycle import Action, next_status
from ff_shared.domain.product import LoanProduct
from ff_shared.domain.records import ApplicationStatus
from ff_shared.domain.steps import EXAMPLES
from ff_shared.integrations.aws.s3 import ensure_bucket
from ff_shared.settings import load_settings
from ff_shared.stores.mongo import close_mongo, connect_mongo
from ff_shared.stores.mongo.applications import ApplicationRepository
from ff_shared.stores.mongo.customers import ensure_profile
from ff_standins.dev.stack import Stack

DEMO_APPLICANT = "demo.customer2@example.com"


async def seed_documents_and_email(stack: Stack) -> None:
    settings = load_settings(stack.env)
    session = aioboto3.Session(region_name=stack.aws_region)
    async with session.client("s3", endpoint_url=stack.aws_endpoint_url) as s3:
        await ensure_bucket(s3, bucket=settings.documents.bucket, region=stack.aws_region)
    async with session.client("ses", endpoint_url=stack.aws_endpoint_url) as ses:
        await ses.verify_email_identity(EmailAddress=settings.email.sender)


async def seed_review_demo(stack: Stack) -> None:
    """Three submitted applications of the second demo customer, unless they already have some:
    the review walkthrough (docs/staff-api.md) takes the first two, repayments (docs/payments.md)
    the third."""
    settings = load_settings(stack.env)
    pool = stack.pools["customer"]
    session = aioboto3.Session(region_name=stack.aws_region)
    async with session.client("cognito-idp", endpoint_url=stack.aws_endpoint_url) as cognito:
        user = await cognito.admin_get_user(UserPoolId=pool.pool_id, Username=DEMO_APPLICANT)
    customer_id = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    mongo = await connect_mongo(settings.mongo)
    applications = ApplicationRepository(mongo[settings.mongo.database])
    try:
        if await applications.all_for_customer(customer_id):
            return
        now = now_utc()
        today = london_date(now)
        product = LoanProduct(**msgspec.structs.asdict(settings.product))
        await ensure_profile(customer_id, email=DEMO_APPLICANT, now=now)
        # One under the four-eyes threshold, one over it, and one more under it.
        for amount, term in ((120_000, 12), (200_000, 24), (110_000, 12)):
            answers = copy.deepcopy(EXAMPLES)
            answers["personal"].update(first_name="Jordan", last_name="Demo", email=DEMO_APPLICANT)
            answers["loan"].update(amount_pence=amount, term_months=term)
            record = await applications.create(customer_id, now)
            steps: dict[str, StepStruct] = {}
            for step in STEPS:
                steps[step] = validate_step(step, answers[step], today=today, product=product)
                record = await applications.save_step(
                    record.id,
                    customer_id=customer_id,
                    step=step,
                    data=msgspec.to_builtins(steps[step]),
                    expected_version=record.version,
                    now=now,
                )
            decision = decide(assemble(steps), product=product, today=today)
            status = next_status(ApplicationStatus.DRAFT, Action.SUBMIT, outcome=decision.outcome)
            submitted = await applications.record_submission(
                record.id,
                customer_id=customer_id,
                expected_version=record.version,
                status=status,
                decision=msgspec.to_builtins(decision),
                idempotency_key=None,
                now=now,
            )
            if submitted is not None:
                print(
                    f"review     {submitted.reference} ({submitted.status.value}) from Jordan Demo"
                )
    finally:
        await close_mongo(mongo)
