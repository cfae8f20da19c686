package facebook

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Adapter connects Facebook Pages and publishes to them.
type Adapter struct {
	cfg Config
}

var _ ports.Platform = (*Adapter)(nil)

// New returns an adapter for cfg; zero fields take the production endpoints, DefaultVersion,
// DefaultScopes, an HTTP client with a 30 s timeout and time.Now.
func New(cfg Config) *Adapter {
	return &Adapter{cfg: cfg.withDefaults()}
}

// Platform returns domain.Facebook.
func (a *Adapter) Platform() domain.Platform { return domain.Facebook }

// AuthCodeURL returns the login dialog's address
// (https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow:
// client_id, redirect_uri, state, response_type=code, scope), with the S256 PKCE challenge of
// verifier when there is one
// (https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token).
func (a *Adapter) AuthCodeURL(state, verifier, redirectURL string) string {
	q := url.Values{}
	q.Set("client_id", a.cfg.ClientID)
	q.Set("redirect_uri", redirectURL)
	q.Set("state", state)
	q.Set("response_type", "code")
	q.Set("scope", strings.Join(a.cfg.Scopes, ","))
	if verifier != "" && !a.cfg.NoPKCE {
		q.Set("code_challenge", s256(verifier))
		q.Set("code_challenge_method", "S256")
	}
	sep := "?"
	if strings.Contains(a.cfg.AuthURL, "?") {
		sep = "&"
	}
	return a.cfg.AuthURL + sep + q.Encode()
}

// s256 is the PKCE S256 challenge of verifier (RFC 7636, section 4.2).
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

type pageAnswer struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	AccessToken string   `json:"access_token"`
	Tasks       []string `json:"tasks"`
}

type pagesAnswer struct {
	Data   []pageAnswer `json:"data"`
	Paging struct {
		Cursors struct {
			After string `json:"after"`
		} `json:"cursors"`
		Next string `json:"next"`
	} `json:"paging"`
}

// maxPageLists bounds how many pages of /me/accounts are read.
const maxPageLists = 20

// Exchange trades the dialog's code for a short-lived user token
// (https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow),
// that for a long-lived user token (grant_type=fb_exchange_token,
// https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived), and
// lists the Pages the person manages with their Page access tokens (GET /me/accounts,
// https://developers.facebook.com/docs/pages-api/manage-pages). Page tokens derived from a
// long-lived user token do not expire, so each Identity's Expiry is zero. Pages on which the
// person cannot create content are left out.
func (a *Adapter) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]domain.Identity, error) {
	q := url.Values{}
	q.Set("client_id", a.cfg.ClientID)
	q.Set("client_secret", a.cfg.ClientSecret)
	q.Set("redirect_uri", redirectURL)
	q.Set("code", code)
	if verifier != "" && !a.cfg.NoPKCE {
		q.Set("code_verifier", verifier)
	}
	var short tokenAnswer
	if err := a.do(ctx, "GET", a.cfg.TokenURL, q, &short); err != nil {
		return nil, loginError(err)
	}
	if short.AccessToken == "" {
		return nil, domain.Errorf(domain.CodeUnavailable, "Facebook did not return an access token; please try connecting again.")
	}

	q = url.Values{}
	q.Set("grant_type", "fb_exchange_token")
	q.Set("client_id", a.cfg.ClientID)
	q.Set("client_secret", a.cfg.ClientSecret)
	q.Set("fb_exchange_token", short.AccessToken)
	var long tokenAnswer
	if err := a.do(ctx, "GET", a.cfg.TokenURL, q, &long); err != nil {
		return nil, loginError(err)
	}
	if long.AccessToken == "" {
		return nil, domain.Errorf(domain.CodeUnavailable, "Facebook did not return a long-lived access token; please try connecting again.")
	}

	granted, err := a.granted(ctx, long.AccessToken)
	if err != nil {
		return nil, err
	}
	for _, need := range []string{"pages_show_list", "pages_manage_posts"} {
		if !slices.Contains(granted, need) {
			return nil, domain.Errorf(domain.CodeForbidden, "Facebook: Herald was not allowed to %s. Connect again and allow it.", needs[need])
		}
	}

	var ids []domain.Identity
	after := ""
	for range maxPageLists {
		params := url.Values{}
		params.Set("fields", "id,name,access_token,tasks")
		params.Set("limit", "100")
		if after != "" {
			params.Set("after", after)
		}
		var pages pagesAnswer
		if err := a.get(ctx, "me/accounts", long.AccessToken, params, &pages); err != nil {
			return nil, err
		}
		for _, p := range pages.Data {
			if p.AccessToken == "" || p.ID == "" {
				continue
			}
			// Publishing needs the CREATE_CONTENT task
			// (https://developers.facebook.com/documentation/pages-api/posts.md).
			if p.Tasks != nil && !slices.Contains(p.Tasks, "CREATE_CONTENT") {
				continue
			}
			ids = append(ids, domain.Identity{
				ExternalID:  p.ID,
				DisplayName: p.Name,
				Credentials: domain.Credentials{AccessToken: p.AccessToken, Scopes: slices.Clone(granted)},
			})
		}
		if pages.Paging.Next == "" || pages.Paging.Cursors.After == "" {
			break
		}
		after = pages.Paging.Cursors.After
	}
	if len(ids) == 0 {
		return nil, domain.Errorf(domain.CodeForbidden, "Facebook: this login gave Herald no Page it can publish to. Choose at least one Page you can create content on, and grant every permission.")
	}
	return ids, nil
}

// needs says what each required permission is for, for a person.
var needs = map[string]string{
	"pages_show_list":    "see your Pages",
	"pages_manage_posts": "publish posts on your Pages",
}

// granted returns the permissions the person granted (GET /me/permissions, status granted;
// "Checking Permissions" in
// https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow).
func (a *Adapter) granted(ctx context.Context, userToken string) ([]string, error) {
	var perms struct {
		Data []struct {
			Permission string `json:"permission"`
			Status     string `json:"status"`
		} `json:"data"`
	}
	if err := a.get(ctx, "me/permissions", userToken, nil, &perms); err != nil {
		return nil, err
	}
	var out []string
	for _, p := range perms.Data {
		if p.Status == "granted" {
			out = append(out, p.Permission)
		}
	}
	return out, nil
}

// loginError makes a refused code or token exchange a reason to connect again.
func loginError(err error) error {
	var e *domain.Error
	if errors.As(err, &e) && (e.Code == domain.CodeInvalid || e.Code == domain.CodeUnauthenticated) {
		return &domain.Error{Code: domain.CodeUnauthenticated, Message: "Facebook did not accept this sign-in (it may have expired or been used already). Please connect again.", Err: e}
	}
	return err
}

// Refresh cannot renew a Page access token: they do not expire, and one Facebook refused
// needs a person to reconnect. It checks the token with GET /me
// (https://developers.facebook.com/docs/graph-api/guides/error-handling) and returns c
// unchanged while Facebook accepts it, CodeUnauthenticated otherwise.
func (a *Adapter) Refresh(ctx context.Context, c domain.Credentials) (domain.Credentials, error) {
	if c.AccessToken == "" {
		return domain.Credentials{}, domain.Errorf(domain.CodeUnauthenticated, "Facebook: this Page has no access token. Reconnect the Page.")
	}
	params := url.Values{}
	params.Set("fields", "id")
	var me struct {
		ID string `json:"id"`
	}
	if err := a.get(ctx, "me", c.AccessToken, params, &me); err != nil {
		var e *domain.Error
		if errors.As(err, &e) && e.Code == domain.CodeUnauthenticated {
			return domain.Credentials{}, &domain.Error{Code: domain.CodeUnauthenticated, Message: "Facebook Page tokens cannot be refreshed, and Facebook refused this one. Reconnect the Page.", Err: e}
		}
		return domain.Credentials{}, err
	}
	return c, nil
}

// pageOf returns the account's Page id, or a CodeInvalid error.
func pageOf(account domain.Account) (string, error) {
	if account.ExternalID == "" {
		return "", &domain.Error{Code: domain.CodeInvalid, Message: "Facebook: this account has no Page id; reconnect the Page.", Err: fmt.Errorf("facebook: account %v has no Page id", account.ID)}
	}
	return account.ExternalID, nil
}
