-- The audit log says where a change came from, and is read by company, by person and by
-- action, newest first.
ALTER TABLE audit_log ADD COLUMN ip inet;
DROP INDEX audit_log_company_created;
CREATE INDEX audit_log_company_id_desc ON audit_log (company_id, id DESC);
CREATE INDEX audit_log_company_action ON audit_log (company_id, action text_pattern_ops, id DESC);
