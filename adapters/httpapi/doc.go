// Package httpapi serves on Echo the JSON API that openapi.json (OpenAPI 3.1, served at
// /api/v1/openapi.json) describes. Handlers parse, call one app method and write JSON;
// problem.go maps domain error codes to RFC 9457 answers in one place. It imports domain,
// ports and app, never another adapter or ui.
package httpapi
