DROP TABLE ai_reservations;
DROP TRIGGER companies_authz_changed ON companies;
DROP TRIGGER users_superadmin_deleted ON users;
DROP TRIGGER users_superadmin_created ON users;
DROP TRIGGER users_authz_changed ON users;
DROP TRIGGER memberships_authz_changed ON memberships;
DROP FUNCTION herald_authz_changed();
DROP TABLE authz_state;
