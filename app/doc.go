// Package app holds Herald's use cases, one service per area (Auth, Teams, Admin). Every
// use case that touches a company takes the acting domain.Actor and checks permission
// first, runs its writes in one Store.InTx, and returns domain values or *domain.Error.
// New (services.go) builds every service once from ports and configuration (Deps); the
// web app, the API, the workers and the commands share what it returns.
// It imports domain and ports only.
package app
