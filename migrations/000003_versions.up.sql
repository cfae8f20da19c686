-- API.md: every mutable resource has a version, sent as an ETag and checked against If-Match.
ALTER TABLE companies ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE memberships ADD COLUMN version integer NOT NULL DEFAULT 1;
