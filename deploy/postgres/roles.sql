-- flowsentry's PostgreSQL roles. Run once per database as a superuser (or the database owner):
--   psql "$ADMIN_URL" -v owner_password=... -v worker_password=... -f deploy/postgres/roles.sql
-- Re-running is safe: existing roles keep their passwords, grants are re-applied.
--
-- flowsentry_owner  owns the schema: `flowsentry db migrate` and `flowsentry db maintain`
--                   (daily partitions ahead, retention drops) connect as it.
-- flowsentry_worker what `run` workers and the alerter need to store and query, nothing more:
--                   no CREATE anywhere, so no DDL; it cannot drop or alter the tables.
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE flowsentry_owner LOGIN PASSWORD %L', :'owner_password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'flowsentry_owner') \gexec
SELECT format('CREATE ROLE flowsentry_worker LOGIN PASSWORD %L', :'worker_password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'flowsentry_worker') \gexec

-- Nobody else creates objects in public (PostgreSQL 15 already defaults to this).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO flowsentry_owner;
GRANT USAGE ON SCHEMA public TO flowsentry_worker;
-- TEMPORARY: a replayed batch goes through a per-connection temp staging table.
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO flowsentry_owner, flowsentry_worker',
              current_database()) \gexec

-- Workers insert flows and upsert every rollup (rollup_*, host_rollup_*): SELECT, INSERT, UPDATE.
-- Tables and sequences the owner creates from now on (migrations, each day's partition)...
ALTER DEFAULT PRIVILEGES FOR ROLE flowsentry_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE ON TABLES TO flowsentry_worker;
ALTER DEFAULT PRIVILEGES FOR ROLE flowsentry_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO flowsentry_worker;
-- ...and the ones it already owns (roles added to an existing database).
SELECT format('GRANT SELECT, INSERT, UPDATE ON %I.%I TO flowsentry_worker', schemaname, tablename)
  FROM pg_tables WHERE schemaname = 'public' AND tableowner = 'flowsentry_owner' \gexec
SELECT format('GRANT USAGE, SELECT ON SEQUENCE %I.%I TO flowsentry_worker', schemaname, sequencename)
  FROM pg_sequences WHERE schemaname = 'public' AND sequenceowner = 'flowsentry_owner' \gexec
