-- Bytes each side sent, for the hosts' byte counts (top talkers, bytes in and out). Flows stored
-- before this migration count 0 bytes.
ALTER TABLE anomaly_scores ADD COLUMN sbytes REAL NOT NULL DEFAULT 0;
ALTER TABLE anomaly_scores ADD COLUMN dbytes REAL NOT NULL DEFAULT 0;
