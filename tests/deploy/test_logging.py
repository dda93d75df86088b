"""JSON logs with a request id that follows a request into the jobs it starts."""

from __future__ import annotations

import io
import json
import logging.config
import uuid

import pytest
from django.urls import reverse
from django_guid import clear_guid, get_guid, set_guid

from membercenter.lib.logging import _publish, logging_config
from membercenter.notifications.models import OutboxEmail
from tests.deploy.conftest import free_port


@pytest.fixture
def json_lines(settings):
    """Logging configured as in production (LOG_FORMAT=json); returns a reader of the lines written."""
    stream = io.StringIO()
    config = logging_config(fmt="json", level="INFO", celery_level="WARNING")
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    clear_guid()

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    clear_guid()
    logging.config.dictConfig(settings.LOGGING)


@pytest.fixture
def failing_smtp(settings):
    """Mail goes to an SMTP port where nothing listens: every send fails (and is logged)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2


def failed_email(member) -> OutboxEmail:
    return OutboxEmail.objects.create(
        user=member, template="claim_approved", to=member.email, subject="Approved", body_text="b", status="failed"
    )


@pytest.mark.django_db(transaction=True)
def test_a_request_id_follows_the_request_into_its_task_and_its_log_lines(
    client, administrator, failing_smtp, json_lines
):
    row = failed_email(administrator)
    request_id = uuid.uuid4().hex
    client.force_login(administrator)

    # The resend queues outbox_send after commit; without a broker it runs right there.
    response = client.post(reverse("backoffice:outbox_resend", args=[row.pk]), HTTP_X_REQUEST_ID=request_id)

    assert response.status_code == 302
    # Echoed after the view, so after the task ran inside it: the task kept the request's id.
    assert response["X-Request-ID"] == request_id
    [task_line] = [line for line in json_lines() if line["message"].startswith(f"outbox email {row.pk} failed")]
    assert task_line["request_id"] == request_id
    assert task_line["logger"] == "membercenter.notifications.services"
    assert task_line["level"] == "WARNING"
    assert {"time", "level", "logger", "message", "request_id"} <= set(task_line)


@pytest.mark.django_db
def test_without_the_header_a_request_gets_an_id_and_a_bad_one_is_replaced(client, json_lines):
    made = client.get("/", HTTP_X_REQUEST_ID="")["X-Request-ID"]
    replaced = client.get("/", HTTP_X_REQUEST_ID='"}\n{"forged": 1')["X-Request-ID"]

    assert uuid.UUID(made) and uuid.UUID(replaced)
    assert made != replaced
    assert not any("forged" in line for line in json_lines())


@pytest.mark.django_db
def test_a_task_from_a_worker_logs_with_the_id_of_the_request_that_queued_it(failing_smtp, json_lines):
    from membercenter.notifications.tasks import outbox_send
    from tests.factories import UserFactory

    row = failed_email(UserFactory())
    OutboxEmail.objects.filter(pk=row.pk).update(status="pending")
    request_id = uuid.uuid4().hex

    # A worker has no id of its own: it takes the one the message carries.
    outbox_send.apply(args=[row.pk], headers={"X-Request-ID": request_id})

    [line] = [line for line in json_lines() if line["message"].startswith(f"outbox email {row.pk} failed")]
    assert line["request_id"] == request_id
    assert get_guid() is None  # cleared after the task: the next task starts clean


@pytest.mark.django_db
def test_a_scheduled_task_gets_its_own_id(failing_smtp, json_lines):
    from membercenter.notifications.tasks import outbox_sweep
    from tests.factories import UserFactory

    rows = [failed_email(UserFactory()) for _ in range(2)]
    OutboxEmail.objects.filter(pk__in=[r.pk for r in rows]).update(status="pending")

    outbox_sweep.apply()

    ids = {line["request_id"] for line in json_lines() if line["message"].startswith("outbox email")}
    assert len(ids) == 1 and None not in ids  # one run, one id for both lines
    assert get_guid() is None


def test_a_queued_task_carries_the_request_id_in_its_message():
    set_guid("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    headers: dict[str, str] = {}
    try:
        _publish(headers=headers)
    finally:
        clear_guid()

    assert headers == {"X-Request-ID": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}


def test_a_message_published_to_the_broker_has_the_header():
    """Through Celery's real publishing path (in-memory broker), not only the signal handler."""
    from membercenter.celery import app
    from membercenter.notifications.tasks import outbox_send

    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    queue_name = f"mc-e-{uuid.uuid4().hex[:8]}"
    set_guid("aaaabbbbccccddddeeeeffff00001111")
    try:
        with app.connection_for_write("memory://") as connection:
            outbox_send.apply_async(args=[1], queue=queue_name, connection=connection)
            message = connection.SimpleQueue(queue_name).get(timeout=2)
    finally:
        clear_guid()
        app.conf.task_always_eager = eager

    assert message.headers["X-Request-ID"] == "aaaabbbbccccddddeeeeffff00001111"
    message.ack()


def test_text_logs_outside_production_carry_the_id_too():
    config = logging_config(fmt="text", level="INFO", celery_level="WARNING")

    assert "%(request_id)s" in config["formatters"]["text"]["format"]
    assert config["handlers"]["console"]["filters"] == ["request_id"]
