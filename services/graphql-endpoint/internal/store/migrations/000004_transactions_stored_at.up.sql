-- When each row was stored, on transactiondb's clock, so an instance streams a
-- row another instance stored while it was running, and not one stored long
-- before it started (history it reads again with a new consumer group).
ALTER TABLE transactions
    ADD COLUMN stored_at timestamptz NOT NULL DEFAULT now();
