-- Operator tools (issue 7): why a company is suspended (shown to its members), and the
-- posts counted toward each company's monthly scheduled-post limit (domain/plan.go).

ALTER TABLE companies
    ADD COLUMN status_reason     text NOT NULL DEFAULT '' CHECK (length(status_reason) <= 2000),
    ADD COLUMN status_changed_at timestamptz;

-- One row per post while it counts: in the month (UTC) it goes out in. post_id has no
-- reference on purpose: a post that went out keeps its place once deleted.
CREATE TABLE scheduled_post_counts (
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    post_id    uuid NOT NULL,
    month      date NOT NULL,
    counted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, post_id)
);
CREATE INDEX scheduled_post_counts_month ON scheduled_post_counts (company_id, month);

-- The plan limit's count and the tenants page count a company's live accounts.
CREATE INDEX social_accounts_company_live ON social_accounts (company_id) WHERE status <> 'disconnected';
