-- Service provider database, schema 2: the card-bound, acknowledged, exactly-once service start.

-- Points credited once at start with CREDIT [once] (the provider builds it with a per-member transaction id).
ALTER TABLE services ADD COLUMN opening_credit INTEGER;

-- The card's certified key, from the issuer's notification: verifies the card's signature on a start.
ALTER TABLE members ADD COLUMN card_curve TEXT;
ALTER TABLE members ADD COLUMN card_public_key TEXT;   -- uncompressed point, upper-case hex

-- The application request (nonce) a notification consumed: one notification per request, ever.
ALTER TABLE notifications ADD COLUMN nonce TEXT;
UPDATE notifications SET nonce = upper(json_extract(body, '$.nonce'))
  WHERE rowid IN (SELECT min(rowid) FROM notifications GROUP BY upper(json_extract(body, '$.nonce')));
CREATE UNIQUE INDEX notifications_nonce ON notifications (nonce) WHERE nonce IS NOT NULL;

-- Start requests the provider issued for the card to sign (S16); each is used by one start.
CREATE TABLE start_requests (
  nonce       TEXT PRIMARY KEY,
  service_id  TEXT NOT NULL REFERENCES services(id),
  card_id     TEXT NOT NULL,
  request     BLOB NOT NULL,               -- canonical StartRequest bytes (tag 72)
  expires_at  INTEGER NOT NULL,            -- unix seconds
  created_at  INTEGER NOT NULL,
  used_at     INTEGER
);

-- The one start of a membership: its commands are fixed when first handed out and answered again,
-- byte for byte, until the terminal acknowledges the card's responses.
CREATE TABLE starts (
  id               TEXT PRIMARY KEY,
  service_id       TEXT NOT NULL REFERENCES services(id),
  card_id          TEXT NOT NULL,
  order_id         TEXT NOT NULL,
  commands         TEXT NOT NULL,          -- JSON array of hex C-APDUs
  created_at       INTEGER NOT NULL,
  acknowledged_at  INTEGER,
  responses        TEXT,                   -- JSON array of hex R-APDUs, at acknowledgement
  UNIQUE (service_id, card_id, order_id)
);
