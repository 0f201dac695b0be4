-- Cheaper writes.
-- 1. top_scores reads the highest scores hour by hour (the bucket expression of PostgresStore,
--    exactly), so new rows go to the current hour's part of this index instead of random places
--    in a (score) index.
DROP INDEX anomaly_scores_score;
CREATE INDEX anomaly_scores_hour_score
  ON anomaly_scores ((floor(stime / 3600)::bigint * 3600), score);
-- 2. Byte-order ("C") collation for the text columns in keys and groups: the unique checks and
--    the rollup upserts compare them all the time, and a locale collation (even C.UTF-8) costs
--    several times more per comparison. Ties in the flow lists now order by bytes.
ALTER TABLE anomaly_scores
  ALTER COLUMN source TYPE text COLLATE "C",
  ALTER COLUMN proto TYPE text COLLATE "C",
  ALTER COLUMN service TYPE text COLLATE "C",
  ALTER COLUMN state TYPE text COLLATE "C";
ALTER TABLE rollup_10s
  ALTER COLUMN proto TYPE text COLLATE "C",
  ALTER COLUMN service TYPE text COLLATE "C",
  ALTER COLUMN state TYPE text COLLATE "C";
ALTER TABLE rollup_5m
  ALTER COLUMN proto TYPE text COLLATE "C",
  ALTER COLUMN service TYPE text COLLATE "C",
  ALTER COLUMN state TYPE text COLLATE "C";
