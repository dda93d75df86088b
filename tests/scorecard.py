"""The security scorecard: figures for docs/security.md, recorded by the tests that prove them.

A test asks for the `scorecard` fixture and records a figure from the same data it asserts on:

    def test_matrix(scorecard):
        ...
        scorecard.record("authz.mismatches", len(mismatches))
        assert not mismatches

Each pytest process (every xdist worker) writes what it recorded to var/scorecard/parts/; at
the end of the run the controller merges it into var/scorecard.json, keeping the figures of
earlier runs that this run did not record (CI runs the suite in two stages).

    python -m tests.scorecard render   # rewrite the table in docs/security.md from var/scorecard.json
    python -m tests.scorecard check    # fail unless every figure was recorded, meets its target,
                                       # and (for the stable ones) equals what docs/security.md says
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"
STORE = VAR / "scorecard.json"
PARTS = VAR / "scorecard" / "parts"
DOC = ROOT / "docs" / "security.md"
BEGIN, END = "<!-- scorecard:begin -->", "<!-- scorecard:end -->"

RATE_LIMITED = {
    "signup": "Sign-up",
    "login": "Log-in",
    "password_reset": "Password reset",
    "captcha_refresh": "Captcha refresh",
    "upload": "Upload",
    "registration": "Product registration",
    "claim": "Claim submission",
}


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    target: str = ""  # "== 0", "< 5" …; empty: a count shown as it is
    stable: bool = True  # the same in every run of the same code (a timing is not)

    def meets(self, value: float) -> bool:
        if not self.target:
            return True
        op, limit = self.target.split()
        return {"==": value == float(limit), "<": value < float(limit), ">=": value >= float(limit)}[op]


FIGURES: list[Figure] = [
    Figure("uploads.hostile_tried", "Hostile uploads tried"),
    Figure("uploads.hostile_accepted", "Hostile uploads accepted", "== 0"),
    Figure("uploads.server_errors", "Hostile uploads answered with a server error", "== 0"),
    Figure("authz.urls", "URLs that take an object id, in the authorisation matrix"),
    Figure("authz.cases", "Authorisation matrix cases (URL × actor × method)"),
    Figure("authz.mismatches", "Authorisation matrix mismatches", "== 0"),
    Figure("concurrency.redemption_attempts", "Concurrent double-redemption attempts"),
    Figure("concurrency.redemption_duplicates", "Duplicate claims they made", "== 0"),
    Figure("concurrency.allocation_attempts", "Concurrent code allocation attempts"),
    Figure("concurrency.allocation_duplicates", "Codes given twice", "== 0"),
    Figure("enumeration.differences", "Response differences, known vs unknown email (sign-up, log-in, reset)", "== 0"),
    Figure("enumeration.timing_gap_ms", "Timing gap, existing vs unknown email (ms, median)", "< 8", stable=False),
    *(
        Figure(f"ratelimit.{action}.first_refused", f"Rate limit: first refused attempt, {label}")
        for action, label in RATE_LIMITED.items()
    ),
    Figure("privacy.deleted_member_traces", "Traces of a deleted member left in any column of any table", "== 0"),
    Figure("privacy.columns_scanned", "Columns scanned for them", stable=False),
    Figure("data.reward_codes_checked", "Reward codes checked at rest"),
    Figure("data.plaintext_code_columns", "Columns holding a reward code in clear", "== 0"),
    Figure("headers.responses_checked", "Responses checked for security headers"),
    Figure("headers.problems", "Missing or wrong security headers", "== 0"),
    Figure("headers.templates_scanned", "Templates scanned for inline script, style or handlers"),
    Figure("headers.template_inline_code", "Inline scripts, styles or handlers in templates", "== 0"),
    Figure("headers.csp_pages_visited", "Pages loaded in Chromium under the CSP", stable=False),
    Figure("headers.csp_violations", "CSP violations in Chromium (member, reviewer, admin)", "== 0"),
    Figure("deploy.check_warnings", "`check --deploy` warnings, production settings", "== 0"),
    Figure("bandit.high", "bandit high-severity findings", "== 0"),
    Figure("pip_audit.vulnerabilities", "pip-audit known vulnerabilities (not waived)", "== 0"),
    Figure("dast.vulnerabilities", "DAST (wapiti, logged in as a member): vulnerabilities", "== 0"),
    Figure("dast.server_errors", "DAST: server errors provoked", "== 0"),
    Figure("statemachine.examples", "State-machine examples run (claim pipeline and limits)", ">= 1", stable=False),
    Figure("statemachine.steps", "State-machine steps run", ">= 1", stable=False),
    Figure("statemachine.violations", "State-machine invariant violations", "== 0"),
]
BY_KEY = {figure.key: figure for figure in FIGURES}


class Scorecard:
    def __init__(self) -> None:
        self.figures: dict[str, dict[str, Any]] = {}

    def record(self, key: str, value: float, *, test: str = "") -> None:
        if not re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", key):
            raise ValueError(f"scorecard key {key!r}: dotted lowercase words expected")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"scorecard {key}: a number expected, got {value!r}")
        self.figures[key] = {"value": value, "test": test, "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


class _Recorder:
    """What a test sees: `record` notes the test's own id with the figure."""

    def __init__(self, card: Scorecard, nodeid: str) -> None:
        self._card, self._nodeid = card, nodeid

    def record(self, key: str, value: float) -> None:
        self._card.record(key, value, test=self._nodeid.split("[")[0])


_CARD = Scorecard()


@pytest.fixture
def scorecard(request: pytest.FixtureRequest) -> _Recorder:
    return _Recorder(_CARD, request.node.nodeid)


def _run_id(config: pytest.Config) -> str:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return workerinput["scorecard_run"]
    if not hasattr(config, "_scorecard_run"):
        config._scorecard_run = uuid.uuid4().hex[:12]  # type: ignore[attr-defined]
    return config._scorecard_run  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:  # pytest-xdist: the controller names the run for its workers
    node.workerinput["scorecard_run"] = _run_id(node.config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    run = _run_id(config)
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker is not None:  # a worker hands its figures to the controller
        if _CARD.figures:
            PARTS.mkdir(parents=True, exist_ok=True)
            (PARTS / f"{run}-{worker}.json").write_text(json.dumps(_CARD.figures))
        return
    figures = dict(_CARD.figures)
    for part in sorted(PARTS.glob(f"{run}-*.json")) if PARTS.exists() else []:
        figures.update(json.loads(part.read_text()))
        part.unlink()
    if figures:
        store_update(figures)


def store_load() -> dict[str, dict[str, Any]]:
    return json.loads(STORE.read_text()) if STORE.exists() else {}


def store_update(figures: dict[str, dict[str, Any]]) -> None:
    merged = {**store_load(), **figures}
    VAR.mkdir(exist_ok=True)
    tmp = STORE.with_suffix(".tmp")
    tmp.write_text(json.dumps(merged, indent=1, sort_keys=True))
    os.replace(tmp, STORE)


def _shown(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def render_table(store: dict[str, dict[str, Any]]) -> str:
    rows = ["| figure | value | target | recorded by |", "|---|---|---|---|"]
    for figure in FIGURES:
        entry = store.get(figure.key)
        value = _shown(entry["value"]) if entry else "not recorded"
        target = figure.target.replace("==", "=") if figure.target else ""
        test = f"`{entry['test']}`" if entry and entry.get("test") else ""
        rows.append(f"| {figure.label} | {value} | {target} | {test} |")
    others = sorted(key for key in store if key not in BY_KEY)
    if others:  # figures a test records for information (e.g. bandit's medium findings)
        rows += ["", "Also recorded:", "", "| key | value | recorded by |", "|---|---|---|"]
        rows += [f"| `{key}` | {_shown(store[key]['value'])} | `{store[key].get('test', '')}` |" for key in others]
    return "\n".join(rows)


def _doc_values() -> dict[str, str]:
    """The value column of the table in docs/security.md, by label."""
    text = DOC.read_text()
    table = text[text.index(BEGIN) + len(BEGIN) : text.index(END)]
    values = {}
    for line in table.strip().split("\n\n")[0].splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        values[cells[0]] = cells[1]
    return values


def render() -> int:
    store = store_load()
    text = DOC.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    DOC.write_text(text[:start] + "\n" + render_table(store) + "\n" + text[end:])
    print(f"{DOC.relative_to(ROOT)}: {len(FIGURES)} figures from {STORE.relative_to(ROOT)}")
    return 0


def check() -> int:
    store, doc = store_load(), _doc_values()
    problems = []
    for figure in FIGURES:
        entry = store.get(figure.key)
        if entry is None:
            problems.append(f"{figure.key}: not recorded by any test in this run")
            continue
        if not figure.meets(entry["value"]):
            problems.append(f"{figure.key}: {entry['value']} misses the target {figure.target}")
        if figure.stable and doc.get(figure.label) != _shown(entry["value"]):
            problems.append(
                f"{figure.key}: docs/security.md says {doc.get(figure.label)!r}, the tests measured "
                f"{_shown(entry['value'])!r} (run `python -m tests.scorecard render`)"
            )
    for problem in problems:
        print(f"scorecard: {problem}")
    if not problems:
        print(f"scorecard: {len(FIGURES)} figures recorded, every target met, docs/security.md up to date")
    return 1 if problems else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in {"render", "check"}:
        sys.exit("usage: python -m tests.scorecard render|check")
    sys.exit(render() if command == "render" else check())
