"""SNS and SQS attributes on the emulator as the services return them.

``terraform plan`` after an apply compares what it declared with what the service
returns; where moto answers differently from AWS, every plan would want to change the
resource again. Fixed here, on the local side (nothing changes in what the deployments
declare):

- **SNS** keeps every attribute a client sets on a topic but returns only a fixed few,
  so the delivery-status settings (``SQSSuccessFeedbackSampleRate``, the feedback roles)
  and ``TracingConfig`` read back as absent. GetTopicAttributes returns what was set.
- **SQS** returns a queue's ``RedrivePolicy`` with spaces after the separators; SQS
  returns it compact (``{"deadLetterTargetArn":"...","maxReceiveCount":3}``).
- **SNS's subject rules**: Publish refuses a subject that is not ASCII, holds a line
  break or another control character, or does not begin with a letter, digit or
  punctuation mark (``InvalidParameter``); moto checks only its length, so an alert
  that would fail on AWS for every message of a rule passed locally.
- **SQS's redrive**: a message SQS moves to a dead-letter queue carries the system
  attribute ``DeadLetterQueueSourceArn`` (the queue it came from), which ReceiveMessage
  returns when asked (``All`` or the name); moto moves the message without it.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["TARGETS", "install"]

#: What the patch replaces or relies on in moto (checked before it installs).
TARGETS = (
    "moto.core.utils.camelcase_to_underscores",
    "moto.sns.responses.SNSResponse.get_topic_attributes",
    "moto.sns.models.SNSBackend.get_topic(arn)",
    "moto.sns.models.SNSBackend.publish(message, arn, subject)",
    "moto.sns.exceptions.InvalidParameterValue",
    "moto.sqs.models.Queue.attributes",
    "moto.sqs.models.Queue.add_message(message)",
    "moto.sqs.responses.SQSResponse.receive_message",
)
_DLQ_SOURCE = "DeadLetterQueueSourceArn"

_PROTOCOLS = ("SQS", "Lambda", "HTTP", "Application", "Firehose")
_FEEDBACK = ("SuccessFeedbackRoleArn", "FailureFeedbackRoleArn", "SuccessFeedbackSampleRate")
#: Attributes SNS returns once set (GetTopicAttributes), by name.
_RETURNED = (
    *(f"{protocol}{kind}" for protocol in _PROTOCOLS for kind in _FEEDBACK),
    "TracingConfig",
    "SignatureVersion",
)
_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_installed = False


def _sns() -> None:
    from moto.core.utils import camelcase_to_underscores  # noqa: PLC0415
    from moto.sns.responses import SNSResponse  # noqa: PLC0415

    original = SNSResponse.get_topic_attributes

    def get_topic_attributes(self: Any) -> Any:
        answer = original(self)
        topic = self.backend.get_topic(self._get_param("TopicArn"))
        attributes: dict[str, Any] = answer.result["Attributes"]  # type: ignore[index]
        for name in _RETURNED:
            value = getattr(topic, camelcase_to_underscores(name), None)
            if value not in (None, ""):
                attributes[name] = value
        return answer

    SNSResponse.get_topic_attributes = get_topic_attributes  # type: ignore[method-assign]
    _sns_subject()


def _sns_subject() -> None:
    from moto.sns.exceptions import InvalidParameterValue  # noqa: PLC0415
    from moto.sns.models import SNSBackend  # noqa: PLC0415

    original = SNSBackend.publish

    def publish(
        self: Any,
        message: str,
        arn: str | None,
        phone_number: str | None = None,
        subject: str | None = None,
        **kwargs: Any,
    ) -> str:
        if subject is not None and not (
            subject.isascii()
            and subject.isprintable()
            and (subject[:1].isalnum() or subject[:1] in _PUNCTUATION)
        ):
            raise InvalidParameterValue(
                "Invalid parameter: Subject must be ASCII text that begins with a letter, "
                "number, or punctuation mark; must not include line breaks or control "
                "characters"
            )
        answer: str = original(self, message, arn, phone_number, subject, **kwargs)
        return answer

    SNSBackend.publish = publish  # type: ignore[method-assign,assignment]


def _sqs() -> None:
    from moto.sqs.models import Queue  # noqa: PLC0415

    original = Queue.attributes

    def attributes(self: Any) -> dict[str, Any]:
        result: dict[str, Any] = original.fget(self)  # type: ignore[attr-defined]
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    Queue.attributes = property(attributes)  # type: ignore[method-assign,assignment]
    _sqs_redrive()


def _sqs_redrive() -> None:
    from moto.sqs.models import Queue  # noqa: PLC0415
    from moto.sqs.responses import SQSResponse  # noqa: PLC0415

    original_add = Queue.add_message
    original_receive = SQSResponse.receive_message

    def add_message(self: Any, message: Any) -> None:
        origin = getattr(message, "_cardwatch_queue", None)
        if origin is None:
            message._cardwatch_queue = self.queue_arn
        elif origin != self.queue_arn:  # moved by the source queue's redrive policy
            message.dead_letter_source = origin
        original_add(self, message)

    def receive_message(self: Any) -> Any:
        answer = original_receive(self)
        names = set(self._get_param("AttributeNames", []))
        names |= set(self._get_param("MessageSystemAttributeNames", []))
        if not names & {"All", _DLQ_SOURCE}:
            return answer
        queue = self.sqs_backend.get_queue(self._get_queue_name())
        held = {m.id: m for m in queue._messages}
        result: dict[str, Any] = answer.result  # type: ignore[assignment]
        for received in result.get("Messages", []):
            source = getattr(held.get(received["MessageId"]), "dead_letter_source", None)
            if source:
                received.setdefault("Attributes", {})[_DLQ_SOURCE] = source
        return answer

    Queue.add_message = add_message  # type: ignore[method-assign]
    SQSResponse.receive_message = receive_message  # type: ignore[method-assign]


def install() -> None:
    """Make moto's SNS and SQS return attributes as the services do."""
    global _installed  # noqa: PLW0603 (one patch per process)
    if _installed:
        return
    _sns()
    _sqs()
    _installed = True
