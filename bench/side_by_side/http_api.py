"""POST /predict under wrk: flowsentry serve vs two FastAPI + Uvicorn services (2 workers each):
the fair one (api_fast.py: one DataFrame per request, vectorised checks) and the seed-style one
(api.py: a pydantic object per flow)."""
import json
import os

import pandas as pd

from common import BenchError, Proc, free_port, http_get, log, run, wait_until
from rows import Row, Side

SEC = "HTTP POST /predict"
UVICORN_WORKERS = 2


def write_bodies(ctx):
    df = pd.read_csv(ctx.test_csv, nrows=1000, encoding="utf-8-sig")
    recs = json.loads(df.to_json(orient="records"))
    one = os.path.join(ctx.work, "one.json")
    batch = os.path.join(ctx.work, "batch1000.json")
    with open(one, "w") as f:
        json.dump(recs[0], f)
    with open(batch, "w") as f:
        json.dump(recs, f)
    return one, batch


def wrk(ctx, url, body, conns, seconds):
    threads = 1 if conns == 1 else 2
    out = run(["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s",
               "-s", os.path.join(ctx.here, "post.lua"), url], seconds + 60, f"wrk {url}",
              env={"BODY_FILE": body})
    line = next((l for l in out.splitlines() if l.startswith("WRK_JSON ")), None)
    if line is None:
        raise BenchError(f"wrk printed no result for {url}:\n{out[-1000:]}")
    r = json.loads(line[len("WRK_JSON "):])
    if r["errors_status"] > r["requests"] * 0.01:
        raise BenchError(f"wrk {url}: {r['requests']} requests, {r['errors_status']} non-2xx, "
                         f"{r['errors_socket']} socket errors")
    return r


def start_flowsentry(ctx, port):
    return Proc("flowsentry serve", [ctx.fs, "serve", "--model", ctx.model, "--port", str(port)],
                ctx.work)


def uvicorn(app):
    def start(ctx, port):
        return Proc(f"uvicorn {app}", [ctx.py, "-m", "uvicorn", app, "--host", "127.0.0.1",
                                       "--port", str(port), "--workers", str(UVICORN_WORKERS),
                                       "--log-level", "warning", "--no-access-log"],
                    ctx.work, env={"BASELINE_MODEL": ctx.rf}, cwd=ctx.baseline_dir)
    return start


# stack -> how to start it; the baselines in the order their columns are shown.
STACKS = [("flowsentry", start_flowsentry), ("fair", uvicorn("api_fast:app")),
          ("seed", uvicorn("api:app"))]


# (label, body key, query, connections, stacks that have it)
CASES = [
    ("one flow, explain=0, 1 connection", "one", "?explain=0", 1),
    ("one flow, explain=0, 16 connections", "one", "?explain=0", 16),
    ("1,000 flows, explain=0, 1 connection", "batch", "?explain=0", 1),
    ("1,000 flows, explain=0, 16 connections", "batch", "?explain=0", 16),
    ("one flow, default (SHAP top 3), 16 connections", "one", "", 16),
]


def measure_stack(ctx, name, start, bodies, seconds):
    port = free_port()
    proc = start(ctx, port)
    results = {}
    try:
        wait_until(lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200, 120,
                   f"{name} /healthz on port {port}", proc=proc)
        base = f"http://127.0.0.1:{port}/predict"
        wrk(ctx, base + "?explain=0", bodies["one"], 2, 1)  # warm-up
        for label, body, query, conns in CASES:
            if name != "flowsentry" and query == "":
                continue  # no explanations in the baselines
            # Long enough for a few 1,000-flow answers even from the slow stack.
            secs = 2 * seconds if body == "batch" else seconds
            log(f"/predict {name}: {label} ({secs} s)")
            r = wrk(ctx, base + query, bodies[body], conns, secs)
            log(f"  {r['rps']:,.1f} req/s, p50 {r['p50_us'] / 1000:.2f} ms, "
                f"p99 {r['p99_us'] / 1000:.2f} ms")
            results[label] = r
    finally:
        proc.stop()
    return results


def predict(ctx):
    one, batch = write_bodies(ctx)
    bodies = {"one": one, "batch": batch}
    seconds = 3 if ctx.quick else 15
    res = {name: measure_stack(ctx, name, start, bodies, seconds) for name, start in STACKS}
    ctx.raw["predict"] = dict(res, seconds=seconds, uvicorn_workers=UVICORN_WORKERS)
    rows = []

    def side(r, key, scale=1.0):
        if r is None:
            return Side(text="— (no explanations)")
        if r["requests"] == 0:
            return Side(text="no answer within the run")
        return Side(r[key] * scale)

    for label, body, query, conns in CASES:
        f, a, b = (res[name].get(label) for name, _ in STACKS)
        per = 1000 if body == "batch" else 1
        notes = []
        if per > 1 and all(r and r["requests"] for r in (f, a, b)):
            notes.append(f"= {f['rps'] * per:,.0f} vs {a['rps'] * per:,.0f} (fair) and "
                         f"{b['rps'] * per:,.0f} (seed-style) flows/s")
        for who, r in (("flowsentry", f), ("fair", a), ("seed-style", b)):
            if r and r["errors_socket"]:
                notes.append(f"{who}: {r['errors_socket']} socket errors/time-outs (10 s)")
        rows.append(Row(SEC, f"{label}: requests/s", "req/s", "high", side(f, "rps"),
                        side(a, "rps"), side(b, "rps"), "; ".join(notes)))
        for q in ("p50", "p95", "p99"):
            rows.append(Row(SEC, f"{label}: {q}", "ms", "low", side(f, f"{q}_us", 1e-3),
                            side(a, f"{q}_us", 1e-3), side(b, f"{q}_us", 1e-3)))
    return rows
