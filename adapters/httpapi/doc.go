// Package httpapi serves the JSON API of shared/API.md on Echo. Handlers parse, call one
// app method and write JSON; problem.go maps domain error codes to RFC 9457 answers in one
// place. It imports domain, ports and app, never another adapter or ui.
package httpapi
