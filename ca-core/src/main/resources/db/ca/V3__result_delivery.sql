-- When the RA acknowledged a result bundle (pull mode). NULL: not yet delivered; the pull loop retries it.
ALTER TABLE order_bundle ADD COLUMN result_delivered_at TIMESTAMPTZ;
