// Package postgres implements Herald's storage ports on PostgreSQL with sqlx over pgx v5.
// Every tenant query filters by company_id; PostgreSQL errors are translated into
// *domain.Error in one function (translate). It imports domain and ports only.
package postgres
