package apptest

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Network is a scripted social network (a ports.Platform) for tests of publishing: it keeps
// what was published per reference (the evidence of exactly-once) and answers each publish
// through Script, which a test sets to play errors and slowness. Lock Mu around reading or
// changing its fields while the app may be calling it.
type Network struct {
	Name      domain.Platform // which network it pretends to be (sandbox by default)
	Mu        sync.Mutex
	posts     map[string]int // reference -> times published
	Script    func(n int, ref string) error
	Calls     atomic.Int64 // publishes asked for
	Refreshes atomic.Int64 // refreshes asked for
	CanLookup bool         // whether Lookup can answer
	// AccessToken and RefreshToken are the valid tokens; Refresh rotates both.
	AccessToken, RefreshToken string
	RefreshFn                 func() error
	MetricsFn                 func(externalID string) (domain.Metrics, error)
	RefreshDelay              time.Duration
	seq                       atomic.Int64
	// Hold, when set, makes Publish wait until it is closed or the call's context ends
	// (a platform call in flight); Started is told when a call begins waiting.
	Hold    chan struct{}
	Started chan struct{}
	// Receive, when set, sees every publication before it is published (read its media's
	// bytes, say); its error is the publish's.
	Receive func(ctx context.Context, p ports.Publication) error
	// Identity is the external id of the account the next connect flow grants.
	Identity string
	// OmitRefresh makes exchanges and refreshes answer without a refresh token, as
	// platforms do that keep the one they gave; TokenLife is how long access tokens last
	// (zero: an hour).
	OmitRefresh bool
	TokenLife   time.Duration
	// Now is the network's clock (token expiries, publish times).
	Now func() time.Time
	// comments are the first comments published, per reference; CommentScript plays the
	// comments' errors as Script does the posts'; CommentCalls counts the comments asked for.
	comments      map[string]int
	commentTexts  map[string]string
	CommentScript func(n int, ref string) error
	CommentCalls  atomic.Int64
}

// Comment implements ports.Commenter: it needs the post published under c.Parent.
func (f *Network) Comment(ctx context.Context, c domain.Credentials, _ domain.Account, cm ports.Comment) (ports.Published, error) {
	n := int(f.CommentCalls.Add(1))
	f.Mu.Lock()
	valid, script, parent := c.AccessToken == f.AccessToken, f.CommentScript, f.posts[cm.Reference] > 0
	f.Mu.Unlock()
	if !valid {
		return ports.Published{}, domain.Errorf(domain.CodeUnauthenticated, "The access token expired.")
	}
	if !parent || cm.Parent != "ext-"+cm.Reference {
		return ports.Published{}, domain.Errorf(domain.CodeNotFound, "The fake network has no post %s to comment under.", cm.Parent)
	}
	if script != nil {
		if err := script(n, cm.Reference); err != nil {
			return ports.Published{}, err
		}
	}
	return f.RecordComment(cm.Reference, cm.Text), ctx.Err()
}

// RecordComment makes the network hold a first comment for ref, as a comment does.
func (f *Network) RecordComment(ref, text string) ports.Published {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if f.comments == nil {
		f.comments, f.commentTexts = map[string]int{}, map[string]string{}
	}
	f.comments[ref]++
	f.commentTexts[ref] = text
	return ports.Published{ExternalID: "cmt-" + ref, At: f.Now()}
}

// LookupComment implements ports.Commenter when CanLookup.
func (f *Network) LookupComment(_ context.Context, _ domain.Credentials, _ domain.Account, cm ports.Comment) (ports.Published, bool, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.CanLookup {
		return ports.Published{}, false, ports.ErrLookupUnsupported
	}
	if f.comments[cm.Reference] > 0 && f.commentTexts[cm.Reference] == cm.Text {
		return ports.Published{ExternalID: "cmt-" + cm.Reference}, true, nil
	}
	return ports.Published{}, false, nil
}

// Comments returns how many times the first comment for ref was published, and its text.
func (f *Network) Comments(ref string) (int, string) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.comments[ref], f.commentTexts[ref]
}

// NewNetwork returns a network called sandbox whose tokens are at-0 and rt-0 and whose
// next connect grants the account fake-user-1.
func NewNetwork(now func() time.Time) *Network {
	return &Network{Name: domain.Sandbox, posts: map[string]int{}, CanLookup: true, AccessToken: "at-0", RefreshToken: "rt-0", Identity: "fake-user-1", Now: now}
}

// answer is the tokens an exchange or refresh answers with (Mu held).
func (f *Network) answer() domain.Credentials {
	life := f.TokenLife
	if life == 0 {
		life = time.Hour
	}
	c := domain.Credentials{AccessToken: f.AccessToken, RefreshToken: f.RefreshToken, Expiry: f.Now().Add(life)}
	if f.OmitRefresh {
		c.RefreshToken = ""
	}
	return c
}

// Platform implements ports.Platform.
func (f *Network) Platform() domain.Platform { return f.Name }

// AuthCodeURL implements ports.Platform.
func (f *Network) AuthCodeURL(state, verifier, redirect string) string {
	return "https://fake.example/authorize?" + url.Values{"state": {state}, "redirect_uri": {redirect}}.Encode()
}

// GoodCode is the one authorization code Exchange accepts.
const GoodCode = "good-code"

// Exchange implements ports.Platform: it grants Identity for GoodCode.
func (f *Network) Exchange(_ context.Context, code, verifier, _ string) ([]domain.Identity, error) {
	if code != GoodCode || len(verifier) < 43 {
		return nil, domain.Errorf(domain.CodeInvalid, "The fake network did not accept that code.")
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return []domain.Identity{{ExternalID: f.Identity, DisplayName: "Fake " + f.Identity, Credentials: f.answer()}}, nil
}

// Refresh implements ports.Platform: it rotates the tokens when given the valid refresh
// token, after RefreshDelay and RefreshFn.
func (f *Network) Refresh(_ context.Context, c domain.Credentials) (domain.Credentials, error) {
	f.Refreshes.Add(1)
	f.Mu.Lock()
	delay := f.RefreshDelay
	f.Mu.Unlock()
	time.Sleep(delay)
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if f.RefreshFn != nil {
		if err := f.RefreshFn(); err != nil {
			return domain.Credentials{}, err
		}
	}
	if c.RefreshToken != f.RefreshToken {
		return domain.Credentials{}, domain.Errorf(domain.CodeUnauthenticated, "invalid_grant: refresh token already used")
	}
	n := f.seq.Add(1)
	f.AccessToken = fmt.Sprintf("at-%d", n)
	if !f.OmitRefresh {
		f.RefreshToken = fmt.Sprintf("rt-%d", n)
	}
	return f.answer(), nil
}

// Publish implements ports.Platform.
func (f *Network) Publish(ctx context.Context, c domain.Credentials, _ domain.Account, p ports.Publication) (ports.Published, error) {
	n := int(f.Calls.Add(1))
	f.Mu.Lock()
	valid := c.AccessToken == f.AccessToken
	script, hold, started, receive := f.Script, f.Hold, f.Started, f.Receive
	f.Mu.Unlock()
	if !valid {
		return ports.Published{}, domain.Errorf(domain.CodeUnauthenticated, "The access token expired.")
	}
	if receive != nil {
		if err := receive(ctx, p); err != nil {
			return ports.Published{}, err
		}
	}
	if hold != nil {
		if started != nil {
			started <- struct{}{}
		}
		select {
		case <-hold:
		case <-ctx.Done():
			return ports.Published{}, ctx.Err()
		}
	}
	if script != nil {
		if err := script(n, p.Reference); err != nil {
			return ports.Published{}, err
		}
	}
	return f.Record(p.Reference), ctx.Err()
}

// Record makes the network hold a post for ref, as a publish does.
func (f *Network) Record(ref string) ports.Published {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.posts[ref]++
	return ports.Published{ExternalID: "ext-" + ref, URL: "https://fake.example/p/" + ref, At: f.Now()}
}

// Lookup implements ports.Platform when CanLookup.
func (f *Network) Lookup(_ context.Context, _ domain.Credentials, _ domain.Account, p ports.Publication) (ports.Published, bool, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.CanLookup {
		return ports.Published{}, false, ports.ErrLookupUnsupported
	}
	if f.posts[p.Reference] > 0 {
		return ports.Published{ExternalID: "ext-" + p.Reference, URL: "https://fake.example/p/" + p.Reference}, true, nil
	}
	return ports.Published{}, false, nil
}

// Metrics implements ports.Platform through MetricsFn (none: zero metrics).
func (f *Network) Metrics(_ context.Context, c domain.Credentials, _ domain.Account, externalID string) (domain.Metrics, error) {
	f.Mu.Lock()
	fn, valid := f.MetricsFn, c.AccessToken == f.AccessToken
	f.Mu.Unlock()
	if !valid {
		return domain.Metrics{}, domain.Errorf(domain.CodeUnauthenticated, "The access token expired.")
	}
	if fn != nil {
		return fn(externalID)
	}
	return domain.Metrics{}, nil
}

// Published returns how many times the post for ref was published.
func (f *Network) Published(ref string) int {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.posts[ref]
}

// Total returns how many references were published and how many publishes there were.
func (f *Network) Total() (refs, posts int) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	for _, n := range f.posts {
		refs++
		posts += n
	}
	return refs, posts
}
