#!/usr/bin/env python3
"""flowsentry vs the reference Python stack (written two ways: fair and seed-style), side by
side: scoring, /predict, the Kafka -> PostgreSQL pipeline, burst alerting, detection quality,
memory and CPU. Run through bench/run
(`make bench`, `make bench QUICK=1`), which prepares the venv this runs in.

  main.py [--quick] [--build DIR] [--data DIR] [--no-write]

Starts its own Kafka broker and PostgreSQL server (state under a temporary directory) and stops
them, and every process it started, at exit. Writes docs/benchmarks.md (generated section),
docs/benchmarks/*.svg and the README performance table, unless --no-write.
"""
import argparse
import datetime
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

from common import BenchError, Proc, dump, log, run
import http_api
import pipeline
import report
import rows as rowmod
import scoring


class Ctx:
    pass


def machine_info():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {"cpu": cpu, "nproc": os.cpu_count(), "mem": mem,
            "load_start": load(), "kernel": f"Linux {platform.release()}",
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def load():
    with open("/proc/loadavg") as f:
        return " / ".join(f.read().split()[:3])


def stack_info(ctx):
    version = run([ctx.fs, "--version"], 30, "flowsentry --version").strip().splitlines()[0]
    try:
        rev = subprocess.run(["git", "-C", ctx.root, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", ctx.root, "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        rev, dirty = "?", ""
    import confluent_kafka
    import fastapi
    import pandas
    import psycopg2
    import sklearn
    import uvicorn
    built = datetime.datetime.fromtimestamp(os.path.getmtime(ctx.fs), datetime.timezone.utc)
    fs = (f"`{os.path.relpath(ctx.fs, ctx.root)}` ({version}, built "
          f"{built.strftime('%Y-%m-%d %H:%M UTC')}; tree at git {rev}"
          f"{' with uncommitted changes under src/' if dirty else ''}), model `models/default`")
    base = (f"Python {platform.python_version()}, pandas {pandas.__version__}, scikit-learn "
            f"{sklearn.__version__} RandomForest (200 trees, one-hot proto/service/state), "
            f"FastAPI {fastapi.__version__} + Uvicorn {uvicorn.__version__}, confluent-kafka "
            f"{confluent_kafka.version()[0]}, psycopg2 {psycopg2.__version__.split()[0]}")
    return {"flowsentry": fs, "baseline": base}


def start_servers(ctx):
    env = os.environ
    env["FLOWSENTRY_KAFKA_DIR"] = os.path.join(ctx.work, "kafka")
    env["FLOWSENTRY_PG_DIR"] = os.path.join(ctx.work, "pg")
    env["FLOWSENTRY_KAFKA_OWNER_PID"] = str(os.getpid())
    log("starting Kafka (scripts/kafka start)")
    ctx.brokers = run([os.path.join(ctx.root, "scripts", "kafka"), "start"], 240,
                      "scripts/kafka start").strip().splitlines()[0]
    ctx.servers.append("kafka")
    log(f"  brokers {ctx.brokers}")
    log("starting PostgreSQL (scripts/postgres start)")
    ctx.store = run([os.path.join(ctx.root, "scripts", "postgres"), "start"], 120,
                    "scripts/postgres start").strip().splitlines()[0]
    ctx.servers.append("postgres")
    log(f"  store {ctx.store}")
    run([ctx.fs, "db", "migrate", "--store", ctx.store], 120, "flowsentry db migrate")


def stop_servers(ctx):
    Proc.cleanup()
    for s in reversed(ctx.servers):
        try:
            subprocess.run([os.path.join(ctx.root, "scripts", s), "stop"], timeout=60,
                           capture_output=True)
        except Exception as e:
            print(f"bench: scripts/{s} stop failed: {e}", file=sys.stderr)
    ctx.servers.clear()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--build", default="build")
    ap.add_argument("--data", default=None, help="UNSW-NB15 directory (default "
                    "../shared/datasets/unsw-nb15 next to the repository)")
    ap.add_argument("--no-write", action="store_true", help="print, do not touch docs/README")
    args = ap.parse_args()

    ctx = Ctx()
    ctx.here = os.path.dirname(os.path.abspath(__file__))
    ctx.root = os.path.dirname(os.path.dirname(ctx.here))
    ctx.quick = args.quick
    ctx.fs = os.path.join(ctx.root, args.build, "flowsentry")
    ctx.model = os.path.join(ctx.root, "models", "default")
    data = args.data or os.path.join(ctx.root, "..", "shared", "datasets", "unsw-nb15")
    ctx.test_csv = os.path.normpath(os.path.join(data, "test.csv"))
    ctx.baseline_dir = os.path.join(ctx.root, "bench", "baseline")
    ctx.py = sys.executable
    ctx.rf = os.path.join(ctx.baseline_dir, ".venv", "rf.joblib")
    ctx.stamp = time.strftime("%H%M%S")
    ctx.raw = {}
    ctx.servers = []
    for path, what in ((ctx.fs, "the flowsentry binary (make build)"),
                       (ctx.test_csv, "UNSW-NB15 test.csv"), (ctx.rf, "the baseline model")):
        if not os.path.exists(path):
            sys.exit(f"bench: {what} not found at {path}")
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is not installed (scripts/bootstrap installs it)")

    ctx.work = tempfile.mkdtemp(prefix="flowsentry-bench-")
    os.chmod(ctx.work, 0o755)  # as root, the PostgreSQL server runs as user postgres
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    machine = machine_info()
    log(f"{'QUICK' if ctx.quick else 'full'} run; work directory {ctx.work}; "
        f"load average {machine['load_start']}")
    all_rows, failures = [], []
    ok = False
    try:
        stacks = stack_info(ctx)
        start_servers(ctx)
        from pipeline import Db
        db = Db(ctx.store)
        stages = [("scoring", scoring.SEC_SCORE, lambda: scoring.scoring(ctx)),
                  ("explanations", scoring.SEC_EXPLAIN, lambda: scoring.explanations(ctx)),
                  ("/predict", http_api.SEC, lambda: http_api.predict(ctx)),
                  ("pipeline drain", pipeline.SEC_PIPE, lambda: pipeline.drain(ctx, db)),
                  ("pipeline latency", pipeline.SEC_PIPE, lambda: pipeline.latency(ctx, db)),
                  ("burst", pipeline.SEC_BURST, lambda: pipeline.burst(ctx, db)),
                  ("quality", scoring.SEC_QUALITY, lambda: scoring.quality(ctx))]
        for name, section, fn in stages:
            t = time.monotonic()
            try:
                all_rows += fn()
            except Exception as e:
                Proc.cleanup()
                msg = str(e) if isinstance(e, BenchError) else traceback.format_exc()
                log(f"ERROR in stage {name}: {msg}")
                failures.append(name)
                all_rows.append(rowmod.failed(section, name, e))
            log(f"stage {name} done in {time.monotonic() - t:.0f} s")
        ok = True
    except KeyboardInterrupt:
        log("interrupted")
    except BenchError as e:
        log(f"ERROR: {e}")
        failures.append("setup")
    finally:
        stop_servers(ctx)
    machine["load_end"] = load()
    duration = time.monotonic() - started
    dump(os.path.join(ctx.work, "raw.json"), {"machine": machine, "raw": ctx.raw})
    if ok:
        # Sections in a fixed reading order.
        order = [scoring.SEC_SCORE, scoring.SEC_EXPLAIN, http_api.SEC, pipeline.SEC_PIPE, pipeline.SEC_BURST,
                 scoring.SEC_QUALITY, pipeline.SEC_RES]
        all_rows.sort(key=lambda r: order.index(r.section) if r.section in order else 99)
        print()
        print(report.table(all_rows, with_section=True))
        if not args.no_write:
            made = report.write(ctx, all_rows, machine, stacks, duration)
            log(f"wrote docs/benchmarks.md, README.md and docs/benchmarks/{{{','.join(made)}}}")
    log(f"done in {duration / 60:.1f} min; raw results and logs in {ctx.work}")
    if failures or not ok:
        log(f"FAILED stages: {', '.join(failures) or 'interrupted'} (logs in {ctx.work})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
