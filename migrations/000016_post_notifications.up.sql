-- Why (issue 12): the live pages (a post's page, the calendar) follow the server through
-- event streams. Instead of every open stream reading the database once a second, each
-- Herald process listens on the channel herald_posts and wakes only the streams of the
-- company whose posts changed, whoever changed them (the app, another process, SQL by
-- hand). The payload is the company's id and nothing else.
--
-- The triggers run once per statement, not per row, and send one notice per company the
-- statement touched; PostgreSQL folds identical notices of one transaction into one and
-- delivers them at commit, so a listener that reads after a notice sees the change.
-- Transition tables allow one event per trigger, hence three triggers per table. A target's
-- update is announced by a row trigger instead, which skips updates that change only what no
-- live page shows (analytics' metrics) without even calling its function.
--
-- A NOTIFY holds a cluster-wide lock from the commit until the transaction's end, WAL
-- flush included, so notifying commits wait for each other. Herald's own post writes
-- therefore name their company in the transaction-local setting herald.announced_companies
-- (comma-separated ids) and the process announces them after commit, several at once and
-- without a flush (adapters/postgres/post_changes.go); the triggers skip those companies.
CREATE FUNCTION herald_posts_inserted_or_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('herald_posts', c::text)
    FROM (SELECT DISTINCT company_id AS c FROM changed_rows) AS companies
    WHERE strpos(coalesce(current_setting('herald.announced_companies', true), ''), c::text) = 0;
    RETURN NULL;
END
$$;

CREATE FUNCTION herald_posts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('herald_posts', c::text)
    FROM (SELECT DISTINCT company_id AS c FROM deleted_rows) AS companies
    WHERE strpos(coalesce(current_setting('herald.announced_companies', true), ''), c::text) = 0;
    RETURN NULL;
END
$$;

CREATE FUNCTION herald_post_target_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF strpos(coalesce(current_setting('herald.announced_companies', true), ''), NEW.company_id::text) = 0 THEN
        PERFORM pg_notify('herald_posts', NEW.company_id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER posts_notify_insert AFTER INSERT ON posts
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_posts_inserted_or_updated();
CREATE TRIGGER posts_notify_update AFTER UPDATE ON posts
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_posts_inserted_or_updated();
CREATE TRIGGER posts_notify_delete AFTER DELETE ON posts
    REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_posts_deleted();
CREATE TRIGGER post_targets_notify_insert AFTER INSERT ON post_targets
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_posts_inserted_or_updated();
CREATE TRIGGER post_targets_notify_update AFTER UPDATE ON post_targets FOR EACH ROW
    WHEN ((OLD.company_id, OLD.post_id, OLD.account_id, OLD.position, OLD.platform, OLD.variant, OLD.status, OLD.external_id,
           OLD.external_url, OLD.reason, OLD.attempts, OLD.attempt_open, OLD.published_at)
          IS DISTINCT FROM
          (NEW.company_id, NEW.post_id, NEW.account_id, NEW.position, NEW.platform, NEW.variant, NEW.status, NEW.external_id,
           NEW.external_url, NEW.reason, NEW.attempts, NEW.attempt_open, NEW.published_at))
    EXECUTE FUNCTION herald_post_target_updated();
CREATE TRIGGER post_targets_notify_delete AFTER DELETE ON post_targets
    REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_posts_deleted();
