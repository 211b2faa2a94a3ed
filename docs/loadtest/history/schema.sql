-- The bank's command (command handler) and transactions (gateway) tables, in
-- two schemas: big gets history, small stays empty.
CREATE FUNCTION uuid7() RETURNS uuid AS $$
  -- 48 bits of Unix milliseconds, then random bits, as in a version 7 UUID.
  SELECT encode(overlay(uuid_send(gen_random_uuid()) placing
    substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) from 1 for 6), 'hex')::uuid
$$ LANGUAGE sql VOLATILE;
CREATE FUNCTION make_tables(s text) RETURNS void AS $f$
BEGIN
  EXECUTE format($$CREATE TABLE %I.command (id uuid PRIMARY KEY, kind smallint NOT NULL,
    kafka_partition integer NOT NULL, kafka_offset bigint NOT NULL, reason text, iban text, token text,
    a_type text, amount bigint, from_iban text, to_iban text, description text, from_balance bigint,
    to_balance bigint, handled_at timestamptz NOT NULL DEFAULT now(), decided_batch bigint, decided_pos integer)$$, s);
  EXECUTE format('CREATE INDEX ON %I.command (kafka_partition, kafka_offset)', s);
  EXECUTE format($$CREATE TABLE %I.transactions (id bigserial PRIMARY KEY, command_id text NOT NULL,
    iban text NOT NULL, new_balance bigint NOT NULL, changed_by bigint NOT NULL, from_to text NOT NULL,
    descr text NOT NULL, stored_at timestamptz NOT NULL DEFAULT now(), UNIQUE (command_id, iban))$$, s);
  EXECUTE format('CREATE INDEX ON %I.transactions (iban, id DESC)', s);
END $f$ LANGUAGE plpgsql;
CREATE SCHEMA big;
CREATE SCHEMA small;
SELECT make_tables('big');
SELECT make_tables('small');
CREATE SEQUENCE next_offset;
