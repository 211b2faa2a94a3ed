-- Every command handled, by id: the dedup record and its outcome, from which the
-- feedback and BalanceChanged events are given again when the command is seen again.
CREATE TABLE command (
    id              uuid PRIMARY KEY,
    kind            smallint    NOT NULL, -- 1 ConfirmAccountCreation, 2 ConfirmMoneyTransfer
    -- Where the command was first read: a redelivery of that very record (a crash
    -- before its offset was committed) re-sends every event.
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL,
    reason          text,                 -- NULL when confirmed
    -- account creation
    iban            text,
    token           text,
    a_type          text,
    -- money transfer as asked, and the new balances of the sides it changed
    amount          bigint,
    from_iban       text,
    to_iban         text,
    description     text,
    from_balance    bigint,               -- NULL when from was not debited
    to_balance      bigint,               -- NULL when to was not credited
    handled_at      timestamptz NOT NULL DEFAULT now()
);
