-- One batch as the command handler and the gateway write it; :s. and :id() are replaced by run.sh.
BEGIN;
INSERT INTO :s.command (id, kind, kafka_partition, kafka_offset, amount, from_iban, to_iban, description, from_balance, to_balance)
  SELECT :id(), 2, 0, nextval('next_offset'), 100, 'NL1', 'NL2', 'some description', 1000, 2000 FROM generate_series(1, 20);
INSERT INTO :s.transactions (command_id, iban, new_balance, changed_by, from_to, descr)
  SELECT :id()::text, 'NL66OPEN' || lpad((random() * 9000)::int::text, 10, '0'), 1000, 100, 'NL66OPEN0000000001', 'some description'
  FROM generate_series(1, 40);
COMMIT;
