"""The code checkers, run over the source as tests: bandit, pip-audit, ruff, mypy.

Each records its figure in the scorecard from the same result it asserts on. Marked
`tooling`: CI runs them in the SQLite stage only (the source does not change between stages).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from security import dep_audit

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)  # noqa: S603


def _rel(path: str) -> str:
    return str(Path(path).relative_to(ROOT)) if Path(path).is_absolute() else path


# --- bandit -------------------------------------------------------------------------------


def test_bandit_finds_no_high_severity_issue(scorecard):
    proc = _run("bandit", "-c", "pyproject.toml", "-r", "membercenter", "-f", "json", "-q")
    assert proc.returncode in (0, 1), proc.stderr  # 1 = "issues found" (any severity)
    result = json.loads(proc.stdout)
    assert result["errors"] == [], f"bandit could not scan: {result['errors']}"
    assert result["metrics"]["_totals"]["loc"] > 5000  # it really read the code base
    by_severity = Counter(r["issue_severity"] for r in result["results"])
    high = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in result["results"]
            if r["issue_severity"] == "HIGH"]  # fmt: skip
    scorecard.record("bandit.high", len(high))
    scorecard.record("bandit.medium", by_severity["MEDIUM"])
    assert high == []


def test_bandit_config_skips_no_check():
    """Findings are waived one line at a time (# nosec with a reason), never a whole check for all files."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["bandit"]
    assert not config.get("skips"), "a skipped bandit check hides it everywhere: mark the one line with # nosec"


def test_bandit_would_report_a_high_severity_issue(tmp_path):
    """The check can fail: shell=True with a formatted command is a high-severity finding."""
    bad = tmp_path / "bad.py"
    bad.write_text("import subprocess\n\n\ndef run(name):\n    subprocess.call(f'ls {name}', shell=True)\n")
    proc = _run("bandit", "-c", "pyproject.toml", "-f", "json", "-q", str(bad))
    severities = [r["issue_severity"] for r in json.loads(proc.stdout)["results"]]
    assert "HIGH" in severities


# --- pip-audit ----------------------------------------------------------------------------


def test_pinned_dependencies_have_no_known_vulnerability(scorecard):
    report = dep_audit.audit(waivers=dep_audit.load_waivers())  # AuditError (network, bad waiver) fails the test
    print("\n".join(report.lines()))
    scorecard.record("pip_audit.vulnerabilities", len(report.vulnerabilities))
    scorecard.record("pip_audit.waived", len(report.waived))
    scorecard.record("pip_audit.audited", report.audited_by_pip_audit + report.audited_by_project_page)
    scorecard.record("pip_audit.unaudited", len(report.unaudited))
    assert report.pins == len(dep_audit.read_pins()) > 100
    # Every pin is accounted for: audited one way or the other, or listed as not audited.
    assert report.audited_by_pip_audit + report.audited_by_project_page + len(report.unaudited) == report.pins
    assert [str(v) for v in report.vulnerabilities] == []


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_the_waiver_file_in_the_repository_is_valid():
    dep_audit.load_waivers()  # raises on a missing field or an expired waiver


def test_an_expired_waiver_fails_the_audit(tmp_path):
    waivers = _write(
        tmp_path / "w.toml",
        '[[waiver]]\nid = "GHSA-aaaa-bbbb-cccc"\npackage = "pkg"\nreason = "not reachable"\nexpires = 2026-01-31\n',
    )
    assert len(dep_audit.load_waivers(waivers, today=dt.date(2026, 1, 30))) == 1
    with pytest.raises(dep_audit.AuditError, match="expired on 2026-01-31"):
        dep_audit.load_waivers(waivers, today=dt.date(2026, 1, 31))


@pytest.mark.parametrize("missing", ["id", "package", "reason", "expires"])
def test_a_waiver_needs_every_field(tmp_path, missing):
    fields = {"id": '"GHSA-1"', "package": '"pkg"', "reason": '"why"', "expires": "2099-01-01"}
    del fields[missing]
    waivers = _write(tmp_path / "w.toml", "[[waiver]]\n" + "".join(f"{k} = {v}\n" for k, v in fields.items()))
    with pytest.raises(dep_audit.AuditError, match=f"missing {missing}"):
        dep_audit.load_waivers(waivers)


def test_waivers_cover_only_their_own_advisory_and_package(tmp_path):
    lock = _write(tmp_path / "requirements.lock", "alpha==1.0\nBeta_Pkg==2.0\ngamma==3.0\ndelta==0.9\n")

    def pip_audit(_path):  # pip-audit's JSON: alpha audited, the others it could not look up
        vuln = {"id": "PYSEC-1", "fix_versions": ["1.1"], "aliases": ["CVE-2026-1"]}
        return [
            {"name": "alpha", "version": "1.0", "vulns": [vuln]},
            {"name": "beta-pkg", "skip_reason": "Dependency not found on PyPI"},
            {"name": "gamma", "skip_reason": "Dependency not found on PyPI"},
            # delta missing from pip-audit's answer: must not count as clean
        ]

    pages = {
        "Beta_Pkg": {"info": {"version": "2.0"}, "vulnerabilities": [{"id": "GHSA-b", "aliases": [], "fixed_in": []}]},
        "gamma": {"info": {"version": "3.0"}, "vulnerabilities": [{"id": "GHSA-w", "withdrawn": "2026-01-01"}]},
        "delta": {"info": {"version": "1.0"}, "vulnerabilities": []},
    }
    waivers = [dep_audit.Waiver("CVE-2026-1", "alpha", "why", dt.date(2099, 1, 1))]
    report = dep_audit.audit(requirements=lock, waivers=waivers, pip_audit=pip_audit, project_page=pages.__getitem__)
    assert [str(v) for v in report.waived] == ["alpha 1.0: PYSEC-1 (fixed in 1.1)"]
    assert [str(v) for v in report.vulnerabilities] == ["Beta_Pkg 2.0: GHSA-b (no fix released)"]
    assert report.unaudited == ["delta==0.9 (latest 1.0)"]
    assert (report.audited_by_pip_audit, report.audited_by_project_page) == (1, 2)

    # The same waiver id on another package covers nothing there.
    other = [dep_audit.Waiver("GHSA-b", "alpha", "why", dt.date(2099, 1, 1))]
    report = dep_audit.audit(requirements=lock, waivers=other, pip_audit=pip_audit, project_page=pages.__getitem__)
    assert len(report.vulnerabilities) == 2 and report.waived == []


# --- ruff ---------------------------------------------------------------------------------


def test_ruff_finds_nothing(scorecard):
    check = _run("ruff", "check", "--output-format", "json", ".")
    assert check.returncode in (0, 1), check.stderr
    findings = [
        f"{_rel(f['filename'])}:{f['location']['row']} {f['code']} {f['message']}" for f in json.loads(check.stdout)
    ]
    fmt = _run("ruff", "format", "--check", "--output-format", "json", ".")
    assert fmt.returncode in (0, 1), fmt.stderr
    unformatted = [f"{_rel(f['filename'])}: {f['message']}" for f in json.loads(fmt.stdout)]
    scorecard.record("ruff.findings", len(findings) + len(unformatted))
    assert findings == [] and unformatted == []


# --- mypy ---------------------------------------------------------------------------------


def test_mypy_finds_no_type_error(scorecard):
    proc = _run("mypy", "membercenter", "security", "--cache-dir", "var/mypy-cache", timeout=600)
    errors = re.findall(r"^(\S+?):\d+: error: .+$", proc.stdout, re.MULTILINE)
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not errors):
        pytest.fail(f"mypy did not run: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    scorecard.record("mypy.errors", len(errors))
    per_file = Counter(errors).most_common()
    assert errors == [], f"{len(errors)} mypy errors: {per_file}\n{proc.stdout[-6000:]}"


# --- the DAST stage's verdict (security/dast.py; the scan itself is a CI stage, not a test) --------


def test_dast_fails_on_a_vulnerability_or_a_server_error_only(tmp_path):
    from security import dast

    def finding(path: str) -> dict:
        return {"method": "GET", "path": path, "info": "payload", "level": 1}

    report = tmp_path / "report.json"
    report.write_text(
        json.dumps(
            {
                "vulnerabilities": {"SQL Injection": [], "Cross Site Scripting": [finding("/support/")]},
                "anomalies": {"Internal Server Error": [finding("/products/")], "Resource consumption": [finding("/")]},
            }
        )
    )
    failures, notes, figures = dast.judge(report)
    assert figures == {"vulnerabilities": 1, "server_errors": 1, "other_anomalies": 1}
    assert [f.split(":")[0] for f in failures] == [
        "VULNERABILITY Cross Site Scripting",
        "ANOMALY Internal Server Error",
    ]
    assert notes == ["ANOMALY Resource consumption: GET / payload"]

    report.write_text(json.dumps({"vulnerabilities": {"SQL Injection": []}, "anomalies": {}}))
    assert dast.judge(report) == ([], [], {"vulnerabilities": 0, "server_errors": 0, "other_anomalies": 0})
