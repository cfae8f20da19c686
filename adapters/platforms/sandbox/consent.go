package sandbox

import (
	"context"
	"errors"
	"net/url"
)

// Consent does what a person's Allow on the consent page does, for tools that connect
// many sandbox accounts without a browser (the publish benchmark): it checks the
// authorization request in authorizeURL, signs handle in, and returns the redirect
// address with the code and state.
func (s *Sandbox) Consent(ctx context.Context, authorizeURL, handle string) (string, error) {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		return "", err
	}
	req, problem := s.parseAuthRequest(u.Query())
	if problem != "" {
		return "", errors.New("sandbox: " + problem)
	}
	h, problem := parseHandle(handle)
	if problem != "" {
		return "", errors.New("sandbox: " + problem)
	}
	code, err := s.grant(ctx, h, req)
	if err != nil {
		return "", err
	}
	return withQuery(req.RedirectURI, "code", code, "state", req.State), nil
}
