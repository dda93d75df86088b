"""`make loadtest`: the production stack on this machine under a realistic load, reported in docs/performance.md.

    .venv/bin/python bench/loadtest/run.py [--ratio 60] [--mix 100] [--members 48] [--no-report]
    .venv/bin/python bench/loadtest/run.py --report-only     # docs/performance.md again from the last run
    .venv/bin/python bench/loadtest/run.py --serve-only      # the stack alone, for profiling (Ctrl-C stops)

From scratch, on loopback only, bounded in time:

1. PostgreSQL database `mc_g_loadtest` dropped and created, migrated; Redis database 2 (our
   key prefixes only) emptied.
2. Seeded (bench/loadtest/seed.py): the demo catalog, a published promotion with a pool of
   codes, members with products, claims in every status and messages, reviewers, serials to
   register and products to redeem; the pictures come from the project's generator, made
   once and cached in var/loadtest/cache.
3. `collectstatic`, then gunicorn (gunicorn.conf.py: gthread workers), a Celery worker and
   beat, in DJANGO_ENV=production with every required variable set for loopback; an SMTP
   sink receives the mail.
4. locust, headless (bench/loadtest/locustfile.py): warm-up; the saturated phase, where the
   floor (with and without a session), a layout reference page and the member pages take
   turns; then the realistic mix. CPU is sampled per process group meanwhile, and gunicorn's
   hooks (gunicorn_cpu.py) measure each request's CPU.
5. Everything stopped (also on failure or Ctrl-C); docs/performance.md written from the
   numbers (bench/loadtest/report.py), the raw data left in var/loadtest/. The exit status
   is 0 only when every target is met.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from report import Report  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402

VENV_BIN = Path(sys.executable).parent
WORK = ROOT / "var" / "loadtest"
DATABASE = "mc_g_loadtest"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/2"
KEY_PREFIX = "mcg-loadtest"
CELERY_PREFIX = f"{KEY_PREFIX}-celery:"
BUDGET_SECONDS = 300
POSTGRES_GROUP = "PostgreSQL (this database's connections)"
# The actions limited per IP address (settings.RATE_LIMITS: RATE_<ACTION>_PER_IP).
_RATE_LIMITED = ("SIGNUP", "LOGIN", "PASSWORD_RESET", "CAPTCHA_REFRESH", "UPLOAD", "REGISTRATION", "CLAIM")


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warmup", type=float, default=8, help="seconds at least (until every user is logged in)")
    parser.add_argument(
        "--ratio", type=float, default=60, help="seconds of the saturated phase (floors, layout and pages in turns)"
    )
    parser.add_argument("--slice", type=float, default=5, help="seconds of each turn in the saturated phase")
    parser.add_argument("--mix", type=float, default=100, help="seconds of the realistic mix")
    parser.add_argument("--members", type=int, default=48, help="members logged in (all act in the mix)")
    parser.add_argument("--saturators", type=int, default=24, help="members sending back to back (floor, pages)")
    parser.add_argument("--reviewers", type=int, default=3)
    parser.add_argument("--seed-members", type=int, default=2000, help="members in the database")
    parser.add_argument("--web-concurrency", type=int, default=0, help="gunicorn workers (default: its config's)")
    parser.add_argument("--threads", type=int, default=0, help="gunicorn threads per worker (default: its config's)")
    parser.add_argument("--worker-concurrency", type=int, default=1, help="processes of each Celery worker")
    parser.add_argument(
        "--worker-priority",
        choices=("idle", "nice", "normal"),
        default="idle",
        help="the Celery worker's CPU priority: idle (only spare CPU, SCHED_IDLE), nice (nice 10) or normal",
    )
    parser.add_argument(
        "--worker-cpu",
        type=float,
        default=0.25,
        help="at most this share of one CPU for the OCR worker (a cgroup CPU quota; 0: no cap)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--no-report", action="store_true", help="leave docs/performance.md alone")
    parser.add_argument("--keep", action="store_true", help="leave the stack running until Enter (for profiling)")
    parser.add_argument("--serve-only", action="store_true", help="set up and serve, no load, until Ctrl-C")
    parser.add_argument("--report-only", action="store_true", help="write the report again from the last run's numbers")
    parser.add_argument(
        "--no-measure-cpu", dest="measure_cpu", action="store_false", help="without gunicorn's CPU-per-request hooks"
    )
    parser.add_argument("--skip-setup", action="store_true", help="with --serve-only: the database as it is")
    return parser.parse_args()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """The processes of one run; `stop()` ends every one of them, whatever happened."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.started = time.monotonic()
        self.steps: dict[str, float] = {}
        self.processes: dict[str, subprocess.Popen] = {}
        self.worker_cap = ""
        self.logs = WORK / "logs"
        self.port = _free_port()
        self.smtp: SmtpSink | None = None
        self.sampler: CpuSampler | None = None

    # --- helpers -------------------------------------------------------------------------------

    def step(self, name: str, since: float) -> None:
        self.steps[name] = round(time.monotonic() - since, 1)
        print(
            f"[loadtest] {name}: {self.steps[name]:.1f} s (total {time.monotonic() - self.started:.0f} s)", flush=True
        )

    def env(self) -> dict[str, str]:
        """Production mode, every required variable set for loopback (docs/performance.md says why each)."""
        from cryptography.fernet import Fernet

        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "TZ")
        base = {k: os.environ[k] for k in keep if k in os.environ}
        origin = f"https://127.0.0.1:{self.port}"
        if not hasattr(self, "_secrets"):
            self._secrets = (secrets.token_urlsafe(50), Fernet.generate_key().decode())
        return {
            **base,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "membercenter.settings",
            "DJANGO_ENV": "production",
            "SECRET_KEY": self._secrets[0],
            "REWARD_CODES_KEY": self._secrets[1],
            "ALLOWED_HOSTS": "127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": origin,
            "SITE_URL": origin,
            # TLS ends at the load balancer, which says so in X-Forwarded-Proto: the load generator plays
            # the balancer. The HTTPS redirect, secure cookies and HSTS stay on.
            "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
            "TRUSTED_PROXIES": "127.0.0.1/32",
            "DATABASE_URL": f"{POSTGRES}/{DATABASE}",
            "REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": KEY_PREFIX,
            "CELERY_KEY_PREFIX": CELERY_PREFIX,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp.port if self.smtp else 25}",
            "STORAGE_BACKEND": "local",
            "MEDIA_ROOT": str(WORK / "media"),
            "STATIC_ROOT": str(WORK / "static"),
            "LOG_LEVEL": "INFO",
            "LOADTEST_FLOOR": "1",
            # One address plays all the browsers: the limits per IP address would take the 51 users for
            # one attacker. They are raised for the run; the limits per account stay as configured.
            **{f"RATE_{action}_PER_IP": "100000/h" for action in _RATE_LIMITED},
            "BIND": f"127.0.0.1:{self.port}",
            "PROMETHEUS_MULTIPROC_DIR": str(WORK / "prometheus"),
            "GUNICORN_GRACEFUL_TIMEOUT": "5",
            # No recycling during the run: a new worker spends its first second importing the views and
            # compiling templates, a cost per 2,000 requests that would fall mostly on the floor's turns.
            "GUNICORN_MAX_REQUESTS": "0",
            **({"WEB_CONCURRENCY": str(self.args.web_concurrency)} if self.args.web_concurrency else {}),
            **({"GUNICORN_THREADS": str(self.args.threads)} if self.args.threads else {}),
        }

    def run(self, name: str, command: list[str], **extra: str) -> None:
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            done = subprocess.run(  # noqa: S603 — our interpreter, our arguments
                command, cwd=ROOT, env={**self.env(), **extra}, stdout=out, stderr=subprocess.STDOUT, check=False
            )
        if done.returncode != 0:
            raise SystemExit(f"{name} failed (exit {done.returncode}); see {log}:\n{_tail(log)}")

    def start(self, name: str, command: list[str], **extra: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603 — our interpreter, our arguments
            command, cwd=ROOT, env={**self.env(), **extra}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.processes[name] = process
        return process

    # --- the run -------------------------------------------------------------------------------

    def prepare(self) -> None:
        for folder in ("logs", "media", "static", "prometheus"):
            (WORK / folder).mkdir(parents=True, exist_ok=True)
        for log in self.logs.glob("*.log"):
            log.unlink()
        since = time.monotonic()
        _database_recreate()
        _redis_clear()
        self.smtp = SmtpSink().start()
        self.step("database created, Redis cleared", since)
        since = time.monotonic()
        self.run("migrate", [sys.executable, "manage.py", "migrate", "--noinput"])
        self.step("migrate", since)
        since = time.monotonic()
        self.run(
            "seed",
            [
                sys.executable, str(HERE / "seed.py"), str(WORK / "plan.json"), str(WORK / "cache"),
                "--members", str(self.args.seed_members), "--active", str(self.args.members),
                "--reviewers", str(self.args.reviewers),
            ],
        )  # fmt: skip
        with _pg(DATABASE) as conn:
            # A live database has its planner statistics; a bulk-loaded one has none until autovacuum.
            conn.execute("VACUUM ANALYZE")
        self.step("seed", since)
        since = time.monotonic()
        self.run("collectstatic", [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"])
        self.step("collectstatic", since)

    def serve(self) -> None:
        since = time.monotonic()
        gunicorn = [str(VENV_BIN / "gunicorn"), "membercenter.wsgi"]
        if self.args.measure_cpu:
            shutil.rmtree(WORK / "cpu", ignore_errors=True)
            gunicorn += ["-c", str(HERE / "gunicorn_cpu.py")]
        self.start("gunicorn", gunicorn, LOADTEST_CPU_DIR=str(WORK / "cpu"))
        # Two workers, as the documented topology splits them: `celery` (mail, a claim's checks, rewards,
        # the sweeps: light) and `evidence` (the pictures' OCR: one to two seconds of CPU each). One machine
        # for everything here: both take only spare CPU (idle priority), and the OCR worker is also capped
        # (`_cpu_cap`). In the documented topology workers have machines of their own.
        for name, queue in (("worker", "celery"), ("ocr", "evidence")):
            worker = [
                sys.executable, "-m", "celery", "-A", "membercenter", "worker", "--loglevel", "INFO", "-Q", queue,
                "--concurrency", str(self.args.worker_concurrency), "--max-tasks-per-child", "200",
                "-n", f"loadtest-{name}-{os.getpid()}@%h",
            ]  # fmt: skip
            if self.args.worker_priority == "idle":
                worker = ["chrt", "--idle", "0", *worker]
            elif self.args.worker_priority == "nice":
                worker = ["nice", "-n", "10", *worker]
            self.start(name, worker)
        self.worker_cap = _cpu_cap(self.processes["ocr"].pid, self.args.worker_cpu)
        schedule = str(WORK / "celerybeat-schedule")
        self.start("beat", [sys.executable, "-m", "celery", "-A", "membercenter", "beat", "--schedule", schedule])
        self._wait_healthy()
        for name in ("worker", "ocr"):
            _wait_for_log(self.logs / f"{name}.log", " ready.", within=60, process=self.processes[name])
        self.step("gunicorn, worker and beat started", since)

    def serve_only(self) -> None:
        """The stack without load, for profiling and trying the locustfile by hand."""
        if self.args.skip_setup:
            for folder in ("logs", "media", "static", "prometheus"):
                (WORK / folder).mkdir(parents=True, exist_ok=True)
            self.smtp = SmtpSink().start()
        else:
            self.prepare()
        self.serve()
        print(f"[loadtest] serving http://127.0.0.1:{self.port} (send X-Forwarded-Proto: https); Ctrl-C stops")
        (WORK / "port").write_text(str(self.port))
        while True:
            time.sleep(3600)

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.processes["gunicorn"].poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{_tail(self.logs / 'gunicorn.log')}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health/", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer /health/:\n{_tail(self.logs / 'gunicorn.log')}")

    def load(self) -> Path:
        since = time.monotonic()
        a = self.args
        lengths = {"warmup": a.warmup, "ratio": a.ratio, "mix": a.mix}
        phases = ",".join(f"{name}:{seconds}" for name, seconds in lengths.items() if seconds > 0)
        users = a.members + a.reviewers
        limit = int(a.warmup + a.ratio + a.mix + 75)
        results = WORK / "results.json"
        results.unlink(missing_ok=True)
        self.marks = _database_marks()
        self.sampler = CpuSampler(self.processes, database=DATABASE)
        self.sampler.start()
        locust = self.start(
            "locust",
            [
                str(VENV_BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless",
                "-u", str(users), "-r", "16", "--run-time", f"{limit}s", "--stop-timeout", "10",
                "--csv", str(WORK / "locust"), "--host", f"http://127.0.0.1:{self.port}", "--only-summary",
            ],
            LOADTEST_PLAN=str(WORK / "plan.json"), LOADTEST_RESULTS=str(results), LOADTEST_PHASES=phases,
            LOADTEST_SATURATORS=str(a.saturators), LOADTEST_REVIEWERS=str(a.reviewers),
            LOADTEST_PAGES=os.environ.get("LOADTEST_PAGES", ""), LOADTEST_SLICE=str(a.slice),
        )  # fmt: skip
        locust.wait(timeout=limit + 30)
        self.sampler.stop()
        self.step("locust", since)
        if not results.exists():
            raise SystemExit(f"locust wrote no results:\n{_tail(self.logs / 'locust.log')}")
        return results

    def after(self) -> dict:
        """What the run caused, a few seconds after the last request (the jobs catch up)."""
        time.sleep(3)
        facts = _database_facts(self.marks)
        facts["emails received by the SMTP sink"] = self.smtp.messages if self.smtp else 0
        return facts

    def stop(self) -> None:
        _cpu_cap_lift()
        for name in ("locust", "gunicorn", "beat", "worker", "ocr"):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            try:
                # The main process only: gunicorn's master and Celery's stop their workers gracefully
                # (a reading under way is finished), the group is killed only if that takes too long.
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            except ProcessLookupError:
                pass
        _cpu_cap_remove()
        if self.sampler is not None:
            self.sampler.stop()
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None
        _redis_clear()


_CGROUP_NAME = f"membercenter-loadtest-{os.getpid()}"


def _cpu_cap(pid: int, share: float) -> str:
    """Put the process (its children inherit it) in a cgroup with a CPU quota; what was done, in words.

    Idle priority alone does not protect the requests on this kind of machine: its two CPUs
    slow each other down (`_sibling_slowdown`), so a worker computing on one CPU at idle
    priority still slows a request on the other. The cap bounds that. Needs a writable cgroup
    file system (root); without one the worker runs uncapped and the report says so.
    """
    if share <= 0:
        return ""
    period = 100_000
    quota = max(1_000, int(period * share))
    candidates = [
        (Path("/sys/fs/cgroup/cpu") / _CGROUP_NAME, "cpu.cfs_quota_us", f"{quota}"),  # cgroup v1
        (Path("/sys/fs/cgroup") / _CGROUP_NAME, "cpu.max", f"{quota} {period}"),  # cgroup v2
    ]
    for folder, limit, value in candidates:
        try:
            folder.mkdir(exist_ok=True)
            (folder / limit).write_text(value)
            (folder / "cgroup.procs").write_text(str(pid))
        except OSError:
            continue
        return f"{share:g} of a CPU"
    print("[loadtest] no writable cgroup: the worker's CPU is not capped", flush=True)
    return ""


def _cpu_cap_lift() -> None:
    """No cap any more: a reading under way finishes at full speed when the worker is stopped."""
    for path, value in (
        (Path("/sys/fs/cgroup/cpu") / _CGROUP_NAME / "cpu.cfs_quota_us", "-1"),
        (Path("/sys/fs/cgroup") / _CGROUP_NAME / "cpu.max", "max"),
    ):
        try:
            path.write_text(value)
        except OSError:
            pass


def _cpu_cap_remove() -> None:
    for folder in (Path("/sys/fs/cgroup/cpu") / _CGROUP_NAME, Path("/sys/fs/cgroup") / _CGROUP_NAME):
        try:
            folder.rmdir()  # empty once its processes have exited
        except OSError:
            pass


_SPIN = "import time\nt=time.process_time()\nn=0\nwhile time.process_time()-t<0.6: n+=1\nprint(n)"
_BURN = (
    "import numpy as np, time\na=np.random.rand(500,500).astype('float32')\nt=time.time()\nwhile time.time()-t<3: a@a"
)


def _sibling_slowdown() -> float | None:
    """How much slower Python runs on CPU 0 while CPU 1 computes at idle priority (1.0: not at all)."""
    if not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2:
        return None
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

    def spin() -> int:
        out = subprocess.run(  # noqa: S603 — our interpreter, our code; taskset from PATH as chrt above
            ["taskset", "-c", "0", sys.executable, "-c", _SPIN],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        return int(out.stdout)

    try:
        alone = max(spin() for _ in range(2))
        burner = subprocess.Popen(  # noqa: S603 — our interpreter, our code; taskset, chrt from PATH
            ["taskset", "-c", "1", "chrt", "--idle", "0", sys.executable, "-c", _BURN],  # noqa: S607
            env=env,
        )
        try:
            time.sleep(0.5)
            beside = max(spin() for _ in range(2))
        finally:
            burner.kill()
            burner.wait()
    except (OSError, subprocess.CalledProcessError, ValueError):
        return None
    return round(alone / max(beside, 1), 2)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _wait_for_log(path: Path, text: str, *, within: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{path.stem} exited:\n{_tail(path)}")
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.3)
    raise SystemExit(f"{path.stem} not ready within {within:.0f} s:\n{_tail(path)}")


def _pg(dbname: str = "postgres"):  # noqa: ANN202
    import psycopg

    return psycopg.connect(f"{POSTGRES}/{dbname}", autocommit=True, connect_timeout=5)


def _database_recreate() -> None:
    with _pg() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


_COUNTED = {
    "claims": "claims_claim",
    "claim events": "claims_claimevent",
    "products": "products_registeredproduct",
    "scans": "evidence_scan",
    "emails": "notifications_outboxemail",
}


def _database_marks() -> dict[str, int]:
    """The last id of each table the run adds to: what comes after is the run's."""
    with _pg(DATABASE) as conn:
        return {k: conn.execute(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0] for k, t in _COUNTED.items()}  # noqa: S608


_SCANS_DONE = "FROM evidence_scan WHERE id > %(scans)s AND state = 'done'"
_FACTS = {
    "claims submitted": "SELECT count(*) FROM claims_claim WHERE id > %(claims)s",
    "claims judged by the worker by the end": (
        "SELECT count(*) FROM claims_claim WHERE id > %(claims)s AND checks <> '{}'::jsonb"
    ),
    "decisions (approved, sent back)": (
        "SELECT count(*) FROM claims_claimevent WHERE id > %(claim events)s AND from_status = 'submitted' "
        "AND to_status IN ('approved', 'sent_back')"
    ),
    "products registered": "SELECT count(*) FROM products_registeredproduct WHERE id > %(products)s",
    "pictures uploaded": "SELECT count(*) FROM evidence_scan WHERE id > %(scans)s",
    "pictures read by the worker by the end": (
        "SELECT count(*) FROM evidence_scan WHERE id > %(scans)s AND state <> 'pending'"
    ),
    "median seconds the worker took to read a picture": (
        f"SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)::numeric, 2) {_SCANS_DONE}"
    ),
    "median seconds from upload to reading done": (
        "SELECT round(percentile_cont(0.5) WITHIN GROUP "
        "(ORDER BY extract(epoch FROM read_at - created_at))::numeric, 1) "
        "FROM evidence_scan WHERE id > %(scans)s AND state = 'done'"
    ),
    "emails written to the outbox": "SELECT count(*) FROM notifications_outboxemail WHERE id > %(emails)s",
    "emails sent by the end": (
        "SELECT count(*) FROM notifications_outboxemail WHERE id > %(emails)s AND status = 'sent'"
    ),
    "emails failed": "SELECT count(*) FROM notifications_outboxemail WHERE id > %(emails)s AND status = 'failed'",
}


def _database_facts(marks: dict[str, int]) -> dict:
    """Work the run caused, read from the database: rows after the marks taken before the load."""
    facts: dict[str, object] = {}
    with _pg(DATABASE) as conn:
        for label, sql in _FACTS.items():
            value = conn.execute(sql, marks).fetchone()[0]
            facts[label] = value if value is None or isinstance(value, int) else float(value)
    return facts


def _redis_clear() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        for pattern in (f"{KEY_PREFIX}*", f"{CELERY_PREFIX}*"):
            keys = list(client.scan_iter(match=pattern, count=1000))
            for i in range(0, len(keys), 1000):
                client.delete(*keys[i : i + 1000])
    finally:
        client.close()


class CpuSampler(threading.Thread):
    """CPU seconds used each second by the stack's parts, and by everything else on the machine."""

    def __init__(self, processes: dict[str, subprocess.Popen], *, database: str) -> None:
        super().__init__(name="cpu-sampler", daemon=True)
        self.processes = processes
        self.database = database
        self.samples: list[dict] = []
        self.error = ""
        self._done = threading.Event()

    def _groups(self) -> dict[str, list]:
        import psutil

        groups: dict[str, list] = {"web (gunicorn)": [], "jobs (worker, beat)": [], "load generator (locust)": []}
        jobs = "jobs (worker, beat)"
        names = {"gunicorn": "web (gunicorn)", "worker": jobs, "ocr": jobs, "beat": jobs}
        names["locust"] = "load generator (locust)"
        for name, process in list(self.processes.items()):  # a copy: the run adds processes meanwhile
            try:
                parent = psutil.Process(process.pid)
                groups[names[name]] += [parent, *parent.children(recursive=True)]
            except (psutil.NoSuchProcess, KeyError):
                continue
        try:
            with _pg(self.database) as conn:
                pids = [
                    r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database])
                ]
            groups["PostgreSQL (this database's connections)"] = [
                psutil.Process(p) for p in pids if psutil.pid_exists(p)
            ]
        except Exception:  # noqa: BLE001 — a missed sample is only a gap in the CPU table
            groups["PostgreSQL (this database's connections)"] = []
        groups["Redis (shared server)"] = [p for p in psutil.process_iter(["name"]) if p.info["name"] == "redis-server"]
        return groups

    @staticmethod
    def _cpu(processes: list) -> dict[int, float]:
        used = {}
        for p in processes:
            try:
                t = p.cpu_times()
                used[p.pid] = t.user + t.system
            except Exception:  # noqa: BLE001, S112 — the process ended between listing and reading
                continue
        return used

    def run(self) -> None:
        try:
            self._sample()
        except Exception as err:  # noqa: BLE001 — reported; the run goes on without the CPU table
            self.error = repr(err)
            print(f"[loadtest] CPU sampling stopped: {err!r}", flush=True)

    def _sample(self) -> None:
        import psutil

        groups = self._groups()
        before = {g: self._cpu(ps) for g, ps in groups.items()}
        total_before = psutil.cpu_times()
        last = time.time()
        refresh = 0
        while not self._done.wait(0.5):
            refresh += 1
            if refresh % 10 == 0:  # new gunicorn workers (max_requests), new database connections
                groups = self._groups()
            now = time.time()
            after = {g: self._cpu(ps) for g, ps in groups.items()}
            total_after = psutil.cpu_times()
            busy = (sum(total_after) - total_after.idle - total_after.iowait) - (
                sum(total_before) - total_before.idle - total_before.iowait
            )
            sample = {"t": now, "seconds": now - last, "machine": busy}
            for g in groups:
                old = before.get(g, {})
                sample[g] = sum(max(0.0, v - old.get(pid, v)) for pid, v in after[g].items())
            self.samples.append(sample)
            before, total_before, last = after, total_after, now

    def stop(self) -> None:
        self._done.set()


def _request_cpu() -> dict[str, list[float]]:
    """gunicorn's CPU per path, summed over its workers: path → [requests, CPU seconds, wall seconds]."""
    sums: dict[str, list[float]] = {}
    for path in (WORK / "cpu").glob("cpu-*.json"):
        for name, (n, cpu, wall) in json.loads(path.read_text()).items():
            row = sums.setdefault(name, [0, 0.0, 0.0])
            row[0] += n
            row[1] += cpu
            row[2] += wall
    return sums


def main() -> None:
    args = _parse_args()
    if args.report_only:
        _write_report(args, json.loads((WORK / "report-input.json").read_text()))
    stack = Stack(args)

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    started_at = dt.datetime.now().astimezone()
    load_before = os.getloadavg()
    slowdown = None if args.serve_only else _sibling_slowdown()
    try:
        if args.serve_only:
            stack.serve_only()
            return
        stack.prepare()
        stack.serve()
        results = stack.load()
        facts = stack.after()
        if args.keep:
            input(f"[loadtest] stack running at http://127.0.0.1:{stack.port} — Enter stops it ")
    except KeyboardInterrupt:
        print("[loadtest] interrupted: stopping everything", flush=True)
        raise SystemExit(130) from None
    finally:
        since = time.monotonic()
        stack.stop()
        stack.step("stopped", since)
    wall = time.monotonic() - stack.started
    inputs = {
        "results": json.loads(results.read_text()),
        "request_cpu": _request_cpu(),
        "cpu": stack.sampler.samples if stack.sampler else [],
        "plan": json.loads((WORK / "plan.json").read_text()),
        "facts": facts,
        "steps": stack.steps,
        "wall_seconds": wall,
        "started_at": started_at.isoformat(),
        "load_before": list(load_before),
        "config": {
            "web_concurrency": args.web_concurrency,
            "threads": args.threads,
            "worker_concurrency": args.worker_concurrency,
            "worker_priority": args.worker_priority,
            "worker_cpu": stack.worker_cap,
            "sibling_slowdown": slowdown,
            "members": args.members,
            "saturators": args.saturators,
            "reviewers": args.reviewers,
            "budget": BUDGET_SECONDS,
        },
        "env": {k: v for k, v in stack.env().items() if k in ("WEB_CONCURRENCY", "GUNICORN_THREADS")},
    }
    (WORK / "report-input.json").write_text(json.dumps(inputs))
    _write_report(args, inputs)


def _write_report(args: argparse.Namespace, inputs: dict) -> None:
    """The summary, the console lines and docs/performance.md, from one run's numbers (kept in var/loadtest)."""
    report = Report(
        **{
            **inputs,
            "started_at": dt.datetime.fromisoformat(inputs["started_at"]),
            "load_before": tuple(inputs["load_before"]),
        }
    )
    (WORK / "summary.json").write_text(json.dumps(report.summary(), indent=1, default=str))
    print(report.console(), flush=True)
    if not args.no_report:
        args.output.write_text(report.markdown())
        print(f"[loadtest] wrote {args.output.relative_to(ROOT)}", flush=True)
    raise SystemExit(0 if report.passed() else 1)


if __name__ == "__main__":
    main()
