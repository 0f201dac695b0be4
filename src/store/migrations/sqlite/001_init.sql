-- flowsentry SQLite schema, version 1: scored flows, rollups, alerts, drift events.
-- Times are seconds since the Unix epoch (UTC).

CREATE TABLE anomaly_scores (
  stime REAL NOT NULL,
  source TEXT NOT NULL,
  source_partition INTEGER NOT NULL,
  source_offset INTEGER NOT NULL,
  score REAL NOT NULL,
  label INTEGER NOT NULL,
  attack_cat TEXT NOT NULL,
  proto TEXT NOT NULL,
  state TEXT NOT NULL,
  service TEXT NOT NULL,
  sload REAL NOT NULL,
  dload REAL NOT NULL,
  spkts REAL NOT NULL,
  dpkts REAL NOT NULL,
  sjit REAL NOT NULL,
  djit REAL NOT NULL,
  sttl REAL NOT NULL,
  dttl REAL NOT NULL,
  dur REAL NOT NULL,
  tcprtt REAL NOT NULL,
  synack REAL NOT NULL,
  ackdat REAL NOT NULL,
  ct_state_ttl INTEGER NOT NULL,
  model_version TEXT NOT NULL
);
-- The record key: writing the same key again is a no-op.
CREATE UNIQUE INDEX anomaly_scores_key ON anomaly_scores (source, source_partition, source_offset);
CREATE INDEX anomaly_scores_stime ON anomaly_scores (stime);
CREATE INDEX anomaly_scores_score ON anomaly_scores (score);
CREATE INDEX anomaly_scores_anomaly_stime ON anomaly_scores (stime) WHERE label = 1;

-- Rollups: per bucket (start, seconds since the epoch) and group, sums of what the dashboard
-- plots. Updated in the write transaction with only the rows actually inserted.
CREATE TABLE rollup_10s (
  bucket INTEGER NOT NULL,
  proto TEXT NOT NULL,
  service TEXT NOT NULL,
  state TEXT NOT NULL,
  label INTEGER NOT NULL,
  ct_state_ttl INTEGER NOT NULL,
  n INTEGER NOT NULL,
  score_sum REAL NOT NULL,
  sload_sum REAL NOT NULL,
  dload_sum REAL NOT NULL,
  spkts_sum REAL NOT NULL,
  dpkts_sum REAL NOT NULL,
  sjit_sum REAL NOT NULL,
  djit_sum REAL NOT NULL,
  tcprtt_sum REAL NOT NULL,
  synack_sum REAL NOT NULL,
  ackdat_sum REAL NOT NULL,
  PRIMARY KEY (bucket, proto, service, state, label, ct_state_ttl)
) WITHOUT ROWID;

CREATE TABLE rollup_5m (
  bucket INTEGER NOT NULL,
  proto TEXT NOT NULL,
  service TEXT NOT NULL,
  state TEXT NOT NULL,
  label INTEGER NOT NULL,
  ct_state_ttl INTEGER NOT NULL,
  n INTEGER NOT NULL,
  score_sum REAL NOT NULL,
  sload_sum REAL NOT NULL,
  dload_sum REAL NOT NULL,
  spkts_sum REAL NOT NULL,
  dpkts_sum REAL NOT NULL,
  sjit_sum REAL NOT NULL,
  djit_sum REAL NOT NULL,
  tcprtt_sum REAL NOT NULL,
  synack_sum REAL NOT NULL,
  ackdat_sum REAL NOT NULL,
  PRIMARY KEY (bucket, proto, service, state, label, ct_state_ttl)
) WITHOUT ROWID;

CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  key TEXT NOT NULL,
  created REAL NOT NULL,
  payload_json TEXT NOT NULL,
  delivery_status TEXT NOT NULL,
  acknowledged INTEGER NOT NULL DEFAULT 0,
  snoozed_until REAL
);
CREATE INDEX alerts_created ON alerts (created);

CREATE TABLE drift_events (
  id INTEGER PRIMARY KEY,
  event_time REAL NOT NULL,
  kind TEXT NOT NULL,
  measure TEXT NOT NULL,
  value REAL NOT NULL,
  threshold REAL NOT NULL,
  details_json TEXT NOT NULL
);
CREATE INDEX drift_events_time ON drift_events (event_time);
