package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Credentials holds the social accounts' tokens: sealing and opening them under the key
// ring (the additional data ties each ciphertext to its row), a short in-process cache,
// single-flight refresh (in the process and, by a lease, across processes), renewing
// tokens ahead of their expiry, warning of those that cannot be renewed, re-encrypting
// under a new key, and recording platforms' successes. Accounts, Publishing and Analytics
// share the one instance New builds, and so its cache and flights.
type Credentials struct {
	store     ports.Store
	cipher    ports.TokenCipher
	platforms *Platforms
	now       func() time.Time
	log       *slog.Logger
	cache     credentialCache
	flights   flights
	successes successes
	notify    *Notifications // tells admins of accounts to reconnect or expiring; nil: nobody
}

// NewCredentials returns the token use cases, refreshing through platforms.
func NewCredentials(store ports.Store, cipher ports.TokenCipher, platforms *Platforms, now func() time.Time, log *slog.Logger) *Credentials {
	return &Credentials{store: store, cipher: cipher, platforms: platforms, now: now, log: log}
}

// credentialCache keeps accounts' opened credentials in memory for a short while, so a
// burst of posts to one account reads and decrypts its tokens once. A stale entry is
// harmless: a token the platform refuses goes through the locked refresh path, which
// reads the row again, and disconnecting fails the account's targets in its transaction.
type credentialCache struct {
	mu sync.Mutex
	m  map[domain.AccountID]cachedCredentials
}

type cachedCredentials struct {
	account domain.Account
	creds   domain.Credentials
	until   time.Time
}

// credentialCacheTTL bounds how long this process trusts what it read.
const credentialCacheTTL = 30 * time.Second

func (c *credentialCache) get(id domain.AccountID, now time.Time) (cachedCredentials, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	return e, ok && now.Before(e.until)
}

func (c *credentialCache) put(a domain.Account, creds domain.Credentials, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[domain.AccountID]cachedCredentials{}
	}
	if len(c.m) > 10_000 {
		clear(c.m)
	}
	c.m[a.ID] = cachedCredentials{account: a, creds: creds, until: now.Add(credentialCacheTTL)}
}

func (c *credentialCache) forget(id domain.AccountID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

// sealVerifier encrypts a connect flow's PKCE verifier, tied to its state.
func (cr *Credentials) sealVerifier(state, verifier string) ([]byte, error) {
	sealed, err := cr.cipher.Seal([]byte(verifier), stateAAD(state))
	if err != nil {
		return nil, fmt.Errorf("app: seal verifier: %w", err)
	}
	return sealed, nil
}

// openVerifier decrypts what sealVerifier sealed for state.
func (cr *Credentials) openVerifier(state string, sealed []byte) (string, error) {
	v, err := cr.cipher.Open(sealed, stateAAD(state))
	if err != nil {
		return "", fmt.Errorf("app: open verifier: %w", err)
	}
	return string(v), nil
}

// seal encrypts c for the account's row; the additional data ties each ciphertext to its
// company, platform, account and field.
func (cr *Credentials) seal(acct domain.Account, c domain.Credentials) (ports.Sealed, error) {
	access, err := cr.cipher.Seal([]byte(c.AccessToken), tokenAAD(acct, "access"))
	if err != nil {
		return ports.Sealed{}, fmt.Errorf("app: seal token: %w", err)
	}
	out := ports.Sealed{Access: access}
	if c.RefreshToken != "" {
		if out.Refresh, err = cr.cipher.Seal([]byte(c.RefreshToken), tokenAAD(acct, "refresh")); err != nil {
			return ports.Sealed{}, fmt.Errorf("app: seal token: %w", err)
		}
	}
	return out, nil
}

func (cr *Credentials) open(acct domain.Account, s ports.Sealed) (domain.Credentials, error) {
	if len(s.Access) == 0 {
		return domain.Credentials{}, domain.Errorf(domain.CodeUnauthenticated, "The %s account %s has no token; reconnect it.", acct.Platform.Title(), acct.DisplayName)
	}
	access, err := cr.cipher.Open(s.Access, tokenAAD(acct, "access"))
	if err != nil {
		return domain.Credentials{}, fmt.Errorf("app: open token of account %s: %w", acct.ID, err)
	}
	c := domain.Credentials{AccessToken: string(access), Expiry: acct.TokenExpiresAt, Scopes: acct.Scopes}
	if len(s.Refresh) > 0 {
		refresh, err := cr.cipher.Open(s.Refresh, tokenAAD(acct, "refresh"))
		if err != nil {
			return domain.Credentials{}, fmt.Errorf("app: open refresh token of account %s: %w", acct.ID, err)
		}
		c.RefreshToken = string(refresh)
	}
	return c, nil
}

func tokenAAD(a domain.Account, field string) []byte {
	return []byte("herald/v1|social_account|" + string(a.CompanyID) + "|" + string(a.Platform) + "|" + a.ExternalID + "|" + field)
}

// RotateKeys re-encrypts every account token sealed under a key other than the cipher's
// active one, and returns how many accounts it rewrote. It is the operator's command
// after adding a new key in front of HERALD_ENCRYPTION_KEYS.
func (cr *Credentials) RotateKeys(ctx context.Context) (int, error) {
	n := 0
	after := domain.AccountID("")
	for {
		var page []ports.SealedAccount
		if err := cr.store.Read(ctx, func(tx ports.Tx) error {
			var err error
			page, err = tx.Accounts().SealedAfter(ctx, after, 200)
			return err
		}); err != nil {
			return n, err
		}
		if len(page) == 0 {
			return n, nil
		}
		for _, row := range page {
			after = row.Account.ID
			if !cr.cipher.Stale(row.Sealed.Access) && (len(row.Sealed.Refresh) == 0 || !cr.cipher.Stale(row.Sealed.Refresh)) {
				continue
			}
			if len(row.Sealed.Access) == 0 {
				continue
			}
			err := cr.store.InTx(ctx, func(tx ports.Tx) error {
				acct, sealed, err := tx.Accounts().Credentials(ctx, row.Account.CompanyID, row.Account.ID, true)
				if err != nil {
					return err
				}
				creds, err := cr.open(acct, sealed)
				if err != nil {
					return err
				}
				s, err := cr.seal(acct, creds)
				if err != nil {
					return err
				}
				return tx.Accounts().SaveCredentials(ctx, acct.CompanyID, acct.ID, s, acct.TokenExpiresAt)
			})
			if err != nil {
				return n, err
			}
			n++
		}
	}
}
