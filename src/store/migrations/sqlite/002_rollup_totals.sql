-- Unfiltered totals per bucket and label: what the dashboard's default (no filter) score and
-- KPI series read, a few rows per bucket instead of one per proto/service/state group.
CREATE TABLE rollup_10s_total (
  bucket INTEGER NOT NULL,
  label INTEGER NOT NULL,
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
  PRIMARY KEY (bucket, label)
) WITHOUT ROWID;
INSERT INTO rollup_10s_total
  SELECT bucket, label, sum(n), sum(score_sum), sum(sload_sum), sum(dload_sum), sum(spkts_sum),
         sum(dpkts_sum), sum(sjit_sum), sum(djit_sum), sum(tcprtt_sum), sum(synack_sum),
         sum(ackdat_sum)
  FROM rollup_10s GROUP BY bucket, label;
CREATE TABLE rollup_5m_total (
  bucket INTEGER NOT NULL,
  label INTEGER NOT NULL,
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
  PRIMARY KEY (bucket, label)
) WITHOUT ROWID;
INSERT INTO rollup_5m_total
  SELECT bucket, label, sum(n), sum(score_sum), sum(sload_sum), sum(dload_sum), sum(spkts_sum),
         sum(dpkts_sum), sum(sjit_sum), sum(djit_sum), sum(tcprtt_sum), sum(synack_sum),
         sum(ackdat_sum)
  FROM rollup_5m GROUP BY bucket, label;
