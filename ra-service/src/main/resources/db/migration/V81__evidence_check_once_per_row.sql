-- The evidence trigger (V10) compares the listed columns of OLD and NEW; it serialised the whole row to JSON twice
-- per listed column (22 columns on application: 44 serialisations of a row holding the signed CMS, the JPKI
-- certificate and the CSR), which made an UPDATE of an application cost about 7 ms of the server's time, most of
-- the RA's database time per decided application (docs/benchmarks.md, the RA section). Same check, each row
-- serialised once.
CREATE OR REPLACE FUNCTION ra_evidence_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col text;
    old_row jsonb := to_jsonb(OLD);
    new_row jsonb := to_jsonb(NEW);
BEGIN
    FOREACH col IN ARRAY TG_ARGV LOOP
        IF (old_row -> col) IS DISTINCT FROM (new_row -> col) THEN
            RAISE EXCEPTION 'books: %.% is evidence recorded on receipt and cannot be changed', TG_TABLE_NAME, col
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END LOOP;
    RETURN NEW;
END;
$$;
