-- Unfiltered totals per bucket and label: what the dashboard's default (no filter) score and
-- KPI series read, a few rows per bucket instead of one per proto/service/state group.
CREATE TABLE rollup_10s_total (
  bucket bigint NOT NULL,
  label integer NOT NULL,
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
  PRIMARY KEY (bucket, label)
);
INSERT INTO rollup_10s_total
  SELECT bucket, label, sum(n), sum(score_sum), sum(sload_sum), sum(dload_sum), sum(spkts_sum),
         sum(dpkts_sum), sum(sjit_sum), sum(djit_sum), sum(tcprtt_sum), sum(synack_sum),
         sum(ackdat_sum)
  FROM rollup_10s GROUP BY bucket, label;
CREATE TABLE rollup_5m_total (
  bucket bigint NOT NULL,
  label integer NOT NULL,
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
  PRIMARY KEY (bucket, label)
);
INSERT INTO rollup_5m_total
  SELECT bucket, label, sum(n), sum(score_sum), sum(sload_sum), sum(dload_sum), sum(spkts_sum),
         sum(dpkts_sum), sum(sjit_sum), sum(djit_sum), sum(tcprtt_sum), sum(synack_sum),
         sum(ackdat_sum)
  FROM rollup_5m GROUP BY bucket, label;
