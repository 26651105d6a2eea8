"""The tracker's SQS FIFO queues: send (group = session, dedup = event id), receive, delete.

Calls go through an aioboto3 SQS client made at start-up. Queue creation (with a DLQ and a
redrive policy) is for the local stack, tests and benches; in AWS, Terraform owns the queues.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec
import structlog
from botocore.exceptions import BotoCoreError, ClientError

from ff_shared.domain.tracking.events import StampedEvent

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient
else:
    SQSClient = Any

log = structlog.get_logger()

SQS_BATCH = 10
"""SQS's own limit on entries per batch call and messages per receive."""

_encoder = msgspec.json.Encoder()


class QueueError(Exception):
    """SQS could not be reached or refused a whole call: retry later, nothing was lost."""


class Received(msgspec.Struct, frozen=True, kw_only=True):
    message_id: str
    receipt_handle: str
    body: bytes
    receive_count: int


class QueueDepth(msgspec.Struct, frozen=True, kw_only=True):
    visible: int
    in_flight: int

    @property
    def empty(self) -> bool:
        return self.visible == 0 and self.in_flight == 0


def encode_event(event: StampedEvent) -> str:
    return _encoder.encode(event).decode()


async def send_events(
    sqs: SQSClient, queue_url: str, events: Sequence[StampedEvent]
) -> tuple[list[str], list[str]]:
    """Send in batches of ten, in the given order (each session's order is kept); return
    (sent event ids, failed event ids). A call that fails outright fails its ten events."""
    sent: list[str] = []
    failed: list[str] = []
    for start in range(0, len(events), SQS_BATCH):
        chunk = events[start : start + SQS_BATCH]
        entries: Any = [
            {
                "Id": str(i),
                "MessageBody": encode_event(e),
                "MessageGroupId": e.session_id,
                "MessageDeduplicationId": e.event_id,
            }
            for i, e in enumerate(chunk)
        ]
        try:
            answer = await sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        except (ClientError, BotoCoreError) as exc:
            log.warning("tracker_send_failed", error=type(exc).__name__, events=len(chunk))
            failed += [e.event_id for e in chunk]
            continue
        bad = {int(f["Id"]) for f in answer.get("Failed", [])}
        for i, e in enumerate(chunk):
            (failed if i in bad else sent).append(e.event_id)
    return sent, failed


async def receive(
    sqs: SQSClient,
    queue_url: str,
    *,
    max_messages: int = SQS_BATCH,
    wait_seconds: int = 0,
    visibility_timeout: int | None = None,
) -> list[Received]:
    options: dict[str, Any] = {}
    if visibility_timeout is not None:
        options["VisibilityTimeout"] = visibility_timeout
    try:
        answer = await sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(max_messages, SQS_BATCH),
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
            **options,
        )
    except (ClientError, BotoCoreError) as exc:
        raise QueueError(f"receive from the tracker queue failed: {type(exc).__name__}") from exc
    return [
        Received(
            message_id=m["MessageId"],
            receipt_handle=m["ReceiptHandle"],
            body=m["Body"].encode(),
            receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", "1")),
        )
        for m in answer.get("Messages", [])
    ]


async def delete(sqs: SQSClient, queue_url: str, receipts: Sequence[str]) -> int:
    """Delete in batches of ten, concurrently; return how many were deleted."""

    async def one(chunk: Sequence[str]) -> int:
        entries: Any = [{"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(chunk)]
        answer = await sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
        return len(answer.get("Successful", []))

    chunks = [receipts[i : i + SQS_BATCH] for i in range(0, len(receipts), SQS_BATCH)]
    try:
        counts = await asyncio.gather(*(one(c) for c in chunks))
    except (ClientError, BotoCoreError) as exc:
        raise QueueError(f"delete from the tracker queue failed: {type(exc).__name__}") from exc
    return sum(counts)


async def release(sqs: SQSClient, queue_url: str, receipt: str, *, delay_seconds: int) -> None:
    """Make a message visible again after ``delay_seconds``; each receive counts to the DLQ."""
    try:
        await sqs.change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=delay_seconds
        )
    except (ClientError, BotoCoreError) as exc:
        raise QueueError(f"releasing a message failed: {type(exc).__name__}") from exc


async def depth(sqs: SQSClient, queue_url: str) -> QueueDepth:
    try:
        answer = await sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )
    except (ClientError, BotoCoreError) as exc:
        raise QueueError(f"reading the queue's depth failed: {type(exc).__name__}") from exc
    attrs = answer.get("Attributes", {})
    return QueueDepth(
        visible=int(attrs.get("ApproximateNumberOfMessages", "0")),
        in_flight=int(attrs.get("ApproximateNumberOfMessagesNotVisible", "0")),
    )


class QueuePair(msgspec.Struct, frozen=True, kw_only=True):
    queue_url: str
    dlq_url: str


async def ensure_queue_pair(
    sqs: SQSClient, name: str, *, max_receives: int, visibility_timeout: int
) -> QueuePair:
    """Create ``name.fifo`` and its DLQ ``name-dlq.fifo`` with a redrive policy (idempotent)."""
    dlq = await sqs.create_queue(
        QueueName=f"{name}-dlq.fifo",
        Attributes={"FifoQueue": "true", "MessageRetentionPeriod": "1209600"},
    )
    dlq_url = dlq["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    queue = await sqs.create_queue(
        QueueName=f"{name}.fifo",
        Attributes={
            "FifoQueue": "true",
            "VisibilityTimeout": str(visibility_timeout),
            "MessageRetentionPeriod": "1209600",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": arn, "maxReceiveCount": str(max_receives)}
            ),
        },
    )
    return QueuePair(queue_url=queue["QueueUrl"], dlq_url=dlq_url)


def dlq_url_of(queue_url: str) -> str:
    """The DLQ beside a queue made by :func:`ensure_queue_pair`."""
    return queue_url.removesuffix(".fifo") + "-dlq.fifo"
