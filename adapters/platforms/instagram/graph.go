package instagram

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/graph"
	"github.com/heraldhq/herald/domain"
)

// Instagram's own Graph error codes and subcodes, which refine the shared table of
// adapters/platforms/graph (tokens, throttling, permissions, transient errors).
// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/error-codes
const (
	codeIGPublishLimit  = 9       // with subcode 2207042: the 24-hour publishing limit
	subcodePublishLimit = 2207042 // "reached maximum number of posts ... by Content Publish API"
	subcodeSpam         = 2207051 // comes with code 4, which otherwise means throttling
	subcodeRestricted   = 2207050 // code 25: the account is inactive or checkpointed
)

// Subcodes Instagram documents as worth another try (error-codes page: "Try again").
var transientSubcodes = map[int]bool{
	2207001: true, // Instagram server error
	2207003: true, // it takes too long to download the media
	2207032: true, // create media fail, please try to re-create media
	2207053: true, // unknown upload error
	2207008: true, // media builder expired: "temporary error, retry in 30 s to 2 min"
	2207027: true, // the media is not ready for publishing, please wait for a moment
}

// Subcodes with a sentence Herald can say about the media.
var mediaProblems = map[int]string{
	2207004: "the image is too large (Instagram takes up to 8 MiB)",
	2207005: "the image format is not supported (use JPEG)",
	2207009: "the image's aspect ratio is not supported",
	2207010: "the caption is too long",
	2207020: "the media expired before it was published",
	2207026: "the video format is not supported",
	2207052: "Instagram could not fetch the media from its URL",
}

// igError refines a classified Graph error with Instagram's documented subcodes; errors
// without a Graph error (network, context) and codes Instagram adds nothing to pass through
// as the shared client classified them. The platform's text stays in the cause, for the log.
func igError(err error) error {
	var g *graph.Error
	if !errors.As(err, &g) {
		return err
	}
	e := func(code domain.Code, msg string) *domain.Error {
		return &domain.Error{Code: code, Message: msg, Err: err}
	}
	switch {
	case g.Code == codeIGPublishLimit && g.Subcode == subcodePublishLimit:
		// A rolling 24-hour window; the API does not say when a slot frees.
		r := e(domain.CodeRateLimited, "Instagram: this account reached its 24-hour publishing limit.")
		r.RetryAfter = time.Hour
		return r
	case g.Subcode == subcodeSpam:
		return e(domain.CodeForbidden, "Instagram: Instagram restricted this publication as suspected spam.")
	case g.Subcode == subcodeRestricted:
		return e(domain.CodeForbidden, "Instagram: the account is inactive or restricted; sign in to the Instagram app to fix it.")
	case transientSubcodes[g.Subcode]:
		return e(domain.CodeUnavailable, "Instagram is not available right now; Herald will try again.")
	case mediaProblems[g.Subcode] != "":
		return e(domain.CodeInvalid, "Instagram refused the post: "+mediaProblems[g.Subcode]+".")
	case domain.CodeOf(err) == domain.CodeInvalid && (g.Subcode >= 2207000 && g.Subcode < 2208000 || g.Code == 9004 || g.Code == 36000 || g.Code == 36003):
		return e(domain.CodeInvalid, fmt.Sprintf("Instagram refused the media (error %d): check the image or video.", g.Subcode))
	}
	return err
}

// containerReason names the problem from the container's status text ("Error: ... 2207026"),
// by its documented subcode, never by echoing the platform's text.
func containerReason(status string) string {
	for code, reason := range mediaProblems {
		if strings.Contains(status, strconv.Itoa(code)) {
			return reason
		}
	}
	return "the image or video is not in a format Instagram accepts, or could not be fetched"
}

// get calls GET path through the shared Graph client (version, token and appsecret_proof)
// and refines its error with Instagram's codes.
func (a *Adapter) get(ctx context.Context, path string, params url.Values, token string, out any) error {
	return igError(a.graph.Get(ctx, path, token, params, out))
}

// post calls POST path with params form-encoded (the token in the body, never in a URL)
// and refines its error with Instagram's codes.
func (a *Adapter) post(ctx context.Context, path string, params url.Values, token string, out any) error {
	return igError(a.graph.Post(ctx, path, token, params, out))
}
