-- Why (issue 12): every instance must decide on a role, superadmin or suspension change at
-- the very next request, whoever made it (the app, `herald admin create-superadmin` in
-- another process, or SQL by hand). authz_state.generation is bumped in the changing
-- transaction, at its commit (deferred triggers), so an instance that reads a newer
-- generation than it loaded reloads before deciding.
--
-- ai_reservations hold tokens of a company's monthly AI allowance while a request is at the
-- provider, so concurrent requests cannot all pass the check and overspend it. A row
-- outlives a crashed request only until expires_at.
CREATE TABLE authz_state (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    generation bigint NOT NULL DEFAULT 1
);
INSERT INTO authz_state DEFAULT VALUES;

CREATE FUNCTION herald_authz_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE authz_state SET generation = generation + 1;
    PERFORM pg_notify('herald_authz', '');
    RETURN NULL;
END
$$;

-- Deferred, so the generation's row is locked only at commit: the last lock taken, never
-- one held while the transaction goes on to lock other rows.
CREATE CONSTRAINT TRIGGER memberships_authz_changed AFTER INSERT OR UPDATE OR DELETE ON memberships
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION herald_authz_changed();
CREATE CONSTRAINT TRIGGER users_authz_changed AFTER UPDATE OF is_superadmin ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.is_superadmin IS DISTINCT FROM NEW.is_superadmin)
    EXECUTE FUNCTION herald_authz_changed();
CREATE CONSTRAINT TRIGGER users_superadmin_created AFTER INSERT ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.is_superadmin) EXECUTE FUNCTION herald_authz_changed();
CREATE CONSTRAINT TRIGGER users_superadmin_deleted AFTER DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.is_superadmin) EXECUTE FUNCTION herald_authz_changed();
CREATE CONSTRAINT TRIGGER companies_authz_changed AFTER UPDATE OF status, status_reason ON companies
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.status_reason IS DISTINCT FROM NEW.status_reason)
    EXECUTE FUNCTION herald_authz_changed();

CREATE TABLE ai_reservations (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    month      date NOT NULL,
    tokens     bigint NOT NULL CHECK (tokens > 0),
    expires_at timestamptz NOT NULL
);
CREATE INDEX ai_reservations_company_month ON ai_reservations (company_id, month, expires_at);
