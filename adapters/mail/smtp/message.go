package smtp

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// buildMessage returns msg as an RFC 5322 message from from: multipart/alternative with
// the text and the HTML, each UTF-8 in quoted-printable, lines ending in CRLF. A field
// that holds a line break or is malformed is CodeInvalid, so no header can be injected.
func buildMessage(from mail.Address, msg ports.MailMessage, now time.Time) ([]byte, error) {
	v := domain.Violations{}
	for name, s := range map[string]string{"to": msg.To, "subject": msg.Subject, "message_id": msg.MessageID,
		"unsubscribe": msg.Unsubscribe, "from": from.Name + from.Address} {
		if strings.ContainsAny(s, "\r\n\x00") {
			v.Add(name, "must not contain line breaks")
		} else if !utf8.ValidString(s) {
			v.Add(name, "must be UTF-8")
		}
	}
	if v["to"] == "" {
		if a, err := mail.ParseAddress(msg.To); err != nil || a.Name != "" || a.Address != msg.To {
			v.Add("to", "must be one plain address such as ana@example.com")
		}
	}
	if v["message_id"] == "" && !validMessageID(msg.MessageID) {
		v.Add("message_id", "must look like <id@host>")
	}
	if v["unsubscribe"] == "" && msg.Unsubscribe != "" && (strings.ContainsAny(msg.Unsubscribe, "<> \t") ||
		!(strings.HasPrefix(msg.Unsubscribe, "https://") || strings.HasPrefix(msg.Unsubscribe, "http://"))) {
		v.Add("unsubscribe", "must be an http(s) address")
	}
	if msg.Text == "" && msg.HTML == "" {
		v.Add("text", "the email has no body")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}

	var b bytes.Buffer
	h := func(name, value string) { fmt.Fprintf(&b, "%s: %s\r\n", name, value) }
	h("From", from.String())
	h("To", msg.To)
	h("Subject", mime.QEncoding.Encode("utf-8", msg.Subject))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", msg.MessageID)
	if msg.Unsubscribe != "" {
		h("List-Unsubscribe", "<"+msg.Unsubscribe+">")
		h("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	h("MIME-Version", "1.0")
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	boundary := "herald-" + hex.EncodeToString(rnd[:])
	h("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": boundary}))
	b.WriteString("\r\n")
	for _, part := range []struct{ kind, body string }{{"text/plain", msg.Text}, {"text/html", msg.HTML}} {
		if part.body == "" {
			continue
		}
		fmt.Fprintf(&b, "--%s\r\n", boundary)
		fmt.Fprintf(&b, "Content-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", part.kind)
		qp := quotedprintable.NewWriter(&b)
		// Quoted-printable keeps the body's own line breaks; SMTP wants CRLF.
		body := strings.ReplaceAll(strings.ReplaceAll(part.body, "\r\n", "\n"), "\n", "\r\n")
		if _, err := qp.Write([]byte(body)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes(), nil
}

// validMessageID reports whether id is <left@right> with nothing that could end the field.
func validMessageID(id string) bool {
	inner, ok := strings.CutPrefix(id, "<")
	if !ok {
		return false
	}
	inner, ok = strings.CutSuffix(inner, ">")
	if !ok {
		return false
	}
	left, right, ok := strings.Cut(inner, "@")
	return ok && left != "" && right != "" && !strings.ContainsAny(inner, "<> \t\"()[]\\,;:")
}
