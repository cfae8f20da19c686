package linkedin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
)

// AuthCodeURL returns LinkedIn's consent page for state. LinkedIn takes PKCE only for
// native apps it enables one by one, with loopback redirects; a web app such as Herald
// authenticates the code exchange with its client secret, so verifier is not sent.
// https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
// https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow-native
func (a *Adapter) AuthCodeURL(state, verifier, redirectURL string) string {
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {a.cfg.ClientID},
		"redirect_uri":  {redirectURL},
		"state":         {state},
		"scope":         {strings.Join(a.cfg.Scopes, " ")},
	}
	sep := "?"
	if strings.Contains(a.cfg.AuthURL, "?") {
		sep = "&"
	}
	return a.cfg.AuthURL + sep + q.Encode()
}

// tokenResponse is the token endpoint's answer; refresh_token only for apps granted
// programmatic refresh.
// https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
// https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens
type tokenResponse struct {
	AccessToken           string `json:"access_token"`
	ExpiresIn             int64  `json:"expires_in"`
	RefreshToken          string `json:"refresh_token"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
	Scope                 string `json:"scope"`
	Error                 string `json:"error"`
	ErrorDescription      string `json:"error_description"`
}

// token posts form to the token endpoint. Client credentials go in the form body, as
// LinkedIn's examples do.
func (a *Adapter) token(ctx context.Context, form url.Values, what string) (domain.Credentials, error) {
	form.Set("client_id", a.cfg.ClientID)
	form.Set("client_secret", a.cfg.ClientSecret)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return domain.Credentials{}, fmt.Errorf("linkedin: %s: %w", what, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return domain.Credentials{}, &domain.Error{Code: domain.CodeUnavailable, Message: "LinkedIn could not be reached; please try again.", Err: fmt.Errorf("linkedin: %s: %w", what, err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return domain.Credentials{}, &domain.Error{Code: domain.CodeUnavailable, Message: "LinkedIn could not be reached; please try again.", Err: fmt.Errorf("linkedin: %s: read answer: %w", what, err)}
	}
	var t tokenResponse
	_ = json.Unmarshal(raw, &t)
	if resp.StatusCode != http.StatusOK || t.AccessToken == "" {
		cause := fmt.Errorf("linkedin: %s: HTTP %d, error %q: %s", what, resp.StatusCode, t.Error, t.ErrorDescription)
		switch {
		case t.Error == "invalid_client":
			return domain.Credentials{}, &domain.Error{Code: domain.CodeUnavailable, Message: "LinkedIn refused Herald's app credentials; an operator must check HERALD_LINKEDIN_CLIENT_ID and HERALD_LINKEDIN_CLIENT_SECRET.", Err: cause}
		case t.Error == "invalid_grant" || resp.StatusCode == http.StatusUnauthorized:
			return domain.Credentials{}, &domain.Error{Code: domain.CodeUnauthenticated, Message: "LinkedIn no longer accepts this authorization; please connect the account again.", Err: cause}
		case resp.StatusCode == http.StatusTooManyRequests:
			return domain.Credentials{}, &domain.Error{Code: domain.CodeRateLimited, Message: "LinkedIn: too many sign-in attempts; please try again later.", RetryAfter: a.retryAfter(resp.Header), Err: cause}
		case resp.StatusCode >= 500:
			return domain.Credentials{}, &domain.Error{Code: domain.CodeUnavailable, Message: "LinkedIn is having trouble right now; please try again.", Err: cause}
		}
		return domain.Credentials{}, &domain.Error{Code: domain.CodeInvalid, Message: "LinkedIn refused to sign in this account; check the app's settings and redirect address.", Err: cause}
	}
	c := domain.Credentials{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Scopes: splitScopes(t.Scope)}
	if t.ExpiresIn > 0 {
		c.Expiry = a.now().Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	return c, nil
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

// Exchange trades the code for a token, then returns the member and every organization
// the member administers (approved ADMINISTRATOR role), all sharing the member's token.
// When the app lacks the organization scopes (403 on the ACL finder), only the member is
// returned.
func (a *Adapter) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]domain.Identity, error) {
	creds, err := a.token(ctx, url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {code},
		"redirect_uri": {redirectURL},
	}, "exchange the authorization code")
	if err != nil {
		return nil, err
	}
	var me userinfo
	// https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
	if _, err := a.do(ctx, call{method: http.MethodGet, path: "/v2/userinfo", token: creds.AccessToken, what: "read the member's profile"}, &me); err != nil {
		return nil, err
	}
	if me.Sub == "" {
		return nil, fmt.Errorf("linkedin: userinfo without sub")
	}
	name := me.Name
	if name == "" {
		name = strings.TrimSpace(me.GivenName + " " + me.FamilyName)
	}
	ids := []domain.Identity{{ExternalID: "urn:li:person:" + me.Sub, DisplayName: name, Credentials: creds}}

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
// approved apps). Without one, a token still valid is returned as it is, and an expired
// token means a person must reconnect.
// https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens
func (a *Adapter) Refresh(ctx context.Context, c domain.Credentials) (domain.Credentials, error) {
	if c.RefreshToken == "" {
		if c.Fresh(a.now(), 0) {
			return c, nil
		}
		return domain.Credentials{}, domain.Errorf(domain.CodeUnauthenticated, "LinkedIn: the account's access expired and LinkedIn gives this app no way to renew it; please reconnect the account.")
	}
	n, err := a.token(ctx, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {c.RefreshToken},
	}, "refresh the access token")
	if err != nil {
		return domain.Credentials{}, err
	}
	if n.RefreshToken == "" {
		n.RefreshToken = c.RefreshToken
	}
	if len(n.Scopes) == 0 {
		n.Scopes = c.Scopes
	}
	return n, nil
}
