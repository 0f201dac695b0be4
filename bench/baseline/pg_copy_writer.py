#!/usr/bin/env python3
"""The fair Python baseline for PostgreSQL writes (bench/store_bench.sh): rows already in memory
as typed Python values, the way a scoring consumer holds them, written to anomaly_scores with one
COPY per batch, each batch in its own transaction, through psycopg 3 (Debian's python3-psycopg;
run it with the system python3). Only the writing is timed: formatting a batch as CSV (the csv
module, in C), the COPY and the commit.

  pg_copy_writer.py --url postgresql://... --rows rows.jsonl --source NAME [--batch 4000]

rows.jsonl (bench_store writes it): one JSON array per row, in COLUMNS order, null = NULL; the
rows' own source is replaced by NAME so they do not collide with stored ones. Prints one JSON
line: {"rows": N, "seconds": S, "rate": R}.
"""
import argparse
import csv
import io
import json
import sys
import time

import psycopg

COLUMNS = ["stime", "source", "source_partition", "source_offset", "score", "label", "attack_cat",
           "proto", "state", "service", "sload", "dload", "spkts", "dpkts", "sjit", "djit",
           "sttl", "dttl", "dur", "tcprtt", "synack", "ackdat", "ct_state_ttl", "model_version",
           "explanation", "ltime", "srcip", "sport", "dstip", "dsport", "sbytes", "dbytes"]
NULLABLE = ["ltime", "srcip", "sport", "dstip", "dsport"]
# csv writes None as "" when it quotes text; FORCE_NULL reads that as NULL in these columns.
COPY = (f"COPY anomaly_scores ({', '.join(COLUMNS)}) FROM STDIN "
        f"WITH (FORMAT csv, FORCE_NULL ({', '.join(NULLABLE)}))")
DAY = 86400


def load(path, source):
    rows = []
    with open(path) as f:
        for line in f:
            row = json.loads(line)
            row[1] = source
            rows.append(row)
    return rows


def ensure_partitions(cur, stimes, made):
    # anomaly_scores is partitioned by day of stime, with flowsentry's partition names.
    for day in {int(s // DAY) * DAY for s in stimes} - made:
        name = "anomaly_scores_p" + time.strftime("%Y%m%d", time.gmtime(day))
        cur.execute(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF anomaly_scores "
                    f"FOR VALUES FROM ({day}) TO ({day + DAY})")
        made.add(day)


def write(conn, batch, made):
    # Text quoted, numbers bare.
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC).writerows(batch)
    with conn.cursor() as cur:
        ensure_partitions(cur, (r[0] for r in batch), made)
        with cur.copy(COPY) as copy:
            copy.write(buf.getvalue())
    conn.commit()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--rows", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--batch", type=int, default=4000)
    a = ap.parse_args()
    rows = load(a.rows, a.source)
    made = set()
    with psycopg.connect(a.url) as conn:
        t0 = time.perf_counter()
        for i in range(0, len(rows), a.batch):
            write(conn, rows[i:i + a.batch], made)
        seconds = time.perf_counter() - t0
    print(json.dumps({"rows": len(rows), "seconds": seconds, "rate": len(rows) / seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
