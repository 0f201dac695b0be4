-- Who talked to whom: the identity of metered flows (NULL for flows without it, such as the
-- UNSW-NB15 training CSVs). Addresses are inet, so CIDR filters (<<=) and host() come free.
ALTER TABLE anomaly_scores
  ADD COLUMN ltime double precision,
  ADD COLUMN srcip inet,
  ADD COLUMN sport integer,
  ADD COLUMN dstip inet,
  ADD COLUMN dsport integer;
-- "Flows of a host in a window", from either side; created on every daily partition. Partial:
-- flows without addresses cost no index writes.
CREATE INDEX anomaly_scores_srcip_stime ON anomaly_scores (srcip, stime) WHERE srcip IS NOT NULL;
CREATE INDEX anomaly_scores_dstip_stime ON anomaly_scores (dstip, stime) WHERE dstip IS NOT NULL;
