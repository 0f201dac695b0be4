-- Bytes each side sent, for the hosts' byte counts (top talkers, bytes in and out). Flows stored
-- before this migration count 0 bytes; a constant default adds the columns without a rewrite.
ALTER TABLE anomaly_scores
  ADD COLUMN sbytes double precision NOT NULL DEFAULT 0,
  ADD COLUMN dbytes double precision NOT NULL DEFAULT 0;
