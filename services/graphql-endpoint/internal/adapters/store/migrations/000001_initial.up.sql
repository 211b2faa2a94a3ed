-- One row per balance change. (command_id, iban) is unique so a redelivered
-- BalanceChanged, or one seen by two gateway instances, is stored once.
CREATE TABLE transactions (
    id          bigserial PRIMARY KEY,
    command_id  text        NOT NULL,
    iban        text        NOT NULL,
    new_balance bigint      NOT NULL,
    changed_by  bigint      NOT NULL,
    from_to     text        NOT NULL,
    descr       text        NOT NULL,
    stored_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT transactions_command_iban UNIQUE (command_id, iban)
);
CREATE INDEX transactions_iban_id ON transactions (iban, id DESC);

-- Users of the web page. iban and token stay NULL while the creation command
-- (creation_id) waits for the command handler; a failed creation deletes the row.
CREATE TABLE accounts (
    username      text PRIMARY KEY,
    password_hash text        NOT NULL,
    creation_id   uuid        NOT NULL UNIQUE,
    iban          text,
    token         text,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Money transfers sent through a gateway, so a repeated uuid gets the known
-- result on any instance. success is NULL until the feedback arrives.
CREATE TABLE transfer_results (
    id           uuid PRIMARY KEY,
    success      boolean,
    reason       text,
    requested_at timestamptz NOT NULL DEFAULT now(),
    answered_at  timestamptz
);
