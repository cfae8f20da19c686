-- Why (issue 12): the live pages (a post's page, the calendar) follow the server through
-- event streams. Instead of every open stream reading the database once a second, each
-- Herald process listens on the channel herald_posts and wakes only the streams of the
-- company whose posts changed, whoever changed them (the app, a worker of another
-- process, SQL by hand). The payload is the company's id and nothing else.
--
-- The triggers run once per statement, not per row, and send one notification per company
-- the statement touched; PostgreSQL folds identical notifications of one transaction into
-- one, and delivers them at commit, so a listener that reads after a notification sees the
-- change. Transition tables allow one event per trigger, hence three triggers per table.
CREATE FUNCTION herald_posts_inserted_or_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('herald_posts', c::text) FROM (SELECT DISTINCT company_id AS c FROM changed_rows) AS companies;
    RETURN NULL;
END
$$;

CREATE FUNCTION herald_posts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('herald_posts', c::text) FROM (SELECT DISTINCT company_id AS c FROM deleted_rows) AS companies;
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
CREATE TRIGGER post_targets_notify_update AFTER UPDATE ON post_targets
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_posts_inserted_or_updated();
CREATE TRIGGER post_targets_notify_delete AFTER DELETE ON post_targets
    REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_posts_deleted();
