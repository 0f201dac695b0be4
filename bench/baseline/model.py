"""The reference stack's model, as its services load it: the pickled RandomForests from
rf_baseline.py train, the same one-hot encoding, 0.5 threshold.

Per-flow serving uses n_jobs=1: a RandomForest scoring one row with n_jobs=2 spends most of its
time starting joblib threads (130 ms vs 51 ms per flow here), so this is the baseline's best
setting, not a handicap.
"""
import os

import joblib
import numpy as np
import pandas as pd

from rf_baseline import CATEGORICAL, features

THRESHOLD = 0.5
MODEL_VERSION = "sklearn-rf-200"
FLOAT32_MAX = float(np.finfo(np.float32).max)


def plain_number(v):
    """A JSON number as is; anything else (string, bool, list, object) as NaN."""
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan


def small_int(v):
    """An integer too large for a double (JSON allows any) as NaN, so the flow is rejected."""
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 2**1023:
        return np.nan
    return v


def frame_of(records):
    """Decoded JSON objects -> one DataFrame, one row each (also when every object is {})."""
    try:
        return pd.DataFrame(records)
    except OverflowError:  # only a huge integer gets here: rare, so the slow path is fine
        return pd.DataFrame([{k: small_int(v) for k, v in r.items()} for r in records])


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

    def numeric_inputs(self):
        """The raw numeric fields the forests read (every input but the one-hot columns)."""
        return [c for c in self.columns if not c.startswith(tuple(p + "_" for p in CATEGORICAL))]

    def check_frame(self, df):
        """Vectorised validation of a DataFrame of flows: returns the mask of flows the forests
        can score (every number present, finite and within float32, which the forests read;
        proto/service/state strings without NUL). Columns that are not all numbers are coerced
        in place (a bad value becomes NaN); well-formed input pays only for one comparison."""
        numeric = self.numeric_inputs()
        for c in numeric + CATEGORICAL:
            if c not in df.columns:
                df[c] = None
        kinds = df.dtypes
        for c in numeric:
            if kinds[c].kind not in "iuf":  # not all numbers (bool is kind "b")
                df[c] = pd.to_numeric(df[c].map(plain_number), errors="coerce")
        with np.errstate(invalid="ignore"):
            good = (np.abs(df[numeric].to_numpy(dtype=float)) < FLOAT32_MAX).all(axis=1)  # NaN too
        for c in CATEGORICAL:
            good &= df[c].map(lambda v: isinstance(v, str) and "\x00" not in v).to_numpy()
        return good

    def score_frame(self, df):
        """A whole DataFrame of checked flows -> a DataFrame of verdicts, one call per forest."""
        x = features(df, self.columns)
        p = self.binary.predict_proba(x)[:, 1]
        cp = self.attack_cat.predict_proba(x)
        best = cp.argmax(axis=1)
        return pd.DataFrame({"score": p, "label": (p >= THRESHOLD).astype(int),
                             "attack_cat": np.asarray(self.classes, dtype=object)[best],
                             "attack_cat_prob": cp[np.arange(len(best)), best],
                             "threshold": THRESHOLD, "model_version": MODEL_VERSION})
