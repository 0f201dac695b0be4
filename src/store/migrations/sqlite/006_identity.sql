-- Who talked to whom: the identity of metered flows (absent, NULL, for flows without it such as
-- the UNSW-NB15 training CSVs). Addresses are 16-byte blobs, IPv4 as IPv4-mapped IPv6
-- (::ffff:a.b.c.d), so they sort in address order and a CIDR filter is a range scan.
ALTER TABLE anomaly_scores ADD COLUMN ltime REAL;
ALTER TABLE anomaly_scores ADD COLUMN srcip BLOB;
ALTER TABLE anomaly_scores ADD COLUMN sport INTEGER;
ALTER TABLE anomaly_scores ADD COLUMN dstip BLOB;
ALTER TABLE anomaly_scores ADD COLUMN dsport INTEGER;
-- "Flows of a host in a window", from either side. Partial: flows without addresses (the UNSW
-- CSVs) cost no index writes; `srcip = ?` lets SQLite use them all the same.
CREATE INDEX anomaly_scores_srcip_stime ON anomaly_scores (srcip, stime) WHERE srcip IS NOT NULL;
CREATE INDEX anomaly_scores_dstip_stime ON anomaly_scores (dstip, stime) WHERE dstip IS NOT NULL;
