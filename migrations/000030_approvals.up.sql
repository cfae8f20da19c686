-- Approvals (issue 17): posts wait for an approver before they are scheduled.
ALTER TABLE posts DROP CONSTRAINT posts_status_check;
ALTER TABLE posts ADD CONSTRAINT posts_status_check CHECK (status IN ('draft', 'in_review', 'changes_requested', 'approved',
    'scheduled', 'publishing', 'published', 'partially_published', 'failed'));

-- The post's last trip through review: who submitted it, who decided and what they said.
ALTER TABLE posts ADD COLUMN submitted_by uuid REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE posts ADD COLUMN submitted_at timestamptz;
ALTER TABLE posts ADD COLUMN decided_by uuid REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE posts ADD COLUMN decided_at timestamptz;
ALTER TABLE posts ADD COLUMN decision_comment text NOT NULL DEFAULT '';
-- ai_assisted: a caption suggestion of the AI assist was applied (companies may require approval for it).
ALTER TABLE posts ADD COLUMN ai_assisted boolean NOT NULL DEFAULT false;

CREATE INDEX posts_submitted_by ON posts (submitted_by);
CREATE INDEX posts_decided_by ON posts (decided_by);
-- The review page: a company's posts waiting for approval, oldest submission first.
CREATE INDEX posts_in_review ON posts (company_id, submitted_at) WHERE status = 'in_review';
