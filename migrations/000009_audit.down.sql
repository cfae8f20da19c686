DROP INDEX audit_log_company_action;
DROP INDEX audit_log_company_id_desc;
CREATE INDEX audit_log_company_created ON audit_log (company_id, created_at);
ALTER TABLE audit_log DROP COLUMN ip;
