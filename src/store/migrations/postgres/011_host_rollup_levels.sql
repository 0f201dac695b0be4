-- Host rollup levels beside host_rollup_1h: 5-minute buckets (a window's partial edge hours
-- read these, and raw flows only for what is left under 5 minutes) and 6-hour blocks (a 24 h
-- window reads 3 of them instead of 18 hours). side 2 = "any": the source and destination rows
-- summed, so role=any reads one row per host and bucket. Filled from what is stored; the worker
-- role gets SELECT, INSERT, UPDATE from the owner's default privileges (deploy/postgres/roles.sql).
-- Keys start with the side, so a query reads only its side's rows.
ALTER TABLE host_rollup_1h DROP CONSTRAINT host_rollup_1h_pkey,
  ADD PRIMARY KEY (side, hour, address);
INSERT INTO host_rollup_1h
  SELECT hour, 2, address, sum(flows), sum(anomalies), sum(bytes), max(max_score)
  FROM host_rollup_1h WHERE side IN (0, 1) GROUP BY hour, address;
CREATE TABLE host_rollup_5m (
  bucket bigint NOT NULL,
  side smallint NOT NULL,
  address inet NOT NULL,
  flows bigint NOT NULL,
  anomalies bigint NOT NULL,
  bytes double precision NOT NULL,
  max_score double precision NOT NULL,
  PRIMARY KEY (side, bucket, address)
);
INSERT INTO host_rollup_5m
  SELECT floor(stime / 300)::bigint * 300, 0, srcip, count(*), sum(label),
         sum(sbytes + dbytes), max(score)
  FROM anomaly_scores WHERE srcip IS NOT NULL GROUP BY 1, 3;
INSERT INTO host_rollup_5m
  SELECT floor(stime / 300)::bigint * 300, 1, dstip, count(*), sum(label),
         sum(sbytes + dbytes), max(score)
  FROM anomaly_scores WHERE dstip IS NOT NULL GROUP BY 1, 3;
INSERT INTO host_rollup_5m
  SELECT bucket, 2, address, sum(flows), sum(anomalies), sum(bytes), max(max_score)
  FROM host_rollup_5m WHERE side IN (0, 1) GROUP BY bucket, address;
CREATE TABLE host_rollup_6h (
  bucket bigint NOT NULL,
  side smallint NOT NULL,
  address inet NOT NULL,
  flows bigint NOT NULL,
  anomalies bigint NOT NULL,
  bytes double precision NOT NULL,
  max_score double precision NOT NULL,
  PRIMARY KEY (side, bucket, address)
);
INSERT INTO host_rollup_6h
  SELECT (hour / 21600) * 21600, side, address, sum(flows), sum(anomalies), sum(bytes),
         max(max_score)
  FROM host_rollup_1h GROUP BY 1, 2, 3;
