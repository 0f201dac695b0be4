-- Per host and hour, what top_hosts sums: a 24 h top reads 24 hours of these (a row per active
-- host and side) instead of grouping every flow. side 0 = the host was the source, 1 = the
-- destination; address as in anomaly_scores (inet, IPv4 as IPv4). Upserted in the write
-- transaction with only the rows actually inserted, like rollup_5m. The worker role gets
-- SELECT, INSERT, UPDATE on it from the owner's default privileges (deploy/postgres/roles.sql).
CREATE TABLE host_rollup_1h (
  hour bigint NOT NULL,
  side smallint NOT NULL,
  address inet NOT NULL,
  flows bigint NOT NULL,
  anomalies bigint NOT NULL,
  bytes double precision NOT NULL,
  max_score double precision NOT NULL,
  PRIMARY KEY (hour, side, address)
);
INSERT INTO host_rollup_1h
  SELECT floor(stime / 3600)::bigint * 3600, 0, srcip, count(*), sum(label),
         sum(sbytes + dbytes), max(score)
  FROM anomaly_scores WHERE srcip IS NOT NULL GROUP BY 1, 3;
INSERT INTO host_rollup_1h
  SELECT floor(stime / 3600)::bigint * 3600, 1, dstip, count(*), sum(label),
         sum(sbytes + dbytes), max(score)
  FROM anomaly_scores WHERE dstip IS NOT NULL GROUP BY 1, 3;
