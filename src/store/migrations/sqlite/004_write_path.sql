-- top_scores reads the highest scores hour by hour (the bucket expression of SqlStore, exactly),
-- so new rows go to the current hour's end of this index instead of random places in a
-- (score) index: far fewer pages touched per write batch.
DROP INDEX anomaly_scores_score;
CREATE INDEX anomaly_scores_hour_score
  ON anomaly_scores ((CAST(stime / 3600 AS INTEGER) * 3600), score);
