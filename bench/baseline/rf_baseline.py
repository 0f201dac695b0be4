#!/usr/bin/env python3
"""The Python stack flowsentry replaces: pandas + one-hot + scikit-learn RandomForest.

  rf_baseline.py train --data train.csv --out rf.joblib      (200 trees, n_jobs=2)
  rf_baseline.py score --model rf.joblib --data flows.csv --out scores.jsonl
  rf_baseline.py bench --model rf.joblib --data flows.csv    (predict_proba throughput, 1-flow latency)
                [--single-full N] [--json]

Run inside bench/baseline/.venv (bench/baseline/setup.sh creates it).
"""
import argparse
import json
import sys
import time

import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

CATEGORICAL = ["proto", "service", "state"]
DROP = ["id", "attack_cat", "label"]


def features(df, columns=None):
    x = pd.get_dummies(df.drop(columns=[c for c in DROP if c in df.columns]), columns=CATEGORICAL)
    if columns is not None:
        x = x.reindex(columns=columns, fill_value=0)
    return x


def train(args):
    df = pd.read_csv(args.data, encoding="utf-8-sig")
    x = features(df)
    rf = RandomForestClassifier(n_estimators=200, n_jobs=2, random_state=42)
    rf.fit(x, df["label"])
    cat = RandomForestClassifier(n_estimators=200, n_jobs=2, random_state=42)
    cat.fit(x, df["attack_cat"])
    joblib.dump({"binary": rf, "attack_cat": cat, "columns": list(x.columns)}, args.out)


def score(args):
    m = joblib.load(args.model)
    df = pd.read_csv(args.data, encoding="utf-8-sig")
    x = features(df, m["columns"])
    p = m["binary"].predict_proba(x)[:, 1]
    cp = m["attack_cat"].predict_proba(x)
    best = cp.argmax(axis=1)
    classes = m["attack_cat"].classes_
    ids = df["id"].tolist() if "id" in df.columns else [None] * len(df)
    with open(args.out, "w") as f:
        for i in range(len(df)):
            f.write(json.dumps({"id": ids[i], "score": float(p[i]), "label": int(p[i] >= 0.5),
                                "attack_cat": str(classes[best[i]]),
                                "attack_cat_prob": float(cp[i, best[i]]), "threshold": 0.5,
                                "model_version": "sklearn-rf-200"}) + "\n")


def bench(args):
    m = joblib.load(args.model)
    df = pd.read_csv(args.data, encoding="utf-8-sig")
    x = features(df, m["columns"])
    rf = m["binary"]
    rf.predict_proba(x[:1000])
    t = time.perf_counter()
    rf.predict_proba(x)
    fps = len(x) / (time.perf_counter() - t)
    lat = []
    for i in range(args.single):
        row = x.iloc[[i % len(x)]]
        t = time.perf_counter()
        rf.predict_proba(row)
        lat.append((time.perf_counter() - t) * 1e6)
    lat.sort()
    # One flow as a service sees it: encode the raw row, binary score and attack_cat, with the
    # forests' best single-row setting (n_jobs=1; n_jobs=2 is slower for one row).
    full = []
    if args.single_full:
        m["binary"].n_jobs = m["attack_cat"].n_jobs = 1
        for i in range(args.single_full):
            raw = df.iloc[[i % len(df)]]
            t = time.perf_counter()
            xi = features(raw, m["columns"])
            m["binary"].predict_proba(xi)
            m["attack_cat"].predict_proba(xi)
            full.append((time.perf_counter() - t) * 1e6)
        full.sort()
    q = lambda v, p: v[min(len(v) - 1, int(p * (len(v) - 1)))]
    if args.json:
        t = time.perf_counter()
        rf.predict_proba(x)
        m["attack_cat"].predict_proba(x)
        full_fps = len(x) / (time.perf_counter() - t)
        out = {"rows": len(x), "batch_binary_fps": fps, "batch_full_fps": full_fps,
               "single_binary_p50_us": q(lat, 0.5),
               "single_binary_p99_us": q(lat, 0.99)}
        if full:
            out.update({"single_full_p50_us": q(full, 0.5), "single_full_p99_us": q(full, 0.99),
                        "single_full_fps": len(full) / (sum(full) / 1e6)})
        print(json.dumps(out))
        return
    print(f"rows: {len(x)}")
    print(f"RandomForest predict_proba batch: {fps:.0f} flows/s")
    print(f"one flow at a time, {len(lat)} calls: p50 {q(lat, 0.5):.0f} us, "
          f"p99 {q(lat, 0.99):.0f} us")
    if full:
        print(f"one flow, encode + binary + attack_cat (n_jobs=1), {len(full)} calls: "
              f"p50 {q(full, 0.5):.0f} us, p99 {q(full, 0.99):.0f} us")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--out", required=True)
    s = sub.add_parser("score")
    s.add_argument("--model", required=True)
    s.add_argument("--data", required=True)
    s.add_argument("--out", required=True)
    b = sub.add_parser("bench")
    b.add_argument("--model", required=True)
    b.add_argument("--data", required=True)
    b.add_argument("--single", type=int, default=200)
    b.add_argument("--single-full", type=int, default=0,
                   help="also time N one-flow calls with encoding + attack_cat")
    b.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = ap.parse_args()
    {"train": train, "score": score, "bench": bench}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
