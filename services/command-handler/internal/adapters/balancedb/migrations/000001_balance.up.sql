-- Accounts of the bank; `amount` is the balance in cents, `lmt` the lowest it may go.
CREATE TABLE balance (
    iban       text PRIMARY KEY,
    token      text        NOT NULL,
    amount     bigint      NOT NULL,
    lmt        bigint      NOT NULL,
    a_type     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- The rules never let a balance below its limit; the database holds them to it.
    CONSTRAINT balance_within_limit CHECK (amount >= lmt)
);

-- The bank's own account (docs/design.md), without a usable token: its token
-- comes from configuration (BANK_TOKEN), never from the source; the command
-- handler sets its hash at start (migration 4).
INSERT INTO balance (iban, token, amount, lmt, a_type)
VALUES ('NL66OPEN0000000000', '', 100000000000000000, -50000, 'AUTO');
