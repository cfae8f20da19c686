package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
)

const (
	m1 domain.MediaID = "11111111-1111-4111-8111-111111111111"
	m2 domain.MediaID = "22222222-2222-4222-8222-222222222222"
	m3 domain.MediaID = "33333333-3333-4333-8333-333333333333"
)

func TestNewPost_MediaIDs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		in     domain.PostInput
		fields []string
	}{
		{"library files only", domain.PostInput{MediaIDs: []domain.MediaID{m1, m2}, AccountIDs: []domain.AccountID{"a-ig"}}, nil},
		{"a variant's own subset", domain.PostInput{Content: "x", MediaIDs: []domain.MediaID{m1, m2}, AccountIDs: []domain.AccountID{"a-li", "a-ig"},
			VariantMedia: map[domain.AccountID][]domain.MediaID{"a-li": {m2}}}, nil},
		{"a variant with no library file", domain.PostInput{Content: "x", MediaIDs: []domain.MediaID{m1}, AccountIDs: []domain.AccountID{"a-li"},
			VariantMedia: map[domain.AccountID][]domain.MediaID{"a-li": {}}}, nil},
		{"not an id", domain.PostInput{Content: "x", MediaIDs: []domain.MediaID{"../etc"}, AccountIDs: []domain.AccountID{"a-li"}}, []string{"media_ids[0]"}},
		{"twice", domain.PostInput{Content: "x", MediaIDs: []domain.MediaID{m1, m1}, AccountIDs: []domain.AccountID{"a-li"}}, []string{"media_ids[1]"}},
		{"a variant's file not among the post's", domain.PostInput{Content: "x", MediaIDs: []domain.MediaID{m1}, AccountIDs: []domain.AccountID{"a-li"},
			VariantMedia: map[domain.AccountID][]domain.MediaID{"a-li": {m3}}}, []string{"variants.a-li.media_ids[0]"}},
		{"a variant's files for an account not chosen", domain.PostInput{Content: "x", MediaIDs: []domain.MediaID{m1}, AccountIDs: []domain.AccountID{"a-li"},
			VariantMedia: map[domain.AccountID][]domain.MediaID{"a-ig": {m1}}}, []string{"variants.a-ig.media_ids"}},
		{"too many with the URLs", domain.PostInput{Content: "x", MediaIDs: []domain.MediaID{m1, m2},
			MediaURLs: strings.Split(strings.Repeat("https://h/a.jpg,", domain.MaxMediaURLs-1), ",")[:domain.MaxMediaURLs-1], AccountIDs: []domain.AccountID{"a-li"}}, []string{"media_ids"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := domain.NewPost("c1", "u1", tc.in, accts, t0)
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("NewPost: %v", err)
				}
				for _, target := range p.Targets {
					own, ok := tc.in.VariantMedia[target.AccountID]
					want := p.MediaIDs
					if ok {
						want = own
					}
					if got := p.MediaFor(target); strings.Join(ids(got), ",") != strings.Join(ids(want), ",") {
						t.Errorf("MediaFor(%s) = %v, want %v", target.AccountID, got, want)
					}
				}
				return
			}
			got := domain.SortedFields(domain.FieldsOf(err))
			if domain.CodeOf(err) != domain.CodeInvalid || strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("err = %v, fields %v, want %v", err, got, tc.fields)
			}
		})
	}
}

func ids(in []domain.MediaID) []string {
	out := make([]string, len(in))
	for i, id := range in {
		out[i] = string(id)
	}
	return out
}

func TestPost_LibraryChecks(t *testing.T) {
	t.Parallel()
	p := draft(t, domain.PostInput{Content: "Launch", MediaIDs: []domain.MediaID{m1, m2}, AccountIDs: []domain.AccountID{"a-li", "a-ig"},
		VariantMedia: map[domain.AccountID][]domain.MediaID{"a-ig": {m2}}})
	png := domain.Media{ID: m1, Name: "logo.png", MIMEType: domain.MIMEPNG, Size: 1000, Width: 500, Height: 500}
	tall := domain.Media{ID: m2, Name: "story.jpg", MIMEType: domain.MIMEJPEG, Size: 1000, Width: 1080, Height: 1920}

	if err := p.CheckLibrary(map[domain.MediaID]domain.Media{m1: png}); strings.Join(domain.SortedFields(domain.FieldsOf(err)), ",") != "media_ids[1]" {
		t.Errorf("a missing file: %v", err)
	}
	lib := map[domain.MediaID]domain.Media{m1: png, m2: tall}
	if err := p.CheckLibrary(lib); err != nil {
		t.Errorf("every file there: %v", err)
	}
	// LinkedIn takes both; Instagram gets only its own m2, whose 9:16 it refuses (and never
	// sees the PNG it would refuse too).
	err := p.CheckLibraryMedia(lib)
	fields := domain.FieldsOf(err)
	if len(fields) != 1 || !strings.Contains(fields["variants.a-ig.media_ids[0]"], "story.jpg is 1080×1920 pixels") {
		t.Errorf("CheckLibraryMedia = %v", fields)
	}
	if kinds := p.MediaKindsFor(p.Targets[0], lib); len(kinds) != 2 || kinds[0] != domain.MediaImage {
		t.Errorf("kinds for LinkedIn = %v", kinds)
	}
	if kinds := p.MediaKindsFor(p.Targets[0], nil); kinds[0] != domain.MediaUnknown {
		t.Errorf("kinds without the library = %v, want unknown", kinds)
	}
	if got := p.AllMediaIDs(); len(got) != 2 {
		t.Errorf("AllMediaIDs = %v", got)
	}
}

func TestMediaFacts_Check(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		facts domain.MediaFacts
		code  domain.Code
	}{
		{"a photo", domain.MediaFacts{MIMEType: domain.MIMEJPEG, Width: 4000, Height: 3000}, ""},
		{"a video", domain.MediaFacts{MIMEType: domain.MIMEMP4, Width: 1920, Height: 1080, Duration: time.Minute}, ""},
		{"bmp", domain.MediaFacts{MIMEType: "image/bmp", Width: 10, Height: 10}, domain.CodeUnsupported},
		{"no size", domain.MediaFacts{MIMEType: domain.MIMEPNG}, domain.CodeInvalid},
		{"too many pixels", domain.MediaFacts{MIMEType: domain.MIMEPNG, Width: 10000, Height: 6000}, domain.CodeInvalid},
		{"too wide", domain.MediaFacts{MIMEType: domain.MIMEPNG, Width: 20000, Height: 10}, domain.CodeInvalid},
		{"8K video", domain.MediaFacts{MIMEType: domain.MIMEMP4, Width: 7680, Height: 4320, Duration: time.Second}, domain.CodeInvalid},
		{"video of unknown length", domain.MediaFacts{MIMEType: domain.MIMEQuickTime, Width: 640, Height: 480}, domain.CodeInvalid},
		{"video too long", domain.MediaFacts{MIMEType: domain.MIMEMP4, Width: 640, Height: 480, Duration: time.Hour}, domain.CodeInvalid},
	} {
		err := tc.facts.Check()
		if domain.CodeOf(err) != tc.code && !(tc.code == "" && err == nil) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.code)
		}
	}
}

func TestCleanMediaName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"holiday.JPG":                "holiday.jpg",
		`C:\Users\ann\Desktop\a.png`: "a.png",
		"../../etc/passwd":           "passwd.jpg",
		"bad\x00name\n.gif":          "badname.gif",
		"":                           "upload.jpg",
		"clip.mov.exe":               "clip.mov.jpg",
		strings.Repeat("é", 300):     strings.Repeat("é", domain.MaxMediaNameRunes-4) + ".jpg",
	} {
		mime := domain.MIMEJPEG
		switch {
		case strings.HasSuffix(want, ".png"):
			mime = domain.MIMEPNG
		case strings.HasSuffix(want, ".gif"):
			mime = domain.MIMEGIF
		}
		if got := domain.CleanMediaName(in, mime); got != want {
			t.Errorf("CleanMediaName(%q) = %q, want %q", in, got, want)
		}
	}
	if _, err := domain.CheckAlt(strings.Repeat("a", domain.MaxAltRunes+1)); domain.FieldsOf(err)["alt"] == "" {
		t.Errorf("long alt: %v", err)
	}
	if alt, err := domain.CheckAlt("  A dog on a beach  "); err != nil || alt != "A dog on a beach" {
		t.Errorf("CheckAlt = %q, %v", alt, err)
	}
}

func TestPlan_FileAndStorageLimits(t *testing.T) {
	t.Parallel()
	free := domain.PlanFree.Limits()
	if err := domain.PlanFree.CheckFileSize(free.MaxFileBytes); err != nil {
		t.Errorf("a file at the limit: %v", err)
	}
	if err := domain.PlanFree.CheckFileSize(free.MaxFileBytes + 1); domain.CodeOf(err) != domain.CodeTooLarge || domain.CodeOf(err).HTTPStatus() != 413 {
		t.Errorf("a file over the limit: %v", err)
	}
	if err := domain.PlanFree.CheckStorage(free.StorageBytes-10, 11); domain.CodeOf(err) != domain.CodeTooLarge || !strings.Contains(err.Error(), "Free plan allows 2.0 GB") {
		t.Errorf("over the quota: %v", err)
	}
	if domain.PlanBusiness.Limits().StorageBytes <= domain.PlanPro.Limits().StorageBytes {
		t.Error("a bigger plan stores more")
	}
}
