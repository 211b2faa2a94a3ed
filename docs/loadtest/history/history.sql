-- History with random ids, inserted with the indexes in place so they grow as the bank's do.
INSERT INTO big.command (id, kind, kafka_partition, kafka_offset, amount, from_iban, to_iban, description, from_balance, to_balance)
  SELECT gen_random_uuid(), 2, g % 12, g, 100, 'NL' || (g % 9000), 'NL' || ((g * 7) % 9000), 'some description', 1000, 2000
  FROM generate_series(1, :n) g;
INSERT INTO big.transactions (command_id, iban, new_balance, changed_by, from_to, descr)
  SELECT gen_random_uuid()::text, 'NL66OPEN' || lpad((g % 9000)::text, 10, '0'), 1000, 100, 'NL66OPEN0000000001', 'some description'
  FROM generate_series(1, 2 * :n) g;
VACUUM ANALYZE;
CHECKPOINT;
