-- Host rollup levels beside host_rollup_1h: 5-minute buckets (a window's partial edge hours
-- read these, and raw flows only for what is left under 5 minutes) and 6-hour blocks (a 24 h
-- window reads 3 of them instead of 18 hours). side 2 = "any": the source and destination rows
-- summed, so role=any reads one row per host and bucket. Keys start with the side, so a query
-- scans only its side's rows (a bucket range under a side). Filled from what is stored.
CREATE TABLE host_rollup_1h_by_side (
  hour INTEGER NOT NULL,
  side INTEGER NOT NULL,
  address BLOB NOT NULL,
  flows INTEGER NOT NULL,
  anomalies INTEGER NOT NULL,
  bytes REAL NOT NULL,
  max_score REAL NOT NULL,
  PRIMARY KEY (side, hour, address)
) WITHOUT ROWID;
INSERT INTO host_rollup_1h_by_side SELECT * FROM host_rollup_1h;
INSERT INTO host_rollup_1h_by_side
  SELECT hour, 2, address, sum(flows), sum(anomalies), sum(bytes), max(max_score)
  FROM host_rollup_1h WHERE side IN (0, 1) GROUP BY hour, address;
DROP TABLE host_rollup_1h;
ALTER TABLE host_rollup_1h_by_side RENAME TO host_rollup_1h;
CREATE TABLE host_rollup_5m (
  bucket INTEGER NOT NULL,
  side INTEGER NOT NULL,
  address BLOB NOT NULL,
  flows INTEGER NOT NULL,
  anomalies INTEGER NOT NULL,
  bytes REAL NOT NULL,
  max_score REAL NOT NULL,
  PRIMARY KEY (side, bucket, address)
) WITHOUT ROWID;
INSERT INTO host_rollup_5m
  SELECT CAST(stime / 300 AS INTEGER) * 300, 0, srcip, count(*), sum(label),
         sum(sbytes + dbytes), max(score)
  FROM anomaly_scores WHERE srcip IS NOT NULL GROUP BY 1, 3;
INSERT INTO host_rollup_5m
  SELECT CAST(stime / 300 AS INTEGER) * 300, 1, dstip, count(*), sum(label),
         sum(sbytes + dbytes), max(score)
  FROM anomaly_scores WHERE dstip IS NOT NULL GROUP BY 1, 3;
INSERT INTO host_rollup_5m
  SELECT bucket, 2, address, sum(flows), sum(anomalies), sum(bytes), max(max_score)
  FROM host_rollup_5m WHERE side IN (0, 1) GROUP BY bucket, address;
CREATE TABLE host_rollup_6h (
  bucket INTEGER NOT NULL,
  side INTEGER NOT NULL,
  address BLOB NOT NULL,
  flows INTEGER NOT NULL,
  anomalies INTEGER NOT NULL,
  bytes REAL NOT NULL,
  max_score REAL NOT NULL,
  PRIMARY KEY (side, bucket, address)
) WITHOUT ROWID;
INSERT INTO host_rollup_6h
  SELECT CAST(hour / 21600 AS INTEGER) * 21600, side, address, sum(flows), sum(anomalies),
         sum(bytes), max(max_score)
  FROM host_rollup_1h GROUP BY 1, 2, 3;
