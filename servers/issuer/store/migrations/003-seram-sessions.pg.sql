-- Schema 3 (PostgreSQL): SERAM sessions in the database, so that any issuer instance over a shared database continues
-- a session another one started (an issuer alone keeps them in memory and leaves this table empty).
CREATE TABLE seram_sessions (
  session_id  TEXT PRIMARY KEY,
  order_id    TEXT NOT NULL REFERENCES install_orders(id),
  state       BYTEA NOT NULL,            -- the session as JSON, SCP03 session keys included: sealed
  version     BIGINT NOT NULL,          -- bumped by every save: two instances never both advance a session
  last_seen   BIGINT NOT NULL           -- unix milliseconds; idle sessions are forgotten
);
CREATE INDEX seram_sessions_last_seen ON seram_sessions(last_seen);
