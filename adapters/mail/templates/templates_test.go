package templates_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald/adapters/mail/templates"
	"github.com/heraldhq/herald/domain"
)

func TestEveryEmailHasItsTemplate(t *testing.T) {
	s, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	names := s.Names()
	for _, want := range []string{domain.EmailInvitation, domain.EmailVerify, domain.EmailPasswordReset, domain.EmailNotification, domain.EmailDigest} {
		if !slices.Contains(names, want) {
			t.Errorf("no template %q (have %v)", want, names)
		}
		subject, text, html, err := s.Render(want, "", map[string]string{"link": "https://herald.example/x?token=abc", "name": "Ada",
			"company": "Acme", "inviter": "Bob", "role": "editor", "text": "A post failed.", "kind": "post_failed", "items": "[]"})
		if err != nil {
			t.Errorf("%s: %v", want, err)
			continue
		}
		if subject == "" || strings.ContainsAny(subject, "\r\n") {
			t.Errorf("%s: subject %q is empty or not one line", want, subject)
		}
		if want != domain.EmailDigest && (!strings.Contains(text, "https://herald.example/x?token=abc") || !strings.Contains(html, `href="https://herald.example/x?token=abc"`)) {
			t.Errorf("%s: the link is missing from the text or the HTML:\n%s\n%s", want, text, html)
		}
		if !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.Contains(html, "</html>") {
			t.Errorf("%s: HTML is not a whole document", want)
		}
	}
}

func TestRender_EscapesHTMLButNotText(t *testing.T) {
	s := templates.MustNew()
	evil := `<script>alert(1)</script> & "quotes"`
	subject, text, html, err := s.Render(domain.EmailNotification, "en", map[string]string{"text": evil, "company": "A&B",
		"link": "javascript:alert(1)", "kind": "mentioned", "name": "Ada", "unsubscribe": "https://h.example/unsubscribe/t"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") {
		t.Errorf("HTML does not escape the text:\n%s", html)
	}
	if strings.Contains(html, `href="javascript:`) {
		t.Errorf("HTML keeps a javascript: link:\n%s", html)
	}
	if !strings.Contains(text, evil) || !strings.Contains(subject, "A&B") {
		t.Errorf("plain text or subject altered the words: %q / %q", subject, text)
	}
	if !strings.Contains(text, "https://h.example/unsubscribe/t") || !strings.Contains(html, `href="https://h.example/unsubscribe/t"`) {
		t.Error("the unsubscribe link is missing")
	}
	if !strings.Contains(text, domain.NotifyMentioned.Title()) {
		t.Errorf("the text does not name the kind: %s", text)
	}
}

func TestRender_DigestListsItems(t *testing.T) {
	s := templates.MustNew()
	items, _ := json.Marshal([]templates.Item{{Kind: "post_failed", Text: "Launch post failed.", Link: "https://h.example/posts/1", Company: "Acme"},
		{Kind: "mentioned", Text: "Bob mentioned you.", Link: "https://h.example/posts/2", Company: "Beta <b>"}})
	subject, text, html, err := s.Render(domain.EmailDigest, "", map[string]string{"items": string(items), "name": "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(subject, "2 new") {
		t.Errorf("subject = %q", subject)
	}
	for _, w := range []string{"Launch post failed.", "https://h.example/posts/2", "Beta <b>"} {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}
	if !strings.Contains(html, "Beta &lt;b&gt;") {
		t.Errorf("HTML lacks the escaped company:\n%s", html)
	}
	if _, _, _, err := s.Render(domain.EmailDigest, "", map[string]string{"items": "{not json"}); err == nil {
		t.Error("a broken items list rendered")
	}
}

func TestRender_UnknownTemplateAndLanguage(t *testing.T) {
	s := templates.MustNew()
	if _, _, _, err := s.Render("no_such", "", nil); err == nil {
		t.Error("an unknown template rendered")
	}
	a, _, _, err := s.Render(domain.EmailVerify, "xx", map[string]string{"name": "Ada"})
	b, _, _, _ := s.Render(domain.EmailVerify, "en", map[string]string{"name": "Ada"})
	if err != nil || a != b {
		t.Errorf("an unknown language does not fall back to English: %q vs %q (%v)", a, b, err)
	}
}
