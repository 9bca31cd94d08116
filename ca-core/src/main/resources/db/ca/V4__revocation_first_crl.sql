-- The CRL that first listed each revocation (set in the CRL's own transaction). A revocation no CRL has
-- listed yet makes the next CRL due; unlike a timestamp comparison, this cannot miss a revocation that
-- committed while a CRL was being built.
ALTER TABLE revocation ADD COLUMN first_crl_number BIGINT;
