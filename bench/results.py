"""bench/RESULTS.md in one command: the production-shaped scenarios at N contacts on PostgreSQL.

    python bench/results.py --contacts 10000 \
        --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_results
    python bench/results.py --report-only      # rewrite RESULTS.md from bench/results/*.json

Drops and recreates the database, seeds it with ``amity bench seed`` (N contacts and
``--interactions-per-contact`` interactions each, with companies, deals and their stage
history, orders and tickets: COPY on PostgreSQL), runs VACUUM ANALYZE, starts gunicorn with 2
uvicorn workers (docs/deploy.md advises two a core; these runs keep 2 to compare with earlier
ones) and an ``amity worker`` (``--no-worker``: none), then measures, one client at a
time, the contact 360 view, list pages (first and following), search (substring and typo) and a
single contact; then the mixed load of bench/loadtest.py (lists, 360 views, search, web-event
batches, creates, deal moves) at rising concurrency for the throughput at saturation on this
machine's cores and the median and p95 per request type; the worker's peak RSS; and SQL
statements per request (in-process). Each run writes bench/results/results-<N>.json; RESULTS.md
is rebuilt from every such file, with the machine's load average beside the figures (it is
shared: figures move between runs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
import contacts_api as ca
import loadtest
from datagen import ContactGenerator

HERE = Path(__file__).parent
OUT = HERE / "results"
# Targets at 1,000,000 contacts, median server time in ms.
TARGETS = {"view_360": 15.0, "list_first": 15.0, "list_cursor": 15.0, "search_substring": 50.0,
           "search_typo": 50.0}
MIXED_TARGET_RPS = 800


def _ids(url: str, n: int = 2000) -> list[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT id FROM contacts ORDER BY random() LIMIT %s", (n,))
        return [str(r[0]) for r in rows]


def requests(ids: list[str]) -> dict[str, ca.Request]:
    kinds = ca.make_requests(ids)

    def view_360(c: httpx.Client, g: ContactGenerator, st: dict[str, Any]) -> httpx.Response:
        return ca.check(c.get(f"/contacts/{g.rng.choice(ids)}/360"), 200)

    kinds["view_360"] = view_360
    return kinds


def rss_kb(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def settle(url: str, limit: float) -> dict[str, Any]:
    """Wait until the job worker has no work due (nothing running, nothing queued to run by
    now), at most ``limit`` seconds. On a database it has never run against, the worker
    starts with the schedule's first runs, which at 1,000,000 contacts include building the
    analytics roll-ups and the whole-database duplicate scan (minutes of both cores):
    measuring the requests beside them would measure those jobs. Returns how long it waited
    and what was still due when it stopped waiting."""
    import psycopg

    t0 = time.perf_counter()
    due: list[tuple[str, str, int]] = []
    while time.perf_counter() - t0 < limit:
        with psycopg.connect(url, autocommit=True) as conn:
            due = [(k, st, int(n)) for k, st, n in conn.execute(
                "SELECT kind, status, count(*) FROM jobs WHERE status = 'running' OR "
                "(status IN ('queued', 'failed') AND run_at <= now()) GROUP BY 1, 2 "
                "ORDER BY 3 DESC")]
        if not due:
            break
        time.sleep(5)
    return {"seconds": round(time.perf_counter() - t0, 1),
            "still_due": [f"{k} ({st}) x{n}" for k, st, n in due]}


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = args.database_url
    print(f"preparing {url.rsplit('/', 1)[-1]} ...", flush=True)
    reuse = args.reuse
    if reuse and (found := _count(url)) < args.contacts:
        # never drop a database the caller asked to keep (it may be shared, or still being
        # seeded: its rows are invisible until the seeding transaction commits)
        raise SystemExit(f"--reuse: {url.rsplit('/', 1)[-1]} holds {found:,} contacts, "
                         f"fewer than {args.contacts:,}; seed it first (or leave out --reuse)")
    if not reuse:
        print(f"seeding {args.contacts:,} contacts ...", flush=True)
        seeded = loadtest.seed_database(url, args.contacts, args.interactions_per_contact)
    ca.analyze(url)
    fx = loadtest.fixtures(url)
    token = fx["token"]
    res: dict[str, Any] = {"contacts": args.contacts, "machine": ca.machine(),
                           "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                           "load_before": os.getloadavg()[0]}
    port = ca.free_port()
    base = f"http://127.0.0.1:{port}"
    proc = ca.start_server(url, 2, port, "gunicorn")
    worker = None if args.no_worker else subprocess.Popen(
        [str(Path(sys.executable).parent / "amity"), "worker", "--concurrency", "2"],
        env=ca.server_env(url), cwd="/tmp", stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    res["job_worker"] = worker is not None
    try:
        ca.wait_ready(base, proc, timeout=300)
        if worker is not None:
            print("waiting for the job worker's due work ...", flush=True)
            res["settle"] = settle(url, args.settle)
            print(f"  {res['settle']}", flush=True)
        earlier = OUT / f"results-{args.contacts}.json"
        if reuse and earlier.exists() and "seed_output" in json.loads(earlier.read_text())["load"]:
            before = json.loads(earlier.read_text())  # the run that seeded this database
            res["load"] = {**before["load"], "reused_from": before["date"]}
        elif reuse:
            res["load"] = {"seconds": "(reused)", "contacts_per_s": "n/a"}
        else:
            res["load"] = {"seconds": seeded["seconds"], "seed_output": seeded["output"],
                           "contacts_per_s": round(args.contacts / seeded["seconds"])}
        ids = _ids(url)
        kinds = requests(ids)
        res["sequential"] = {}
        for i, kind in enumerate(("view_360", "list_first", "list_cursor", "search_substring",
                                  "search_typo", "get_one")):
            print(f"latency: {kind} ...", flush=True)
            res["sequential"][kind] = ca.run_kind(base, token, kinds[kind], args.requests, 1,
                                                  seed=10 + i)
        _save({**res, "load_after": os.getloadavg()[0], "queries": {}})
        res["mixed"] = loadtest.run_levels(base, fx, args.levels, args.seconds,
                                           server_pids=[proc.pid] + ([worker.pid] if worker
                                                                     else []))
        if worker is not None:
            time.sleep(2)  # let the worker take the jobs the creates caused
            res["worker_rss_kb"] = rss_kb(worker.pid)
    finally:
        ca.stop_server(proc)
        if worker is not None:
            worker.terminate()  # finishes the jobs in hand (a scoring run can take minutes)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()  # its jobs run again after their lease expires
                worker.wait()
    res["load_after"] = os.getloadavg()[0]
    _save(res)  # the timings are kept even if counting fails below
    print("counting SQL statements per request (in-process) ...", flush=True)
    try:
        res["queries"] = {k: v["queries"] for k, v in ca.count_queries(url, token,
                                                                       ids).items()}
    except Exception as exc:  # reported in RESULTS.md rather than losing the run
        res["queries"] = {}
        res["queries_error"] = f"{type(exc).__name__}: {exc}"
    return res


def _save(res: dict[str, Any]) -> None:
    OUT.mkdir(exist_ok=True)
    (OUT / f"results-{res['contacts']}.json").write_text(json.dumps(res, indent=2) + "\n")


def _count(url: str) -> int:
    import psycopg

    try:  # a database being seeded keeps the table locked: 0 (not ready) rather than a hang
        with psycopg.connect(url, options="-c lock_timeout=5s") as conn:
            row = conn.execute("SELECT count(*) FROM contacts").fetchone()
            return int(row[0]) if row else 0
    except psycopg.Error:
        return 0


def _ok(value: float, target: float | None) -> str:
    return "" if target is None else ("yes" if value < target else "**no**")


def _loaded(load: dict[str, Any]) -> str:
    if load["contacts_per_s"] == "n/a":
        return "Contacts loaded by an earlier run (`--reuse`)."
    if "seed_output" in load:
        by = (f" (by the run of {load['reused_from']}, at its load average; this run reused "
              "the database)" if load.get("reused_from") else "")
        return (f"Seeded by `amity bench seed` in {load['seconds']} s{by}: "
                + "; ".join(" ".join(line.split()) for line in
                            load["seed_output"].splitlines()[1:]) + ".")
    return f"Loaded in {load['seconds']} s ({load['contacts_per_s']} contacts/s, bulk API)."


def _settled(settle: dict[str, Any] | None) -> str:
    if settle is None:
        return ""
    if settle["still_due"]:
        return (f" Measured after waiting {settle['seconds']} s for the job worker, with work "
                f"still due: {', '.join(settle['still_due'])}.")
    return f" Measured once the job worker had no work due ({settle['seconds']} s after start)."


def _mixed(mx: dict[str, Any]) -> list[str]:
    if "levels" not in mx:  # runs before bench/loadtest.py: one level of 8 clients
        return [f"Mixed load, 8 clients: **{mx['throughput_rps']:.0f} requests/s**, median "
                f"{mx['median_ms']:.1f} ms, p95 {mx['p95_ms']:.1f} ms; "
                f"{mx.get('errors', 0)} failed requests."]
    sat = mx["saturation"]["throughput_rps"]
    return [f"Mixed load (bench/loadtest.py: {', '.join(f'{w}% {k}' for k, w in mx['mix'].items())}"
            f") at rising concurrency: **{sat:.0f} requests/s at saturation** (target > "
            f"{MIXED_TARGET_RPS} at 1M: {_ok(-sat, -MIXED_TARGET_RPS)}).", "",
            loadtest.markdown(mx)]


def report(results: list[dict[str, Any]]) -> str:
    lines = ["# Benchmark results", "",
             "Generated by `python bench/results.py` (see its docstring; `--report-only` "
             "rewrites this file from bench/results/*.json). PostgreSQL, gunicorn with 2 "
             "uvicorn workers and one `amity worker`, on a 2-core machine that other work "
             "may share: the load average is given with each run, and medians move by tens of "
             "percent between busy and quiet runs. The load client runs on the same cores; "
             "the mixed-load table gives the CPU each request cost in Amity's processes "
             "(web workers and the job worker), in PostgreSQL and in the client, and how "
             "busy the cores were.", ""]
    for res in sorted(results, key=lambda r: r["contacts"]):
        m = res["machine"]
        lines += [f"## {res['contacts']:,} contacts — {res['date']}", "",
                  f"{m['cpus']} CPUs ({m['cpu']}), Python {m['python']}; load average "
                  f"{res['load_before']:.1f} before, {res['load_after']:.1f} after "
                  f"(a load average of {res['load_before'] / m['cpus']:.0f}x the cores means "
                  "every figure below is mostly time spent waiting for a CPU). "
                  + _loaded(res["load"]) + _settled(res.get("settle")), "",
                  "| scenario | median ms | p95 ms | p95/median | SQL/request | target "
                  "(median, at 1M) | met here |", "|---|---:|---:|---:|---:|---|---|"]
        for kind, s in res["sequential"].items():
            target = TARGETS.get(kind)
            ratio = s["p95_ms"] / s["median_ms"] if s["median_ms"] else float("nan")
            queries = res["queries"].get(kind, "")
            lines.append(f"| {kind} | {s['median_ms']:.2f} | {s['p95_ms']:.2f} | "
                         f"{ratio:.1f} | {queries} | {f'< {target:g} ms' if target else ''} | "
                         f"{_ok(s['median_ms'], target)} |")
        rss = res.get("worker_rss_kb", {})
        if res.get("queries_error"):
            lines += ["", f"SQL statements not counted: {res['queries_error']}"]
        lines += ["", *(_mixed(res["mixed"]) if "mixed" in res else
                        ["Mixed load: not run (the run stopped before it)."]), "",
                  f"Worker RSS: {rss.get('VmRSS', 0) / 1024:.0f} MB now, "
                  f"{rss.get('VmHWM', 0) / 1024:.0f} MB peak." if res.get("job_worker", True)
                  else "Run without the job worker (`--no-worker`): the web tier alone.", ""]
    if not any(r["contacts"] >= 1_000_000 for r in results):
        lines += ["## 1,000,000 contacts — not run", "",
                  "Not measured: loading a million contacts and running the scenarios takes "
                  "hours on this shared, loaded 2-core machine. Run `python bench/results.py "
                  "--contacts 1000000 --interactions-per-contact 10` on a quiet machine (see "
                  "bench/README.md); the targets above are for that size.", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contacts", type=int, default=10_000)
    ap.add_argument("--database-url",
                    default="postgresql://postgres@127.0.0.1:5432/amity_bench_results",
                    help="DROPPED and recreated")
    ap.add_argument("--requests", type=int, default=200, help="per scenario")
    ap.add_argument("--interactions-per-contact", type=float, default=10.0)
    ap.add_argument("--levels", type=lambda v: [int(x) for x in v.split(",")],
                    default=[4, 8, 16, 32], help="mixed load: concurrent clients, in turn")
    ap.add_argument("--seconds", type=float, default=20.0, help="mixed load: per level")
    ap.add_argument("--settle", type=float, default=1800.0,
                    help="wait at most this many seconds for the job worker's due work "
                    "before measuring")
    ap.add_argument("--no-worker", action="store_true",
                    help="no job worker: measure the web tier alone")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--reuse", action="store_true",
                    help="use the database as it is (it must hold N contacts; never dropped)")
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    if not args.report_only:
        _save(run(args))
    results = [json.loads(p.read_text()) for p in sorted(OUT.glob("results-*.json"))]
    (HERE / "RESULTS.md").write_text(report(results))
    print((HERE / "RESULTS.md").read_text())


if __name__ == "__main__":
    main()
