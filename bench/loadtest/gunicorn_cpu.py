"""gunicorn.conf.py plus a measurement: the CPU time of each request, in the thread that serves it.

    gunicorn -c bench/loadtest/gunicorn_cpu.py membercenter.wsgi   (what run.py starts)

Every setting comes from the project's gunicorn.conf.py, read as is; two hooks add, per
path (ids folded), the request's thread CPU time (`time.thread_time`, from gunicorn handing
the request to Django until the response is written) and its wall time, and each worker
writes its sums to LOADTEST_CPU_DIR when it exits. This tells what a page costs the web
server itself, apart from PostgreSQL, locust and whatever else the machine runs. A hook
costs a few microseconds.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import defaultdict
from pathlib import Path

_conf = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
exec(compile(_conf.read_text(), str(_conf), "exec"))  # noqa: S102 — the project's own configuration

_sums: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
_started: dict[int, tuple[float, float]] = {}
_ids = re.compile(r"/\d+/")


def pre_request(worker, req):  # noqa: ANN001, ANN201
    import threading

    _started[threading.get_ident()] = (time.thread_time(), time.perf_counter())


def post_request(worker, req, environ, resp):  # noqa: ANN001, ANN201
    import threading

    cpu, wall = _started.pop(threading.get_ident(), (None, None))
    if cpu is None:
        return
    path = f"{req.method} {_ids.sub('/N/', req.path)}"
    if path == "GET /_floor/" and "sessionid=" not in (environ.get("HTTP_COOKIE") or ""):
        path += " (no session)"
    row = _sums[path]
    row[0] += 1
    row[1] += time.thread_time() - cpu
    row[2] += time.perf_counter() - wall


def worker_exit(server, worker):  # noqa: ANN001, ANN201
    folder = Path(os.environ.get("LOADTEST_CPU_DIR", "/tmp"))  # noqa: S108
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"cpu-{os.getpid()}.json").write_text(json.dumps(dict(_sums)))
