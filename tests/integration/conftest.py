"""Real Celery workers against Redis and the test database, for the tests marked `integration`.

A worker is `celery -A membercenter worker --pool=prefork --concurrency=1` in its own process
group, with the test's database (`transaction=True` tests: rows are committed, so the worker
sees them), this test process's Redis key prefix (tests/conftest.py: runs that share a Redis
never take each other's jobs), and a mail folder the test reads (EMAIL_URL=filemail://).
While a test has `broker`, this process queues jobs in Redis instead of running them.

They need REDIS_URL (.ci/run sets it for the PostgreSQL stage); without it they are skipped,
which FAIL_ON_SKIP turns into a failure in CI.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from tests.conftest import CELERY_KEY_PREFIX, _delete_matching
from tests.rewards.conftest import code_reward, reward_code_promotion  # noqa: F401 - fixtures used here

REPO = Path(__file__).resolve().parents[2]
READY_WITHIN = 30.0


def wait_until(condition: Callable[[], object], *, within: float, what: str, every: float = 0.1) -> object:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"waited {within:.0f}s for {what}")


def database_url() -> str:
    """The test database pytest-django made, as DATABASE_URL for another process."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, *, count: int = 1, within: float = 20.0) -> None:
        def seen() -> bool:
            assert self.process.poll() is None, f"the worker exited:\n{self.output()}"
            return len(re.findall(pattern, self.output())) >= count

        wait_until(seen, within=within, what=f"{pattern!r} ×{count} in the worker's log:\n{self.output()}")

    def pool_processes(self) -> list[int]:
        """The pids of the prefork pool's processes (the ones that run the jobs)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                children.append(int(stat.parent.name))
        return children

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool) at once, as a lost machine or container."""
        if self.process.poll() is None:
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def redis_url() -> str:
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/1)")
    return settings.REDIS_URL


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    path = tmp_path / "mail"
    path.mkdir()
    return path


def sent_emails(mail_dir: Path) -> list[str]:
    """Each email the workers wrote to the mail folder.

    Django's file backend appends each message, then a line of 79 dashes, to a file named after
    the second and the connection's id(): two connections can share a file.
    """
    emails = []
    for path in sorted(mail_dir.iterdir()):
        emails += [m for m in path.read_text().split("\n" + "-" * 79 + "\n") if m.strip()]
    return emails


@pytest.fixture
def start_worker(
    redis_url: str, mail_dir: Path, tmp_path: Path, transactional_db: None
) -> Iterator[Callable[..., Worker]]:
    """start_worker(settings_module=..., **env) -> a running worker; every one is killed after the test."""
    workers: list[Worker] = []

    def start(settings_module: str = "membercenter.settings", **extra_env: str) -> Worker:
        log = tmp_path / f"worker-{len(workers) + 1}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "CELERY_KEY_PREFIX": CELERY_KEY_PREFIX,
            "EMAIL_URL": f"filemail://{mail_dir}",  # mail_dir is absolute: filemail:///tmp/…
            "STORAGE_BACKEND": "local",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "LOG_FORMAT": "text",
            "LOG_LEVEL": "INFO",
            **extra_env,
        }
        command = [
            sys.executable, "-m", "celery", "-A", "membercenter", "worker", "--pool=prefork", "--concurrency=1",
            "-Q", "celery,evidence", "--loglevel=INFO", "--without-mingle", "--without-gossip", "--without-heartbeat",
            "-n", f"it{len(workers) + 1}-{os.getpid()}@%h",
        ]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our interpreter, our arguments
                command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = Worker(process=process, log=log)
        workers.append(worker)
        worker.wait_for(r" ready\.", within=READY_WITHIN)
        return worker

    yield start
    for worker in workers:
        worker.kill()  # the test has seen what it needed; a warm shutdown would only add seconds
    if settings.REDIS_URL:  # what the killed workers left in Redis: the next test starts clean
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        _delete_matching(client, f"{CELERY_KEY_PREFIX}*")
        client.close()


@pytest.fixture
def broker(settings, redis_url: str) -> Iterator[None]:
    """This process queues jobs in Redis for the workers, instead of running them at commit."""
    from membercenter.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def send_task(name: str, *args: object) -> None:
    """Queue a job by name, as beat does."""
    from membercenter.celery import app

    app.send_task(name, args=args)
