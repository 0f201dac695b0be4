-- The record key's unique index with its integer columns first: every write looks its key up
-- here, and comparisons now settle on the offset instead of memcmp'ing the source text first
-- (the same set of columns, so the uniqueness and ON CONFLICT target are unchanged).
DROP INDEX anomaly_scores_key;
CREATE UNIQUE INDEX anomaly_scores_key
  ON anomaly_scores (source_offset, source_partition, source);
