"""pytest plugin: with FAIL_ON_SKIP=1, a run that skipped any test fails.

CI sets it so that a missing browser or service cannot turn into a green run
that tested nothing. Expected failures (xfail) are not skips and are not counted.
"""

from __future__ import annotations

import os

import pytest

_skipped: list[tuple[str, str]] = []


def _enabled() -> bool:
    return os.environ.get("FAIL_ON_SKIP", "").strip().lower() in {"1", "true", "yes", "on"}


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # (path, lineno, "Skipped: reason")
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # A skip is reported in "setup" (skip marks, skipping fixtures) or in "call" (pytest.skip in the test).
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append((report.nodeid, _reason(report)))


def pytest_collectreport(report: pytest.CollectReport) -> None:
    # A module-level pytest.skip(..., allow_module_level=True) or importorskip skips a whole file.
    if report.skipped:
        _skipped.append((report.nodeid or "<collection>", _reason(report)))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _enabled() and _skipped and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int) -> None:  # noqa: ANN001
    if not (_enabled() and _skipped):
        return
    terminalreporter.section("FAIL_ON_SKIP", sep="=", red=True, bold=True)
    terminalreporter.write_line(
        f"FAIL_ON_SKIP=1 and {len(_skipped)} test(s) were skipped, so this run fails:", red=True
    )
    for nodeid, reason in _skipped:
        terminalreporter.write_line(f"  SKIPPED {nodeid}: {reason}", red=True)
