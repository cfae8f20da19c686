package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/ports"
)

// idempotent replays the first answer to an authenticated POST repeated with the same
// Idempotency-Key and request (method, path, the company it acts in and body) within 24
// hours. It runs after authentication and, on company routes, after inCompany, so a caller
// who is no longer a member of the company is refused before anything is replayed, and the
// company in the fingerprint is the one resolved for the caller, not the header as sent.
// Answers that are server faults are not kept, so a retry runs again.
func (a *API) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.Request().Header.Get("Idempotency-Key")
		if key == "" || c.Request().Method != http.MethodPost {
			return next(c)
		}
		req := c.Request()
		body, err := readBody(req)
		if err != nil {
			return err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		return a.runOnce(c, key, fingerprint(c, body), func() error { return next(c) })
	}
}

// fingerprint identifies a request for Idempotency-Key: its method, path, the company it
// acts in, and content (the JSON body; an upload's form fields and file digest).
func fingerprint(c echo.Context, content []byte) []byte {
	req := c.Request()
	h := sha256.New()
	for _, part := range []string{req.Method, req.URL.Path, string(actor(c).CompanyID)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(content)
	return h.Sum(nil)
}

// runOnce runs the request under Idempotency-Key key, or replays the answer the first
// request with the same key and fingerprint got. Answers that are server faults are not
// kept, so a retry runs again.
func (a *API) runOnce(c echo.Context, key string, fingerprint []byte, run func() error) error {
	user := session(c).User.ID
	ctx := c.Request().Context()
	prior, err := a.idem.Begin(ctx, user, key, fingerprint)
	if err != nil {
		return err
	}
	if prior != nil {
		c.Response().Header().Set("Idempotent-Replayed", "true")
		return c.Blob(prior.Status, prior.ContentType, prior.Body)
	}
	rec := &recorder{ResponseWriter: c.Response().Writer}
	c.Response().Writer = rec
	if err := run(); err != nil {
		c.Error(err) // write the answer now, so it is recorded
	}
	st := c.Response().Status
	bg := context.WithoutCancel(ctx)
	if st >= 500 {
		return a.idem.Abandon(bg, user, key)
	}
	answer := rec.body.Bytes()
	if field, ok := c.Get(secretFieldKey).(string); ok {
		answer = withoutField(answer, field)
	}
	return a.idem.Finish(bg, user, key, ports.StoredAnswer{Status: st, ContentType: c.Response().Header().Get(echo.HeaderContentType), Body: answer})
}

// recorder keeps a copy of the answer body.
type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// secretFieldKey names the answer's field that holds a secret shown once.
const secretFieldKey = "herald.secret_field"

// keepSecretOutOfReplay says that the answer's field holds a secret shown once: the stored
// answer, replayed to a repeat of the request, leaves it out, so no secret is kept at rest.
func keepSecretOutOfReplay(c echo.Context, field string) { c.Set(secretFieldKey, field) }

// withoutField returns the JSON object body without field; other bodies unchanged.
func withoutField(body []byte, field string) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return body
	}
	delete(m, field)
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}
