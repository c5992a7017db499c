-- Service provider database, schema 2, PostgreSQL: the card-bound, acknowledged, exactly-once service start.

-- Points credited once at start with CREDIT [once] (the provider builds it with a per-member transaction id).
ALTER TABLE services ADD COLUMN opening_credit BIGINT;

-- The card's certified key, from the issuer's notification: verifies the card's signature on a start.
ALTER TABLE members ADD COLUMN card_curve TEXT;
ALTER TABLE members ADD COLUMN card_public_key TEXT;   -- uncompressed point, upper-case hex

-- The application request (nonce) a notification consumed: one notification per request, ever.
ALTER TABLE notifications ADD COLUMN nonce TEXT;
-- The first notification received of each request keeps the claim (SQLite: the lowest rowid; here the
-- earliest received, then the lowest id). Bodies are the issuer's JSON.
UPDATE notifications SET nonce = upper(body::json->>'nonce')
  WHERE id IN (SELECT DISTINCT ON (upper(body::json->>'nonce')) id FROM notifications
               WHERE body::json->>'nonce' IS NOT NULL ORDER BY upper(body::json->>'nonce'), received_at, id);
CREATE UNIQUE INDEX notifications_nonce ON notifications (nonce) WHERE nonce IS NOT NULL;

-- Start requests the provider issued for the card to sign (S16); each is used by one start.
CREATE TABLE start_requests (
  nonce       TEXT PRIMARY KEY,
  service_id  TEXT NOT NULL REFERENCES services(id),
  card_id     TEXT NOT NULL,
  request     BYTEA NOT NULL,               -- canonical StartRequest bytes (tag 72)
  expires_at  BIGINT NOT NULL,            -- unix seconds
  created_at  BIGINT NOT NULL,
  used_at     BIGINT
);

-- The one start of a membership: its commands are fixed when first handed out and answered again,
-- byte for byte, until the terminal acknowledges the card's responses.
CREATE TABLE starts (
  id               TEXT PRIMARY KEY,
  service_id       TEXT NOT NULL REFERENCES services(id),
  card_id          TEXT NOT NULL,
  order_id         TEXT NOT NULL,
  commands         TEXT NOT NULL,          -- JSON array of hex C-APDUs
  created_at       BIGINT NOT NULL,
  acknowledged_at  BIGINT,
  responses        TEXT,                   -- JSON array of hex R-APDUs, at acknowledgement
  UNIQUE (service_id, card_id, order_id)
);
