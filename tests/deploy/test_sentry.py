"""Sentry: off unless SENTRY_DSN is set; on, it sends no personal data, bodies or local variables.

Each case runs in its own process (Sentry patches Django for the life of a process). The
DSN points at 127.0.0.1:9 and events go to a recording transport: nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import textwrap

from membercenter.lib.logging import _before_send
from tests.deploy.conftest import run

DSN = "https://public@127.0.0.1:9/1"


def development_env(**extra: str) -> dict[str, str]:
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return {**env, "DJANGO_SETTINGS_MODULE": "membercenter.settings", "TESTING": "1", **extra}


def sentry_state(env: dict[str, str]) -> dict:
    script = textwrap.dedent(
        """
        import json, django
        django.setup()
        import sentry_sdk
        client = sentry_sdk.get_client()
        print(json.dumps({
            "active": client.is_active(),
            "integrations": sorted(client.integrations) if client.is_active() else [],
            "options": {k: client.options.get(k) for k in (
                "send_default_pii", "max_request_body_size", "include_local_variables", "environment",
                "traces_sample_rate")},
        }))
        """
    )
    result = run(["-c", script], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_dsn_sentry_is_not_started():
    assert sentry_state(development_env())["active"] is False


def test_with_a_dsn_sentry_starts_for_django_and_celery_without_personal_data():
    state = sentry_state(
        development_env(SENTRY_DSN=DSN, SENTRY_ENVIRONMENT="staging", SENTRY_TRACES_SAMPLE_RATE="0.25")
    )

    assert state["active"] is True
    assert {"django", "celery"} <= set(state["integrations"])
    assert state["options"] == {
        "send_default_pii": False,
        "max_request_body_size": "never",
        "include_local_variables": False,
        "environment": "staging",
        "traces_sample_rate": 0.25,
    }


def test_an_error_reaches_sentry_without_the_reward_code_it_had_in_hand():
    script = textwrap.dedent(
        f"""
        import json, django
        django.setup()
        from sentry_sdk.transport import Transport
        from django_guid import set_guid
        from membercenter.lib.logging import sentry_init

        sent = []

        class Recorder(Transport):
            def capture_envelope(self, envelope):
                sent.append(envelope.serialize().decode("utf-8", "replace"))

        sentry_init(dsn="{DSN}", environment="test", transport=Recorder)
        import sentry_sdk

        def reveal(code):
            raise ValueError("could not send the email")

        set_guid("0123456789abcdef0123456789abcdef")
        try:
            reveal("GIFT-SECRET-7788")
        except ValueError:
            sentry_sdk.capture_exception()
        sentry_sdk.flush()
        print(json.dumps(sent))
        """
    )
    result = run(["-c", script], development_env())

    assert result.returncode == 0, result.stderr
    [envelope] = json.loads(result.stdout.strip().splitlines()[-1])
    assert "could not send the email" in envelope
    assert "GIFT-SECRET-7788" not in envelope
    assert '"request_id":"0123456789abcdef0123456789abcdef"' in envelope.replace(" ", "")


def test_request_bodies_cookies_and_query_strings_are_dropped():
    event = {
        "request": {
            "url": "https://members.example.com/rewards/5/",
            "method": "POST",
            "data": {"code": "GIFT-SECRET-7788", "password": "hunter2"},
            "cookies": {"sessionid": "abc"},
            "query_string": "token=xyz",
        }
    }

    cleaned = _before_send(event, {})

    assert cleaned["request"] == {"url": "https://members.example.com/rewards/5/", "method": "POST"}
