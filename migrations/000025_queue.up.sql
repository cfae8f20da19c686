-- The posting queue: each company keeps weekly time slots (weekday, wall-clock time in the
-- company's zone, optionally only for some accounts), and "add to queue" schedules a post
-- at the next free one. posts.queued says the post's time came from the queue, so its slot
-- is taken; any other change of its time or status clears it.
CREATE TABLE queues (
    company_id uuid PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    slots      jsonb NOT NULL DEFAULT '[]',
    version    integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE posts ADD COLUMN queued boolean NOT NULL DEFAULT false;

CREATE INDEX posts_queued_idx ON posts (company_id, scheduled_for) WHERE queued;
