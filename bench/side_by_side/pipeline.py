"""Kafka -> score -> PostgreSQL: sustained rate (drain a pre-loaded topic), end-to-end latency at
fixed rates, and burst detection delay (flowsentry only). Three stacks, one at a time, same
broker, same database, same flows (test.csv replayed in a loop): flowsentry, the fair baseline
(consumer_fast.py) and the seed-style one (consumer.py)."""
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2
from confluent_kafka.admin import AdminClient, NewTopic

from common import (BenchError, Proc, free_port, histogram_quantile, http_get, log, quantile,
                    run, scrape_histogram, wait_until)
from rows import Row, Side

STACKS = ("flowsentry", "fair", "seed")
NAMES = {"flowsentry": "flowsentry", "fair": "fair baseline", "seed": "seed-style baseline"}

SEC_PIPE = "Pipeline: Kafka → score → PostgreSQL"
SEC_RES = "Resources of the pipeline process (drain run)"
SEC_BURST = "Burst detection"


class Db:
    def __init__(self, url):
        self.conn = psycopg2.connect(url)
        self.conn.autocommit = True

    def truncate(self):
        with self.conn.cursor() as c:
            c.execute("TRUNCATE anomaly_scores, rollup_10s, rollup_5m, rollup_10s_total, "
                      "rollup_5m_total, alerts")

    def count(self, topic):
        with self.conn.cursor() as c:
            c.execute("SELECT count(*) FROM anomaly_scores WHERE source = %s", (topic,))
            return c.fetchone()[0]

    def distinct_offsets(self, topic):
        """(rows, distinct offsets, lowest, highest) of a single-partition topic's rows."""
        with self.conn.cursor() as c:
            c.execute("SELECT count(*), count(DISTINCT source_offset), min(source_offset), "
                      "max(source_offset) FROM anomaly_scores WHERE source = %s", (topic,))
            return c.fetchone()


def create_topic(ctx, topic):
    admin = AdminClient({"bootstrap.servers": ctx.brokers})
    for t, f in admin.create_topics([NewTopic(topic, 1, 1)]).items():
        try:
            f.result(30)
        except Exception as e:
            raise BenchError(f"could not create topic {t}: {e}")


def produce(ctx, topic, count, eps=0, data=None, extra=(), timeout=None):
    argv = [ctx.fs, "produce", "--brokers", ctx.brokers, "--topic", topic, "--data",
            data or ctx.test_csv, "--count", str(count), "--quiet"]
    if data is None:
        argv.append("--loop")
    if eps:
        argv += ["--eps", str(eps)]
    argv += list(extra)
    run(argv, timeout or (count / eps + 90 if eps else 300), f"flowsentry produce to {topic}")


def start_flowsentry(ctx, topic, group, port, role="worker", sets=()):
    argv = [ctx.fs, "run", "--role", role, "--brokers", ctx.brokers, "--topic", topic, "--group",
            group, "--store", ctx.store, "--model", ctx.model, "--port", str(port)]
    for s in sets:
        argv += ["--set", s]
    p = Proc(f"flowsentry run {topic}", argv, ctx.work)
    wait_until(lambda: "assigned" in p.log_text(), 120, f"flowsentry worker on {topic} to be "
               "assigned its partition", proc=p)
    return p


def start_baseline(ctx, kind, topic, group, stats, progress=None):
    """kind "fair": consumer_fast.py (it reports its stored count in progress); "seed":
    consumer.py."""
    script = "consumer_fast.py" if kind == "fair" else "consumer.py"
    argv = [ctx.py, "-u", os.path.join(ctx.baseline_dir, script), "--brokers", ctx.brokers,
            "--topic", topic, "--group", group, "--store", ctx.store, "--model", ctx.rf,
            "--stats", stats]
    if progress and kind == "fair":
        argv += ["--progress", progress]
    p = Proc(f"{kind} baseline consumer {topic}", argv, ctx.work, cwd=ctx.baseline_dir)
    wait_until(lambda: "ready" in p.log_text(), 180, f"{kind} baseline consumer on {topic} to "
               "be assigned its partition", proc=p)
    return p


def start_stack(ctx, stack, topic, group, port, stats, progress=None):
    if stack == "flowsentry":
        return start_flowsentry(ctx, topic, group, port)
    return start_baseline(ctx, stack, topic, group, stats, progress)


def stored_counter(stack, db, topic, port, progress):
    """How many rows the stack has stored so far, read the cheapest honest way: flowsentry's
    flows_stored_total, the fair consumer's progress file (both checked against the table at
    the end); the seed-style consumer stores a few rows a second, so counting its table is
    cheap."""
    def from_metrics():
        text = http_get(f"http://127.0.0.1:{port}/metrics")[1]
        for line in text.splitlines():
            if line.startswith("flowsentry_flows_stored_total "):
                return int(float(line.split()[1]))
        return 0

    def from_progress():
        try:
            with open(progress) as f:
                return json.load(f)["stored"]
        except (OSError, ValueError, KeyError):
            return 0

    return {"flowsentry": from_metrics, "fair": from_progress,
            "seed": lambda: db.count(topic)}[stack]


def check_exact(db, topic, stack, reported, n, complete):
    """The table against what the stack reported: every reported row is there, and a complete
    drain stored each of the n offsets exactly once."""
    rows, distinct, lo, hi = db.distinct_offsets(topic)
    if rows < reported:
        raise BenchError(f"{stack} reported {reported:,} rows stored but the table has {rows:,}")
    exact = rows == distinct == n and lo == 0 and hi == n - 1
    if complete and not exact:
        raise BenchError(f"{stack} drained the topic but the table has {rows:,} rows, "
                         f"{distinct:,} distinct offsets ({lo}..{hi}) for {n:,} flows")
    return {"table_rows": rows, "distinct_offsets": distinct, "exact": exact}


def measure_drain(ctx, db, stack, topic, n, budget):
    """One stack drains the topic: rate from its first stored row to the last increase of its
    stored count, CPU and peak memory of its process over the same interval."""
    db.truncate()
    group = f"{stack}-drain-{ctx.stamp}"
    log(f"pipeline drain: {NAMES[stack]} consuming {topic} (at most {budget} s)")
    port = free_port()
    progress = os.path.join(ctx.work, f"drain_{stack}_progress.json")
    p = start_stack(ctx, stack, topic, group, port, os.path.join(ctx.work, f"drain_{stack}.json"),
                    progress)
    stored = stored_counter(stack, db, topic, port, progress)
    try:
        c0 = wait_until(stored, 180, f"{stack}'s first stored row", interval=0.05, proc=p)
        t0, cpu0 = time.monotonic(), p.cpu_seconds()
        deadline = t0 + budget
        # Rows arrive a batch at a time: the rate counts from the first stored row to the
        # last increase of the count, so a batch in flight when the budget ends is no bias.
        c1, t1, cpu1 = c0, t0, cpu0
        while c1 < n and time.monotonic() < deadline:
            if p.poll() is not None:
                raise BenchError(f"{p.name} exited with status {p.poll()}:\n{p.tail()}")
            time.sleep(0.1)
            c = stored()
            if c > c1:
                c1, t1, cpu1 = c, time.monotonic(), p.cpu_seconds()
        if c1 == c0:  # nothing after the first batch: count that one from the start
            t0, c0, cpu0 = p.started, 0, 0.0
            t1, cpu1 = time.monotonic(), p.cpu_seconds()
        hwm = p.peak_rss_mb()
        diag = worker_diagnostics(port) if stack == "flowsentry" else {}
    finally:
        p.stop()
    check = check_exact(db, topic, stack, c1, n, c1 >= n)
    rows = c1 - c0
    r = {"rows": rows, "seconds": t1 - t0, "fps": rows / (t1 - t0), "peak_rss_mb": hwm,
         "cpu_s_per_m": (cpu1 - cpu0) / rows * 1e6 if rows else None, "complete": c1 >= n,
         "metrics": diag, **check}
    log(f"  {stack}: {rows:,} rows in {t1 - t0:.1f} s = {r['fps']:,.1f} flows/s"
        f"{'' if c1 >= n else ' (budget ran out)'}, peak RSS {hwm:.0f} MB, "
        f"{r['cpu_s_per_m'] or 0:.1f} CPU s per 1M flows; table {check['table_rows']:,} rows, "
        f"{check['distinct_offsets']:,} distinct offsets" +
        (f"; worker metrics {diag}" if diag else ""))
    return r


def worker_diagnostics(port):
    """Where the worker's time went, for the raw results."""
    diag = {}
    text = http_get(f"http://127.0.0.1:{port}/metrics")[1]
    for line in text.splitlines():
        if line.startswith(("flowsentry_score_batch_seconds_sum",
                            "flowsentry_store_write_seconds_sum", "flowsentry_anomalies_total",
                            "flowsentry_flows_scored_total")):
            k, v = line.rsplit(" ", 1)
            diag[k] = float(v)
    return diag


def drain(ctx, db):
    """Pre-load N flows, then time each stack from its first stored row until it has stored all
    N or its time budget ran out, whichever comes first."""
    n = 30000 if ctx.quick else 300000
    budget = 15 if ctx.quick else 120
    topic = f"drain-{ctx.stamp}"
    create_topic(ctx, topic)
    log(f"pipeline: pre-loading {n:,} flows into {topic}")
    produce(ctx, topic, n)
    out = {stack: measure_drain(ctx, db, stack, topic, n, budget) for stack in STACKS}
    ctx.raw["drain"] = out
    f, a, b = (out[s] for s in STACKS)
    parts = [f"{NAMES[s]} {'drained' if out[s]['complete'] else 'stored'} {out[s]['rows']:,} "
             f"rows in {out[s]['seconds']:.0f} s" for s in STACKS]
    note = f"{n:,} flows pre-loaded, {budget} s budget: " + "; ".join(parts)
    exact = [NAMES[s] for s in STACKS if out[s]["exact"]]
    if exact:
        note += f"; every offset stored exactly once ({', '.join(exact)})"
    return [Row(SEC_PIPE, "sustained rate (drain a pre-loaded topic)", "flows/s", "high",
                f["fps"], a["fps"], b["fps"], note),
            Row(SEC_RES, "peak resident memory (VmHWM)", "MB", "low", f["peak_rss_mb"],
                a["peak_rss_mb"], b["peak_rss_mb"]),
            Row(SEC_RES, "CPU seconds per million flows (utime + stime)", "s", "low",
                f["cpu_s_per_m"], a["cpu_s_per_m"], b["cpu_s_per_m"],
                "the pipeline process only, not PostgreSQL")]


def latency_phase(ctx, db, stack, rate, seconds):
    topic = f"lat-{stack}-{int(rate)}-{ctx.stamp}"
    group = f"{stack}-{topic}"
    create_topic(ctx, topic)
    db.truncate()
    count = int(rate * seconds)
    port = free_port()
    stats = os.path.join(ctx.work, f"{topic}.json")
    p = start_stack(ctx, stack, topic, group, port, stats)
    try:
        log(f"pipeline latency: {NAMES[stack]} at {rate:,.0f} flows/s for {seconds} s")
        t0 = time.monotonic()
        produce(ctx, topic, count, eps=rate)
        sent_s = time.monotonic() - t0
        at_end = db.count(topic)
        try:
            wait_until(lambda: db.count(topic) >= count, 5, "the last rows", interval=0.1)
            kept_up = True
        except BenchError:
            kept_up = False
        stored = db.count(topic)
        metrics = http_get(f"http://127.0.0.1:{port}/metrics")[1] if stack == "flowsentry" else ""
    finally:
        p.stop()
    r = {"rate": rate, "sent": count, "send_seconds": sent_s, "stored_at_send_end": at_end,
         "stored": stored, "kept_up": kept_up}
    if stack == "flowsentry":
        buckets = scrape_histogram(metrics, "flowsentry_end_to_end_seconds")
        if not buckets:
            raise BenchError("flowsentry /metrics has no flowsentry_end_to_end_seconds histogram")
        r["buckets"] = buckets
        top = max(b for b, _ in buckets if b != float("inf"))
        for q in (0.5, 0.95, 0.99):
            v = histogram_quantile(buckets, q)
            # Past the last finite bucket the histogram only says "more than top".
            r[f"p{int(q * 100)}_ms"] = None if v is None or v >= top else v * 1000
            if v is not None and v >= top:
                r[f"p{int(q * 100)}_over_s"] = top
    else:
        with open(stats) as f:
            lat = sorted(l for _, l in json.load(f)["latencies"])
        for q in (0.5, 0.95, 0.99):
            r[f"p{int(q * 100)}_ms"] = quantile(lat, q)
    log(f"  stored {stored:,} of {count:,} ({'kept up' if kept_up else 'FELL BEHIND'}); p50 "
        f"{r['p50_ms'] or 0:.1f} ms, p99 {r['p99_ms'] or 0:.1f} ms (0 = not measurable)")
    return r


def latency(ctx, db):
    seconds = 8 if ctx.quick else 30
    drained = ctx.raw.get("drain", {})
    plan = {s: [1000, 10000] for s in STACKS}
    if not ctx.quick:
        for s in plan:
            if drained.get(s):
                plan[s].append(("max", round(0.8 * drained[s]["fps"], 1)))
    res = {s: {} for s in STACKS}
    for stack, rates in plan.items():
        behind_at = None
        for item in rates:
            key, rate = item if isinstance(item, tuple) else (item, item)
            if behind_at is not None and key != "max" and rate > behind_at:
                res[stack][key] = {"skipped": True, "behind_at": behind_at, "rate": rate}
                continue
            res[stack][key] = latency_phase(ctx, db, stack, rate, seconds)
            if not res[stack][key]["kept_up"] and key != "max":
                behind_at = rate
    ctx.raw["latency"] = res
    rows = []
    keys = [1000, 10000] + ([] if ctx.quick else ["max"])

    def side(r, q):
        if r is None:
            return Side(text="—")
        if r.get("skipped"):
            return Side(text=f"not run (fell behind at {r['behind_at']:,.0f}/s)")
        if not r["kept_up"]:
            return Side(text=f"fell behind ({r['stored']:,} of {r['sent']:,} stored 5 s after "
                             "the last send)")
        if r.get(f"{q}_over_s"):
            return Side(text=f"> {r[f'{q}_over_s']:g} s (histogram's last bucket)")
        return Side(r[f"{q}_ms"])

    for key in keys:
        got = [res[s].get(key) for s in STACKS]
        if key == "max":
            label = ("at the max sustained rate (0.8 × drain: " +
                     ", ".join(f"{NAMES[s]} {r['rate']:,.0f}/s" for s, r in zip(STACKS, got)
                               if r) + ")")
        else:
            label = f"at {key:,} flows/s"
        sides = {q: [side(r, q) for r in got] for q in ("p50", "p95", "p99")}
        if all(x.value is None for per in sides.values() for x in per):
            # No stack has a latency here: one row says why.
            rows.append(Row(SEC_PIPE, f"end-to-end latency {label}: p50 / p95 / p99", "ms",
                            "low", *sides["p50"]))
            continue
        for q, per in sides.items():
            rows.append(Row(SEC_PIPE, f"end-to-end latency {label}: {q}", "ms", "low", *per))
    return rows


class _Hook(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Hook.received.append((time.time(), body.decode(errors="replace")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def burst(ctx, db):
    """Normal background traffic with injected bursts of attack flows; delay = webhook receipt
    at a loopback receiver - the producer's start + the burst's offset."""
    offsets = [5, 17] if ctx.quick else [5, 17, 29, 41, 53]
    # The producer's rate limit applies to injected flows too: a burst of 100 at 100/s lasts 1 s,
    # and the 10th anomaly (what makes a burst) is sent 0.1 s after the first. An episode ends
    # window + quiet (6 s) after the burst's last hit, well before the next burst.
    eps, burst_flows = 100, 100
    seconds = offsets[-1] + 8
    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    topic = f"burst-{ctx.stamp}"
    create_topic(ctx, topic)
    db.truncate()
    sets = [f"alert.webhook_url=http://127.0.0.1:{hook.server_address[1]}/hook",
            "alert.burst_window_min=0.05", "alert.burst_quiet_min=0.05", "alert.cooldown_s=0",
            "alert.rate_per_min=0", "alert.burst_min_hits=10"]
    p = start_flowsentry(ctx, topic, f"burst-{ctx.stamp}", free_port(), role="all", sets=sets)
    try:
        log(f"burst: {len(offsets)} bursts of {burst_flows} attack flows over normal traffic "
            f"at {eps}/s ({seconds} s)")
        _Hook.received.clear()
        t_start = time.time()
        produce(ctx, topic, eps * seconds, eps=eps,
                data="generator:normal",
                extra=[a for o in offsets for a in ("--inject-burst", f"{burst_flows}@{o}")])
        time.sleep(3)
    finally:
        p.stop()
        hook.shutdown()
    alerts = [(t, b) for t, b in _Hook.received if "burst" in b.lower()]
    delays = []
    for i, o in enumerate(offsets):
        inj = t_start + o
        nxt = t_start + offsets[i + 1] if i + 1 < len(offsets) else float("inf")
        got = [t for t, _ in alerts if inj <= t < nxt]
        delays.append((min(got) - inj) * 1000 if got else None)
    ctx.raw["burst"] = {"delays_ms": delays, "alerts": len(alerts),
                        "all_posts": len(_Hook.received),
                        "first_payload": alerts[0][1][:2000] if alerts else None}
    log(f"  delays (ms): {['missed' if d is None else round(d) for d in delays]}; "
        f"{len(alerts)} burst alert(s), {len(_Hook.received)} webhook post(s)")
    found = sorted(d for d in delays if d is not None)
    missed = len(delays) - len(found)
    note = f"{len(offsets)} bursts of {burst_flows} flows" + (f", {missed} missed" if missed else "")
    base = Side(text="— (no burst alerting)")
    if not found:
        return [Row(SEC_BURST, "injected burst → webhook alert delivered", "ms", "low",
                    Side(text="no alert received"), base, base, note)]
    return [Row(SEC_BURST, "injected burst → webhook alert delivered: p50", "ms", "low",
                quantile(found, 0.5), base, base, note),
            Row(SEC_BURST, "injected burst → webhook alert delivered: max", "ms", "low",
                found[-1], base, base)]
