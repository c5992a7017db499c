-- Schema 2: exactly once, end to end (PostgreSQL; the same statements as 002-exactly-once.sql but for the types).
-- At most one open order per card and application: two orders that were both open before this
-- schema (the defect it closes) keep the newest open and the older ones fail as superseded.
INSERT INTO order_events (order_id, from_state, to_state, detail, at)
  SELECT o.id, o.state, 'failed', 'superseded: another order for this card and application was open', o.updated_at
  FROM install_orders o
  WHERE o.state IN ('requested', 'authorised', 'delivered')
    AND EXISTS (SELECT 1 FROM install_orders n WHERE n.card_id = o.card_id AND n.application_id = o.application_id
                AND n.state IN ('requested', 'authorised', 'delivered') AND (n.created_at > o.created_at OR (n.created_at = o.created_at AND n.id > o.id)));
UPDATE install_orders SET state = 'failed', failure_code = 'superseded', failure_detail = 'another order for this card and application was open'
  WHERE state IN ('requested', 'authorised', 'delivered')
    AND EXISTS (SELECT 1 FROM install_orders n WHERE n.card_id = install_orders.card_id AND n.application_id = install_orders.application_id
                AND n.state IN ('requested', 'authorised', 'delivered') AND (n.created_at > install_orders.created_at OR (n.created_at = install_orders.created_at AND n.id > install_orders.id)));
CREATE UNIQUE INDEX install_orders_one_open ON install_orders(card_id, application_id) WHERE state IN ('requested', 'authorised', 'delivered');
CREATE INDEX install_orders_expiry ON install_orders(state, expires_at);

-- Notifications that keep failing end as dead letters (visible in the admin API) instead of being retried forever.
ALTER TABLE outbox ADD COLUMN dead_at BIGINT;

-- Card keys and provider secrets are sealed (AES-256-GCM under a data key, see protocol/secrets):
-- the store re-seals any value that is still plain, or sealed under an older key, when it opens.
-- Cards registered without keys use keys the issuer derives from its master key; key_source says which.
ALTER TABLE cards ADD COLUMN key_source TEXT NOT NULL DEFAULT 'given' CHECK (key_source IN ('given', 'derived'));
