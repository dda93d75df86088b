"""Queries and CPU of each page the load test requests, one request at a time (no load).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mc_g_loadtest REDIS_URL=redis://127.0.0.1:6379/2 \
    CACHE_KEY_PREFIX=mcg-profile CELERY_KEY_PREFIX=mcg-profile-celery: MEDIA_ROOT=$PWD/var/loadtest/media \
    LOADTEST_FLOOR=1 TESTING=1 .venv/bin/python bench/loadtest/profile_pages.py var/loadtest/plan.json \
        [--repeat 30] [--sql] [--cprofile "my products" --sort tottime] [--flows N]

Reads the database the last `make loadtest` seeded and its plan; logs in as the first active
member and the first reviewer through Django's test client, requests each page a few times
and prints its queries, the median time and the median CPU. --cprofile profiles one page;
--flows N walks member N through a claim with two sticker photos and a registration, step by
step (it writes claims and products: run `make loadtest` again for a fresh database). A tool
for finding what to fix; the report does not use it.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("plan", type=Path)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--cprofile", default="", help="a page name from the list to profile")
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime…")
    parser.add_argument("--sql", action="store_true", help="print every page's queries")
    parser.add_argument("--flows", type=int, default=0, help="instead: a claim and a registration by member N")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membercenter.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    plan = json.loads(args.plan.read_text())
    member = Client(secure=True)
    member.login(username=plan["members"][0]["email"], password=plan["password"])
    reviewer = Client(secure=True)
    reviewer.login(username=plan["reviewers"][0], password=plan["password"])
    queue = reviewer.get("/staff/claims/").content.decode()
    import re

    claim = re.search(r"/staff/claims/(\d+)/", queue)
    pages = {
        "overview": (member, "/accounts/"),
        "promotions": (member, "/promotions/"),
        "my products": (member, "/products/"),
        "redeem history": (member, "/redeem-history/"),
        "inbox": (member, "/inbox/"),
        "redeem page": (member, f"/promotions/{plan['promotion']}/"),
        "register step 1": (member, "/products/register/"),
        "review queue": (reviewer, "/staff/claims/"),
        "claim page": (reviewer, f"/staff/claims/{claim.group(1)}/" if claim else "/staff/claims/"),
    }
    if settings.LOADTEST_FLOOR:
        pages["floor"] = (member, "/_floor/")
    # As in a gunicorn worker after its first requests: what the master loads is warmed up and frozen
    # out of the collector's sight (gunicorn.conf.py when_ready), or a collection walking it lands on
    # whatever runs; each page was requested once (its queries compiled, lib/compiled.py), so the
    # figures are a page's steady cost, not its first time in a thread.
    import gc

    from membercenter.lib.warmup import warm_up

    warm_up()
    for client, url in pages.values():
        client.get(url)
    gc.collect()
    gc.freeze()
    if args.flows:
        _flows(plan, args.flows)  # the first claim and registration of this process
        print("-- again, warm:")
        _flows(plan, args.flows + 1)
        return
    print(f"{'page':<18} {'status':>6} {'queries':>8} {'median ms':>10} {'cpu ms':>7} {'bytes':>8}")
    for name, (client, url) in pages.items():
        times, cpu = [], []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
        print(
            f"{name:<18} {response.status_code:>6} {len(queries.captured_queries):>8} "
            f"{statistics.median(times):>10.1f} {statistics.median(cpu):>7.1f} {len(response.content):>8}"
        )
        if args.sql or name == args.cprofile:
            for q in queries.captured_queries:
                print(f"   {q['time']} {q['sql'][:300]}")
        if name == args.cprofile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(20):
                client.get(url)
            profile.disable()
            pstats.Stats(profile).sort_stats(args.sort).print_stats(45)


def _flows(plan: dict, index: int) -> None:
    """A claim with two sticker photos and a registration, step by step: status, queries, time."""
    import re

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    account = plan["members"][index]
    client = Client(secure=True)
    client.login(username=account["email"], password=plan["password"])

    def step(label: str, method: str, url: str, data: dict | None = None) -> str:
        with CaptureQueriesContext(connection) as queries:
            started, cpu = time.perf_counter(), time.process_time()
            response = client.post(url, data) if method == "POST" else client.get(url)
            wall, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
        where = response.get("Location", "")
        count = len(queries.captured_queries)
        print(f"{label:<34} {response.status_code} {count:>3} q {wall:7.1f} ms {cpu:6.1f} cpu {where}")
        return response.content.decode(errors="replace")

    slug = plan["promotion"]
    page = step("redeem page", "GET", f"/promotions/{slug}/")
    products = account["redeem"][:2]
    data = {p: account[k] for p, k in (("full_name", "name"), ("email", "email"), ("phone", "phone"))}
    data.update(address=account["address"], city=account["city"], contact_name=account["name"])
    data["products"] = [str(p["product"]) for p in products]
    files = {f"photo_{p['product']}": open(p["photo"], "rb") for p in products}  # noqa: SIM115
    step("redeem post (2 photos)", "POST", f"/promotions/{slug}/", {**data, **files})
    page = step("confirm page", "GET", f"/promotions/{slug}/confirm/")
    question = re.search(r'id="captcha-question">\s*(\d+)\s*\+\s*(\d+)', page)
    fields = dict(re.findall(r'name="(captcha_id|submit_token)" value="([^"]+)"', page))
    answer = str(int(question.group(1)) + int(question.group(2))) if question else ""
    step("confirm post (submit)", "POST", f"/promotions/{slug}/confirm/", {**fields, "captcha_answer": answer})
    item = account["register"][0]
    step("register serial page", "GET", "/products/register/")
    step("register serial post", "POST", "/products/register/", {"serial_number": item["sn"]})
    step("register chk post", "POST", "/products/register/chk/", {"chk": item["chk"]})
    page = step("register purchase page", "GET", "/products/register/purchase/")
    question = re.search(r'id="captcha-question">\s*(\d+)\s*\+\s*(\d+)', page)
    fields = dict(re.findall(r'name="(captcha_id)" value="([^"]+)"', page))
    answer = str(int(question.group(1)) + int(question.group(2))) if question else ""
    form = {
        "region": item["region"], "store": item["store"], "purchase_date": item["purchase_date"],
        "channel": item["channel"], "captcha_answer": answer, **fields, "invoice": open(item["invoice"], "rb"),  # noqa: SIM115
    }  # fmt: skip
    step("register purchase post (invoice)", "POST", "/products/register/purchase/", form)


if __name__ == "__main__":
    main()
