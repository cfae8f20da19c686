package tiktok

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/platformtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func asDomain(err error, e **domain.Error) bool { return errors.As(err, e) }

const videoURL = "https://media.herald.example.com/u/launch.mp4"

func pub(text string, media ...string) ports.Publication {
	return ports.Publication{Reference: "post-1/account-1", Text: text, Media: platformtest.URLMedia(media...)}
}

func account() domain.Account {
	return domain.Account{Platform: domain.TikTok, ExternalID: "open-1", DisplayName: "Ada Creates"}
}

func TestAdapter_Publish(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("VideoIsPostedPublicly", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		got, err := f.adapter(nil).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("Launch day #go", videoURL))
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if got.ExternalID != "7000000000000000002" {
			t.Errorf("ExternalID = %q, want the post id", got.ExternalID)
		}
		if want := "https://www.tiktok.com/@ada.creates/video/7000000000000000002"; got.URL != want {
			t.Errorf("URL = %q, want %q", got.URL, want)
		}
		if !got.At.Equal(f.now) {
			t.Errorf("At = %v, want %v", got.At, f.now)
		}
		pi, si := f.lastInit.PostInfo, f.lastInit.SourceInfo
		if pi["title"] != "Launch day #go" || pi["privacy_level"] != PrivacyPublic || si["source"] != "PULL_FROM_URL" || si["video_url"] != videoURL {
			t.Errorf("init body = %+v %+v", pi, si)
		}
		// Three statuses: two processing, then complete.
		if n := f.count("/v2/post/publish/status/fetch/"); n != 3 {
			t.Errorf("status polled %d times, want 3", n)
		}
	})

	t.Run("PreferredLevelWhenOffered", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		_, err := f.adapter(func(c *Config) { c.PrivacyLevel = PrivacySelfOnly }).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", videoURL))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.lastInit.PostInfo["privacy_level"]; got != PrivacySelfOnly {
			t.Errorf("privacy_level = %v, want SELF_ONLY", got)
		}
	})

	t.Run("FirstOfferedLevelOtherwiseAndDisabledInteractionsStayDisabled", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		u := f.users["open-1"]
		u.privacy = []string{PrivacyFollowers, PrivacySelfOnly}
		u.commentDisabled, u.duetDisabled, u.stitchDisabled = true, true, true
		tok := f.token("open-1")
		_, err := f.adapter(nil).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", videoURL))
		if err != nil {
			t.Fatal(err)
		}
		pi := f.lastInit.PostInfo
		if pi["privacy_level"] != PrivacyFollowers || pi["disable_comment"] != true || pi["disable_duet"] != true || pi["disable_stitch"] != true {
			t.Errorf("post_info = %+v, want FOLLOWER_OF_CREATOR with every interaction disabled", pi)
		}
	})

	t.Run("MediaTikTokCannotTakeIsInvalidWithoutACall", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		many := make([]string, 36)
		for i := range many {
			many[i] = fmt.Sprintf("https://media.herald.example.com/p%d.jpg", i)
		}
		for _, p := range []ports.Publication{
			pub("just text"),
			pub("a PNG", "https://media.herald.example.com/a.png"),
			pub("a mix", "https://media.herald.example.com/a.jpg", videoURL),
			pub("two videos", videoURL, "https://media.herald.example.com/b.mp4"),
			pub("unknown", "https://media.herald.example.com/a.pdf"),
			pub("36 photos", many...),
		} {
			_, err := f.adapter(nil).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), p)
			if got := domain.CodeOf(err); got != domain.CodeInvalid {
				t.Errorf("CodeOf(Publish(%v)) = %q, want invalid; err = %v", p.Media, got, err)
			}
		}
		if n := len(f.steps()); n != 0 {
			t.Errorf("%d calls to TikTok for a post it cannot take: %v", n, f.steps())
		}
	})

	t.Run("PrivateAnswerWithoutPostIDKeepsThePublishID", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		f.statuses = []string{"PUBLISH_COMPLETE"}
		f.failNext("/v2/post/publish/status/fetch/", injected{status: 200, raw: `{"data":{"status":"PUBLISH_COMPLETE","publicaly_available_post_id":[]},"error":{"code":"ok","message":"","log_id":"x"}}`})
		got, err := f.adapter(nil).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", videoURL))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(got.ExternalID, "v_pub_url~") || got.URL != "" {
			t.Errorf("Published = %+v, want the publish id and no URL", got)
		}
	})
}

func TestAdapter_Publish_Errors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	cases := []struct {
		name  string
		setup func(f *fake, tok string) string // returns the token to use
		code  domain.Code
		retry time.Duration
		words string // in the message
	}{
		{"ExpiredTokenIsUnauthenticated", func(f *fake, tok string) string { f.access[tok].expired = true; return tok }, domain.CodeUnauthenticated, 0, "reconnect"},
		{"MissingScopeIsForbidden", func(f *fake, tok string) string { f.access[tok].scopes = []string{"user.info.basic"}; return tok }, domain.CodeForbidden, 0, "permission"},
		{"RateLimitWithRetryAfter", func(f *fake, tok string) string {
			f.failNext("/v2/post/publish/video/init/", injected{status: 429, code: "rate_limit_exceeded", header: http.Header{"Retry-After": {"30"}}})
			return tok
		}, domain.CodeRateLimited, 30 * time.Second, "too many requests"},
		{"RateLimitWithoutHeaderWaitsAMinute", func(f *fake, tok string) string {
			f.failNext("/v2/post/publish/creator_info/query/", injected{status: 429, code: "rate_limit_exceeded"})
			return tok
		}, domain.CodeRateLimited, time.Minute, "too many requests"},
		{"TooManyPostsIsRateLimited", func(f *fake, tok string) string {
			f.failNext("/v2/post/publish/video/init/", injected{status: 403, code: "spam_risk_too_many_posts"})
			return tok
		}, domain.CodeRateLimited, time.Hour, "daily posting limit"},
		{"BannedIsForbidden", func(f *fake, tok string) string {
			f.failNext("/v2/post/publish/video/init/", injected{status: 403, code: "spam_risk_user_banned_from_posting"})
			return tok
		}, domain.CodeForbidden, 0, "banned"},
		{"UnverifiedURLIsForbiddenForTheOperator", func(f *fake, tok string) string { f.verified = []string{"https://other.example.com/"}; return tok }, domain.CodeForbidden, 0, "developer portal"},
		{"ServerErrorIsUnavailable", func(f *fake, tok string) string {
			f.failNext("/v2/post/publish/creator_info/query/", injected{status: 502, raw: "<html>Bad Gateway</html>"})
			return tok
		}, domain.CodeUnavailable, 0, "TikTok"},
		{"FailedPullIsInvalid", func(f *fake, tok string) string {
			f.statuses, f.failReason = []string{"PROCESSING_DOWNLOAD", "FAILED"}, "video_pull_failed"
			return tok
		}, domain.CodeInvalid, 0, "download"},
		{"FailedOwnershipIsForbidden", func(f *fake, tok string) string {
			f.statuses, f.failReason = []string{"FAILED"}, "url_ownership_unverified"
			return tok
		}, domain.CodeForbidden, 0, "developer portal"},
		{"PrivacyMismatchIsInvalid", func(f *fake, tok string) string {
			f.failNext("/v2/post/publish/video/init/", injected{status: 400, code: "privacy_level_option_mismatch"})
			return tok
		}, domain.CodeInvalid, 0, "privacy level"},
		{"UnauditedClientIsForbidden", func(f *fake, tok string) string {
			f.failNext("/v2/post/publish/video/init/", injected{status: 403, code: "unaudited_client_can_only_post_to_private_accounts"})
			return tok
		}, domain.CodeForbidden, 0, "SELF_ONLY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			tok := tc.setup(f, f.token("open-1"))
			// Pull only: in auto mode an unverified URL is uploaded instead (see upload_test.go).
			a := f.adapter(func(c *Config) { c.PollTimeout = 50 * time.Millisecond; c.UploadMode = UploadPull })
			_, err := a.Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("Launch", videoURL))
			var e *domain.Error
			if !asDomain(err, &e) || e.Code != tc.code {
				t.Fatalf("Publish = %v, want code %q", err, tc.code)
			}
			if e.RetryAfter != tc.retry {
				t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, tc.retry)
			}
			if !strings.HasPrefix(e.Message, "TikTok") || !strings.Contains(e.Message, tc.words) {
				t.Errorf("Message = %q, want a sentence naming TikTok with %q", e.Message, tc.words)
			}
			if strings.Contains(err.Error(), tok) || strings.Contains(e.Message, "injected") {
				t.Errorf("error %q leaks the token or the raw answer", err)
			}
		})
	}

	t.Run("NetworkErrorBeforeInitIsUnclassified", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		a := f.adapter(nil)
		f.srv.Close()
		_, err := a.Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", videoURL))
		var e *domain.Error
		if err == nil || asDomain(err, &e) || errors.Is(err, domain.ErrMaybePublished) {
			t.Fatalf("Publish = %v, want a plain error: nothing reached TikTok", err)
		}
	})

	t.Run("CancelledWhilePollingMayBePublished", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		f.statuses = []string{"PROCESSING_UPLOAD"}
		a := f.adapter(func(c *Config) { c.PollInterval = 20 * time.Millisecond; c.PollTimeout = time.Hour })
		// The caller gives up while TikTok, having accepted the video, answers the second
		// status poll: an event, not a wall-clock deadline that a busy machine could reach
		// before the video was even sent.
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		f.polling = func(polls int) {
			if polls == 2 {
				cancel()
			}
		}
		_, err := a.Publish(cctx, domain.Credentials{AccessToken: tok}, account(), pub("x", videoURL))
		if !errors.Is(err, domain.ErrMaybePublished) || !errors.Is(err, context.Canceled) {
			t.Fatalf("Publish = %v, want ErrMaybePublished wrapping the context error: TikTok has the video", err)
		}
	})
}

// The fake refuses an init that does not follow creator info, so the adapter's step order
// is checked by every publish test; this makes sure the guard itself works.
func TestFake_InitNeedsCreatorInfoFirst(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	tok := f.token("open-1")
	a := f.adapter(nil)
	err := a.call(context.Background(), http.MethodPost, "/v2/post/publish/video/init/", nil, tok, videoInit{
		PostInfo: postInfo{PrivacyLevel: PrivacyPublic}, SourceInfo: sourceInfo{Source: "PULL_FROM_URL", VideoURL: videoURL},
	}, nil)
	if got := domain.CodeOf(err); got != domain.CodeInvalid {
		t.Fatalf("init without creator info = %v, want invalid", err)
	}
}

func TestAdapter_Lookup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	setup := func(t *testing.T) (*fake, string) {
		f := newFake(t)
		u := f.users["open-1"]
		base := f.now.Unix()
		for i := range 30 {
			u.videos = append(u.videos, fakeVideo{id: "71" + string(rune('a'+i%26)) + string(rune('0'+i/26)), title: "video " + string(rune('A'+i)), createTime: base - int64(i)*60})
		}
		// The one Herald looks for is old: on the second page of 20.
		u.videos = append(u.videos, fakeVideo{id: "7999", title: "Launch day #go", createTime: base - 40*60})
		return f, f.token("open-1")
	}

	t.Run("FoundOnTheSecondPage", func(t *testing.T) {
		t.Parallel()
		f, tok := setup(t)
		got, found, err := f.adapter(nil).Lookup(ctx, domain.Credentials{AccessToken: tok}, account(), pub(" Launch day #go ", videoURL))
		if err != nil || !found {
			t.Fatalf("Lookup = %v, %v, %v; want found", got, found, err)
		}
		if got.ExternalID != "7999" || got.URL != "https://www.tiktok.com/@ada.creates/video/7999" || !got.At.Equal(f.now.Add(-40*time.Minute)) {
			t.Errorf("Lookup = %+v", got)
		}
		if n := f.count("/v2/video/list/"); n != 2 {
			t.Errorf("listed %d pages, want 2", n)
		}
	})

	t.Run("NotFoundCannotTell", func(t *testing.T) {
		t.Parallel()
		f, tok := setup(t)
		_, found, err := f.adapter(nil).Lookup(ctx, domain.Credentials{AccessToken: tok}, account(), pub("never posted", videoURL))
		if found || !errors.Is(err, ports.ErrLookupUnsupported) {
			t.Fatalf("Lookup = %v, %v; want ErrLookupUnsupported (private or moderated videos are not listed)", found, err)
		}
	})

	t.Run("ErrorsAreClassified", func(t *testing.T) {
		t.Parallel()
		f, tok := setup(t)
		f.access[tok].scopes = []string{"video.publish"}
		_, _, err := f.adapter(nil).Lookup(ctx, domain.Credentials{AccessToken: tok}, account(), pub("Launch day #go", videoURL))
		if got := domain.CodeOf(err); got != domain.CodeForbidden {
			t.Fatalf("CodeOf(Lookup without video.list) = %q, want forbidden; err = %v", got, err)
		}
	})
}

func TestAdapter_Metrics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("CountsAreMapped", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.users["open-1"].videos = []fakeVideo{{id: "7001", likes: 10, comments: 3, shares: 2, view: 500}, {id: "7002", likes: 99}}
		tok := f.token("open-1")
		got, err := f.adapter(nil).Metrics(ctx, domain.Credentials{AccessToken: tok}, account(), "7001")
		if err != nil {
			t.Fatal(err)
		}
		if want := (domain.Metrics{Likes: 10, Comments: 3, Shares: 2, Impressions: 500}); got != want {
			t.Errorf("Metrics = %+v, want %+v", got, want)
		}
	})

	t.Run("UnknownVideoIsNotFound", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		_, err := f.adapter(nil).Metrics(ctx, domain.Credentials{AccessToken: tok}, account(), "7404")
		if got := domain.CodeOf(err); got != domain.CodeNotFound {
			t.Fatalf("CodeOf = %q, want not_found; err = %v", got, err)
		}
	})

	t.Run("PublishIDIsUnsupportedWithoutACall", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		_, err := f.adapter(nil).Metrics(ctx, domain.Credentials{AccessToken: tok}, account(), "v_inbox_url~v2-1.3")
		if !errors.Is(err, ports.ErrMetricsUnsupported) || len(f.steps()) != 0 || !strings.Contains(domain.MessageOf(err), "inbox") {
			t.Fatalf("Metrics = %v after %v; want ErrMetricsUnsupported, saying why, without a call", err, f.steps())
		}
	})

	t.Run("WithoutVideoListIsForbidden", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.users["open-1"].videos = []fakeVideo{{id: "7001", likes: 10}}
		tok := f.token("open-1")
		f.access[tok].scopes = []string{"user.info.basic", "video.publish"}
		_, err := f.adapter(nil).Metrics(ctx, domain.Credentials{AccessToken: tok}, account(), "7001")
		if domain.CodeOf(err) != domain.CodeForbidden || errors.Is(err, ports.ErrMetricsUnsupported) {
			t.Fatalf("Metrics = %v; want forbidden, to be tried again once the account grants video.list", err)
		}
	})

	t.Run("RateLimited", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		f.failNext("/v2/video/query/", injected{status: 429, code: "rate_limit_exceeded", header: http.Header{"Retry-After": {"5"}}})
		_, err := f.adapter(nil).Metrics(ctx, domain.Credentials{AccessToken: tok}, account(), "7001")
		var e *domain.Error
		if !asDomain(err, &e) || e.Code != domain.CodeRateLimited || e.RetryAfter != 5*time.Second {
			t.Fatalf("Metrics = %v, want rate_limited after 5s", err)
		}
	})
}

// TestPublish_AfterInitOnlyFailedIsDefinite: once init accepted the video TikTok publishes
// it whatever Herald does, so an unreadable status or a video still processing at the
// deadline says the post may have been published: Herald must not send it again.
func TestPublish_AfterInitOnlyFailedIsDefinite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, setup := range map[string]func(f *fake){
		"status fetch fails": func(f *fake) {
			f.failNext("/v2/post/publish/status/fetch/", injected{status: 500, code: "internal_error"})
		},
		"still processing": func(f *fake) { f.statuses = []string{"PROCESSING_UPLOAD"} },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			tok := f.token("open-1")
			setup(f)
			a := f.adapter(func(c *Config) { c.PollTimeout = 50 * time.Millisecond })
			_, err := a.Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("Launch", videoURL))
			if !errors.Is(err, domain.ErrMaybePublished) {
				t.Fatalf("Publish = %v, want ErrMaybePublished: the video may still appear", err)
			}
			if strings.Contains(err.Error(), tok) {
				t.Errorf("error %q leaks the token", err)
			}
		})
	}
}
