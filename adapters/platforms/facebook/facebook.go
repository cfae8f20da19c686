package facebook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/heraldhq/herald/adapters/platforms/graph"
	"github.com/heraldhq/herald/adapters/platforms/platformauth"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Adapter connects Facebook Pages and publishes to them.
type Adapter struct {
	cfg   Config
	graph *graph.Client
	auth  *platformauth.Client
}

var _ ports.Platform = (*Adapter)(nil)

// New returns an adapter for cfg; zero fields take the production endpoints, DefaultVersion,
// DefaultScopes, an HTTP client with a 30 s timeout and time.Now.
func New(cfg Config) *Adapter {
	cfg = cfg.withDefaults()
	return &Adapter{
		cfg: cfg,
		graph: graph.New(graph.Config{
			Platform: domain.Facebook, BaseURL: cfg.APIURL, Version: cfg.Version,
			AppSecret: cfg.ClientSecret, HTTPClient: cfg.HTTPClient, Now: cfg.Now,
		}),
		auth: graph.NewAuth(graph.AuthConfig{Platform: domain.Facebook, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL, PKCE: cfg.PKCE, HTTPClient: cfg.HTTPClient, Now: cfg.Now}),
	}
}

// Platform returns domain.Facebook.
func (a *Adapter) Platform() domain.Platform { return domain.Facebook }

// AuthCodeURL returns the login dialog's address: client_id, redirect_uri, state,
// response_type=code and the permissions as scope (comma-separated, as the manual flow
// documents, https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow),
// or, with a Login for Business configuration, config_id instead of scope
// (https://developers.facebook.com/docs/facebook-login/facebook-login-for-business). The S256
// PKCE challenge of verifier is added only when Config.PKCE is set.
func (a *Adapter) AuthCodeURL(state, verifier, redirectURL string) string {
	var opts []oauth2.AuthCodeOption
	if a.cfg.ConfigID != "" {
		// Login for Business: the configuration holds the permissions; the dialog takes no scope.
		opts = append(opts, oauth2.SetAuthURLParam("config_id", a.cfg.ConfigID))
	} else {
		// x/oauth2 would join scopes with spaces; the dialog documents commas.
		opts = append(opts, oauth2.SetAuthURLParam("scope", strings.Join(a.cfg.Scopes, ",")))
	}
	return a.auth.AuthCodeURL(state, verifier, redirectURL, opts...)
}

// shortLived is how long a user token may last and still be traded for a long-lived one:
// short-lived tokens last about an hour or two; long-lived ones about 60 days, and Login for
// Business system user tokens do not expire
// (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived).
const shortLived = 24 * time.Hour

// Exchange trades the dialog's code for a user token through x/oauth2
// (https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow),
// trades a short-lived one for a long-lived user token (grant_type=fb_exchange_token,
// https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived),
// checks the permissions granted, and returns one identity per Page the person can publish
// to, with its Page access token: the Pages of GET /me/accounts
// (https://developers.facebook.com/docs/pages-api/manage-pages) and, with business_management,
// those their business portfolios own or manage for clients (GET /me/businesses, then
// /{business-id}/owned_pages and /client_pages). Page tokens derived from a long-lived user
// token do not expire, so each Expiry is zero. Pages without the CREATE_CONTENT task are left out.
func (a *Adapter) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]domain.Identity, error) {
	// A refused code (used, expired, for another redirect) is a sign-in to start again.
	tok, err := a.auth.Exchange(ctx, code, verifier, redirectURL)
	if err != nil {
		return nil, err
	}
	userToken := tok.AccessToken
	// expires_in says what kind of token it is (x/oauth2's Expiry is read off the wall clock).
	if tok.ExpiresIn > 0 && time.Duration(tok.ExpiresIn)*time.Second < shortLived {
		if userToken, err = a.longLived(ctx, userToken); err != nil {
			return nil, err
		}
	}
	granted, err := a.granted(ctx, userToken)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(granted, "pages_manage_posts") {
		return nil, domain.Errorf(domain.CodeForbidden, "Facebook: Herald was not allowed to publish posts on your Pages. Connect again and allow it.")
	}
	if !slices.Contains(granted, "pages_show_list") && !slices.Contains(granted, "business_management") {
		return nil, domain.Errorf(domain.CodeForbidden, "Facebook: Herald was not allowed to see your Pages. Connect again and allow it.")
	}
	pages, err := a.pages(ctx, userToken, granted)
	if err != nil {
		return nil, err
	}
	if len(pages) == 0 {
		return nil, domain.Errorf(domain.CodeForbidden, "Facebook: this login gave Herald no Page it can publish to. Choose at least one Page you can create content on, and grant every permission.")
	}
	ids := make([]domain.Identity, 0, len(pages))
	for _, p := range pages {
		ids = append(ids, domain.Identity{
			ExternalID:  p.ID,
			DisplayName: p.Name,
			Credentials: domain.Credentials{AccessToken: p.AccessToken, Scopes: slices.Clone(granted)},
		})
	}
	return ids, nil
}

// longLived trades a short-lived user token for a long-lived one: GET {TokenURL} with
// grant_type=fb_exchange_token, client_id, client_secret and fb_exchange_token
// (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived).
func (a *Adapter) longLived(ctx context.Context, short string) (string, error) {
	q := url.Values{}
	q.Set("grant_type", "fb_exchange_token")
	q.Set("client_id", a.cfg.ClientID)
	q.Set("client_secret", a.cfg.ClientSecret)
	q.Set("fb_exchange_token", short)
	var long struct {
		AccessToken string `json:"access_token"`
	}
	if err := a.graph.Call(ctx, http.MethodGet, a.cfg.TokenURL, q, &long); err != nil {
		return "", loginError(err)
	}
	if long.AccessToken == "" {
		return "", domain.Errorf(domain.CodeUnavailable, "Facebook did not return a long-lived access token; please try connecting again.")
	}
	return long.AccessToken, nil
}

// granted returns the permissions the person granted (GET /me/permissions, status granted;
// "Checking Permissions" in
// https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow).
func (a *Adapter) granted(ctx context.Context, userToken string) ([]string, error) {
	var out []string
	err := graph.Each(ctx, a.graph, "me/permissions", userToken, nil, 5, func(p struct {
		Permission string `json:"permission"`
		Status     string `json:"status"`
	}) bool {
		if p.Status == "granted" {
			out = append(out, p.Permission)
		}
		return true
	})
	return out, err
}

// pageAnswer is a Page as /me/accounts, owned_pages and client_pages list it.
type pageAnswer struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	AccessToken string   `json:"access_token"`
	Tasks       []string `json:"tasks"`
}

// maxListPages bounds how many pages of each list are read.
const maxListPages = 20

// pages lists the Pages the person can publish to, each once: /me/accounts first, then the
// Pages of their business portfolios.
func (a *Adapter) pages(ctx context.Context, userToken string, granted []string) ([]pageAnswer, error) {
	var out []pageAnswer
	seen := map[string]bool{}
	add := func(p pageAnswer) bool {
		// Publishing needs the CREATE_CONTENT task
		// (https://developers.facebook.com/documentation/pages-api/posts.md).
		if !graphID.MatchString(p.ID) || seen[p.ID] || (p.Tasks != nil && !slices.Contains(p.Tasks, "CREATE_CONTENT")) {
			return true
		}
		seen[p.ID] = true
		out = append(out, p)
		return true
	}
	fields := url.Values{"fields": {"id,name,access_token,tasks"}, "limit": {"100"}}
	if slices.Contains(granted, "pages_show_list") {
		if err := graph.Each(ctx, a.graph, "me/accounts", userToken, fields, maxListPages, add); err != nil {
			return nil, err
		}
	}
	if !slices.Contains(granted, "business_management") {
		return withTokens(ctx, a, userToken, out)
	}
	// The business portfolios the person has a role in
	// (https://developers.facebook.com/docs/graph-api/reference/user/businesses/), and the
	// Pages each owns or manages for clients.
	var businesses []string
	err := graph.Each(ctx, a.graph, "me/businesses", userToken, url.Values{"fields": {"id,name"}, "limit": {"100"}}, maxListPages, func(b struct {
		ID string `json:"id"`
	}) bool {
		if b.ID != "" {
			businesses = append(businesses, b.ID)
		}
		return true
	})
	if domain.CodeOf(err) == domain.CodeForbidden {
		// The app may lack access to business_management (Advanced Access needs App Review):
		// the person's own Pages still count.
		return withTokens(ctx, a, userToken, out)
	}
	if err != nil {
		return nil, err
	}
	for _, b := range businesses {
		for _, edge := range []string{"owned_pages", "client_pages"} {
			err := graph.Each(ctx, a.graph, b+"/"+edge, userToken, fields, maxListPages, add)
			if domain.CodeOf(err) == domain.CodeForbidden {
				// A role in the portfolio that does not reach its Pages: the others still count.
				continue
			}
			if err != nil {
				return nil, err
			}
		}
	}
	return withTokens(ctx, a, userToken, out)
}

// withTokens reads the Page access token of each Page a list gave without one (GET
// /{page-id}?fields=access_token with the user token,
// https://developers.facebook.com/docs/pages-api/manage-pages), and leaves out Pages that
// give none.
func withTokens(ctx context.Context, a *Adapter, userToken string, pages []pageAnswer) ([]pageAnswer, error) {
	out := pages[:0]
	for _, p := range pages {
		if p.AccessToken == "" {
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			err := a.graph.Get(ctx, p.ID, userToken, url.Values{"fields": {"access_token"}}, &tok)
			if c := domain.CodeOf(err); c == domain.CodeForbidden || c == domain.CodeInvalid || c == domain.CodeNotFound {
				continue
			}
			if err != nil {
				return nil, err
			}
			p.AccessToken = tok.AccessToken
		}
		if p.AccessToken != "" {
			out = append(out, p)
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
	var me struct {
		ID string `json:"id"`
	}
	if err := a.graph.Get(ctx, "me", c.AccessToken, url.Values{"fields": {"id"}}, &me); err != nil {
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
	if !graphID.MatchString(account.ExternalID) {
		return "", &domain.Error{Code: domain.CodeInvalid, Message: "Facebook: this account has no valid Page id; reconnect the Page.", Err: fmt.Errorf("facebook: account %v has Page id %q", account.ID, account.ExternalID)}
	}
	return account.ExternalID, nil
}

// graphID is a Graph object id as Herald stores them: a Page or photo id (digits) or a Page
// post id ({page-id}_{post-id}). Ids go into request paths, so nothing else is sent.
var graphID = regexp.MustCompile(`^[0-9]+(_[0-9]+)?$`)
