-- A publication bundle lists its OCSP responses in path order (docs/publication-bundle.md, "Layout"): per issuing
-- generation, by serial compared bytewise. The primary key's index is in the database's collation, which an
-- ORDER BY serial COLLATE "C" cannot use, so a full bundle of 10 million responses would sort them all (their DER
-- with them) on disk. This index hands them over in that order, one at a time. It grows at its right edge as the
-- presigner records responses in serial order, like the primary key.
CREATE INDEX ocsp_response_issuer_serial ON ocsp_response (issuer_label, serial COLLATE "C");
