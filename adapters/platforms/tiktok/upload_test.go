package tiktok

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald/adapters/outbound"
	"github.com/heraldhq/herald/domain"
)

// clip returns n bytes standing for a video.
func clip(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

// repeat returns n copies of s.
func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestChunkRules_Plan(t *testing.T) {
	t.Parallel()
	const mb = 1 << 20
	r := tiktokChunkRules
	for _, tc := range []struct {
		size, preferred, chunk, count int64
	}{
		{1 * mb, 10 * mb, 1 * mb, 1},           // under 5 MB: whole
		{5*mb - 1, 10 * mb, 5*mb - 1, 1},       // still under 5 MB
		{5 * mb, 10 * mb, 5 * mb, 1},           // fits one preferred chunk
		{30 * mb, 10 * mb, 10 * mb, 3},         // exact chunks
		{35*mb + 123, 10 * mb, 10 * mb, 3},     // the last chunk takes the trailing bytes
		{64*mb + 1, 64 * mb, 32 * mb, 2},       // over 64 MB is never one chunk
		{4 << 30, 10 * mb, 10 * mb, 409},       // 4 GB
		{20 * mb, 1, 5 * mb, 4},                // a preference under 5 MB is raised
		{200 * mb, 1 << 30, 64 * mb, 3},        // a preference over 64 MB is lowered
		{10 << 30, 5 * mb, 10737419, 1000 - 1}, // more than 1000 chunks: bigger chunks
		{5000 * mb, 5 * mb, 5 * mb, 1000},      // exactly 1000
		{5000*mb + 1, 5 * mb, 5 * mb, 1000},    // one byte more goes to the last chunk
		{5005 * mb, 5 * mb, 5248123, 999},      // 1001 chunks of 5 MB: chunks grow
	} {
		chunk, count, err := r.plan(tc.size, tc.preferred)
		if err != nil || chunk != tc.chunk || count != tc.count {
			t.Errorf("plan(%d, %d) = %d, %d, %v; want %d, %d", tc.size, tc.preferred, chunk, count, err, tc.chunk, tc.count)
		}
	}
	if _, _, err := r.plan(0, 10*mb); err == nil {
		t.Error("plan(0) succeeded")
	}

	// Every plan passes the fake's check of TikTok's rules, at full scale.
	f := newFake(t)
	f.rules = tiktokChunkRules
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		size := rnd.Int64N(8<<30) + 1
		pref := rnd.Int64N(80 * mb)
		chunk, count, err := r.plan(size, pref)
		if err != nil {
			t.Fatalf("plan(%d, %d): %v", size, pref, err)
		}
		w := httptest.NewRecorder()
		if !f.checkVideoSource(w, videoSourceSeen{Source: "FILE_UPLOAD", VideoSize: &size, ChunkSize: &chunk, TotalChunkCount: &count}) {
			t.Fatalf("plan(%d, %d) = %d, %d breaks the rules: %s", size, pref, chunk, count, w.Body)
		}
	}
}

func TestPublish_FileUpload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Chunks of 10 KiB under the rules scaled by 1/1024 (testChunkRules).
	upload := func(mode string) func(*Config) {
		return func(c *Config) { c.AllowPrivateMedia, c.ChunkBytes, c.UploadMode = true, 10<<10, mode }
	}

	t.Run("AutoUploadsWhenTheURLIsNotVerified", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		video := clip(150<<10 + 777)
		u := f.mediaURL("launch.mp4", video)
		got, err := f.adapter(upload(UploadAuto)).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("Launch day #go", u))
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if !strings.HasPrefix(got.URL, "https://www.tiktok.com/@ada.creates/video/7") || got.ExternalID == "" {
			t.Errorf("Published = %+v", got)
		}
		want := []string{
			"POST /v2/post/publish/creator_info/query/", "POST /v2/post/publish/video/init/", // pull: url_ownership_unverified
			"GET /media/launch.mp4",
			"POST /v2/post/publish/creator_info/query/", "POST /v2/post/publish/video/init/",
		}
		want = append(want, repeat("PUT /upload/", 15)...)
		want = append(want, repeat("POST /v2/post/publish/status/fetch/", 3)...)
		if steps := f.steps(); !slices.Equal(steps, want) {
			t.Errorf("steps =\n%v\nwant\n%v", steps, want)
		}
		si := f.lastInit.SourceInfo
		if si["source"] != "FILE_UPLOAD" || si["video_size"] != int64(len(video)) || si["chunk_size"] != int64(10<<10) || si["total_chunk_count"] != int64(15) || si["video_url"] != nil {
			t.Errorf("source_info = %v", si)
		}
		if f.lastInit.PostInfo["title"] != "Launch day #go" {
			t.Errorf("post_info = %v", f.lastInit.PostInfo)
		}
		up := f.uploadOf(t)
		if up.digest() != hexSHA256(video) || !up.done {
			t.Errorf("TikTok received bytes with SHA-256 %.12s (done %v), want the video's", up.digest(), up.done)
		}
		for _, ct := range up.types {
			if ct != "video/mp4" {
				t.Errorf("chunk Content-Type = %q", ct)
			}
		}
	})

	t.Run("UploadModeSendsASmallVideoWhole", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		f.mediaType = "application/octet-stream" // the type then comes from the extension
		video := clip(3 << 10)                   // under the (scaled) 5 MB
		u := f.mediaURL("clip.mov", video)
		if _, err := f.adapter(upload(UploadFile)).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", u)); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		want := []string{"GET /media/clip.mov", "POST /v2/post/publish/creator_info/query/", "POST /v2/post/publish/video/init/", "PUT /upload/"}
		if steps := f.steps(); !slices.Equal(steps[:4], want) {
			t.Errorf("steps = %v, want %v then status", steps, want)
		}
		si := f.lastInit.SourceInfo
		if si["chunk_size"] != int64(len(video)) || si["total_chunk_count"] != int64(1) {
			t.Errorf("source_info = %v, want one chunk of the whole video", si)
		}
		if up := f.uploadOf(t); up.digest() != hexSHA256(video) || up.types[0] != "video/quicktime" {
			t.Errorf("upload = SHA-256 %.12s as %v", up.digest(), up.types)
		}
	})

	t.Run("PullModeDoesNotUpload", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		u := f.mediaURL("launch.mp4", clip(1000))
		_, err := f.adapter(upload(UploadPull)).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", u))
		if domain.CodeOf(err) != domain.CodeForbidden || f.count("/media/launch.mp4") != 0 {
			t.Fatalf("Publish = %v after %v; want forbidden without a download", err, f.steps())
		}
	})

	for name, tc := range map[string]struct {
		setup func(f *fake) string // returns the video URL
		mod   func(*Config)
		code  domain.Code
		words string
		inits int  // video inits TikTok saw
		maybe bool // TikTok may have the post (domain.ErrMaybePublished)
	}{
		"TooBigIsInvalid": {
			setup: func(f *fake) string { return f.mediaURL("big.mp4", clip(4000)) },
			mod:   func(c *Config) { c.MaxVideoBytes = 3999 },
			code:  domain.CodeInvalid, words: "larger",
		},
		"TooBigWithoutContentLengthIsInvalid": {
			setup: func(f *fake) string { f.noLength = true; return f.mediaURL("big.mp4", clip(4000)) },
			mod:   func(c *Config) { c.MaxVideoBytes = 100 },
			code:  domain.CodeInvalid, words: "larger",
		},
		"MissingVideoIsInvalid": {
			setup: func(f *fake) string { return f.srv.URL + "/media/nothing.mp4" },
			code:  domain.CodeInvalid, words: "downloaded",
		},
		"MediaServerErrorIsUnavailable": {
			setup: func(f *fake) string {
				f.failNext("/media/x.mp4", injected{status: 503, raw: "busy"})
				return f.mediaURL("x.mp4", clip(100))
			},
			code: domain.CodeUnavailable, words: "server",
		},
		"ChunkFailingBeforeTheLastIsDefinite": {
			setup: func(f *fake) string { f.chunkFail[2] = 500; return f.mediaURL("x.mp4", clip(30<<10)) },
			code:  domain.CodeUnavailable, words: "TikTok", inits: 1,
		},
		"LastChunkRefusedIsInvalid": {
			setup: func(f *fake) string { f.chunkFail[3] = 400; return f.mediaURL("x.mp4", clip(30<<10)) },
			code:  domain.CodeInvalid, words: "refused", inits: 1,
		},
		"LastChunkAnswerLostMayBePublished": {
			// TikTok got the whole file: the video may be published, so Herald reconciles.
			setup: func(f *fake) string { f.chunkFail[3] = 502; return f.mediaURL("x.mp4", clip(30<<10)) },
			code:  domain.CodeUnavailable, words: "may have received", inits: 1, maybe: true,
		},
		"LastChunkRateLimitedIsDefinite": {
			// A 429 refuses the chunk before TikTok takes it: the file stays incomplete.
			setup: func(f *fake) string { f.chunkFail[3] = 429; return f.mediaURL("x.mp4", clip(30<<10)) },
			code:  domain.CodeRateLimited, words: "too many requests", inits: 1,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			tok := f.token("open-1")
			u := tc.setup(f)
			a := f.adapter(func(c *Config) {
				upload(UploadFile)(c)
				if tc.mod != nil {
					tc.mod(c)
				}
			})
			_, err := a.Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", u))
			if got := domain.CodeOf(err); got != tc.code {
				t.Fatalf("Publish = %v (code %q), want %q", err, got, tc.code)
			}
			var e *domain.Error
			if tc.words != "" && (!asDomain(err, &e) || !strings.HasPrefix(e.Message, "TikTok") || !strings.Contains(e.Message, tc.words)) {
				t.Errorf("message of %v: want a sentence naming TikTok with %q", err, tc.words)
			}
			if n := f.count("/v2/post/publish/video/init/"); n != tc.inits {
				t.Errorf("%d inits, want %d", n, tc.inits)
			}
			if got := errors.Is(err, domain.ErrMaybePublished); got != tc.maybe {
				t.Errorf("errors.Is(%v, ErrMaybePublished) = %v, want %v", err, got, tc.maybe)
			}
			if strings.Contains(err.Error(), tok) {
				t.Errorf("error %q leaks the token", err)
			}
		})
	}

	t.Run("PrivateAddressIsRefusedBeforeConnecting", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		u := f.mediaURL("launch.mp4", clip(1000)) // on 127.0.0.1
		a := f.adapter(func(c *Config) { c.UploadMode = UploadFile })
		_, err := a.Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", u))
		var e *domain.Error
		if !asDomain(err, &e) || e.Code != domain.CodeInvalid || !strings.Contains(e.Message, "public") {
			t.Fatalf("Publish = %v, want invalid: not a public address", err)
		}
		if steps := f.steps(); len(steps) != 0 {
			t.Errorf("requests reached the server: %v", steps)
		}
	})

	t.Run("DefaultMediaClientRefusesLoopback", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/latest/meta-data/", http.StatusFound))
		defer srv.Close()
		_, err := New(Config{}).media.Get(srv.URL)
		if !outbound.Refused(err) {
			t.Fatalf("Get = %v, want refused by the outbound guard", err)
		}
	})

	t.Run("AllowedPrivateMediaStillRefusesMetadata", func(t *testing.T) {
		t.Parallel()
		// HERALD_MEDIA_ALLOW_PRIVATE reaches the fake on 127.0.0.1, but a redirect to the
		// metadata address is refused all the same.
		srv := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/latest/meta-data/", http.StatusFound))
		defer srv.Close()
		_, err := New(Config{AllowPrivateMedia: true}).media.Get(srv.URL)
		if !outbound.Refused(err) {
			t.Fatalf("Get = %v, want the redirect refused", err)
		}
	})
}

// uploadOf returns the one FILE_UPLOAD the fake received.
func (f *fake) uploadOf(t *testing.T) *upload {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var found *upload
	for _, p := range f.publishes {
		if p.upload != nil {
			if found != nil {
				t.Fatal("more than one upload")
			}
			found = p.upload
		}
	}
	if found == nil {
		t.Fatal("no upload")
	}
	return found
}

func TestPublish_Photos(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	photos := []string{"https://media.herald.example.com/a.jpg", "https://media.herald.example.com/b.webp", "https://media.herald.example.com/c.JPEG"}

	t.Run("PhotosArePostedDirectly", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.users["open-1"].commentDisabled = true
		tok := f.token("open-1")
		got, err := f.adapter(nil).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("Our week in photos", photos...))
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if !strings.HasPrefix(got.URL, "https://www.tiktok.com/@ada.creates/photo/7") || !strings.HasSuffix(got.URL, got.ExternalID) {
			t.Errorf("Published = %+v", got)
		}
		want := append([]string{"POST /v2/post/publish/creator_info/query/", "POST /v2/post/publish/content/init/"}, repeat("POST /v2/post/publish/status/fetch/", 3)...)
		if steps := f.steps(); !slices.Equal(steps, want) {
			t.Errorf("steps = %v, want %v", steps, want)
		}
		b := f.lastPhoto
		pi, si := b["post_info"].(map[string]any), b["source_info"].(map[string]any)
		if b["media_type"] != "PHOTO" || b["post_mode"] != "DIRECT_POST" || pi["description"] != "Our week in photos" ||
			pi["privacy_level"] != PrivacyPublic || pi["disable_comment"] != true || si["source"] != "PULL_FROM_URL" || si["photo_cover_index"] != float64(0) {
			t.Errorf("photo init = %v", b)
		}
		if imgs, _ := si["photo_images"].([]any); len(imgs) != 3 || imgs[1] != photos[1] {
			t.Errorf("photo_images = %v", si["photo_images"])
		}
	})

	t.Run("ThirtyFivePhotosAreTheMost", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		if _, err := f.adapter(nil).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", repeat(photos[0], 35)...)); err != nil {
			t.Fatalf("35 photos: %v", err)
		}
	})

	t.Run("UnverifiedPhotosAreForbiddenAndNeverUploaded", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.verified = []string{"https://other.example.com/"}
		tok := f.token("open-1")
		_, err := f.adapter(func(c *Config) { c.AllowPrivateMedia = true }).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", photos...))
		if domain.CodeOf(err) != domain.CodeForbidden {
			t.Fatalf("Publish = %v, want forbidden (photos are only pulled)", err)
		}
		if n := len(f.steps()); n != 2 {
			t.Errorf("steps = %v, want creator info and init only", f.steps())
		}
	})

	t.Run("FailedPhotoPostIsDefinite", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.statuses, f.failReason = []string{"FAILED"}, "picture_size_check_failed"
		tok := f.token("open-1")
		_, err := f.adapter(nil).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", photos...))
		if domain.CodeOf(err) != domain.CodeInvalid {
			t.Fatalf("Publish = %v, want invalid", err)
		}
	})
}

func TestPublish_Inbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inbox := func(c *Config) { c.PostMode = PostInbox }

	t.Run("VideoIsSentToTheInbox", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		got, err := f.adapter(inbox).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("Launch", videoURL))
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if !strings.HasPrefix(got.ExternalID, "v_inbox_url~") || got.URL != "" || !got.At.Equal(f.now) {
			t.Errorf("Published = %+v, want the publish id and no URL", got)
		}
		want := []string{"POST /v2/post/publish/inbox/video/init/", "POST /v2/post/publish/status/fetch/", "POST /v2/post/publish/status/fetch/"}
		if steps := f.steps(); !slices.Equal(steps, want) {
			t.Errorf("steps = %v, want %v (no creator info: nothing is posted)", steps, want)
		}
		if si := f.lastInbox["source_info"].(map[string]any); si["source"] != "PULL_FROM_URL" || si["video_url"] != videoURL {
			t.Errorf("inbox init = %v", f.lastInbox)
		}
	})

	t.Run("UploadedVideoIsSentToTheInbox", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		video := clip(20<<10 + 5)
		u := f.mediaURL("v.webm", video)
		f.mediaType = "video/webm"
		got, err := f.adapter(func(c *Config) {
			inbox(c)
			c.AllowPrivateMedia, c.ChunkBytes = true, 10<<10
		}).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", u))
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if !strings.HasPrefix(got.ExternalID, "v_inbox_file~") {
			t.Errorf("Published = %+v", got)
		}
		if up := f.uploadOf(t); up.digest() != hexSHA256(video) || up.types[0] != "video/webm" || len(up.types) != 2 {
			t.Errorf("upload = SHA-256 %.12s in %v", up.digest(), up.types)
		}
	})

	t.Run("PhotosAreSentToTheInbox", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		got, err := f.adapter(inbox).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", "https://media.herald.example.com/a.jpg"))
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		pi := f.lastPhoto["post_info"].(map[string]any)
		if f.lastPhoto["post_mode"] != "MEDIA_UPLOAD" || pi["privacy_level"] != "" || !strings.HasPrefix(got.ExternalID, "p_pub_url~") || got.URL != "" {
			t.Errorf("photo init = %v, Published = %+v", f.lastPhoto, got)
		}
	})

	t.Run("WithoutVideoUploadScopeIsForbidden", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		tok := f.token("open-1")
		f.access[tok].scopes = []string{"user.info.basic", "video.publish"}
		_, err := f.adapter(inbox).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", videoURL))
		if domain.CodeOf(err) != domain.CodeForbidden {
			t.Fatalf("Publish = %v, want forbidden", err)
		}
	})

	t.Run("DirectPostEndingInTheInboxIsNotSuccess", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.statuses = []string{"SEND_TO_USER_INBOX"}
		tok := f.token("open-1")
		_, err := f.adapter(nil).Publish(ctx, domain.Credentials{AccessToken: tok}, account(), pub("x", videoURL))
		if domain.CodeOf(err) != domain.CodeInvalid {
			t.Fatalf("Publish = %v, want invalid", err)
		}
	})
}

// The fake's guards are what check the adapter's uploads; make sure they refuse what TikTok
// refuses.
func TestFake_UploadGuards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t)
	tok := f.token("open-1")
	a := f.adapter(nil)
	initUpload := func(size, chunk, count int64) (initAnswer, error) {
		var ans initAnswer
		err := a.call(ctx, http.MethodPost, "/v2/post/publish/inbox/video/init/", nil, tok,
			inboxInit{SourceInfo: sourceInfo{Source: "FILE_UPLOAD", VideoSize: size, ChunkSize: chunk, TotalChunkCount: count}}, &ans)
		return ans, err
	}
	for _, bad := range [][3]int64{
		{30 << 10, 10 << 10, 4},     // count rounded up
		{3 << 10, 1 << 10, 3},       // under the minimum: must be whole
		{200 << 10, 80 << 10, 2},    // chunk over the maximum
		{100 << 10, 70 << 10, 1},    // over the maximum in one chunk
		{6000 << 10, 5 << 10, 1200}, // over 1000 chunks
	} {
		if _, err := initUpload(bad[0], bad[1], bad[2]); domain.CodeOf(err) != domain.CodeInvalid {
			t.Errorf("init %v = %v, want invalid", bad, err)
		}
	}

	ans, err := initUpload(20<<10, 10<<10, 2)
	if err != nil || ans.UploadURL == "" {
		t.Fatalf("init = %+v, %v", ans, err)
	}
	put := func(ctype, rng string, body []byte) int {
		req, _ := http.NewRequest(http.MethodPut, ans.UploadURL, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Content-Range", rng)
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	chunk := clip(10 << 10)
	// In order: the refusals first, then the two chunks.
	for _, tc := range []struct {
		name, ctype, rng string
		body             []byte
		want             int
	}{
		{"not a video type", "application/octet-stream", "bytes 0-10239/20480", chunk, 400},
		{"no Content-Range", "video/mp4", "", chunk, 400},
		{"wrong total", "video/mp4", "bytes 0-10239/20481", chunk, 400},
		{"out of order", "video/mp4", "bytes 10240-20479/20480", chunk, 416},
		{"range and body apart", "video/mp4", "bytes 0-10239/20480", chunk[:100], 400},
		{"first chunk", "video/mp4", "bytes 0-10239/20480", chunk, 206},
		{"last chunk", "video/mp4", "bytes 10240-20479/20480", chunk, 201},
	} {
		if got := put(tc.ctype, tc.rng, tc.body); got != tc.want {
			t.Errorf("%s: HTTP %d, want %d", tc.name, got, tc.want)
		}
	}
}
