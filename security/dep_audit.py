"""Known vulnerabilities in the pinned dependencies (requirements.lock), with waivers.

pip-audit checks every pin against PyPI's advisory data (the PyPA advisory database / OSV),
one request per pinned release. Where pip-audit cannot audit a pin (its per-release page is
not served, as on a package mirror that serves only project pages), the pin is checked
against the advisories on its project page instead, which PyPI gives for the project's
latest release: exact for a pin at the latest release. A pin that is neither is reported as
not audited, never as clean.

A vulnerability counts unless a waiver in security/pip-audit-waivers.toml covers it
(same advisory id or alias, same package) and has not expired; a waiver past its expiry, or
missing a field, fails the audit.

    python security/dep_audit.py            # prints the findings; exit 1 on any
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import tempfile
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements.lock"
WAIVERS = ROOT / "security" / "pip-audit-waivers.toml"
CACHE_DIR = ROOT / "var" / "pip-audit-cache"
PROJECT_PAGE = "https://pypi.org/pypi/{name}/json"
_WAIVER_FIELDS = ("id", "package", "reason", "expires")


class AuditError(Exception):
    """The audit could not be carried out (bad waiver file, pip-audit failure, network)."""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Waiver:
    id: str
    package: str
    reason: str
    expires: dt.date

    def covers(self, vuln: Vulnerability) -> bool:
        return canonical(self.package) == canonical(vuln.package) and self.id in vuln.ids


@dataclass(frozen=True)
class Vulnerability:
    package: str
    version: str
    id: str
    aliases: tuple[str, ...] = ()
    fix_versions: tuple[str, ...] = ()

    @property
    def ids(self) -> set[str]:
        return {self.id, *self.aliases}

    def __str__(self) -> str:
        fix = f" (fixed in {', '.join(self.fix_versions)})" if self.fix_versions else " (no fix released)"
        return f"{self.package} {self.version}: {self.id}{fix}"


@dataclass
class Report:
    pins: int = 0
    audited_by_pip_audit: int = 0
    audited_by_project_page: int = 0
    unaudited: list[str] = field(default_factory=list)
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    waived: list[Vulnerability] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"{self.pins} pinned packages: {self.audited_by_pip_audit} audited by pip-audit, "
            f"{self.audited_by_project_page} by their project page's advisories (pin = latest release), "
            f"{len(self.unaudited)} not audited"
        ]
        out += [f"  not audited (pinned below the latest release, no per-release data): {p}" for p in self.unaudited]
        out += [f"  WAIVED {v}" for v in self.waived]
        out += [f"  VULNERABLE {v}" for v in self.vulnerabilities]
        out.append(f"{len(self.vulnerabilities)} vulnerabilities not waived, {len(self.waived)} waived")
        return out


def read_pins(path: Path = REQUIREMENTS) -> dict[str, tuple[str, str]]:
    """canonical name -> (name as written, version) for every `name==version` line."""
    pins: dict[str, tuple[str, str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name, sep, version = line.partition("==")
        if not sep:
            raise AuditError(f"{path.name}: not pinned with ==: {raw!r}")
        name = name.split("[", 1)[0].strip()
        pins[canonical(name)] = (name, version.split(";", 1)[0].strip())
    return pins


def load_waivers(path: Path = WAIVERS, *, today: dt.date | None = None) -> list[Waiver]:
    """The waivers in force; AuditError on a malformed or expired one."""
    today = today or dt.date.today()
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AuditError(f"{path.name}: {exc}") from exc
    waivers, problems = [], []
    for n, entry in enumerate(data.get("waiver", []), start=1):
        missing = [k for k in _WAIVER_FIELDS if not entry.get(k)]
        if missing:
            problems.append(f"waiver {n}: missing {', '.join(missing)}")
            continue
        expires = entry["expires"]
        if not isinstance(expires, dt.date) or isinstance(expires, dt.datetime):
            problems.append(f"waiver {n} ({entry['id']}): expires must be a date like 2027-03-31")
            continue
        if expires <= today:
            problems.append(f"waiver {n} ({entry['id']} in {entry['package']}) expired on {expires}: look again")
            continue
        waivers.append(Waiver(str(entry["id"]), str(entry["package"]), str(entry["reason"]), expires))
    if problems:
        raise AuditError(f"{path.name}: " + "; ".join(problems))
    return waivers


def run_pip_audit(requirements: Path = REQUIREMENTS, *, cache_dir: Path = CACHE_DIR) -> list[dict]:
    """pip-audit's per-dependency results: {name, version, vulns} or {name, skip_reason}."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        # Every transitive dependency is pinned in the lock file, so no resolution (--no-deps,
        # --disable-pip): each pin is looked up as it is. Not --strict: a pin it cannot look up is
        # handled below (project page, or reported as not audited) instead of ending the run.
        cmd = [sys.executable, "-m", "pip_audit", "-r", str(requirements), "--no-deps", "--disable-pip"]
        cmd += ["--progress-spinner", "off", "--cache-dir", str(cache_dir), "-f", "json", "-o", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)  # noqa: S603 — fixed argv
        # Exit 1 means "vulnerabilities found"; the JSON says which. Anything else is a failure.
        if proc.returncode not in (0, 1) or not out.exists():
            raise AuditError(f"pip-audit failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
        return json.loads(out.read_text())["dependencies"]


def fetch_project_page(name: str) -> dict:
    url = PROJECT_PAGE.format(name=name)
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 — fixed https URL
            return json.load(response)
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise AuditError(f"{url}: {exc}") from exc


def audit(
    *,
    requirements: Path = REQUIREMENTS,
    waivers: Iterable[Waiver] = (),
    pip_audit: Callable[[Path], list[dict]] = run_pip_audit,
    project_page: Callable[[str], dict] = fetch_project_page,
) -> Report:
    pins = read_pins(requirements)
    report = Report(pins=len(pins))
    found: list[Vulnerability] = []
    fallback: list[str] = []
    seen: set[str] = set()
    for dep in pip_audit(requirements):
        key = canonical(dep["name"])
        if key not in pins:
            continue
        seen.add(key)
        if "skip_reason" in dep:
            fallback.append(key)
            continue
        report.audited_by_pip_audit += 1
        for v in dep.get("vulns", []):
            found.append(
                Vulnerability(
                    dep["name"], dep["version"], v["id"], tuple(v.get("aliases", ())), tuple(v["fix_versions"])
                )
            )
    fallback += sorted(set(pins) - seen)  # a pin pip-audit did not mention at all is not clean either
    with ThreadPoolExecutor(max_workers=8) as pool:
        pages = dict(zip(fallback, pool.map(lambda key: project_page(pins[key][0]), fallback), strict=True))
    for key in fallback:
        name, version = pins[key]
        page = pages[key]
        if page["info"]["version"] != version:
            report.unaudited.append(f"{name}=={version} (latest {page['info']['version']})")
            continue
        report.audited_by_project_page += 1
        for v in page.get("vulnerabilities") or []:
            if v.get("withdrawn"):
                continue
            found.append(
                Vulnerability(name, version, v["id"], tuple(v.get("aliases") or ()), tuple(v.get("fixed_in") or ()))
            )
    waivers = list(waivers)
    for vuln in found:
        (report.waived if any(w.covers(vuln) for w in waivers) else report.vulnerabilities).append(vuln)
    return report


def main() -> int:
    try:
        report = audit(waivers=load_waivers())
    except AuditError as exc:
        print(f"dependency audit failed: {exc}", file=sys.stderr)
        return 2
    print("\n".join(report.lines()))
    return 1 if report.vulnerabilities else 0


if __name__ == "__main__":
    sys.exit(main())
