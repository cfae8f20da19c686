// Package ports declares the interfaces the app needs from the outside world: storage,
// authorization, password hashing. It imports only domain; adapters implement it.
package ports
