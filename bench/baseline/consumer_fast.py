#!/usr/bin/env python3
"""The reference stack's pipeline written the way a competent Python engineer would (the "fair"
baseline): confluent-kafka consume() in batches of 4,000, json decode, one pandas DataFrame per
batch scored vectorised by the same RandomForests (n_jobs=2), one COPY per batch into the same
anomaly_scores table flowsentry writes, offsets committed after the store (at-least-once).

  consumer_fast.py --brokers B --topic T --group G --store postgresql://... --model rf.joblib \
                   --stats stats.json [--progress progress.json] [--batch 4000]

Rows are keyed like flowsentry's: (stime, topic, partition, offset), stime = the message
timestamp. Prints "ready" once partitions are assigned; after each stored batch it rewrites
--progress with {"stored": N} (so a benchmark can follow it without counting the table); on
SIGTERM/SIGINT it writes --stats (rows, errors by reason, commit time - flowsentry-sent-ms per
row) and exits.
"""
import argparse
import io
import json
import os
import signal
import sys
import time

import pandas as pd
import psycopg2
from confluent_kafka import Consumer, KafkaException

from consumer import DAY
from model import Model, frame_of

STORED = ["stime", "source", "source_partition", "source_offset", "score", "label", "attack_cat",
          "proto", "state", "service", "sload", "dload", "spkts", "dpkts", "sjit", "djit",
          "sttl", "dttl", "dur", "tcprtt", "synack", "ackdat", "ct_state_ttl", "model_version"]
COPY = f"COPY anomaly_scores ({', '.join(STORED)}) FROM STDIN WITH (FORMAT csv)"


def count(errors, reason, n=1):
    errors[reason] = errors.get(reason, 0) + n


def decode(msgs, errors):
    """One consume() worth of messages -> records and their keys; bad ones counted and dropped."""
    records, meta, sent = [], [], []
    for m in msgs:
        if m.error():
            count(errors, "kafka")
            continue
        try:
            rec = json.loads(m.value())
        except (ValueError, TypeError, RecursionError):  # RecursionError: nesting too deep
            count(errors, "json")
            continue
        if not isinstance(rec, dict):
            count(errors, "not_an_object")
            continue
        records.append(rec)
        meta.append((m.timestamp()[1] / 1000.0, m.topic(), m.partition(), m.offset()))
        sent.append(dict(m.headers() or []).get("flowsentry-sent-ms"))
    return records, meta, sent


def frame(records, meta, sent, model, errors):
    """The batch as one DataFrame, checked vectorised: a flow the forests cannot score is dropped
    and counted, so one bad flow cannot fail the batch."""
    df = frame_of(records)
    keep = model.check_frame(df)
    if bad := int((~keep).sum()):
        count(errors, "invalid_fields", bad)
    return (df[keep].reset_index(drop=True), [m for m, k in zip(meta, keep) if k],
            [s for s, k in zip(sent, keep) if k])


def ensure_partitions(cur, stimes, made):
    # The table is partitioned by day of stime; flowsentry's store creates the partitions, so the
    # baseline does the same (same names) for the days it writes.
    for day in {int(s // DAY) * DAY for s in stimes} - made:
        name = "anomaly_scores_p" + time.strftime("%Y%m%d", time.gmtime(day))
        cur.execute(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF anomaly_scores "
                    f"FOR VALUES FROM ({day}) TO ({day + DAY})")
        made.add(day)


def store(db, df, meta, model, made):
    """Scores the frame in one call per forest and writes it with one COPY, in one transaction.
    A store error stops the consumer before the offsets are committed (the batch is replayed)."""
    v = model.score_frame(df)
    out = pd.DataFrame(meta, columns=STORED[:4])
    out["score"], out["label"], out["attack_cat"] = v["score"], v["label"], v["attack_cat"]
    for c in STORED[7:-1]:
        out[c] = df[c].to_numpy()
    out["ct_state_ttl"] = out["ct_state_ttl"].astype("int64")
    out["model_version"] = v["model_version"]
    buf = io.StringIO()
    out.to_csv(buf, index=False, header=False)
    buf.seek(0)
    with db.cursor() as cur:
        ensure_partitions(cur, out["stime"], made)
        cur.copy_expert(COPY, buf)
    db.commit()


def write_progress(path, stored):
    if not path:
        return
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"stored": stored}, f)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--stats", required=True, help="JSON file written at exit")
    ap.add_argument("--progress", help="JSON file rewritten after each stored batch")
    ap.add_argument("--batch", type=int, default=4000, help="messages per consume() (4000)")
    ap.add_argument("--jobs", type=int, default=2, help="RandomForest n_jobs (2)")
    args = ap.parse_args()

    model = Model(args.model, n_jobs=args.jobs)
    db = psycopg2.connect(args.store)
    consumer = Consumer({"bootstrap.servers": args.brokers, "group.id": args.group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    stop = False

    def on_signal(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def on_assign(c, parts):
        print("ready", len(parts), "partition(s)", flush=True)

    consumer.subscribe([args.topic], on_assign=on_assign)
    made = set()
    rows = 0
    errors = {}
    latencies = []  # (commit time s, latency ms)
    write_progress(args.progress, 0)
    while not stop:
        msgs = consumer.consume(num_messages=args.batch, timeout=0.2)
        if not msgs:
            continue
        df, meta, sent = frame(*decode(msgs, errors), model, errors)
        if len(df):
            store(db, df, meta, model, made)
            now = time.time()
            rows += len(df)
            latencies += [(now, now * 1000.0 - float(s)) for s in sent if s is not None]
            write_progress(args.progress, rows)
        try:  # after the store: a crash replays the batch, never loses it
            consumer.commit(asynchronous=False)
        except KafkaException as e:  # e.g. nothing to commit yet
            print("commit:", e, file=sys.stderr)
    consumer.close()
    with open(args.stats, "w") as f:
        json.dump({"rows": rows, "errors": sum(errors.values()), "errors_by_reason": errors,
                   "latencies": latencies}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
