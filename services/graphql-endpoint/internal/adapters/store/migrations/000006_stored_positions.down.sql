CREATE OR REPLACE FUNCTION notify_transactions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows) THEN
        PERFORM pg_notify('transactions', '');
    END IF;
    RETURN NULL;
END $$;
