package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/heraldhq/herald/domain"
)

// page is one page of a Graph API list: {"data": [...], "paging": {"cursors": {"before",
// "after"}, "next", "previous"}} (https://developers.facebook.com/docs/graph-api/results).
type page[T any] struct {
	Data   []T `json:"data"`
	Paging struct {
		Next string `json:"next"`
	} `json:"paging"`
}

// Each calls GET path with params and token and hands every item of the list to fn, following
// paging.next (cursor-based paging, https://developers.facebook.com/docs/graph-api/results)
// for at most maxPages pages; fn returns false to stop. A next address on another host than
// the client's is not followed, so the token never goes elsewhere: that is CodeUnavailable.
// The token and proof in a next address are replaced by the client's own.
func Each[T any](ctx context.Context, c *Client, path, token string, params url.Values, maxPages int, fn func(T) bool) error {
	base, err := url.Parse(c.cfg.BaseURL)
	if err != nil {
		return fmt.Errorf("graph: base URL: %w", err)
	}
	endpoint, query := c.URL(path), c.withToken(params, token)
	for range max(maxPages, 1) {
		var p page[T]
		if err := c.send(ctx, http.MethodGet, endpoint, query, nil, "", token, &p); err != nil {
			return err
		}
		for _, item := range p.Data {
			if !fn(item) {
				return nil
			}
		}
		if p.Paging.Next == "" || len(p.Data) == 0 {
			return nil
		}
		next, err := url.Parse(p.Paging.Next)
		if err != nil || next.Scheme != base.Scheme || next.Host != base.Host {
			return &domain.Error{Code: domain.CodeUnavailable, Message: c.name() + " sent a list Herald could not follow; it will try again.",
				Err: fmt.Errorf("graph: GET %s: paging.next is not on %s", pathOf(endpoint), base.Host)}
		}
		query = next.Query()
		query.Del("access_token")
		query.Del("appsecret_proof")
		query = c.withToken(query, token)
		next.RawQuery = ""
		endpoint = next.String()
	}
	return nil
}
