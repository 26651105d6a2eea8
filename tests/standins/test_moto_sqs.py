"""SQS FIFO semantics of the local stack's moto (``ff_standins.moto_sqs``), through aioboto3.

The patch replaces how moto stores and finds messages; these tests hold it to what SQS does:
order within a message group, a group held while one of its messages is in flight, visibility
timeouts, de-duplication, batch calls, redrive to the dead-letter queue, long polls and the
queue's counts. They run against the session's moto server, started by ``ff_standins.moto_server``
as the local stack's is."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aioboto3
import pytest
from tests.fixtures.servers import REGION


@pytest.fixture
async def sqs(moto_url: str) -> AsyncIterator[Any]:
    session = aioboto3.Session(region_name=REGION)
    async with session.client("sqs", endpoint_url=moto_url) as client:
        yield client


async def fifo(sqs: Any, **attributes: str) -> str:
    answer = await sqs.create_queue(
        QueueName=f"t-{uuid.uuid4().hex[:12]}.fifo",
        # held messages stay held however slow the machine; tests that time out say so
        Attributes={"FifoQueue": "true", "VisibilityTimeout": "600", **attributes},
    )
    return str(answer["QueueUrl"])


async def send(sqs: Any, url: str, items: list[tuple[str, str]], dedup: str = "") -> None:
    """``(group, body)`` pairs in batches of ten; the body is the de-duplication id."""
    for start in range(0, len(items), 10):
        chunk = items[start : start + 10]
        answer = await sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {
                    "Id": str(i),
                    "MessageBody": body,
                    "MessageGroupId": group,
                    "MessageDeduplicationId": dedup + body,
                }
                for i, (group, body) in enumerate(chunk)
            ],
        )
        assert len(answer["Successful"]) == len(chunk)
        assert not answer.get("Failed")


async def receive(sqs: Any, url: str, count: int = 10, **options: Any) -> list[dict[str, Any]]:
    answer = await sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=count,
        MessageSystemAttributeNames=["All"],
        **options,
    )
    return list(answer.get("Messages", []))


def bodies(messages: list[dict[str, Any]]) -> list[str]:
    return [m["Body"] for m in messages]


async def delete(sqs: Any, url: str, messages: list[dict[str, Any]]) -> None:
    if messages:
        answer = await sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
        assert len(answer["Successful"]) == len(messages)


async def counts(sqs: Any, url: str) -> tuple[int, int]:
    attrs = (
        await sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


async def test_a_group_is_delivered_in_order_and_held_while_in_flight(sqs: Any) -> None:
    url = await fifo(sqs)
    await send(sqs, url, [("a", "a1"), ("b", "b1"), ("a", "a2"), ("a", "a3"), ("b", "b2")])

    first = await receive(sqs, url, count=1)
    assert bodies(first) == ["a1"]
    assert first[0]["Attributes"]["MessageGroupId"] == "a"
    # a1 is in flight: nothing more of group a, b is free
    second = await receive(sqs, url)
    assert bodies(second) == ["b1", "b2"]
    assert await receive(sqs, url) == []
    assert await counts(sqs, url) == (2, 3)

    await delete(sqs, url, first)
    third = await receive(sqs, url)
    assert bodies(third) == ["a2", "a3"]  # a whole group's run, in order, in one receive
    await delete(sqs, url, second + third)
    assert await counts(sqs, url) == (0, 0)
    assert await receive(sqs, url) == []


async def test_the_visibility_timeout_hands_a_message_out_again_in_order(sqs: Any) -> None:
    url = await fifo(sqs)
    await send(sqs, url, [("g", "g1"), ("g", "g2")])

    got = await receive(sqs, url, count=1, VisibilityTimeout=3)
    assert bodies(got) == ["g1"]
    assert got[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    assert await receive(sqs, url) == []  # g1 in flight holds g2 back
    await asyncio.sleep(3.3)
    again = await receive(sqs, url)
    assert bodies(again) == ["g1", "g2"]  # g1 first again, with its receive counted
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert again[0]["ReceiptHandle"] != got[0]["ReceiptHandle"]

    # ChangeMessageVisibility to 0 releases a message at once, but its group stays held while
    # another of its messages (g2) is in flight
    await sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=again[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    assert await receive(sqs, url) == []
    assert await counts(sqs, url) == (1, 1)
    await sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=again[1]["ReceiptHandle"], VisibilityTimeout=0
    )
    last = await receive(sqs, url)
    assert bodies(last) == ["g1", "g2"]
    assert [m["Attributes"]["ApproximateReceiveCount"] for m in last] == ["3", "2"]
    await delete(sqs, url, last)
    assert await counts(sqs, url) == (0, 0)


async def test_deduplication_is_by_id_for_five_minutes_even_after_a_delete(sqs: Any) -> None:
    url = await fifo(sqs)
    await send(sqs, url, [("a", "m1"), ("a", "m1"), ("b", "m1"), ("a", "m2")])
    got = await receive(sqs, url)
    assert bodies(got) == ["m1", "m2"]
    await delete(sqs, url, got)
    await send(sqs, url, [("a", "m1")])  # accepted, not delivered again: SQS's interval
    assert await receive(sqs, url) == []
    await send(sqs, url, [("a", "m1")], dedup="other-")  # another id is another message
    assert bodies(await receive(sqs, url)) == ["m1"]


async def test_content_based_and_per_group_deduplication(sqs: Any) -> None:
    content = await fifo(sqs, ContentBasedDeduplication="true")
    for group in ("a", "a", "b"):
        await sqs.send_message(QueueUrl=content, MessageBody="same", MessageGroupId=group)
    assert bodies(await receive(sqs, content)) == ["same"]

    per_group = await fifo(
        sqs, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId"
    )
    await send(sqs, per_group, [("a", "x"), ("b", "x"), ("a", "x")])
    got = await receive(sqs, per_group)
    assert sorted((m["Attributes"]["MessageGroupId"], m["Body"]) for m in got) == [
        ("a", "x"),
        ("b", "x"),
    ]


async def test_batch_delete_reports_each_entry(sqs: Any) -> None:
    url = await fifo(sqs)
    await send(sqs, url, [(f"g{i}", f"m{i}") for i in range(10)])
    got = await receive(sqs, url)
    assert sorted(bodies(got)) == sorted(f"m{i}" for i in range(10))
    answer = await sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok0", "ReceiptHandle": got[0]["ReceiptHandle"]},
            {"Id": "bogus", "ReceiptHandle": "not-a-handle"},
            {"Id": "ok1", "ReceiptHandle": got[1]["ReceiptHandle"]},
        ],
    )
    assert sorted(s["Id"] for s in answer["Successful"]) == ["ok0", "ok1"]
    assert [(f["Id"], f["Code"]) for f in answer["Failed"]] == [("bogus", "ReceiptHandleIsInvalid")]
    await delete(sqs, url, got[:1])  # deleting again is accepted
    await delete(sqs, url, got[2:])
    assert await counts(sqs, url) == (0, 0)
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        await sqs.delete_message(QueueUrl=url, ReceiptHandle="still-not-a-handle")


async def test_attributes_and_validation_are_moto_s(sqs: Any) -> None:
    url = await fifo(sqs, ContentBasedDeduplication="false", VisibilityTimeout="45")
    attrs = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))["Attributes"]
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["VisibilityTimeout"] == "45"
    assert attrs["ApproximateNumberOfMessages"] == "0"
    one = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"]))[
        "Attributes"
    ]
    assert one == {"VisibilityTimeout": "45"}
    with pytest.raises(sqs.exceptions.ClientError) as missing:
        await sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert "MessageDeduplicationId" in str(missing.value)
    with pytest.raises(sqs.exceptions.ClientError) as no_group:
        await sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert "MessageGroupId" in str(no_group.value)


async def test_redrive_moves_a_message_to_the_dead_letter_queue(sqs: Any) -> None:
    dlq = await fifo(sqs)
    arn = (await sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"]))["Attributes"][
        "QueueArn"
    ]
    url = await fifo(
        sqs, RedrivePolicy=json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "2"})
    )
    await send(sqs, url, [("g", "poison"), ("g", "next")])
    for n in (1, 2):
        got = await receive(sqs, url, count=1, VisibilityTimeout=0)
        assert bodies(got) == ["poison"]
        assert got[0]["Attributes"]["ApproximateReceiveCount"] == str(n)
    assert bodies(await receive(sqs, url, count=1)) == ["next"]  # poison went to the DLQ
    assert bodies(await receive(sqs, dlq)) == ["poison"]


async def test_a_long_poll_answers_with_a_message_sent_while_it_waits(sqs: Any) -> None:
    url = await fifo(sqs)
    await send(sqs, url, [("held", "h1"), ("held", "h2")])
    held = await receive(sqs, url, count=1)
    # every visible message's group is in flight: the poll waits, then answers with nothing
    assert await receive(sqs, url, WaitTimeSeconds=1) == []

    async def later() -> None:
        await asyncio.sleep(0.3)
        await send(sqs, url, [("free", "f1")])

    sender = asyncio.create_task(later())
    got = await receive(sqs, url, WaitTimeSeconds=10)
    await sender
    assert bodies(got) == ["f1"]
    await delete(sqs, url, held)
    assert bodies(await receive(sqs, url, WaitTimeSeconds=10)) == ["h2"]


async def test_purge_empties_the_queue(sqs: Any) -> None:
    url = await fifo(sqs)
    await send(sqs, url, [("a", "a1"), ("b", "b1")])
    await receive(sqs, url, count=1)
    await sqs.purge_queue(QueueUrl=url)
    assert await counts(sqs, url) == (0, 0)
    assert await receive(sqs, url) == []
    await send(sqs, url, [("a", "after")])
    assert bodies(await receive(sqs, url)) == ["after"]


async def test_many_groups_under_random_traffic_keep_fifo_and_exactly_once(sqs: Any) -> None:
    """Random interleaving of batch sends, receives of random size, and for each group held
    either a delete of its run or a release of it: every run handed out is the next of its
    group in send order, no group is handed out while held, and each message is deleted once."""
    rng = random.Random(20261203)
    url = await fifo(sqs)
    groups = [f"s{i}" for i in range(12)]
    unsent = [(g, f"{g}-{n}") for n, g in enumerate(rng.choice(groups) for _ in range(300))]
    left: dict[str, list[str]] = {g: [] for g in groups}  # sent, not yet deleted, in order
    deleted: list[str] = []
    held: dict[str, list[dict[str, Any]]] = {}
    for _ in range(2000):
        if not unsent and not held and not any(left.values()):
            break
        action = rng.random()
        if unsent and action < 0.3:
            k = rng.randint(1, 25)
            batch, unsent = unsent[:k], unsent[k:]
            await send(sqs, url, batch)
            for g, body in batch:
                left[g].append(body)
        elif held and action < 0.6:
            for g in list(held):
                run = held.pop(g)
                if rng.random() < 0.7:
                    await delete(sqs, url, run)
                    deleted += bodies(run)
                    del left[g][: len(run)]
                else:
                    for m in run:
                        await sqs.change_message_visibility(
                            QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                        )
        else:
            got = await receive(sqs, url, count=rng.randint(1, 10))
            runs: dict[str, list[dict[str, Any]]] = {}
            for m in got:
                runs.setdefault(m["Attributes"]["MessageGroupId"], []).append(m)
            for g, run in runs.items():
                assert g not in held, f"group {g} handed out while held"
                assert bodies(run) == left[g][: len(run)], f"group {g} out of order"
                held[g] = run
    assert not unsent
    assert not held
    assert len(set(deleted)) == len(deleted) == 300
    assert await counts(sqs, url) == (0, 0)
