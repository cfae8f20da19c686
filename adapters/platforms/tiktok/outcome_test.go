package tiktok

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// The init is the create step only when TikTok pulls the media: a FILE_UPLOAD init whose
// answer is lost leaves TikTok without the file, so nothing can be published.
func TestPublish_LostInitAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("PullMayBePublishedAndLookupFindsItOnceListed", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		a := f.adapter(nil)
		f.loseInit = true
		p := pub("Launch day #go", videoURL)
		_, err := a.Publish(ctx, domain.Credentials{AccessToken: tok}, account(), p)
		if !errors.Is(err, domain.ErrMaybePublished) || domain.CodeOf(err) != domain.CodeUnavailable {
			t.Fatalf("Publish = %v, want ErrMaybePublished", err)
		}
		if strings.Contains(err.Error(), tok) || strings.Contains(domain.MessageOf(err), "127.0.0.1") {
			t.Errorf("error %q leaks the token or an address to a person", err)
		}
		// Not listed yet (processing, moderation): TikTok cannot tell.
		if _, found, err := a.Lookup(ctx, domain.Credentials{AccessToken: tok}, account(), p); found || !errors.Is(err, ports.ErrLookupUnsupported) {
			t.Fatalf("Lookup before TikTok lists it = %v, %v; want ErrLookupUnsupported", found, err)
		}
		// TikTok finishes the post (the fake walks it through its statuses) and lists it.
		f.mu.Lock()
		var id string
		for pid, pp := range f.publishes {
			if pp.text == p.Text {
				id = pid
			}
		}
		f.mu.Unlock()
		for range 3 {
			if err := a.call(ctx, "POST", "/v2/post/publish/status/fetch/", nil, tok, map[string]string{"publish_id": id}, nil); err != nil {
				t.Fatal(err)
			}
		}
		got, found, err := a.Lookup(ctx, domain.Credentials{AccessToken: tok}, account(), p)
		if err != nil || !found || !strings.HasPrefix(got.ExternalID, "7") {
			t.Fatalf("Lookup once public = %+v, %v, %v; want the video", got, found, err)
		}
	})

	t.Run("FileUploadIsDefinite", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		u := f.mediaURL("x.mp4", clip(30<<10))
		a := f.adapter(func(c *Config) { c.UploadMode, c.AllowPrivateMedia, c.ChunkBytes = UploadFile, true, 10<<10 })
		f.loseInit = true
		_, err := a.Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", u))
		if err == nil || errors.Is(err, domain.ErrMaybePublished) {
			t.Fatalf("Publish = %v, want a definite error: TikTok never got the file", err)
		}
		if n := f.count("/upload/"); n != 0 {
			t.Errorf("%d chunks sent without an upload_url", n)
		}
	})

	t.Run("PhotoPullMayBePublished", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		f.loseInit = true
		_, err := f.adapter(nil).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", "https://media.herald.example.com/a.jpg"))
		if !errors.Is(err, domain.ErrMaybePublished) {
			t.Fatalf("Publish = %v, want ErrMaybePublished", err)
		}
	})

	t.Run("AcceptedWithoutPublishIDMayBePublished", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		f.failNext("/v2/post/publish/video/init/", injected{status: 200, raw: `{"data":{},"error":{"code":"ok","message":"","log_id":"x"}}`})
		_, err := f.adapter(nil).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", videoURL))
		if !errors.Is(err, domain.ErrMaybePublished) {
			t.Fatalf("Publish = %v, want ErrMaybePublished", err)
		}
	})

	t.Run("GatewayErrorAfterPullInitMayBePublished", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		f.failNext("/v2/post/publish/video/init/", injected{status: 504, raw: "<html>Gateway Timeout</html>"})
		_, err := f.adapter(nil).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", videoURL))
		if !errors.Is(err, domain.ErrMaybePublished) {
			t.Fatalf("Publish = %v, want ErrMaybePublished: a gateway answered, not TikTok", err)
		}
	})

	t.Run("TikTokRefusalIsDefinite", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		f.failNext("/v2/post/publish/video/init/", injected{status: 500, code: "internal_error"})
		_, err := f.adapter(nil).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", videoURL))
		if domain.CodeOf(err) != domain.CodeUnavailable || errors.Is(err, domain.ErrMaybePublished) {
			t.Fatalf("Publish = %v, want unavailable and definite: TikTok answered with its error", err)
		}
	})
}

// Inbox mode needs video.upload only; direct posting video.publish (and video.list for
// metrics and lookup). Herald asks for and requires exactly what the mode uses.
// https://developers.tiktok.com/doc/content-posting-api-get-started-upload-content/
// https://developers.tiktok.com/doc/content-posting-api-get-started/
func TestScopesFollowThePostMode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inbox := func(c *Config) { c.PostMode = PostInbox }

	t.Run("InboxAsksForVideoUploadOnly", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		u, _ := url.Parse(f.adapter(inbox).AuthCodeURL("s", "", f.redirectURI))
		if got := u.Query().Get("scope"); got != "user.info.basic,video.upload" {
			t.Errorf("scope = %q, want user.info.basic,video.upload", got)
		}
	})

	t.Run("InboxConnectsWithoutVideoPublish", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.grantScope = "user.info.basic,video.upload"
		ids, err := f.adapter(inbox).Exchange(ctx, f.code("open-1"), "", f.redirectURI)
		if err != nil || len(ids) != 1 || !slices.Equal(ids[0].Credentials.Scopes, []string{"user.info.basic", "video.upload"}) {
			t.Fatalf("Exchange = %+v, %v", ids, err)
		}
		// And it posts to the inbox with that grant (init and status).
		_, err = f.adapter(inbox).Publish(ctx, ids[0].Credentials, account(), pub("x", videoURL))
		if err != nil {
			t.Fatalf("Publish to the inbox with video.upload only: %v", err)
		}
	})

	t.Run("InboxWithoutVideoUploadIsForbidden", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.grantScope = "user.info.basic,video.publish"
		_, err := f.adapter(inbox).Exchange(ctx, f.code("open-1"), "", f.redirectURI)
		if domain.CodeOf(err) != domain.CodeForbidden || !strings.Contains(domain.MessageOf(err), "inbox") {
			t.Fatalf("Exchange = %v, want forbidden naming the inbox", err)
		}
	})

	t.Run("DirectWithoutVideoPublishIsForbidden", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.grantScope = "user.info.basic,video.upload"
		_, err := f.adapter(nil).Exchange(ctx, f.code("open-1"), "", f.redirectURI)
		if domain.CodeOf(err) != domain.CodeForbidden {
			t.Fatalf("Exchange = %v, want forbidden", err)
		}
	})

	t.Run("InboxLookupCannotTellWithoutACall", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		_, found, err := f.adapter(inbox).Lookup(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", videoURL))
		if found || !errors.Is(err, ports.ErrLookupUnsupported) || len(f.steps()) != 0 {
			t.Fatalf("Lookup = %v, %v after %v; want ErrLookupUnsupported without a call", found, err, f.steps())
		}
	})
}
