-- Analyst feedback, suppression rules, and every feature of the flows feedback can retrain on.
-- features: the flow's full feature vector, compact binary (store/feedback.h encode_features), kept for
-- anomalies and a sampled share of normal flows (store.feature_sample), NULL otherwise; it goes
-- with its flow at retention.
ALTER TABLE anomaly_scores ADD COLUMN features BLOB;

-- One row per label an analyst gave: on a stored flow (its API id, and its stime and key to
-- join anomaly_scores) or on an alert.
CREATE TABLE feedback (
  id INTEGER PRIMARY KEY,
  flow_id TEXT,
  flow_stime REAL,
  flow_source TEXT,
  flow_partition INTEGER,
  flow_offset INTEGER,
  alert_id TEXT,
  label TEXT NOT NULL,
  attack_cat TEXT,
  analyst TEXT NOT NULL,
  note TEXT NOT NULL,
  created REAL NOT NULL
);
CREATE INDEX feedback_created ON feedback (created);

-- "Alerts like this are expected" until `expires`; NULL fields match anything.
CREATE TABLE suppressions (
  id INTEGER PRIMARY KEY,
  kind TEXT,
  src TEXT,
  dst TEXT,
  service TEXT,
  port INTEGER,
  analyst TEXT NOT NULL,
  note TEXT NOT NULL,
  created REAL NOT NULL,
  expires REAL NOT NULL
);
CREATE INDEX suppressions_expires ON suppressions (expires);
