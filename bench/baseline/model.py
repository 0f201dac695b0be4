"""The reference stack's model, as its services load it: the pickled RandomForests from
rf_baseline.py train, the same one-hot encoding, 0.5 threshold.

Per-flow serving uses n_jobs=1: a RandomForest scoring one row with n_jobs=2 spends most of its
time starting joblib threads (130 ms vs 51 ms per flow here), so this is the baseline's best
setting, not a handicap.
"""
import os

import joblib
import pandas as pd

from rf_baseline import features

THRESHOLD = 0.5
MODEL_VERSION = "sklearn-rf-200"


class Model:
    def __init__(self, path=None, n_jobs=1):
        m = joblib.load(path or os.environ["BASELINE_MODEL"])
        self.binary = m["binary"]
        self.attack_cat = m["attack_cat"]
        self.columns = m["columns"]
        self.binary.n_jobs = n_jobs
        self.attack_cat.n_jobs = n_jobs
        self.classes = [str(c) for c in self.attack_cat.classes_]

    def predict(self, records):
        """records: list of dicts in the UNSW-NB15 layout -> list of verdict dicts."""
        x = features(pd.DataFrame.from_records(records), self.columns)
        p = self.binary.predict_proba(x)[:, 1]
        cp = self.attack_cat.predict_proba(x)
        best = cp.argmax(axis=1)
        return [{"score": float(p[i]), "label": int(p[i] >= THRESHOLD),
                 "attack_cat": self.classes[best[i]], "attack_cat_prob": float(cp[i, best[i]]),
                 "threshold": THRESHOLD, "model_version": MODEL_VERSION}
                for i in range(len(records))]
