-- AI assist: tokens used per company and month (the plan's allowance is checked against it).
-- The brand voice lives in companies.settings.
CREATE TABLE ai_usage (
    company_id        uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    month             date NOT NULL,
    prompt_tokens     bigint NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens bigint NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    requests          integer NOT NULL DEFAULT 0,
    PRIMARY KEY (company_id, month)
);
