-- The identity a certificate states (docs/identity.md). An approved application records the subject its issue order
-- carries, built from the verified identity: the JPKI name, or the name an officer entered or confirmed (the card's
-- text stays in jpki_name), or, for a renewal, the subject of the certificate being renewed.

ALTER TABLE application ADD COLUMN route varchar(32) NOT NULL DEFAULT 'JPKI';     -- JPKI or SUBSCRIBER_CERTIFICATE
ALTER TABLE application ADD COLUMN certified_subject text;             -- JSON [{type, value}], what the order carries
ALTER TABLE application ADD COLUMN officer_certified_name text;        -- entered or confirmed by the deciding officer
ALTER TABLE application ADD COLUMN renews_application_id uuid REFERENCES application (id);
ALTER TABLE application ADD COLUMN signer_certificate bytea;           -- renewal: the subscriber certificate that signed

-- A renewal is signed with the subscriber's own certificate, not a card: it has no JPKI certificate and no claim.
ALTER TABLE application ALTER COLUMN jpki_certificate DROP NOT NULL;
ALTER TABLE application ALTER COLUMN jpki_serial DROP NOT NULL;
ALTER TABLE application ALTER COLUMN jpki_issuer DROP NOT NULL;
ALTER TABLE application ALTER COLUMN jpki_issuer_sha256 DROP NOT NULL;
ALTER TABLE application ALTER COLUMN claimed_name DROP NOT NULL;
ALTER TABLE application ALTER COLUMN claimed_birth_date DROP NOT NULL;
ALTER TABLE application ALTER COLUMN claimed_gender DROP NOT NULL;
ALTER TABLE application ALTER COLUMN claimed_address DROP NOT NULL;
ALTER TABLE application ADD CONSTRAINT application_route_evidence CHECK (
    (route = 'JPKI' AND jpki_certificate IS NOT NULL)
    OR (route = 'SUBSCRIBER_CERTIFICATE' AND signer_certificate IS NOT NULL AND renews_application_id IS NOT NULL));
CREATE UNIQUE INDEX application_renewal_once ON application (renews_application_id)
    WHERE renews_application_id IS NOT NULL AND status <> 'REJECTED';

-- A revocation request signed with the subscriber's own certificate of this CA (route SUBSCRIBER_CERTIFICATE).
-- route is null for JPKI-signed and officer-initiated requests (see initiated_by).
ALTER TABLE revocation_request ADD COLUMN route varchar(32);
ALTER TABLE revocation_request ADD COLUMN signer_certificate bytea;
