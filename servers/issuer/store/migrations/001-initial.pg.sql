-- Issuer database, schema 1, PostgreSQL (001-initial.sql is the same schema for SQLite: a test compares
-- them). Byte values are BYTEA; AIDs, IIN and CIN are upper-case hex TEXT so they can be compared and
-- indexed as the terminal sends them. Times are unix milliseconds (BIGINT), as every INTEGER column of SQLite.

-- Personal data: only here, never in logs.
CREATE TABLE cardholders (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  address     TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);

-- Card-unique data, the ISD keys the issuer manages the card with, the card's certificate.
CREATE TABLE cards (
  id              TEXT PRIMARY KEY,
  cardholder_id   TEXT NOT NULL REFERENCES cardholders(id),
  iin             TEXT NOT NULL,
  cin             TEXT NOT NULL UNIQUE,
  ic_serial       TEXT NOT NULL,
  isd_aid         TEXT NOT NULL,
  kvn             BIGINT NOT NULL,
  key_enc         BYTEA NOT NULL,
  key_mac         BYTEA NOT NULL,
  key_dek         BYTEA NOT NULL,
  curve           TEXT NOT NULL,
  public_key      BYTEA NOT NULL,
  certificate     BYTEA NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('active', 'blocked')),
  -- as last reported (collation) or confirmed (after an install): FF21
  free_nvm        BIGINT,
  free_vm         BIGINT,
  installed_count BIGINT,
  collated_at     BIGINT,
  created_at      BIGINT NOT NULL
);

-- Providers the issuer works with: where their new-member notifications go, their shared secret.
CREATE TABLE providers (
  id                TEXT PRIMARY KEY,
  name              TEXT NOT NULL,
  notification_url  TEXT NOT NULL,
  hmac_secret       BYTEA NOT NULL,
  created_at        BIGINT NOT NULL
);

-- The application database: each CAP as uploaded, its Load File Data Block, hash and DAP signature.
CREATE TABLE applications (
  id              TEXT PRIMARY KEY,
  provider_id     TEXT NOT NULL REFERENCES providers(id),
  name            TEXT NOT NULL,
  package_aid     TEXT NOT NULL UNIQUE,
  package_version TEXT NOT NULL,
  applet_aids     TEXT NOT NULL,          -- JSON array of hex AIDs (module AIDs)
  module_aid      TEXT NOT NULL,
  instance_aid    TEXT NOT NULL,
  privileges      TEXT NOT NULL,
  install_params  BYTEA NOT NULL,          -- application-specific parameters (the value of C9)
  cap             BYTEA NOT NULL,
  lfdb            BYTEA NOT NULL,
  lfdb_hash       BYTEA NOT NULL,          -- SHA-256 (GPCS C.2)
  dap_signature   BYTEA NOT NULL,          -- ECDSA r‖s by the issuer DAP key over lfdb_hash (GPCS C.3)
  memory_needed   BIGINT NOT NULL,       -- non-volatile bytes the card must have free
  created_at      BIGINT NOT NULL
);

-- Install orders: requested → authorised → delivered → confirmed | failed.
CREATE TABLE install_orders (
  id                TEXT PRIMARY KEY,
  card_id           TEXT NOT NULL REFERENCES cards(id),
  application_id    TEXT NOT NULL REFERENCES applications(id),
  provider_id       TEXT NOT NULL REFERENCES providers(id),
  service_id        TEXT NOT NULL,
  nonce             TEXT NOT NULL UNIQUE,   -- the provider's nonce: a request is honoured once
  request           BYTEA NOT NULL,          -- canonical ApplicationRequest bytes the card signed
  request_signature BYTEA NOT NULL,
  expires_at        BIGINT NOT NULL,       -- unix seconds, from the request
  session_id        TEXT NOT NULL UNIQUE,   -- SERAM sessionId
  state             TEXT NOT NULL CHECK (state IN ('requested', 'authorised', 'delivered', 'confirmed', 'failed')),
  failure_code      TEXT,
  failure_detail    TEXT,
  confirmation      BYTEA,                   -- INSTALL response data (confirmation + receipt) as verified
  confirmation_counter BIGINT,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL
);
CREATE INDEX install_orders_card ON install_orders(card_id);

CREATE TABLE order_events (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id    TEXT NOT NULL REFERENCES install_orders(id),
  from_state  TEXT,
  to_state    TEXT NOT NULL,
  detail      TEXT,
  at          BIGINT NOT NULL
);
CREATE INDEX order_events_order ON order_events(order_id);

-- What is on each card as the issuer last confirmed it.
CREATE TABLE card_contents (
  card_id     TEXT NOT NULL REFERENCES cards(id),
  aid         TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('load_file', 'application')),
  load_file_aid TEXT,                     -- for an application: its Executable Load File
  order_id    TEXT REFERENCES install_orders(id),
  installed_at BIGINT NOT NULL,
  PRIMARY KEY (card_id, aid)
);

-- Provider notifications, written in the transaction that confirms the install (transactional outbox).
CREATE TABLE outbox (
  id              TEXT PRIMARY KEY,         -- notificationId: the provider's idempotency key
  order_id        TEXT NOT NULL UNIQUE REFERENCES install_orders(id),
  provider_id     TEXT NOT NULL REFERENCES providers(id),
  body            TEXT NOT NULL,            -- exact JSON sent (the HMAC covers these bytes)
  attempts        BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  delivered_at    BIGINT,
  last_error      TEXT,
  created_at      BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox(delivered_at, next_attempt_at);
