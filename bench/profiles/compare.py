#!/usr/bin/env python3
"""Quality per feature profile: each committed model next to a scikit-learn RandomForest
trained on the same columns.

  compare.py --train train.csv --test test.csv [--models models] [--docs docs/models.md]
             [--record]

For each profile (full = models/default, then models/portable, models/netflow, models/conn) the
columns come from the model's own meta.json "features" (so from the profile table in
src/flow/profile.cc); flowsentry's engineered ratios are left out, proto/service/state are
one-hot encoded as in bench/baseline/rf_baseline.py. The RandomForest (200 trees, n_jobs=2,
random_state=42, otherwise scikit-learn's defaults) learns label from train.csv and is scored on
test.csv: AUC and FPR at recall 0.95, computed as flowsentry's metrics.cc does (first ROC point,
ties grouped, whose recall reaches 0.95). The XGBoost numbers are the models' recorded test
metrics (`flowsentry evaluate --record test`).

Writes the table to --docs, prints it, and with --record stores it as "comparison" in the
metrics.json of every profile model but models/default (re-render the cards afterwards with
`flowsentry evaluate --record test`; `make models` does both).
Run inside bench/baseline/.venv (bench/baseline/setup.sh creates it).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score, roc_curve

PROFILES = [("full", "default"), ("portable", "portable"), ("netflow", "netflow"),
            ("conn", "conn")]
CATEGORICAL = ["proto", "service", "state"]
RF_PARAMS = dict(n_estimators=200, n_jobs=2, random_state=42)
RF_TEXT = ("RandomForestClassifier(n_estimators=200, n_jobs=2, random_state=42), scikit-learn "
           "defaults otherwise (gini, max_features=sqrt, unlimited depth); proto/service/state "
           "one-hot; no engineered ratios")


def fpr_at_recall(y, s, target=0.95):
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    hit = np.nonzero(tpr >= target)[0]
    return float(fpr[hit[0]]) if len(hit) else 1.0


def design(df, columns, categorical, reference=None):
    x = pd.get_dummies(df[columns + categorical], columns=categorical)
    return x if reference is None else x.reindex(columns=reference, fill_value=0)


def run_rf(train, test, features):
    raw = [f for f in features if f in train.columns]  # engineered ratios are not CSV columns
    categorical = [c for c in raw if c in CATEGORICAL]
    numeric = [c for c in raw if c not in CATEGORICAL]
    xtr = design(train, numeric, categorical)
    xte = design(test, numeric, categorical, list(xtr.columns))
    t = time.perf_counter()
    rf = RandomForestClassifier(**RF_PARAMS).fit(xtr, train["label"])
    fit_s = time.perf_counter() - t
    s = rf.predict_proba(xte)[:, 1]
    return {"auc": float(roc_auc_score(test["label"], s)),
            "fpr_at_recall_95": fpr_at_recall(test["label"].to_numpy(), s),
            "columns": len(raw), "design_columns": xtr.shape[1], "fit_seconds": fit_s}


def load(path):
    with open(path) as f:
        return json.load(f)


def table(rows, data_name):
    out = [f"| profile | features | XGBoost AUC | XGBoost FPR at recall 0.95 | "
           f"RandomForest AUC | RandomForest FPR at recall 0.95 |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        x, f = r["xgboost"], r["sklearn_rf"]
        out.append(f"| {r['profile']} | {r['features']} | {x['auc']:.4f} | "
                   f"{100 * x['fpr_at_recall_95']:.2f}% | {f['auc']:.4f} | "
                   f"{100 * f['fpr_at_recall_95']:.2f}% |")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--models", default="models")
    ap.add_argument("--docs", default="")
    ap.add_argument("--record", action="store_true",
                    help="store the table as metrics.json 'comparison' of each profile model")
    args = ap.parse_args()
    train = pd.read_csv(args.train, encoding="utf-8-sig")
    test = pd.read_csv(args.test, encoding="utf-8-sig")
    rows = []
    for profile, folder in PROFILES:
        d = os.path.join(args.models, folder)
        meta, metrics = load(os.path.join(d, "meta.json")), load(os.path.join(d, "metrics.json"))
        if meta.get("profile", "full") != profile:
            sys.exit(f"{d}: profile {meta.get('profile', 'full')}, expected {profile}")
        if "test" not in metrics:
            sys.exit(f"{d}/metrics.json has no test entry: run flowsentry evaluate --record test")
        rf = run_rf(train, test, meta["features"])
        print(f"{profile}: RandomForest on {rf['columns']} columns ({rf['design_columns']} after "
              f"one-hot) fit in {rf['fit_seconds']:.1f}s", file=sys.stderr)
        t = metrics["test"]
        rows.append({"profile": profile, "features": len(meta["features"]),
                     "xgboost": {"auc": t["auc"], "fpr_at_recall_95": t["fpr_at_recall_95"]},
                     "sklearn_rf": rf})
    data_name = os.path.basename(args.test)
    text = table(rows, data_name)
    print(text)
    comparison = {"data": data_name, "train": os.path.basename(args.train),
                  "rf_params": RF_TEXT, "profiles": rows}
    if args.record:
        for profile, folder in PROFILES[1:]:
            path = os.path.join(args.models, folder, "metrics.json")
            m = load(path)
            m["comparison"] = comparison
            with open(path, "w") as f:
                f.write(json.dumps(m, indent=2) + "\n")
    if args.docs:
        write_docs(args.docs, text, data_name, os.path.basename(args.train))


BEGIN, END = "<!-- profiles:begin -->", "<!-- profiles:end -->"


def write_docs(path, text, data_name, train_name):
    section = (f"{BEGIN}\nGenerated by `make models-compare` (bench/profiles/compare.py); "
               f"trained on `{train_name}`, measured on `{data_name}`.\n"
               f"RandomForest: {RF_TEXT}.\n\n{text}{END}")
    doc = open(path).read() if os.path.exists(path) else ""
    if BEGIN in doc and END in doc:
        doc = doc[:doc.index(BEGIN)] + section + doc[doc.index(END) + len(END):]
    else:
        doc += ("\n" if doc else "") + section + "\n"
    with open(path, "w") as f:
        f.write(doc)


if __name__ == "__main__":
    sys.exit(main())
