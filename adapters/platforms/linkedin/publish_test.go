package linkedin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/platformtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// fixture is a fake with one member who administers one organization.
type fixture struct {
	f        *fakeLinkedIn
	a        *Adapter
	creds    domain.Credentials
	member   domain.Account
	org      domain.Account
	now      time.Time
	mediaURL func(name string) string
}

func setup(t *testing.T) fixture {
	t.Helper()
	f := newFake(t)
	tok := f.member("p1", "Grace Hopper")
	f.orgs["555"] = "Acme Inc"
	f.acls["p1"] = []fakeACL{{"urn:li:organization:555", "ADMINISTRATOR", "APPROVED"}}
	now := time.Date(2026, 11, 26, 22, 30, 0, 0, time.UTC)
	cfg := f.config()
	cfg.Now = func() time.Time { return now }
	cfg.VideoPollInterval, cfg.VideoWait = time.Millisecond, 50*time.Millisecond
	return fixture{
		f: f, a: New(cfg), now: now,
		creds:    domain.Credentials{AccessToken: tok, Expiry: now.Add(30 * 24 * time.Hour)},
		member:   domain.Account{Platform: domain.LinkedIn, ExternalID: "urn:li:person:p1", DisplayName: "Grace Hopper"},
		org:      domain.Account{Platform: domain.LinkedIn, ExternalID: "urn:li:organization:555", DisplayName: "Acme Inc"},
		mediaURL: func(name string) string { return f.srv.URL + "/media/" + name },
	}
}

// grantMemberSocial makes the app an approved partner with r_member_social: the fake grants
// it to the fixture's token, and the adapter asks for it.
func (x *fixture) grantMemberSocial() {
	x.f.mu.Lock()
	defer x.f.mu.Unlock()
	x.f.approved["r_member_social"] = true
	tok := x.f.tokens[x.creds.AccessToken]
	tok.scopes = append(tok.scopes, "r_member_social")
	x.creds.Scopes = slices.Clone(tok.scopes)
}

func TestAdapter_Publish(t *testing.T) {
	t.Parallel()

	t.Run("TextKeepsReservedCharacters", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		text := "Launch day (finally)! Thanks @team #golang [beta] <3 ~ a_b * c\\d | {x}"
		got, err := x.a.Publish(context.Background(), x.creds, x.member, ports.Publication{Reference: "post-1/acct-1", Text: text})
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		posts := x.f.postsOf("urn:li:person:p1")
		if len(posts) != 1 {
			t.Fatalf("LinkedIn has %d posts, want 1", len(posts))
		}
		if posts[0].rendered != text {
			t.Errorf("LinkedIn shows %q, want the whole text %q", posts[0].rendered, text)
		}
		if got.ExternalID != posts[0].id || got.URL != "https://www.linkedin.com/feed/update/"+posts[0].id+"/" || !got.At.Equal(x.now) {
			t.Errorf("Publish = %+v; want id %s, its permalink and %v", got, posts[0].id, x.now)
		}
	})

	t.Run("OneImageAsMedia", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		_, err := x.a.Publish(context.Background(), x.creds, x.org, ports.Publication{Text: "One picture", Media: platformtest.URLMedia(x.mediaURL("a.jpg"))})
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		posts := x.f.postsOf("urn:li:organization:555")
		if len(posts) != 1 {
			t.Fatalf("organization has %d posts, want 1", len(posts))
		}
		id, _ := posts[0].content["media"].(string)
		if !strings.HasPrefix(id, "urn:li:image:") || string(x.f.images[id].uploaded) != "\xff\xd8\xff\xe0 fake jpeg a.jpg" {
			t.Errorf("content = %v; want the uploaded image as media", posts[0].content)
		}
		want := []string{"POST images", "PUT upload", "POST posts"}
		if calls := x.f.calls(); !slices.Equal(calls, want) {
			t.Errorf("calls = %v, want %v", calls, want)
		}
	})

	t.Run("SeveralImagesAsMultiImage", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		_, err := x.a.Publish(context.Background(), x.creds, x.member, ports.Publication{Text: "Gallery", Media: platformtest.URLMedia(x.mediaURL("1.jpg"), x.mediaURL("2.png"), x.mediaURL("3.webp"))})
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		posts := x.f.postsOf("urn:li:person:p1")
		ids, _ := posts[0].content["multiImage"].([]string)
		if len(ids) != 3 {
			t.Fatalf("content = %v; want multiImage with 3 images", posts[0].content)
		}
		for i, id := range ids {
			if x.f.images[id].status != "AVAILABLE" {
				t.Errorf("image %d %s is %s", i, id, x.f.images[id].status)
			}
		}
	})

	t.Run("VideoInPartsAfterProcessing", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		x.f.videoPartSize = 8 // the fake video (23 bytes) goes in 3 parts, the last one short
		x.f.videoPolls = 2    // and stays PROCESSING for two checks
		_, err := x.a.Publish(context.Background(), x.creds, x.org, ports.Publication{Text: "clip", Media: platformtest.URLMedia(x.mediaURL("clip.mp4"))})
		if err != nil {
			t.Fatalf("Publish(video): %v", err)
		}
		posts := x.f.postsOf("urn:li:organization:555")
		if len(posts) != 1 {
			t.Fatalf("organization has %d posts, want 1", len(posts))
		}
		id, _ := posts[0].content["media"].(string)
		v := x.f.videos[id]
		if v == nil || v.sha256 != hexSHA256("\xff\xd8\xff\xe0 fake jpeg clip.mp4") {
			t.Fatalf("content = %v; want the whole video uploaded", posts[0].content)
		}
		want := []string{"POST videos", "PUT videoupload", "PUT videoupload", "PUT videoupload", "POST videos", "GET videoStatus", "GET videoStatus", "GET videoStatus", "POST posts"}
		if calls := x.f.calls(); !slices.Equal(calls, want) {
			t.Errorf("calls = %v, want %v", calls, want)
		}
	})

	t.Run("VideoStillProcessingIsUnavailable", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		x.f.videoPolls = 1000
		_, err := x.a.Publish(context.Background(), x.creds, x.member, ports.Publication{Text: "slow", Media: platformtest.URLMedia(x.mediaURL("slow.mov"))})
		if got := domain.CodeOf(err); got != domain.CodeUnavailable {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeUnavailable, err)
		}
		if len(x.f.postsOf("urn:li:person:p1")) != 0 {
			t.Errorf("a post was created with an unprocessed video")
		}
	})

	t.Run("VideoProcessingFailedIsInvalid", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		x.f.videoFails = true
		_, err := x.a.Publish(context.Background(), x.creds, x.member, ports.Publication{Text: "broken", Media: platformtest.URLMedia(x.mediaURL("broken.mp4"))})
		if got := domain.CodeOf(err); got != domain.CodeInvalid {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeInvalid, err)
		}
	})

	t.Run("VideoWithOtherMediaIsInvalid", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		_, err := x.a.Publish(context.Background(), x.creds, x.member, ports.Publication{Text: "mix", Media: platformtest.URLMedia(x.mediaURL("a.jpg"), x.mediaURL("b.mp4"))})
		if got := domain.CodeOf(err); got != domain.CodeInvalid {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeInvalid, err)
		}
		if calls := x.f.calls(); len(calls) != 0 {
			t.Errorf("a refused post still called LinkedIn: %v", calls)
		}
	})

	t.Run("MissingMediaIsInvalid", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		_, err := x.a.Publish(context.Background(), x.creds, x.member, ports.Publication{Text: "x", Media: platformtest.URLMedia(x.mediaURL("missing.jpg"))})
		if got := domain.CodeOf(err); got != domain.CodeInvalid {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeInvalid, err)
		}
		if len(x.f.postsOf("urn:li:person:p1")) != 0 {
			t.Errorf("a post was created without its image")
		}
	})

	t.Run("MediaOnAPrivateAddressNeedsTheSetting", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		// The media server is on loopback, on a port other than 80 and 443.
		media := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			_, _ = io.WriteString(w, "\x89PNG fake "+r.URL.Path)
		}))
		t.Cleanup(media.Close)
		u := media.URL + "/local.png"

		cfg := x.f.config()
		cfg.MediaAllowPrivate = false // the default: public addresses only
		for _, m := range []string{u, "http://169.254.169.254/latest/meta-data/x.png", "http://10.0.0.1:8080/a.jpg"} {
			_, err := New(cfg).Publish(context.Background(), x.creds, x.member, ports.Publication{Text: "internal", Media: platformtest.URLMedia(m)})
			if got := domain.CodeOf(err); got != domain.CodeInvalid {
				t.Errorf("Publish(%s) without HERALD_MEDIA_ALLOW_PRIVATE: CodeOf = %q, want %q; err = %v", m, got, domain.CodeInvalid, err)
			}
		}
		if calls := x.f.calls(); len(calls) != 0 {
			t.Errorf("LinkedIn was called for a refused media: %v", calls)
		}

		cfg.MediaAllowPrivate = true
		if _, err := New(cfg).Publish(context.Background(), x.creds, x.member, ports.Publication{Text: "local", Media: platformtest.URLMedia(u)}); err != nil {
			t.Fatalf("Publish(%s) with HERALD_MEDIA_ALLOW_PRIVATE: %v", u, err)
		}
		posts := x.f.postsOf("urn:li:person:p1")
		if len(posts) != 1 {
			t.Fatalf("LinkedIn holds %d posts, want 1", len(posts))
		}
		id, _ := posts[0].content["media"].(string)
		if img := x.f.images[id]; img == nil || string(img.uploaded) != "\x89PNG fake /local.png" {
			t.Errorf("content = %v; want the image from the loopback server", posts[0].content)
		}
		// Link-local and metadata addresses stay refused even then.
		_, err := New(cfg).Publish(context.Background(), x.creds, x.member, ports.Publication{Text: "metadata", Media: platformtest.URLMedia("http://169.254.169.254/x.png")})
		if got := domain.CodeOf(err); got != domain.CodeInvalid {
			t.Errorf("metadata address with the setting: CodeOf = %q, want %q; err = %v", got, domain.CodeInvalid, err)
		}
	})

	t.Run("OrganizationNotAdministeredIsForbidden", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		other := domain.Account{Platform: domain.LinkedIn, ExternalID: "urn:li:organization:999"}
		_, err := x.a.Publish(context.Background(), x.creds, other, ports.Publication{Text: "not mine"})
		if got := domain.CodeOf(err); got != domain.CodeForbidden {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeForbidden, err)
		}
	})

	t.Run("LostAnswerMayBePublishedAndLookupFindsIt", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		// LinkedIn creates the post, and the connection breaks before its answer.
		x.f.loseAnswer = true
		_, err := x.a.Publish(context.Background(), x.creds, x.org, ports.Publication{Text: "maybe delivered"})
		if !errors.Is(err, domain.ErrMaybePublished) {
			t.Fatalf("Publish with a lost answer = %v; want domain.ErrMaybePublished", err)
		}
		// Herald reconciles: the post was in fact created, Lookup finds it.
		got, found, err := x.a.Lookup(context.Background(), x.creds, x.org, ports.Publication{Text: "maybe delivered"})
		if err != nil || !found || !strings.HasPrefix(got.ExternalID, "urn:li:share:") {
			t.Fatalf("Lookup = %+v, %v, %v; want the post found", got, found, err)
		}
	})

	t.Run("AnswerWithoutIDMayBePublished", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		x.f.fail("posts", fakeFailure{status: 201})
		_, err := x.a.Publish(context.Background(), x.creds, x.member, ports.Publication{Text: "no id"})
		if !errors.Is(err, domain.ErrMaybePublished) {
			t.Fatalf("Publish answered 201 without x-restli-id = %v; want domain.ErrMaybePublished", err)
		}
	})

	t.Run("CancelledBeforeSendingIsNotMaybePublished", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := x.a.Publish(ctx, x.creds, x.member, ports.Publication{Text: "never sent"})
		if err == nil || errors.Is(err, domain.ErrMaybePublished) {
			t.Fatalf("Publish with a cancelled context = %v; want an error that is not maybe-published", err)
		}
		if calls := x.f.calls(); len(calls) != 0 {
			t.Errorf("LinkedIn was called: %v", calls)
		}
	})

	t.Run("TextTooLongOnceEscapedIsInvalid", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		// 2,990 characters, 20 of them reserved: 3,010 once escaped.
		text := strings.Repeat("a", 2970) + strings.Repeat("#", 10) + strings.Repeat("(", 10)
		_, err := x.a.Publish(context.Background(), x.creds, x.member, ports.Publication{Text: text})
		if got := domain.CodeOf(err); got != domain.CodeInvalid {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeInvalid, err)
		}
		problem := domain.FieldsOf(err)["content"]
		if !strings.Contains(problem, "3,010") || !strings.Contains(problem, "3,000") || !strings.Contains(problem, "20 reserved") {
			t.Errorf("problem = %q; want the escaped length, the limit and the reserved characters named", problem)
		}
		// A failed target shows the message alone: it says it all.
		if msg := domain.MessageOf(err); !strings.HasPrefix(msg, "LinkedIn: the text is 3,010 characters") || !strings.Contains(msg, "allows 3,000") {
			t.Errorf("message = %q; want the whole problem, naming LinkedIn", msg)
		}
		if calls := x.f.calls(); len(calls) != 0 {
			t.Errorf("LinkedIn was called for a text it would refuse: %v", calls)
		}
		// Exactly 3,000 once escaped goes out, and LinkedIn shows the text unescaped.
		ok := strings.Repeat("a", 2980) + strings.Repeat("#", 10)
		if _, err := x.a.Publish(context.Background(), x.creds, x.member, ports.Publication{Text: ok}); err != nil {
			t.Fatalf("Publish of 3,000 escaped characters: %v", err)
		}
		if posts := x.f.postsOf("urn:li:person:p1"); len(posts) != 1 || posts[0].rendered != ok {
			t.Errorf("LinkedIn holds %d posts; want the one, shown as written", len(posts))
		}
	})
}

func TestAdapter_PublishErrors(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name  string
		prep  func(t *testing.T, x fixture)
		cfg   func(c *Config)
		code  domain.Code
		retry time.Duration
	}{
		{
			name: "RateLimitedWithRetryAfter",
			prep: func(t *testing.T, x fixture) {
				x.f.fail("posts", fakeFailure{status: 429, retryAfter: "120", body: `{"status":429,"serviceErrorCode":101,"message":"Resource level throttle limit for calls to this resource is reached."}`})
			},
			code: domain.CodeRateLimited, retry: 2 * time.Minute,
		},
		{
			// No Retry-After: LinkedIn's daily limits reset at midnight UTC (now is 22:30).
			name: "RateLimitedUntilMidnightUTC",
			prep: func(t *testing.T, x fixture) {
				x.f.fail("posts", fakeFailure{status: 429, body: `{"status":429,"serviceErrorCode":101,"message":"Resource level throttle limit for calls to this resource is reached."}`})
			},
			code: domain.CodeRateLimited, retry: 90 * time.Minute,
		},
		{
			name: "ExpiredTokenIsUnauthenticated",
			prep: func(t *testing.T, x fixture) { x.f.tokens[x.creds.AccessToken].expired = true },
			code: domain.CodeUnauthenticated,
		},
		{
			name: "RevokedTokenIsUnauthenticated",
			prep: func(t *testing.T, x fixture) { x.f.tokens[x.creds.AccessToken].revoked = true },
			code: domain.CodeUnauthenticated,
		},
		{
			name: "DuplicateIsConflict",
			prep: func(t *testing.T, x fixture) {
				if _, err := x.a.Publish(context.Background(), x.creds, x.member, ports.Publication{Text: "Same words"}); err != nil {
					t.Fatalf("first Publish: %v", err)
				}
			},
			code: domain.CodeConflict,
		},
		{
			name: "InactiveVersionIsUnavailable",
			cfg:  func(c *Config) { c.Version = "202301" },
			code: domain.CodeUnavailable,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := setup(t)
			if tc.cfg != nil {
				cfg := x.f.config()
				cfg.Now = func() time.Time { return x.now }
				tc.cfg(&cfg)
				x.a = New(cfg)
			}
			if tc.prep != nil {
				tc.prep(t, x)
			}
			_, err := x.a.Publish(context.Background(), x.creds, x.member, ports.Publication{Text: "Same words"})
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != tc.code {
				t.Fatalf("Publish error = %v; want code %q", err, tc.code)
			}
			if de.RetryAfter != tc.retry {
				t.Errorf("RetryAfter = %v, want %v", de.RetryAfter, tc.retry)
			}
			if !strings.HasPrefix(de.Message, "LinkedIn") || strings.Contains(de.Message, x.creds.AccessToken) || strings.Contains(de.Message, "{") {
				t.Errorf("message %q should name LinkedIn and show neither token nor body", de.Message)
			}
		})
	}
}

// TestAdapter_ServerErrorOnThePostMayBePublished: a 5xx answer to POST /rest/posts may
// come after LinkedIn created the post (LinkedIn does not document otherwise), so Herald
// looks before any resend; the message says nothing of the body.
func TestAdapter_ServerErrorOnThePostMayBePublished(t *testing.T) {
	t.Parallel()
	x := setup(t)
	x.f.fail("posts", fakeFailure{status: 503, body: `{"status":503,"message":"Service Unavailable"}`})
	_, err := x.a.Publish(context.Background(), x.creds, x.member, ports.Publication{Text: "Same words"})
	if !errors.Is(err, domain.ErrMaybePublished) || domain.CodeOf(err) != domain.CodeUnavailable || strings.Contains(domain.MessageOf(err), "Service Unavailable") {
		t.Fatalf("Publish after a 503 = %v (code %q), want maybe-published without the body in its message", err, domain.CodeOf(err))
	}
}

// TestAdapter_RefusalsBeforeTheCreateAreNotMaybePublished: an answer LinkedIn gave (4xx)
// and any failure before the create call mean LinkedIn has no post.
func TestAdapter_RefusalsBeforeTheCreateAreNotMaybePublished(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		route string
		ff    fakeFailure
		media bool
	}{
		{"Duplicate", "posts", fakeFailure{status: 422, body: `{"status":422,"message":"Content is a duplicate of urn:li:share:1","errorDetails":{"inputErrors":[{"code":"DUPLICATE_POST"}]}}`}, false},
		{"Throttled", "posts", fakeFailure{status: 429, body: `{"status":429,"message":"throttled"}`}, false},
		{"ImageUploadServerError", "images", fakeFailure{status: 500, body: `{"status":500,"message":"boom"}`}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := setup(t)
			x.f.fail(tc.route, tc.ff)
			p := ports.Publication{Text: "refused " + tc.name}
			if tc.media {
				p.Media = platformtest.URLMedia(x.mediaURL("a.jpg"))
			}
			_, err := x.a.Publish(context.Background(), x.creds, x.member, p)
			if err == nil || errors.Is(err, domain.ErrMaybePublished) {
				t.Fatalf("Publish = %v; want a refusal that is not maybe-published", err)
			}
		})
	}
}

func TestAdapter_Lookup(t *testing.T) {
	t.Parallel()

	t.Run("FindsTheOrganizationsPost", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		p := ports.Publication{Reference: "p/a", Text: "Quarterly results (Q3) #finance"}
		pub, err := x.a.Publish(context.Background(), x.creds, x.org, p)
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if _, err := x.a.Publish(context.Background(), x.creds, x.org, ports.Publication{Text: "Something else"}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		got, found, err := x.a.Lookup(context.Background(), x.creds, x.org, p)
		if err != nil || !found || got.ExternalID != pub.ExternalID || got.URL != pub.URL || got.At.IsZero() {
			t.Fatalf("Lookup = %+v, %v, %v; want %s found", got, found, err, pub.ExternalID)
		}
	})

	t.Run("AbsentPostIsNotFound", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		_, found, err := x.a.Lookup(context.Background(), x.creds, x.org, ports.Publication{Text: "never sent"})
		if err != nil || found {
			t.Fatalf("Lookup = found %v, err %v; want not found", found, err)
		}
	})

	t.Run("MemberPostsCannotBeListedWithoutRMemberSocial", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		_, _, err := x.a.Lookup(context.Background(), x.creds, x.member, ports.Publication{Text: "hello"})
		if !errors.Is(err, ports.ErrLookupUnsupported) {
			t.Fatalf("Lookup(member) = %v, want ErrLookupUnsupported", err)
		}
		if calls := x.f.calls(); len(calls) != 0 {
			t.Errorf("LinkedIn was called: %v", calls)
		}
	})

	t.Run("MemberPostsAreListedWithRMemberSocial", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		x.grantMemberSocial()
		p := ports.Publication{Text: "A member's words [draft]"}
		pub, err := x.a.Publish(context.Background(), x.creds, x.member, p)
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		got, found, err := x.a.Lookup(context.Background(), x.creds, x.member, p)
		if err != nil || !found || got.ExternalID != pub.ExternalID {
			t.Fatalf("Lookup = %+v, %v, %v; want %s", got, found, err, pub.ExternalID)
		}
	})

	t.Run("RateLimited", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		x.f.fail("findPosts", fakeFailure{status: 429, body: `{"status":429,"message":"throttled"}`})
		_, _, err := x.a.Lookup(context.Background(), x.creds, x.org, ports.Publication{Text: "hello"})
		if got := domain.CodeOf(err); got != domain.CodeRateLimited {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeRateLimited, err)
		}
	})
}

func TestAdapter_Metrics(t *testing.T) {
	t.Parallel()

	t.Run("MemberPostWithoutRMemberSocialIsUnsupported", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		x.f.social["urn:li:share:42"] = [2]int64{7, 3}
		_, err := x.a.Metrics(context.Background(), x.creds, x.member, "urn:li:share:42")
		if !errors.Is(err, ports.ErrMetricsUnsupported) {
			t.Fatalf("Metrics = %v, want ports.ErrMetricsUnsupported", err)
		}
		if calls := x.f.calls(); len(calls) != 0 {
			t.Errorf("LinkedIn was called (it would answer 403): %v", calls)
		}
	})

	t.Run("MemberPostLikesAndCommentsWithRMemberSocial", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		x.grantMemberSocial()
		x.f.social["urn:li:share:42"] = [2]int64{7, 3}
		got, err := x.a.Metrics(context.Background(), x.creds, x.member, "urn:li:share:42")
		if err != nil {
			t.Fatalf("Metrics: %v", err)
		}
		if want := (domain.Metrics{Likes: 7, Comments: 3}); got != want {
			t.Errorf("Metrics = %+v, want %+v", got, want)
		}
	})

	t.Run("GrantedScopesDecideOverConfiguredOnes", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		cfg := x.f.config()
		cfg.Scopes = append(slices.Clone(MemberScopes), "r_member_social") // asked for, but this token was not granted it
		a := New(cfg)
		c := x.creds
		c.Scopes = slices.Clone(MemberScopes)
		if _, err := a.Metrics(context.Background(), c, x.member, "urn:li:share:42"); !errors.Is(err, ports.ErrMetricsUnsupported) {
			t.Fatalf("Metrics = %v, want ports.ErrMetricsUnsupported", err)
		}
	})

	t.Run("OrganizationPostWithStatistics", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		x.f.social["urn:li:share:43"] = [2]int64{10, 4}
		x.f.stats["urn:li:share:43"] = [3]int64{900, 600, 5}
		got, err := x.a.Metrics(context.Background(), x.creds, x.org, "urn:li:share:43")
		if err != nil {
			t.Fatalf("Metrics: %v", err)
		}
		if want := (domain.Metrics{Likes: 10, Comments: 4, Shares: 5, Reach: 600, Impressions: 900}); got != want {
			t.Errorf("Metrics = %+v, want %+v", got, want)
		}
	})

	t.Run("OrganizationUGCPostUsesUgcPostsList", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		x.f.social["urn:li:ugcPost:44"] = [2]int64{1, 2}
		x.f.stats["urn:li:ugcPost:44"] = [3]int64{30, 20, 1}
		got, err := x.a.Metrics(context.Background(), x.creds, x.org, "urn:li:ugcPost:44")
		if err != nil {
			t.Fatalf("Metrics: %v", err)
		}
		if got.Impressions != 30 || got.Reach != 20 {
			t.Errorf("Metrics = %+v; want impressions 30, reach 20", got)
		}
	})

	t.Run("StatisticsRefusedKeepsLikesAndComments", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		x.f.social["urn:li:share:45"] = [2]int64{2, 1}
		x.f.statsDenied = true
		got, err := x.a.Metrics(context.Background(), x.creds, x.org, "urn:li:share:45")
		if err != nil || got != (domain.Metrics{Likes: 2, Comments: 1}) {
			t.Fatalf("Metrics = %+v, %v; want likes and comments only", got, err)
		}
	})

	t.Run("ExpiredTokenIsUnauthenticated", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		x.f.social["urn:li:share:46"] = [2]int64{}
		x.f.tokens[x.creds.AccessToken].expired = true
		_, err := x.a.Metrics(context.Background(), x.creds, x.org, "urn:li:share:46")
		if got := domain.CodeOf(err); got != domain.CodeUnauthenticated {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeUnauthenticated, err)
		}
	})

	t.Run("NotAPostIDIsInvalid", func(t *testing.T) {
		t.Parallel()
		x := setup(t)
		_, err := x.a.Metrics(context.Background(), x.creds, x.member, "12345")
		if got := domain.CodeOf(err); got != domain.CodeInvalid {
			t.Fatalf("CodeOf = %q, want %q", got, domain.CodeInvalid)
		}
	})
}

// hexSHA256 is the hex SHA-256 of s.
func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
