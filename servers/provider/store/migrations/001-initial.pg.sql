-- Service provider database, schema 1, PostgreSQL (001-initial.sql is the same schema for SQLite: a test
-- compares them). AIDs and CINs are upper-case hex TEXT; times unix milliseconds (BIGINT); bytes BYTEA.

CREATE TABLE services (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  description     TEXT NOT NULL,
  package_aid     TEXT NOT NULL,
  applet_aid      TEXT NOT NULL,
  instance_aid    TEXT NOT NULL,
  start_commands  TEXT NOT NULL,            -- JSON array of hex C-APDUs the terminal sends at service start
  created_at      BIGINT NOT NULL
);

-- Application requests the provider issued (S5–S6): the nonce makes each one unique.
CREATE TABLE selections (
  nonce       TEXT PRIMARY KEY,
  service_id  TEXT NOT NULL REFERENCES services(id),
  card_id     TEXT NOT NULL,               -- CIN
  request     BYTEA NOT NULL,               -- canonical ApplicationRequest bytes
  expires_at  BIGINT NOT NULL,            -- unix seconds
  created_at  BIGINT NOT NULL
);

-- Every distinct notification the issuer sent, once (idempotency by notificationId).
CREATE TABLE notifications (
  id              TEXT PRIMARY KEY,
  body            TEXT NOT NULL,
  received_count  BIGINT NOT NULL,
  received_at     BIGINT NOT NULL
);

CREATE TABLE members (
  service_id       TEXT NOT NULL REFERENCES services(id),
  card_id          TEXT NOT NULL,
  order_id         TEXT NOT NULL,
  notification_id  TEXT NOT NULL UNIQUE REFERENCES notifications(id),
  state            TEXT NOT NULL CHECK (state IN ('member', 'active')),
  joined_at        BIGINT NOT NULL,
  activated_at     BIGINT,
  PRIMARY KEY (service_id, card_id)
);
