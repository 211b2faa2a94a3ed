ALTER TABLE transfer_results
    DROP COLUMN token,
    DROP COLUMN amount,
    DROP COLUMN from_iban,
    DROP COLUMN to_iban,
    DROP COLUMN descr,
    DROP COLUMN sent_at;
