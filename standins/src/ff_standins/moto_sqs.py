"""moto's SQS with each call's cost independent of the queue's backlog.

moto (5.x) keeps a queue's messages in one list and works out almost everything by walking it:
every message sent reads ``Queue.attributes`` six times (validation, content-based
de-duplication), and each read counts the visible, in-flight and delayed messages by asking every
stored message for the time; a receive walks the list again and reads the attributes three times
per message it hands out (the retention check); a delete rebuilds the list. A generated week of
journeys spent nearly all of moto's time there (``datetime`` calls from ``Message.visible``), so
the local stack's tracker went at tens of events per second, slower the longer the backlog.

:func:`install` replaces that bookkeeping, keeping moto's request parsing, answers, errors,
``Message`` objects and checks; what a client sees is what moto and SQS show:

- messages are kept by id in send order, by receipt handle (every handle a message was given, as
  moto accepts any of them), and in a FIFO queue by message group;
- a FIFO receive looks at groups, not messages: a group with a message in flight (received, its
  visibility timeout not over) is passed over whole, and the others give their messages from the
  head, in order, up to the count asked for; so a receive costs the messages in flight plus the
  groups it passes, never the backlog behind them. Across groups SQS promises no order; here the
  group whose head is oldest is roughly first (a group goes to the back when its head leaves);
- de-duplication is SQS's: a FIFO message whose de-duplication id (or body hash, with
  content-based de-duplication) was accepted in the last five minutes is accepted and not
  delivered, even if the first one was deleted meanwhile (moto compared only with messages still
  stored); ``DeduplicationScope=messageGroup`` keys it by group;
- a long poll waits on the queue's condition (woken by a send, a delete or a visibility change,
  and at least every 0.2 s for visibility timeouts ending) instead of moto's loop, which spun
  while every visible message's group was in flight;
- the clock is read once per call, not once per stored message per check, and a receipt handle
  is drawn in one call to the random generator instead of one per character.

Counting (``GetQueueAttributes``' ``ApproximateNumberOf*``) still walks the messages once per
attribute, cheaply; the generated load polls it a few times a second at most. Messages past the
queue's retention period are dropped when a receive meets them (moto stopped the receive there).
Redrive to the dead-letter queue after ``maxReceiveCount`` receives and Lambda event-source
mappings work as in moto.
"""

from __future__ import annotations

import copy
import hashlib
import string
from collections import deque
from typing import Any

from moto.core.utils import unix_time, unix_time_millis
from moto.moto_api._internal import mock_random as random
from moto.settings import sqs_enforce_strict_queue_purge_behaviour
from moto.sqs import models
from moto.sqs.exceptions import (
    InvalidAttributeName,
    InvalidParameterValue,
    MissingParameter,
    PurgeQueueInProgress,
    ReceiptHandleIsInvalid,
)
from moto.sqs.models import Message, Queue, SQSBackend

DEDUPLICATION_MS = models.DEDUPLICATION_TIME_IN_SECONDS * 1000
WAKE_SECONDS = 0.2
"""Longest a long poll sleeps before looking again (visibility timeouts end without a signal)."""


class _Store:
    """One queue's messages, indexed so that no call walks the backlog."""

    def __init__(self) -> None:
        self.messages: dict[str, Message] = {}
        """By message id, in the order they were sent."""
        self.handles: dict[str, Message] = {}
        """Every receipt handle given out for a stored message."""
        self.groups: dict[str, deque[Message]] = {}
        """FIFO: each message group's stored messages in order; a group goes to the back of this
        dict when its head leaves, so iteration is roughly oldest head first."""
        self.dedup: dict[tuple[str | None, str], float] = {}
        """FIFO: de-duplication key to when it was first accepted (ms), oldest first."""

    def add(self, queue: Queue, message: Message) -> None:
        self.messages[message.id] = message
        for handle in message.all_receipt_handles:
            if handle is not None:
                self.handles[handle] = message
        if queue.fifo_queue and message.group_id is not None:
            group = self.groups.get(message.group_id)
            if group is None:
                group = self.groups[message.group_id] = deque()
            group.append(message)

    def remove(self, queue: Queue, message: Message) -> None:
        if self.messages.pop(message.id, None) is None:
            return
        for handle in message.all_receipt_handles:
            if handle is not None and self.handles.get(handle) is message:
                del self.handles[handle]
        queue._pending_messages.discard(message)
        if message.group_id is not None and message.group_id in self.groups:
            group = self.groups[message.group_id]
            if group and group[0] is message:
                group.popleft()
                del self.groups[message.group_id]
                if group:  # to the back: its new head is younger than the others' heads
                    self.groups[message.group_id] = group
            else:
                group.remove(message)
                if not group:
                    del self.groups[message.group_id]

    def duplicate(self, key: tuple[str | None, str], now_ms: float) -> bool:
        """Whether ``key`` was accepted within the de-duplication interval; records it if not."""
        while self.dedup:
            oldest = next(iter(self.dedup))
            if now_ms - self.dedup[oldest] < DEDUPLICATION_MS:
                break
            del self.dedup[oldest]
        if key in self.dedup:
            return True
        self.dedup[key] = now_ms
        return False


def _store(queue: Queue) -> _Store:
    store: _Store = queue._ff_store  # type: ignore[attr-defined]
    return store


_moto_queue_init = Queue.__init__


def _queue_init(self: Queue, name: str, region: str, account_id: str, **kwargs: Any) -> None:
    _moto_queue_init(self, name, region, account_id, **kwargs)
    self._ff_store = _Store()  # type: ignore[attr-defined]
    del self._messages  # nothing may read moto's list: it would be empty, silently


def _deliverable(message: Message, now_ms: float) -> bool:
    return now_ms > message.visible_at and now_ms >= message.delayed_until


def _messages(self: Queue) -> list[Message]:
    now = unix_time_millis()
    return [m for m in _store(self).messages.values() if _deliverable(m, now)]


def _delayed(self: Queue) -> int:
    now = unix_time_millis()
    return sum(1 for m in _store(self).messages.values() if now < m.delayed_until)


def _not_visible(self: Queue) -> int:
    now = unix_time_millis()
    return sum(1 for m in _store(self).messages.values() if now <= m.visible_at)


def _visible(self: Queue) -> int:
    now = unix_time_millis()
    return sum(1 for m in _store(self).messages.values() if _deliverable(m, now))


def _add_message(self: Queue, message: Message) -> None:
    store = _store(self)
    with self._messages_lock:
        if self.fifo_queue and message.deduplication_id:
            scope = message.group_id if self.deduplication_scope == "messageGroup" else None  # type: ignore[attr-defined]
            if store.duplicate((scope, message.deduplication_id), unix_time_millis()):
                return
        store.add(self, message)
        self._messages_lock.notify_all()
    for arn, esm in self.lambda_event_source_mappings.items():  # as moto does
        if not esm.enabled:
            continue
        backend = models.sqs_backends[self.account_id][self.region]
        received = backend.receive_message(
            self.name,
            esm.batch_size,
            self.receive_message_wait_time_seconds,  # type: ignore[attr-defined]
            self.visibility_timeout,  # type: ignore[attr-defined]
        )
        from moto.awslambda.utils import get_backend

        if get_backend(self.account_id, self.region).send_sqs_batch(arn, received, self.queue_arn):
            for m in received:
                backend.delete_message(self.name, m.receipt_handle)  # type: ignore[arg-type]
        else:
            for m in received:
                backend.change_message_visibility(self.name, m.receipt_handle, 0)  # type: ignore[arg-type]


def _delete_message(self: Queue, receipt_handle: str) -> None:
    if receipt_handle in self.deleted_messages:
        return  # already deleted: SQS accepts it again
    store = _store(self)
    with self._messages_lock:
        message = store.handles.get(receipt_handle)
        if message is None:
            raise ReceiptHandleIsInvalid()
        store.remove(self, message)
        self.deleted_messages.update(h for h in message.all_receipt_handles if h is not None)
        self._messages_lock.notify_all()


def _validate_message(
    self: SQSBackend,
    queue: Queue,
    message_body: str,
    delay_seconds: int,
    deduplication_id: str | None = None,
    group_id: str | None = None,
    validate_group_id: bool = True,
) -> None:
    """moto's checks, reading the queue's settings instead of building its attributes."""
    if queue.fifo_queue:
        content_based = bool(queue.content_based_deduplication)  # type: ignore[attr-defined]
        if not content_based and not group_id:
            raise MissingParameter("MessageGroupId")
        if not content_based and group_id and not deduplication_id:
            raise InvalidParameterValue(
                "The queue should either have ContentBasedDeduplication enabled or "
                "MessageDeduplicationId provided explicitly"
            )
        if delay_seconds > 0:
            raise InvalidParameterValue(
                f"Value {delay_seconds} for parameter DelaySeconds is invalid. Reason: "
                "The request include parameter that is not valid for this queue type."
            )
    if len(message_body) > queue.maximum_message_size:  # type: ignore[attr-defined]
        raise InvalidParameterValue(
            "One or more parameters are invalid. Reason: Message must be shorter than "
            f"{queue.maximum_message_size} bytes."  # type: ignore[attr-defined]
        )
    if group_id is None and queue.fifo_queue:
        raise MissingParameter("MessageGroupId")


def _send_message(
    self: SQSBackend,
    queue_name: str,
    message_body: str,
    message_attributes: dict[str, Any] | None = None,
    delay_seconds: int | None = None,
    deduplication_id: str | None = None,
    group_id: str | None = None,
    system_attributes: dict[str, Any] | None = None,
    validate_group_id: bool = True,
) -> Message:
    """moto's ``send_message``, reading the queue's settings instead of its attributes."""
    queue = self.get_queue(queue_name)
    self._validate_message(
        queue,
        message_body=message_body,
        delay_seconds=int(delay_seconds or 0),
        deduplication_id=deduplication_id,
        group_id=group_id,
        validate_group_id=validate_group_id,
    )
    delay = int(delay_seconds) if delay_seconds is not None else int(queue.delay_seconds)  # type: ignore[attr-defined]
    message = Message(str(random.uuid4()), message_body, system_attributes)
    if queue.fifo_queue and queue.content_based_deduplication:  # type: ignore[attr-defined]
        message.deduplication_id = hashlib.sha256(message_body.encode("utf-8")).hexdigest()
    if deduplication_id is not None:
        message.deduplication_id = deduplication_id
        message.sequence_number = "".join(random.choice(string.digits) for _ in range(20))
    if group_id is not None:
        message.group_id = group_id
    if message_attributes:
        message.message_attributes = message_attributes
    if delay > models.MAXIMUM_MESSAGE_DELAY:
        raise InvalidParameterValue(
            f"Value {delay} for parameter DelaySeconds is invalid. "
            "Reason: DelaySeconds must be >= 0 and <= 900."
        )
    message.mark_sent(delay_seconds=delay)
    queue.add_message(message)
    return message


def _take(
    queue: Queue, count: int, visibility_timeout: int, attribute_names: list[str]
) -> list[Message]:
    """One look at the queue (its lock held): up to ``count`` messages marked received."""
    store = _store(queue)
    now = unix_time_millis()
    blocked: set[str] = set()
    for message in list(queue._pending_messages):
        if now > message.visible_at:  # its visibility timeout ended: no longer in flight
            queue._pending_messages.discard(message)
        elif message.group_id is not None:
            blocked.add(message.group_id)

    retention_ms = int(queue.message_retention_period) * 1000  # type: ignore[attr-defined]
    redrive = queue.redrive_policy if queue.dead_letter_queue is not None else None
    result: list[Message] = []
    expired: list[Message] = []
    to_dlq: list[Message] = []

    def offer(message: Message) -> None:
        if message.sent_timestamp is not None and message.sent_timestamp + retention_ms <= now:
            expired.append(message)  # past the retention period: gone
        elif redrive and message.approximate_receive_count >= redrive["maxReceiveCount"]:
            to_dlq.append(message)
        else:
            queue._pending_messages.add(message)
            message.mark_received(visibility_timeout=visibility_timeout)
            store.handles[message.receipt_handle] = message  # type: ignore[index]
            answer = copy.copy(message)  # the answer's attributes are filtered, not the message's
            models._filter_message_attributes(answer, attribute_names)
            result.append(answer)

    if queue.fifo_queue:
        for group_id, group in store.groups.items():
            if group_id in blocked:
                continue
            for message in group:
                if not _deliverable(message, now):
                    break  # the group's order holds: nothing behind it either
                offer(message)
                if len(result) >= count:
                    break
            if len(result) >= count:
                break
    else:
        for message in store.messages.values():
            if _deliverable(message, now):
                offer(message)
                if len(result) >= count:
                    break
    for message in expired:
        store.remove(queue, message)
    for message in to_dlq:
        store.remove(queue, message)
        queue.dead_letter_queue.add_message(message)  # type: ignore[union-attr]
    return result


def _receive_message(
    self: SQSBackend,
    queue_name: str,
    count: int,
    wait_seconds_timeout: int,
    visibility_timeout: int,
    message_attribute_names: list[str] | None = None,
) -> list[Message]:
    queue = self.get_queue(queue_name)
    deadline = unix_time() + wait_seconds_timeout
    with queue._messages_lock:
        while True:
            result = _take(queue, count, visibility_timeout, message_attribute_names or [])
            remaining = deadline - unix_time()
            if result or not wait_seconds_timeout or remaining <= 0:
                return result
            queue._messages_lock.wait(timeout=min(remaining, WAKE_SECONDS))


def _change_message_visibility(
    self: SQSBackend, queue_name: str, receipt_handle: str, visibility_timeout: int
) -> None:
    queue = self.get_queue(queue_name)
    with queue._messages_lock:
        message = _store(queue).handles.get(receipt_handle)
        if message is None:
            raise ReceiptHandleIsInvalid
        given = unix_time_millis() + int(visibility_timeout) * 1000
        if given - message.sent_timestamp > 43200 * 1000:  # type: ignore[operator]
            raise InvalidParameterValue(
                f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. "
                "Reason: Total VisibilityTimeout for the message is beyond the limit "
                "[43200 seconds]"
            )
        message.change_visibility(visibility_timeout)
        if unix_time_millis() > message.visible_at:
            queue._pending_messages.discard(message)
        queue._messages_lock.notify_all()


def _purge_queue(self: SQSBackend, queue_name: str) -> None:
    """moto's, emptying the indexes instead of its list."""
    queue = self.get_queue(queue_name)
    now = unix_time()
    if (
        sqs_enforce_strict_queue_purge_behaviour()
        and queue.last_purged_at is not None
        and now - queue.last_purged_at < 60
    ):
        raise PurgeQueueInProgress(queue.name)
    with queue._messages_lock:
        queue.last_purged_at = now
        queue._ff_store = _Store()  # type: ignore[attr-defined]
        queue._pending_messages = set()


def _get_queue_attributes(
    self: SQSBackend, queue_name: str, attribute_names: list[str]
) -> dict[str, Any]:
    """moto's, building the queue's attributes once instead of three times per name."""
    queue = self.get_queue(queue_name)
    if not attribute_names:
        return {}
    valid = {"All", *queue.BASE_ATTRIBUTES, *queue.FIFO_ATTRIBUTES, *queue.KMS_ATTRIBUTES}
    invalid = next((name for name in attribute_names if name not in valid), None)
    if invalid is not None:
        raise InvalidAttributeName(invalid)
    attributes = queue.attributes
    if "All" in attribute_names:
        return attributes
    return {
        name: attributes[name]
        for name in attribute_names
        if name in attributes and attributes[name] is not None
    }


def _receipt_handle() -> str:
    """moto's receipt handle (185 lowercase letters) in one call instead of 185."""
    return "".join(random.choices(string.ascii_lowercase, k=185))


def install() -> None:
    """Patch moto's SQS models (in this process) as described above; idempotent."""
    if getattr(Queue, "_ff_installed", False):
        return
    Queue.__init__ = _queue_init  # type: ignore[method-assign]
    Queue.messages = property(_messages)  # type: ignore[method-assign,assignment]
    Queue.approximate_number_of_messages = property(_visible)  # type: ignore[method-assign,assignment]
    Queue.approximate_number_of_messages_delayed = property(_delayed)  # type: ignore[method-assign,assignment]
    Queue.approximate_number_of_messages_not_visible = property(_not_visible)  # type: ignore[method-assign,assignment]
    Queue.add_message = _add_message  # type: ignore[method-assign]
    Queue.delete_message = _delete_message  # type: ignore[method-assign]
    SQSBackend._validate_message = _validate_message  # type: ignore[method-assign]
    SQSBackend.send_message = _send_message  # type: ignore[method-assign]
    SQSBackend.receive_message = _receive_message  # type: ignore[method-assign]
    SQSBackend.change_message_visibility = _change_message_visibility  # type: ignore[method-assign]
    SQSBackend.purge_queue = _purge_queue  # type: ignore[method-assign]
    SQSBackend.get_queue_attributes = _get_queue_attributes  # type: ignore[method-assign]
    models.generate_receipt_handle = _receipt_handle  # type: ignore[attr-defined]
    Queue._ff_installed = True  # type: ignore[attr-defined]
