"""The load test's pieces, quickly (`make loadtest` itself runs minutes and is not part of the suite).

What the simulated browsers read from the pages must match the templates; the report must
compute the figures the targets are judged on; the SMTP sink must take Django's mail; the
gunicorn hooks must measure.
"""

from __future__ import annotations

import datetime as dt
import json
import runpy
import smtplib
import sys
import uuid
from email.message import EmailMessage
from io import BytesIO
from pathlib import Path

import pytest
from django.http.multipartparser import MultiPartParser
from django.template.loader import render_to_string
from django.test import RequestFactory

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "loadtest"))

import report  # noqa: E402
import scrape  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402


@pytest.mark.django_db
def test_the_captcha_is_answered_from_the_page_as_a_person_reads_it():
    from membercenter.products.forms import PurchaseForm

    form = PurchaseForm().with_new_captcha()
    html = render_to_string("includes/captcha.html", {"form": form})

    key, answer = scrape.captcha(html)

    from membercenter.accounts.models import Captcha

    assert Captcha.objects.get(pk=key).answer == int(answer)


@pytest.mark.django_db
def test_the_confirm_form_gives_its_csrf_token_and_submit_token():
    from membercenter.claims.forms import ConfirmForm

    token = uuid.uuid4()
    request = RequestFactory().get("/")
    html = render_to_string(
        "includes/form.html", {"form": ConfirmForm(initial={"submit_token": token}).with_new_captcha()}, request
    )
    html += render_to_string("includes/default_submit.html", {}, request) + _csrf_field(request)

    assert scrape.SUBMIT_TOKEN.search(html).group(1) == str(token)
    assert scrape.CSRF.search(html)
    assert scrape.captcha(html)


def _csrf_field(request) -> str:
    from django.template import engines

    return engines["django"].from_string("<form>{% csrf_token %}</form>").render({}, request)


@pytest.mark.django_db
def test_the_reviewer_finds_the_claims_in_the_queue(client, indonesia, reviewer):
    from tests.claims.conftest import eligible_product, make_claim

    claim = make_claim(product=eligible_product(region=indonesia))
    client.force_login(reviewer)

    html = client.get("/staff/claims/").content.decode()

    assert str(claim.pk) in scrape.CLAIM_LINK.findall(html)


def test_a_form_with_files_is_sent_as_a_browser_sends_it(tmp_path, rf):
    picture = tmp_path / "sticker.jpg"
    picture.write_bytes(b"\xff\xd8\xff picture bytes")
    body, content_type = scrape.multipart([("products", "7"), ("products", "8")], [("photo_7", picture)])
    meta = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}

    data, files = MultiPartParser(meta, BytesIO(body), rf.post("/").upload_handlers).parse()

    assert data.getlist("products") == ["7", "8"]
    assert files["photo_7"].read() == picture.read_bytes()


def test_the_smtp_sink_takes_what_django_sends():
    sink = SmtpSink().start()
    try:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "hello"
        message.set_content("body\n.\nwith a dot line")
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as smtp:
            smtp.send_message(message)
            smtp.send_message(message)
    finally:
        sink.stop()

    assert sink.messages == 2


def _inputs(*, floor_rps: int, pages_rps: int, page_ms: float, errors: int = 0) -> dict:
    """A run's numbers as run.py keeps them: four turns of the saturated phase, then the mix."""
    t0, records, timeline = 1_000.0, {}, []
    for i, (phase, rate) in enumerate(
        [("floor", floor_rps), ("floor_anon", 900), ("layout", 200), ("pages", pages_rps)]
    ):
        start = t0 + 5 * i
        timeline.append({"phase": phase, "start": start, "end": start + 5})
        name = f"{phase} | " + ("Overview" if phase == "pages" else "/_floor/")
        records[name] = [[start + 1 + k / rate, 20.0, 1, 100] for k in range(4 * rate)]
    timeline.append({"phase": "mix", "start": t0 + 20, "end": t0 + 60})
    records["mix | Overview"] = [[t0 + 24 + k * 0.1, page_ms + k % 10, 1, 100] for k in range(300)]
    records["mix | Redeem: send 2 sticker photos"] = [[t0 + 30 + k, 300.0, 1, 0] for k in range(20)]
    records["mix | Redeem: submit (captcha)"] = [[t0 + 30 + k, 200.0, int(k >= errors), 0] for k in range(20)]
    return {
        "results": {"timeline": timeline, "requests": records, "failures": []},
        "request_cpu": {"GET /_floor/": [100, 0.25, 1.0], "GET /accounts/": [100, 0.9, 2.0]},
        "cpu": [],
        "plan": {"promotion": "p", "counts": {"members": 10}},
        "facts": {"claims submitted": 20},
        "steps": {"seed": 10.0},
        "wall_seconds": 200.0,
        "started_at": dt.datetime(2026, 1, 31, 8, 0, tzinfo=dt.UTC),
        "load_before": (0.5, 0.4, 0.3),
        "config": {
            "worker_concurrency": 1,
            "worker_priority": "idle",
            "members": 48,
            "saturators": 24,
            "reviewers": 3,
            "budget": 300,
        },  # fmt: skip
        "env": {},
    }


def test_the_report_judges_the_targets_on_the_measured_windows():
    run = report.Report(**_inputs(floor_rps=500, pages_rps=210, page_ms=100))

    assert run.floor.rps == pytest.approx(500, rel=0.02)  # the first second of each turn left out
    assert run.ratio(run.floor) == pytest.approx(0.42, abs=0.01)
    assert run.server_ms("Overview") == pytest.approx(9.0)
    assert [ok for _t, _v, ok in run.targets()] == [True, True, True, True, True]
    assert run.passed()
    page = run.markdown()
    assert "## Targets" in page and "**PASS**" in page and "**FAIL**" not in page.split("## Results")[0]


def test_the_report_fails_what_misses():
    run = report.Report(**_inputs(floor_rps=500, pages_rps=150, page_ms=160, errors=1))

    met = {target.split(" ")[0]: ok for target, _v, ok in run.targets()}

    assert not run.passed()
    assert met["0"] is False and met["member-page"] is False and met["member"] is False
    assert "Why not 40%" in run.markdown()


def test_the_gunicorn_hooks_measure_each_request(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    monkeypatch.setenv("LOADTEST_CPU_DIR", str(tmp_path / "cpu"))
    conf = runpy.run_path(str(ROOT / "bench" / "loadtest" / "gunicorn_cpu.py"))

    class Request:
        method, path = "GET", "/redeem-history/12/submitted/"

    conf["pre_request"](None, Request())
    sum(range(10_000))
    conf["post_request"](None, Request(), {"HTTP_COOKIE": "sessionid=x"}, None)
    conf["worker_exit"](None, None)

    assert conf["worker_class"] == "gthread"  # the project's settings, read as they are
    (written,) = (tmp_path / "cpu").glob("cpu-*.json")
    assert json.loads(written.read_text())["GET /redeem-history/N/submitted/"][0] == 1
