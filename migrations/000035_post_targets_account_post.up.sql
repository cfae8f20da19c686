-- The batched publish path (issue 18) writes the targets of hundreds of posts in one
-- statement, joined on (company_id, post_id, account_id) from arrays. The planner cannot
-- estimate those arrays, and right after a burst is scheduled (before autovacuum analyzes
-- post_targets) it may pick post_targets_account (company_id, account_id) over the
-- primary key and filter every target of the account for the post: each lookup then reads
-- all of an account's targets, and a burst of N posts costs N * N / accounts. With post_id
-- in this index too, both indexes find a target exactly, whichever the planner picks. The
-- index still serves everything the old one did (its columns lead it), such as the
-- cascade when an account is removed.
CREATE INDEX post_targets_account_post ON post_targets (company_id, account_id, post_id);
DROP INDEX post_targets_account;
ALTER INDEX post_targets_account_post RENAME TO post_targets_account;
