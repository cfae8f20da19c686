-- Snippets (issue 16): saved text and hashtag groups a company's members insert into posts
-- from the composer. Names are unique per company whatever their case.
CREATE TABLE snippets (
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    company_id  uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
    content     text NOT NULL CHECK (char_length(content) BETWEEN 1 AND 5000),
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (company_id, id),
    UNIQUE (id)
);
-- One name per company, case-insensitively; also the list's order (by name).
CREATE UNIQUE INDEX snippets_company_name ON snippets (company_id, lower(name));
CREATE INDEX snippets_created_by ON snippets (created_by);
