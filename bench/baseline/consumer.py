#!/usr/bin/env python3
"""The reference stack's pipeline, seed-style (one message, one INSERT; consumer_fast.py is the
fair one): a confluent-kafka consumer that scores each message with the RandomForests and writes
it with one psycopg2 INSERT per row (autocommit) into the same anomaly_scores table flowsentry
writes (schema from `flowsentry db migrate`).

  consumer.py --brokers B --topic T --group G --store postgresql://... --model rf.joblib \
              --stats stats.json

Rows are keyed like flowsentry's: (stime, topic, partition, offset), stime = the message
timestamp. Per row it records commit time - flowsentry-sent-ms header (end-to-end latency).
Prints "ready" once partitions are assigned; on SIGTERM/SIGINT it writes --stats and exits.
"""
import argparse
import json
import signal
import sys
import time

import psycopg2
from confluent_kafka import Consumer

from model import Model

COLUMNS = ("stime, source, source_partition, source_offset, score, label, attack_cat, proto, "
           "state, service, sload, dload, spkts, dpkts, sjit, djit, sttl, dttl, dur, tcprtt, "
           "synack, ackdat, ct_state_ttl, model_version")
INSERT = f"INSERT INTO anomaly_scores ({COLUMNS}) VALUES ({', '.join(['%s'] * 24)})"
DAY = 86400


def ensure_partition(cur, stime, made):
    # The table is partitioned by day of stime; flowsentry's store creates the partitions, so the
    # baseline does the same (same names) for the days it writes.
    day = int(stime // DAY) * DAY
    if day in made:
        return
    name = "anomaly_scores_p" + time.strftime("%Y%m%d", time.gmtime(day))
    cur.execute(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF anomaly_scores "
                f"FOR VALUES FROM ({day}) TO ({day + DAY})")
    made.add(day)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--stats", required=True, help="JSON file written at exit")
    args = ap.parse_args()

    model = Model(args.model, n_jobs=1)
    db = psycopg2.connect(args.store)
    db.autocommit = True
    cur = db.cursor()
    consumer = Consumer({"bootstrap.servers": args.brokers, "group.id": args.group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": True})
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
    rows = errors = 0
    latencies = []  # (commit time s, latency ms)
    while not stop:
        m = consumer.poll(0.2)
        if m is None:
            continue
        if m.error():
            errors += 1
            continue
        try:
            rec = json.loads(m.value())
            v = model.predict([rec])[0]
        except Exception as e:  # a bad record must not stop the stream
            errors += 1
            print("bad record:", e, file=sys.stderr)
            continue
        stime = m.timestamp()[1] / 1000.0
        ensure_partition(cur, stime, made)
        cur.execute(INSERT, (stime, m.topic(), m.partition(), m.offset(), v["score"], v["label"],
                             v["attack_cat"], rec["proto"], rec["state"], rec["service"],
                             rec["sload"], rec["dload"], rec["spkts"], rec["dpkts"], rec["sjit"],
                             rec["djit"], rec["sttl"], rec["dttl"], rec["dur"], rec["tcprtt"],
                             rec["synack"], rec["ackdat"], int(rec["ct_state_ttl"]),
                             v["model_version"]))
        now = time.time()
        rows += 1
        sent = dict(m.headers() or []).get("flowsentry-sent-ms")
        if sent is not None:
            latencies.append((now, now * 1000.0 - float(sent)))
    consumer.close()
    with open(args.stats, "w") as f:
        json.dump({"rows": rows, "errors": errors, "latencies": latencies}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
