"""In-process scoring throughput and detection quality on test.csv."""
import json
import os
import re

from sklearn.metrics import roc_auc_score

from common import log, run
from rows import Row, Side

SEC_SCORE = "Scoring in process"
SEC_QUALITY = "Detection quality on test.csv"
SEC_EXPLAIN = "Explanations (SHAP top 3)"
NO_SHAP = "— (no explanations)"


def scoring(ctx):
    q = ctx.quick
    log("scoring: flowsentry bench score")
    out = run([ctx.fs, "bench", "score", "--model", ctx.model, "--data", ctx.test_csv,
               "--min-rows", "30000" if q else "100000", "--single", "2000" if q else "20000"],
              600, "flowsentry bench score")
    fs_batch = float(re.search(r"binary score only:\s+([\d.]+) flows/s", out).group(1))
    fs_full = float(re.search(r"score \+ attack_cat:\s+([\d.]+) flows/s", out).group(1))
    m = re.search(r"p50 ([\d.]+) us, p99 ([\d.]+) us", out)
    fs_p50, fs_p99 = float(m.group(1)), float(m.group(2))
    log(f"  flowsentry: batch {fs_batch:,.0f} flows/s, one flow p50 {fs_p50:.0f} µs")

    log("scoring: baseline rf_baseline.py bench")
    out = run([ctx.py, os.path.join(ctx.baseline_dir, "rf_baseline.py"), "bench", "--model",
               ctx.rf, "--data", ctx.test_csv, "--single", "30" if q else "200",
               "--single-full", "40" if q else "300", "--json"], 900, "rf_baseline.py bench")
    b = json.loads(out.strip().splitlines()[0])
    log(f"  baseline: batch {b['batch_binary_fps']:,.0f} flows/s, one flow p50 "
        f"{b['single_full_p50_us']:,.0f} µs")
    ctx.raw["scoring"] = {"flowsentry": {"batch_binary": fs_batch, "batch_full": fs_full,
                                         "single_p50_us": fs_p50, "single_p99_us": fs_p99},
                          "baseline": b}
    # Both baselines score with the same forests in the same way: one measurement, both columns.
    same = "both baselines: the same forests, `predict_proba`"
    return [
        Row(SEC_SCORE, "batch, binary score (flowsentry native forest, 2 threads; RF n_jobs=2)",
            "flows/s", "high", fs_batch, b["batch_binary_fps"], b["batch_binary_fps"], same),
        Row(SEC_SCORE, "batch, score + attack_cat", "flows/s", "high", fs_full,
            b["batch_full_fps"], b["batch_full_fps"]),
        Row(SEC_SCORE, "one flow at a time, score + attack_cat (1 / p50)", "flows/s", "high",
            1e6 / fs_p50, 1e6 / b["single_full_p50_us"], 1e6 / b["single_full_p50_us"]),
        Row(SEC_SCORE, "one flow at a time, p50 latency", "µs", "low", fs_p50,
            b["single_full_p50_us"], b["single_full_p50_us"]),
        Row(SEC_SCORE, "one flow at a time, p99 latency", "µs", "low", fs_p99,
            b["single_full_p99_us"], b["single_full_p99_us"]),
    ]


def explanations(ctx):
    """One flow's SHAP top 3 (native linear TreeSHAP beside XGBoost's pred_contribs on the same
    flows), and the pipeline's explained anomalies per second at 10k flows/s, 5 % anomalies."""
    q = ctx.quick
    log("explanations: flowsentry bench score --explained")
    out = run([ctx.fs, "bench", "score", "--model", ctx.model, "--data", ctx.test_csv,
               "--min-rows", "1", "--single", "10", "--explained", "300" if q else "2000"],
              600, "flowsentry bench score --explained")
    m = re.search(r"SHAP top 3\), \d+ calls: p50 ([\d.]+) us, p99 ([\d.]+) us", out)
    fs_p50, fs_p99 = float(m.group(1)), float(m.group(2))
    m = re.search(r"XGBoost's TreeSHAP: p50 ([\d.]+) us, p99 ([\d.]+) us", out)
    xgb_p50 = float(m.group(1)) if m else None
    log(f"  one flow explained p50 {fs_p50:.0f} µs (XGBoost {xgb_p50} µs)")
    seconds = "10" if q else "30"
    log(f"explanations: flowsentry bench pipeline (10,000 flows/s, 5 % anomalies, {seconds} s)")
    out = run([ctx.fs, "bench", "pipeline", "--model", ctx.model, "--data", ctx.test_csv,
               "--rate", "10000", "--anomalies", "0.05", "--seconds", seconds],
              300, "flowsentry bench pipeline")
    m = re.search(r"explained anomalies: (\d+) of (\d+) \(([\d.]+) %\), (\d+) explained", out)
    explained, anomalies, share, rate = int(m.group(1)), int(m.group(2)), float(m.group(3)), \
        float(m.group(4))
    kept = re.search(r"flows/s, (kept up|fell behind by [\d.]+ s)", out).group(1)
    log(f"  pipeline: {rate:.0f} explained anomalies/s ({share:.1f} % of anomalies), {kept}")
    ctx.raw["explanations"] = {"one_flow_p50_us": fs_p50, "one_flow_p99_us": fs_p99,
                               "xgboost_p50_us": xgb_p50, "pipeline_explained_per_s": rate,
                               "pipeline_explained": explained, "pipeline_anomalies": anomalies,
                               "pipeline": kept}
    none = Side(text=NO_SHAP)
    xgb = f"XGBoost's pred_contribs on the same flows: p50 {xgb_p50:,.0f} µs" if xgb_p50 else ""
    return [
        Row(SEC_EXPLAIN, "one flow explained (SHAP top 3): p50", "µs", "low", fs_p50, none, none,
            xgb),
        Row(SEC_EXPLAIN, "one flow explained (SHAP top 3): p99", "µs", "low", fs_p99, none, none),
        Row(SEC_EXPLAIN, "pipeline at 10,000 flows/s with 5 % anomalies: explained anomalies/s",
            "anomalies/s", "high", rate, none, none,
            f"{explained:,} of {anomalies:,} anomalies explained ({share:.1f} %), {kept}; "
            "`flowsentry bench pipeline` (SQLite store)"),
    ]


def quality(ctx):
    log("quality: flowsentry evaluate")
    out = run([ctx.fs, "evaluate", "--model", ctx.model, "--data", ctx.test_csv,
               "--format", "json"], 600, "flowsentry evaluate")
    e = json.loads(out[out.index("{"):out.rindex("}") + 1])
    log("quality: baseline scores test.csv")
    scores = os.path.join(ctx.work, "rf_scores.jsonl")
    run([ctx.py, os.path.join(ctx.baseline_dir, "rf_baseline.py"), "score", "--model", ctx.rf,
         "--data", ctx.test_csv, "--out", scores], 900, "rf_baseline.py score")
    import pandas as pd
    labels = pd.read_csv(ctx.test_csv, usecols=["label"], encoding="utf-8-sig")["label"].tolist()
    with open(scores) as f:
        p = [json.loads(line)["score"] for line in f]
    tp = sum(1 for y, s in zip(labels, p) if y == 1 and s >= 0.5)
    fp = sum(1 for y, s in zip(labels, p) if y == 0 and s >= 0.5)
    pos = sum(labels)
    neg = len(labels) - pos
    b = {"fpr": fp / neg, "recall": tp / pos, "auc": roc_auc_score(labels, p)}
    ctx.raw["quality"] = {"flowsentry": {k: e[k] for k in ("fpr", "recall", "auc", "threshold")},
                          "baseline": b}
    log(f"  flowsentry FPR {e['fpr']:.4f} recall {e['recall']:.4f} AUC {e['auc']:.5f}; "
        f"baseline FPR {b['fpr']:.4f} recall {b['recall']:.4f} AUC {b['auc']:.5f}")
    thr = (f"flowsentry at its threshold {e['threshold']:.4f}, baselines (the same forests) "
           "at 0.5")
    return [
        Row(SEC_QUALITY, "false-positive rate at the threshold", "%", "low", 100 * e["fpr"],
            100 * b["fpr"], 100 * b["fpr"], thr),
        Row(SEC_QUALITY, "recall at the threshold", "", "high", e["recall"], b["recall"],
            b["recall"], thr),
        Row(SEC_QUALITY, "ROC AUC", "", "high", e["auc"], b["auc"], b["auc"]),
    ]
