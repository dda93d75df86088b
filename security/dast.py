"""A time-boxed dynamic scan (wapiti) of the running app, logged in as the demo member.

    python security/dast.py [--max-scan-time 120] [--max-attack-time 20]

1. Installs Debian's wapiti if it is missing (apt-get; root or sudo).
2. Builds a throw-away site under var/dast/: its own SQLite database with the demo data,
   its own media, mail and static folders; DEBUG off.
3. Serves it with gunicorn (the production server and its config) on a free loopback port.
4. Logs in as member@example.com through the real login form (CSRF token and all) and hands
   the session cookie to wapiti.
5. Runs wapiti over the whole site with the attack modules listed in MODULES, never
   following the links that would end the session or destroy the account (EXCLUDE).
6. Writes wapiti's JSON report to var/dast/report.json and fails (exit 1) on any
   vulnerability, and on any anomaly that is a server error (an input that made the app
   answer 500 is a bug even when it is not exploitable), or if the scan was not logged in
   (it never reached the member's own pages, or the session was gone at the end).

Loopback only: the scanned server is this script's own child on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "dast"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
MEMBER = ("member@example.com", "demo-pass-2024")

# The attack modules, and why the others are left out:
#   sql, blindsql      SQL injection, error-based and time-based
#   xss, permanentxss  reflected and stored cross-site scripting
#   exec, file         command/code execution, path traversal and file inclusion
#   crlf, redirect     header injection, open redirects (the login's ?next= among them)
#   csrf               forms without a CSRF token (or that accept a request without one)
#   methods            HTTP methods that a view should not accept
# Left out: ssrf and xxe need wapiti's endpoint on the internet (this scan stays on loopback);
# nikto, buster, backup, brute_login_form and wapp are wordlist guessing, not attacks on our
# inputs; shellshock targets CGI bash; htaccess targets Apache's .htaccess. http_headers and
# cookieflags judge HSTS, the obsolete X-XSS-Protection and the Secure cookie flag, which a
# plain-HTTP loopback server cannot meet: tests/security and tests/deploy check the headers
# and the production cookie settings. csp is checked by the header tests as well.
MODULES = "sql,blindsql,xss,permanentxss,exec,file,crlf,redirect,csrf,methods"

# Links the scan must not follow: they end the session it scans with, or delete the member.
EXCLUDE = [
    "/accounts/logout/",
    "/accounts/privacy/delete/",
    "/accounts/password/",
    "/accounts/sessions/",
    "/accounts/language/",
]

# Pages linked only from the demo member's own pages: the crawl reaches them only logged in
# (logged out, every member URL redirects to the log-in page, which links to none of them).
MEMBER_ONLY = [r"/products/\d+/invoice/", r"/redeem-history/\d+/", r"/inbox/\d+/"]

# Anomalies that fail the scan (the others, e.g. a slow answer under the scan's load, are printed).
FAILING_ANOMALIES = {"Internal Server Error"}

# Generous limits, so the scan's hundreds of requests are not refused after the tenth (the
# limits themselves are tested in tests/security). Names are the settings' environment variables.
RATE_LIMIT_ENV = {
    **{name: "100000/h" for name in ("LOGIN_RATE_PER_IP", "LOGIN_RATE_PER_ACCOUNT", "CHK_RATE_PER_ACCOUNT")},
    **{
        f"RATE_{action}_PER_{scope}": "100000/h"
        for action in ("SIGNUP", "LOGIN", "PASSWORD_RESET", "CAPTCHA_REFRESH", "UPLOAD", "REGISTRATION", "CLAIM")
        for scope in ("IP", "ACCOUNT")
    },
}


def log(message: str) -> None:
    print(f"[dast] {message}", flush=True)


def ensure_wapiti() -> str:
    found = shutil.which("wapiti")
    if found:
        return found
    log("wapiti is missing: installing Debian's package")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-q"], check=True, env=env)  # noqa: S603, S607
    subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "wapiti"], check=True, env=env)  # noqa: S603, S607
    found = shutil.which("wapiti")
    if not found:
        raise SystemExit("wapiti: installed, but not on PATH")
    return found


def site_env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "TESTING", "DJANGO_ENV"}}
    env.update(
        DJANGO_ENV="development",
        DEBUG="false",
        DATABASE_URL=f"sqlite:///{WORK / 'db.sqlite3'}",
        MEDIA_ROOT=str(WORK / "media"),
        STATIC_ROOT=str(WORK / "static"),
        EMAIL_URL=f"filemail:///{WORK / 'mail'}",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"http://127.0.0.1:{port}",
        PROMETHEUS_MULTIPROC_DIR=str(WORK / "metrics"),
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="4",
        LOG_LEVEL="WARNING",
        **RATE_LIMIT_ENV,
    )
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def build_site(env: dict[str, str]) -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    for folder in ("media", "static", "mail", "metrics", "wapiti"):
        (WORK / folder).mkdir(parents=True)
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "load_demo")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")


def wait_until_up(base: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped at start-up (exit {server.returncode})")
        try:
            with urllib.request.urlopen(f"{base}/health/", timeout=5):  # noqa: S310 — loopback
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer on {base} within {seconds:.0f} s")


def log_in(base: str) -> http.cookiejar.CookieJar:
    """The member's session, through the real form: GET for the CSRF token, POST the credentials."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/accounts/login/", timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not token:
        raise SystemExit("log-in page: no CSRF token")
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "email": MEMBER[0], "password": MEMBER[1]}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 — the loopback server started above
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    with opener.open(request, timeout=30) as response:
        landed = response.geturl()
    if not any(c.name == "sessionid" for c in jar) or "/accounts/login/" in landed:
        raise SystemExit(f"log-in as {MEMBER[0]} failed (landed on {landed})")
    return jar


def is_logged_in(base: str, jar: http.cookiejar.CookieJar) -> bool:
    """Whether the session still opens the member's own page (not a redirect to the log-in)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/accounts/profile/", timeout=30) as response:
        return "/accounts/login/" not in response.geturl()


def cookie_file(jar: http.cookiejar.CookieJar, path: Path) -> Path:
    """wapiti's JSON cookie file: {domain: {path: {name: {value, expires, secure, port, version}}}}."""
    cookies: dict[str, dict[str, dict[str, dict[str, object]]]] = {}
    for c in jar:
        domain = c.domain.removesuffix(".local")
        entry: dict[str, object] = {
            "value": c.value,
            "expires": c.expires,
            "secure": c.secure,
            "port": None,
            "version": 0,
        }
        cookies.setdefault(domain, {}).setdefault(c.path, {})[c.name] = entry
    path.write_text(json.dumps(cookies, indent=2))
    return path


def wapiti_command(wapiti: str) -> list[str]:
    """wapiti's own interpreter running security/wapiti_shim.py (Debian's 3.0.4 crashes on any -x)."""
    first = Path(wapiti).read_bytes().split(b"\n", 1)[0].decode()
    interpreter = first[2:].strip().split()[0] if first.startswith("#!") else "/usr/bin/python3"
    return [interpreter, str(ROOT / "security" / "wapiti_shim.py")]


def run_wapiti(wapiti: str, base: str, cookies: Path, report: Path, *, scan_time: int, attack_time: int) -> int:
    cmd = [*wapiti_command(wapiti), "-u", f"{base}/", "--scope", "folder", "-c", str(cookies), "-m", MODULES]
    cmd += ["-s", f"{base}/accounts/", "-s", f"{base}/products/register/", "-s", f"{base}/promotions/"]
    for path in EXCLUDE:
        cmd += ["-x", f"{base}{path}*"]
    cmd += ["--max-scan-time", str(scan_time), "--max-attack-time", str(attack_time), "-d", "6"]
    cmd += ["--max-links-per-page", "60", "--max-files-per-dir", "40", "-t", "20"]
    cmd += ["--store-session", str(WORK / "wapiti"), "--store-config", str(WORK / "wapiti"), "--flush-session"]
    cmd += ["-f", "json", "-o", str(report), "-v", "1", "--no-bugreport"]
    log(" ".join(cmd))
    with (WORK / "wapiti.log").open("w") as out:
        limit = scan_time + 12 * attack_time + 300  # crawl, the modules, and slack: never hangs CI
        proc = subprocess.run(cmd, cwd=WORK, stdout=out, stderr=subprocess.STDOUT, timeout=limit)  # noqa: S603
    return proc.returncode


def crawled_paths(session_dir: Path) -> list[str]:
    """The URLs wapiti crawled, from its session database (one per target, in --store-session)."""
    paths: list[str] = []
    for db in session_dir.glob("*.db"):
        with sqlite3.connect(db) as conn:
            paths += [row[0] for row in conn.execute("SELECT path FROM paths")]
    return paths


def urls_found(wapiti_log: Path) -> int:
    """How many URLs and forms wapiti's crawl found (it prints the figure; the report has no list)."""
    found = re.search(r"Wapiti found (\d+) URLs and forms", wapiti_log.read_text())
    return int(found.group(1)) if found else 0


def judge(report: Path) -> tuple[list[str], list[str], dict[str, int]]:
    """(failures, notes, figures) from wapiti's JSON report."""
    data = json.loads(report.read_text())
    failures, notes = [], []
    figures = {"vulnerabilities": 0, "server_errors": 0, "other_anomalies": 0}
    for category, findings in data.get("vulnerabilities", {}).items():
        for f in findings:
            figures["vulnerabilities"] += 1
            failures.append(f"VULNERABILITY {category}: {f.get('method')} {f.get('path')} {f.get('info')}")
    for category, findings in data.get("anomalies", {}).items():
        for f in findings:
            line = f"ANOMALY {category}: {f.get('method')} {f.get('path')} {f.get('info')}"
            if category in FAILING_ANOMALIES:
                figures["server_errors"] += 1
                failures.append(line)
            else:
                figures["other_anomalies"] += 1
                notes.append(line)
    return failures, notes, figures


def _scorecard_record(figures: dict[str, int], elapsed: float) -> None:
    """The scan's figures go to var/scorecard.json beside the tests' (docs/security.md, `tests.scorecard check`)."""
    sys.path.insert(0, str(ROOT))
    from tests.scorecard import store_update

    at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    source = "security/dast.py (make dast)"
    values = {**figures, "seconds": round(elapsed)}
    store_update({f"dast.{name}": {"value": value, "test": source, "at": at} for name, value in values.items()})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # wapiti 3.0.4 bounds the crawl by --max-scan-time and each attack module by --max-attack-time:
    # with ~40 URLs and forms the crawl takes seconds, and the 10 modules at most 10 x 20 s.
    parser.add_argument("--max-scan-time", type=int, default=120, help="seconds for wapiti's crawl")
    parser.add_argument("--max-attack-time", type=int, default=20, help="seconds for each attack module")
    args = parser.parse_args()

    wapiti = ensure_wapiti()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = site_env(port)
    log(f"building the site in {WORK.relative_to(ROOT)}")
    built = time.monotonic()
    build_site(env)
    log(f"site built in {time.monotonic() - built:.0f} s")
    server_log = (WORK / "server.log").open("wb")
    server = subprocess.Popen(  # noqa: S603
        [str(GUNICORN), "membercenter.wsgi:application", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_up(base, server)
        log(f"serving on {base} (gunicorn pid {server.pid}); logging in as {MEMBER[0]}")
        jar = log_in(base)
        cookies = cookie_file(jar, WORK / "cookies.json")
        report = WORK / "report.json"
        started = time.monotonic()
        code = run_wapiti(wapiti, base, cookies, report, scan_time=args.max_scan_time, attack_time=args.max_attack_time)
        elapsed = time.monotonic() - started
        if code != 0 or not report.exists():
            print((WORK / "wapiti.log").read_text()[-5000:])
            log(f"wapiti failed (exit {code}); server log: {WORK / 'server.log'}")
            return 1
        still_in = is_logged_in(base, jar)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        server_log.close()

    failures, notes, figures = judge(report)
    figures["urls_and_forms"] = urls_found(WORK / "wapiti.log")
    crawled = crawled_paths(WORK / "wapiti")
    missed = [p for p in MEMBER_ONLY if not any(re.search(p, url) for url in crawled)]
    if missed:
        failures.append(f"the crawl never reached the member's pages {missed}: it ran logged out")
    if not still_in:
        failures.append("the member's session was gone at the end of the scan: part of it ran logged out")
    for line in notes:
        log(line)
    for line in failures:
        log(line)
    log(
        f"figures: dast.vulnerabilities={figures['vulnerabilities']} dast.server_errors={figures['server_errors']} "
        f"dast.other_anomalies={figures['other_anomalies']} dast.urls_and_forms={figures['urls_and_forms']} "
        f"dast.seconds={elapsed:.0f} modules={MODULES}"
    )
    _scorecard_record(figures, elapsed)
    log(f"report: {report.relative_to(ROOT)}; server log: {(WORK / 'server.log').relative_to(ROOT)}")
    if failures:
        log(f"FAILED: {len(failures)} finding(s)")
        return 1
    log("PASSED: no vulnerability, no server error, logged in throughout")
    return 0


if __name__ == "__main__":
    sys.exit(main())
