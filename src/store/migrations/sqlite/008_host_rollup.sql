-- Per host and hour, what top_hosts sums: a 24 h top reads 24 hours of these (a row per active
-- host and side) instead of grouping every flow. side 0 = the host was the source, 1 = the
-- destination; address in anomaly_scores' 16-byte form. Upserted in the write transaction with
-- only the rows actually inserted, like rollup_5m.
CREATE TABLE host_rollup_1h (
  hour INTEGER NOT NULL,
  side INTEGER NOT NULL,
  address BLOB NOT NULL,
  flows INTEGER NOT NULL,
  anomalies INTEGER NOT NULL,
  bytes REAL NOT NULL,
  max_score REAL NOT NULL,
  PRIMARY KEY (hour, side, address)
) WITHOUT ROWID;
INSERT INTO host_rollup_1h
  SELECT CAST(stime / 3600 AS INTEGER) * 3600, 0, srcip, count(*), sum(label),
         sum(sbytes + dbytes), max(score)
  FROM anomaly_scores WHERE srcip IS NOT NULL GROUP BY 1, 3;
INSERT INTO host_rollup_1h
  SELECT CAST(stime / 3600 AS INTEGER) * 3600, 1, dstip, count(*), sum(label),
         sum(sbytes + dbytes), max(score)
  FROM anomaly_scores WHERE dstip IS NOT NULL GROUP BY 1, 3;
