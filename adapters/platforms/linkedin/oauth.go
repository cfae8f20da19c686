package linkedin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/heraldhq/herald/adapters/platforms/platformauth"
	"github.com/heraldhq/herald/domain"
)

// newOAuth is LinkedIn's OAuth client on platformauth: client id and secret in the form
// body of the token request (LinkedIn's examples send them there), no PKCE.
// https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
func newOAuth(cfg Config, client *http.Client) *platformauth.Client {
	return &platformauth.Client{
		Platform: domain.LinkedIn,
		Config: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Scopes: cfg.scopes(),
			Endpoint: oauth2.Endpoint{AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		},
		// LinkedIn takes PKCE only from native apps it enables one by one, with loopback
		// redirects; a web app such as Herald authenticates the exchange with its secret.
		// https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow-native
		PKCE: false,
		HTTP: client,
	}
}

// AuthCodeURL returns LinkedIn's consent page for state (response_type=code, client_id,
// redirect_uri, state, and the scopes space-separated). verifier is not sent: see newOAuth.
// https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
func (a *Adapter) AuthCodeURL(state, verifier, redirectURL string) string {
	return a.oauth.AuthCodeURL(state, verifier, redirectURL)
}

// credentials turns a token answer into Herald's credentials, keeping previous refresh
// token and scopes when the answer has none. The answer carries expires_in (60 days),
// refresh_token and refresh_token_expires_in only for apps granted programmatic refresh,
// and the granted scopes comma-separated.
// https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
// https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens
func (a *Adapter) credentials(tok *oauth2.Token, previous domain.Credentials) domain.Credentials {
	c := platformauth.Credentials(tok, previous.RefreshToken, nil)
	if len(c.Scopes) == 0 {
		c.Scopes = previous.Scopes
	}
	// x/oauth2 dates the expiry by the wall clock; Herald's clock decides.
	if secs, ok := tok.Extra("expires_in").(float64); ok && secs > 0 {
		c.Expiry = a.now().Add(time.Duration(secs) * time.Second)
	}
	return c
}

// splitScopes reads LinkedIn's granted scopes, which it separates with commas (or spaces).
func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// userinfo is the OpenID Connect userinfo answer.
// https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
type userinfo struct {
	Sub        string `json:"sub"`
	Name       string `json:"name"`
	GivenName  string `json:"given_name"`
	FamilyName string `json:"family_name"`
	Email      string `json:"email"`
}

// aclPage is one page of the organizationAcls roleAssignee finder. Current versions name
// the organization "organization"; older ones "organizationalTarget".
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role
type aclPage struct {
	Elements []struct {
		Organization         string `json:"organization"`
		OrganizationalTarget string `json:"organizationalTarget"`
		Role                 string `json:"role"`
		State                string `json:"state"`
	} `json:"elements"`
	Paging struct {
		Start int `json:"start"`
		Count int `json:"count"`
		Total int `json:"total"`
	} `json:"paging"`
}

// organization is the part of an organization Herald shows.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-lookup-api
type organization struct {
	LocalizedName string `json:"localizedName"`
	VanityName    string `json:"vanityName"`
}

const aclPageSize = 100

// Exchange trades the code for a token, then returns the member and, when the app has
// organizations (Config.Organizations), every organization the member administers
// (approved ADMINISTRATOR role), all sharing the member's token. A refused code is
// CodeInvalid. When LinkedIn refuses the organization list (403), only the member is
// returned.
func (a *Adapter) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]domain.Identity, error) {
	tok, err := a.oauth.Exchange(ctx, code, verifier, redirectURL)
	if err != nil {
		return nil, err
	}
	creds := a.credentials(tok, domain.Credentials{})
	var me userinfo
	// https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
	if _, err := a.do(ctx, call{method: http.MethodGet, path: "/v2/userinfo", token: creds.AccessToken, what: "read the member's profile"}, &me); err != nil {
		return nil, err
	}
	if me.Sub == "" {
		return nil, &domain.Error{Code: domain.CodeUnavailable, Message: "LinkedIn did not say who signed in; please connect again.", Err: errors.New("linkedin: userinfo without sub")}
	}
	name := me.Name
	if name == "" {
		name = strings.TrimSpace(me.GivenName + " " + me.FamilyName)
	}
	ids := []domain.Identity{{ExternalID: "urn:li:person:" + me.Sub, DisplayName: name, Credentials: creds}}
	if !a.cfg.Organizations {
		return ids, nil
	}
	orgs, err := a.administeredOrganizations(ctx, creds.AccessToken)
	if isCode(err, domain.CodeForbidden) {
		return ids, nil // no Community Management access: the member alone
	}
	if err != nil {
		return nil, err
	}
	for _, urn := range orgs {
		id := strings.TrimPrefix(urn, "urn:li:organization:")
		var org organization
		// GET /rest/organizations/{id}
		// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-lookup-api
		_, err := a.do(ctx, call{method: http.MethodGet, path: "/rest/organizations/" + url.PathEscape(id), token: creds.AccessToken, restli: true, what: "read an organization's name"}, &org)
		if err != nil && !isCode(err, domain.CodeForbidden) && !isCode(err, domain.CodeInvalid) {
			return nil, err
		}
		// A name LinkedIn will not show still leaves a page Herald can publish to.
		display := org.LocalizedName
		if display == "" {
			display = urn
		}
		ids = append(ids, domain.Identity{ExternalID: urn, DisplayName: display, Credentials: creds})
	}
	return ids, nil
}

// administeredOrganizations pages through the organizationAcls finder for the member's
// approved ADMINISTRATOR roles.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role
func (a *Adapter) administeredOrganizations(ctx context.Context, token string) ([]string, error) {
	var urns []string
	seen := map[string]bool{}
	for start := 0; ; start += aclPageSize {
		q := url.Values{
			"q": {"roleAssignee"}, "role": {"ADMINISTRATOR"}, "state": {"APPROVED"},
			"start": {fmt.Sprint(start)}, "count": {fmt.Sprint(aclPageSize)},
		}
		var page aclPage
		if _, err := a.do(ctx, call{method: http.MethodGet, path: "/rest/organizationAcls?" + q.Encode(), token: token, restli: true, what: "list the organizations the member administers"}, &page); err != nil {
			return nil, err
		}
		for _, e := range page.Elements {
			urn := e.Organization
			if urn == "" {
				urn = e.OrganizationalTarget
			}
			if e.Role != "ADMINISTRATOR" || e.State != "APPROVED" || !strings.HasPrefix(urn, "urn:li:organization:") || seen[urn] {
				continue
			}
			seen[urn] = true
			urns = append(urns, urn)
		}
		if len(page.Elements) < aclPageSize || start+len(page.Elements) >= page.Paging.Total && page.Paging.Total > 0 {
			return urns, nil
		}
	}
}

// Refresh uses the refresh token when LinkedIn granted one (programmatic refresh, for
// approved apps): a new access token for 60 days, the refresh token keeping its own
// lifetime (LinkedIn answers it again; an answer without one keeps the stored one). A
// refused refresh token is CodeUnauthenticated. Without a refresh token, a token still
// valid is returned as it is, and an expired one means a person must reconnect.
// https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens
func (a *Adapter) Refresh(ctx context.Context, c domain.Credentials) (domain.Credentials, error) {
	if c.RefreshToken == "" {
		if c.Fresh(a.now(), 0) {
			return c, nil
		}
		return domain.Credentials{}, domain.Errorf(domain.CodeUnauthenticated, "LinkedIn: the account's access expired and LinkedIn gives this app no way to renew it; please reconnect the account.")
	}
	tok, err := a.oauth.Refresh(ctx, c.RefreshToken)
	if err != nil {
		return domain.Credentials{}, err
	}
	return a.credentials(tok, c), nil
}
