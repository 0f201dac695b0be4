#!/usr/bin/env python3
"""Golden data for flowsentry's ADWIN: River's ADWIN run on seeded streams.

Regenerate (from the repository root):

    $(scripts/river_venv) scripts/river_golden.py > src/detect/tests/data/adwin_river_golden.json

The streams are drawn with numpy's default_rng(seed) and rounded to 4 decimals; the rounded
values are written into the golden file too, so the C++ test feeds flowsentry exactly the numbers
River saw. River >= 0.24 runs ADWIN in Rust (rust_src/adwin.rs); river is pinned in
scripts/river_venv so the golden data does not move under us. For each case the file records River's detection indices (0-based position of the input
that raised drift_detected), and the window width, mean and variance at each detection (River's
helper state right after the cut, before River resets on the next update) and at the end.
"""
import json
import sys

import numpy as np
import river
from river import drift


def stream(name, seed, n=4000):
    rng = np.random.default_rng(seed)
    if name == "bernoulli_stationary":
        x = (rng.random(n) < 0.2).astype(float)
        desc = "Bernoulli(p=0.2), no change"
    elif name == "gaussian_stationary":
        x = rng.normal(0.5, 0.1, n)
        desc = "Normal(0.5, 0.1), no change"
    elif name == "abrupt_shift":
        x = np.concatenate([rng.normal(0.2, 0.1, n // 2), rng.normal(0.6, 0.1, n - n // 2)])
        desc = "Normal(0.2, 0.1) then Normal(0.6, 0.1) from index n/2"
    elif name == "bernoulli_shift":
        x = np.concatenate([(rng.random(n // 2) < 0.05), (rng.random(n - n // 2) < 0.3)]).astype(float)
        desc = "Bernoulli(0.05) then Bernoulli(0.3) from index n/2 (anomaly-label stream)"
    elif name == "gradual_drift":
        i = np.arange(n)
        mean = 0.2 + 0.5 * np.clip((i - 1500) / 1000.0, 0.0, 1.0)
        x = rng.normal(mean, 0.1)
        desc = "Normal(m, 0.1), m ramps linearly 0.2 -> 0.7 over indices 1500..2500"
    else:
        raise ValueError(name)
    return desc, [round(float(v), 4) for v in x]


STREAMS = [("bernoulli_stationary", 11), ("gaussian_stationary", 12), ("abrupt_shift", 13),
           ("bernoulli_shift", 14), ("gradual_drift", 15)]
DEFAULTS = dict(delta=0.002, clock=32, max_buckets=5, min_window_length=5, grace_period=10)
CASES = [(name, {}) for name, _ in STREAMS] + [
    ("abrupt_shift", dict(clock=1)),
    ("gradual_drift", dict(delta=0.1, clock=8)),
    # A loose detector that raises one false alarm on a stationary stream: flowsentry must too.
    ("bernoulli_stationary", dict(delta=0.9, clock=2, max_buckets=2, min_window_length=1)),
]


def run_case(values, params):
    det = drift.ADWIN(**params)
    detections = []
    for i, v in enumerate(values):
        det.update(v)
        if det.drift_detected:
            detections.append({"index": i, "width": int(det.width), "mean": det.estimation,
                               "variance": det.variance})
    return detections, {"width": int(det.width), "mean": det.estimation, "variance": det.variance}


def main():
    out = {"generator": "scripts/river_golden.py", "river_version": river.__version__,
           "numpy_version": np.__version__, "streams": {}, "cases": []}
    for name, seed in STREAMS:
        desc, values = stream(name, seed)
        out["streams"][name] = {"seed": seed, "description": desc, "values": values}
    for name, overrides in CASES:
        params = dict(DEFAULTS, **overrides)
        detections, final = run_case(out["streams"][name]["values"], params)
        out["cases"].append({"stream": name, "params": params, "detections": detections,
                             "final": final})
    json.dump(out, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
