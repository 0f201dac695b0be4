-- flowsentry PostgreSQL schema, version 1: scored flows, rollups, alerts, drift events.
-- Times are seconds since the Unix epoch (UTC) as double precision, the same numbers the
-- flows carry, so a replayed flow has exactly the same key.

-- Partitioned by day on stime; the store creates anomaly_scores_pYYYYMMDD partitions ahead of
-- time and drops whole partitions for retention. The primary key must contain the partition
-- column, so the record key (source, source_partition, source_offset) is unique together with
-- stime: a replay carries the same stime (the store rejects flows without one). The key leads
-- with stime, so it is also the index time-window scans use.
CREATE TABLE anomaly_scores (
  stime double precision NOT NULL,
  source text NOT NULL,
  source_partition bigint NOT NULL,
  source_offset bigint NOT NULL,
  score double precision NOT NULL,
  label integer NOT NULL,
  attack_cat text NOT NULL,
  proto text NOT NULL,
  state text NOT NULL,
  service text NOT NULL,
  sload double precision NOT NULL,
  dload double precision NOT NULL,
  spkts double precision NOT NULL,
  dpkts double precision NOT NULL,
  sjit double precision NOT NULL,
  djit double precision NOT NULL,
  sttl double precision NOT NULL,
  dttl double precision NOT NULL,
  dur double precision NOT NULL,
  tcprtt double precision NOT NULL,
  synack double precision NOT NULL,
  ackdat double precision NOT NULL,
  ct_state_ttl bigint NOT NULL,
  model_version text NOT NULL,
  PRIMARY KEY (stime, source, source_partition, source_offset)
) PARTITION BY RANGE (stime);
CREATE INDEX anomaly_scores_score ON anomaly_scores (score);
CREATE INDEX anomaly_scores_anomaly_stime ON anomaly_scores (stime) WHERE label = 1;

CREATE TABLE rollup_10s (
  bucket bigint NOT NULL,
  proto text NOT NULL,
  service text NOT NULL,
  state text NOT NULL,
  label integer NOT NULL,
  ct_state_ttl bigint NOT NULL,
  n bigint NOT NULL,
  score_sum double precision NOT NULL,
  sload_sum double precision NOT NULL,
  dload_sum double precision NOT NULL,
  spkts_sum double precision NOT NULL,
  dpkts_sum double precision NOT NULL,
  sjit_sum double precision NOT NULL,
  djit_sum double precision NOT NULL,
  tcprtt_sum double precision NOT NULL,
  synack_sum double precision NOT NULL,
  ackdat_sum double precision NOT NULL,
  PRIMARY KEY (bucket, proto, service, state, label, ct_state_ttl)
);

CREATE TABLE rollup_5m (LIKE rollup_10s INCLUDING ALL);

CREATE TABLE alerts (
  id text PRIMARY KEY,
  type text NOT NULL,
  key text NOT NULL,
  created double precision NOT NULL,
  payload_json text NOT NULL,
  delivery_status text NOT NULL,
  acknowledged integer NOT NULL DEFAULT 0,
  snoozed_until double precision
);
CREATE INDEX alerts_created ON alerts (created);

CREATE TABLE drift_events (
  id bigserial PRIMARY KEY,
  event_time double precision NOT NULL,
  kind text NOT NULL,
  measure text NOT NULL,
  value double precision NOT NULL,
  threshold double precision NOT NULL,
  details_json text NOT NULL
);
CREATE INDEX drift_events_time ON drift_events (event_time);
