package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/oauth2"

	"github.com/heraldhq/herald/domain"
)

const (
	authorizePath = "/sandbox/oauth/authorize"
	clientID      = "herald" // the only client the sandbox knows
	codeTTL       = 10 * time.Minute
)

// scopes are what every sandbox grant allows.
var scopes = []string{"posts.write", "posts.read", "metrics.read"}

// AuthCodeURL returns the sandbox consent page's address for state, carrying the S256 PKCE
// challenge of verifier and redirectURL, where the consent answers.
func (s *Sandbox) AuthCodeURL(state, verifier, redirectURL string) string {
	cfg := oauth2.Config{ClientID: clientID, RedirectURL: redirectURL, Endpoint: oauth2.Endpoint{AuthURL: s.cfg.BaseURL + authorizePath}}
	return cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
}

// grant signs handle in (creating the sandbox user on first use) and returns a new
// authorization code bound to the request's redirect address and PKCE challenge.
func (s *Sandbox) grant(ctx context.Context, handle string, req authRequest) (string, error) {
	code := "sbx_code_" + rand.Text()
	h, now := digest(code), s.now()
	// One statement, so a user is never created without the code that needed it.
	_, err := s.db.ExecContext(ctx, `
		WITH u AS (
			INSERT INTO sandbox_users (handle) VALUES ($1)
			ON CONFLICT (handle) DO UPDATE SET handle = excluded.handle
			RETURNING id
		)
		INSERT INTO sandbox_codes (hash, user_id, redirect_uri, code_challenge, created_at, expires_at)
		SELECT $2, id, $3, $4, $5, $6 FROM u`,
		handle, h[:], req.RedirectURI, req.Challenge, now, now.Add(codeTTL))
	if err != nil {
		return "", fmt.Errorf("sandbox: create authorization code: %w", err)
	}
	return code, nil
}

// codeRejected is Exchange's answer to a code it does not accept, with the reason in brackets.
func codeRejected(reason string) error {
	return domain.Errorf(domain.CodeInvalid, "The sandbox did not accept that authorization code (%s).", reason)
}

// Exchange trades a code from the consent redirect for the one sandbox user who granted it,
// with a new access token (valid for Config.TokenTTL) and refresh token. The code is used up
// by the first attempt, even a failed one. An unknown, used or expired code, a redirectURL
// other than the consent's, or a verifier that does not match the challenge is CodeInvalid.
func (s *Sandbox) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]domain.Identity, error) {
	now := s.now()
	h := digest(code)
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sandbox: exchange: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing

	var g struct {
		UserID      string `db:"user_id"`
		Handle      string `db:"handle"`
		RedirectURI string `db:"redirect_uri"`
		Challenge   string `db:"code_challenge"`
	}
	err = tx.GetContext(ctx, &g, `
		UPDATE sandbox_codes c SET used_at = $2
		FROM sandbox_users u
		WHERE c.hash = $1 AND c.used_at IS NULL AND c.expires_at > $2 AND u.id = c.user_id
		RETURNING c.user_id, u.handle, c.redirect_uri, c.code_challenge`, h[:], now)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, codeRejected("it is unknown, used or expired")
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox: exchange: take code: %w", err)
	}

	var refusal error
	switch {
	case g.RedirectURI != redirectURL:
		refusal = codeRejected("the redirect address is not the one it was issued for")
	case subtle.ConstantTimeCompare([]byte(oauth2.S256ChallengeFromVerifier(verifier)), []byte(g.Challenge)) != 1:
		refusal = codeRejected("the PKCE verifier does not match its challenge")
	}
	if refusal != nil {
		// Burn the code anyway, as real servers do, so a verifier cannot be guessed.
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("sandbox: exchange: commit: %w", err)
		}
		return nil, refusal
	}

	creds, err := s.issue(ctx, tx, g.UserID, now)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sandbox: exchange: commit: %w", err)
	}
	return []domain.Identity{{ExternalID: g.UserID, DisplayName: g.Handle, Credentials: creds}}, nil
}

// Refresh trades c's refresh token for a new access token and a new refresh token; the old
// refresh token stops working (rotation). An empty, unknown or already used refresh token is
// CodeUnauthenticated: the grant is gone and the account must be reconnected.
func (s *Sandbox) Refresh(ctx context.Context, c domain.Credentials) (domain.Credentials, error) {
	gone := domain.Errorf(domain.CodeUnauthenticated,
		"The sandbox refused the refresh token (invalid_grant): it is unknown or was already used. Reconnect the account.")
	if c.RefreshToken == "" {
		return domain.Credentials{}, gone
	}
	if f := s.fault("refresh"); f.Kind != "" && f.Kind != FaultLostAnswer {
		if f.Kind == FaultPermanent {
			return domain.Credentials{}, gone
		}
		return domain.Credentials{}, f.err()
	}
	now := s.now()
	h := digest(c.RefreshToken)
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return domain.Credentials{}, fmt.Errorf("sandbox: refresh: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing

	var userID string
	err = tx.GetContext(ctx, &userID, `
		UPDATE sandbox_tokens SET used_at = $2
		WHERE hash = $1 AND kind = 'refresh' AND used_at IS NULL
		RETURNING user_id`, h[:], now)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Credentials{}, gone
	}
	if err != nil {
		return domain.Credentials{}, fmt.Errorf("sandbox: refresh: take token: %w", err)
	}
	creds, err := s.issue(ctx, tx, userID, now)
	if err != nil {
		return domain.Credentials{}, err
	}
	if err := tx.Commit(); err != nil {
		return domain.Credentials{}, fmt.Errorf("sandbox: refresh: commit: %w", err)
	}
	return creds, nil
}

// issue stores a new access and refresh token for the user on tx and returns them.
func (s *Sandbox) issue(ctx context.Context, tx *sqlx.Tx, userID string, now time.Time) (domain.Credentials, error) {
	c := domain.Credentials{
		AccessToken:  "sbx_at_" + rand.Text(),
		RefreshToken: "sbx_rt_" + rand.Text(),
		Expiry:       now.Add(s.cfg.TokenTTL),
		Scopes:       append([]string(nil), scopes...),
	}
	ah, rh := digest(c.AccessToken), digest(c.RefreshToken)
	_, err := tx.ExecContext(ctx, `
		INSERT INTO sandbox_tokens (hash, kind, user_id, created_at, expires_at)
		VALUES ($1, 'access', $3, $4, $5), ($2, 'refresh', $3, $4, NULL)`,
		ah[:], rh[:], userID, now, c.Expiry)
	if err != nil {
		return domain.Credentials{}, fmt.Errorf("sandbox: issue tokens: %w", err)
	}
	return c, nil
}

// authenticate returns the sandbox user id of c's access token after checking that the
// token is known, unexpired and the account's. It returns CodeUnauthenticated for a missing,
// unknown or expired token and CodeForbidden for another user's token.
func (s *Sandbox) authenticate(ctx context.Context, c domain.Credentials, account domain.Account) (string, error) {
	if c.AccessToken == "" {
		return "", domain.Errorf(domain.CodeUnauthenticated, "The sandbox needs an access token; reconnect the account.")
	}
	now := s.now()
	h := digest(c.AccessToken)
	t, ok := s.tokens.get(h, now)
	if !ok {
		var row struct {
			UserID  string    `db:"user_id"`
			Expires time.Time `db:"expires_at"`
		}
		err := s.db.GetContext(ctx, &row,
			`SELECT user_id, expires_at FROM sandbox_tokens WHERE hash = $1 AND kind = 'access'`, h[:])
		if errors.Is(err, sql.ErrNoRows) {
			return "", domain.Errorf(domain.CodeUnauthenticated, "The sandbox does not know this access token (invalid_token).")
		}
		if err != nil {
			return "", fmt.Errorf("sandbox: check access token: %w", err)
		}
		t = cachedToken{userID: row.UserID, expires: row.Expires, until: now.Add(tokenCacheTTL)}
		s.tokens.put(h, t)
	}
	if !now.Before(t.expires) {
		return "", domain.Errorf(domain.CodeUnauthenticated, "The sandbox refused the access token: token expired.")
	}
	if t.userID != account.ExternalID {
		return "", domain.Errorf(domain.CodeForbidden, "This access token belongs to another sandbox account.")
	}
	return t.userID, nil
}
