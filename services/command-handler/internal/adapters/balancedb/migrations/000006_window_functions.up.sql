-- The command handler keeps the dedup window's partitions of command at run
-- time as its service role, which may not create or drop tables: these two
-- functions, owned by the schema's owner, do that and nothing else. The
-- service role gets EXECUTE on them (kit/schema.GrantRuntime); nobody else.
-- Each runs with this schema and then pg_temp as its search path, so a
-- caller's temporary table cannot stand in for command.
DO $migration$
BEGIN
    EXECUTE format($f$
        CREATE FUNCTION command_partition_create(name text, from_ts timestamptz, upto_ts timestamptz) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = %I, pg_temp AS $body$
        BEGIN
            IF name !~ '^command_d[0-9]{8}_d[0-9]{8}$' THEN
                RAISE EXCEPTION 'not a partition name of command: %%', name;
            END IF;
            EXECUTE format('CREATE TABLE %%I PARTITION OF command FOR VALUES FROM (%%L) TO (%%L)', name, from_ts, upto_ts);
        END
        $body$$f$, current_schema());
    EXECUTE format($f$
        CREATE FUNCTION command_partition_drop(name text) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = %I, pg_temp AS $body$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                           WHERE i.inhparent = 'command'::regclass AND c.relname = name) THEN
                RAISE EXCEPTION 'not a partition of command: %%', name;
            END IF;
            EXECUTE format('DROP TABLE %%I', name);
        END
        $body$$f$, current_schema());
END
$migration$;

REVOKE ALL ON FUNCTION command_partition_create(text, timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION command_partition_drop(text) FROM PUBLIC;
