// Package domain holds Herald's entities, their rules and its one error type. It
// imports only the standard library: no SQL, no HTTP, no JSON tags.
package domain
