package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// decode reads a JSON body into v. It answers 415 for another content type, 400 for
// malformed JSON, 413 past the body limit, and 422 naming the field for unknown fields and
// values of the wrong type. An empty body decodes as {} for requests whose fields are all
// optional.
func decode(c echo.Context, v any) error {
	req := c.Request()
	body, err := readBody(req)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	} else if mt, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType)); err != nil || mt != echo.MIMEApplicationJSON {
		return &echo.HTTPError{Code: http.StatusUnsupportedMediaType, Message: "send Content-Type: application/json"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return domain.Errorf(domain.CodeBadRequest, "The request body holds more than one JSON value.")
	}
	return checkText(body)
}

// checkText returns CodeInvalid naming every string of the JSON body (and every object
// key) that holds a NUL character or is not valid UTF-8: PostgreSQL cannot store the first,
// and the decoder would silently turn the second into U+FFFD. Fields are named by their
// path: "content", "variants.<id>.content", "media_urls[0]".
func checkText(body []byte) error {
	nul, invalid := bytes.Contains(body, []byte(`\u0000`)), !utf8.Valid(body)
	if !nul && !invalid {
		return nil
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return domain.Errorf(domain.CodeBadRequest, "The request body is not valid JSON.")
	}
	v := domain.Violations{}
	var walk func(path string, x any)
	check := func(path, s string) {
		switch {
		case strings.IndexByte(s, 0) >= 0:
			v.Add(path, domain.ProblemNUL)
		case invalid && strings.ContainsRune(s, utf8.RuneError):
			// Only a body with bytes that are not UTF-8 gets here; they decoded as U+FFFD.
			v.Add(path, domain.ProblemEncoded)
		}
	}
	walk = func(path string, x any) {
		switch x := x.(type) {
		case string:
			check(path, x)
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case map[string]any:
			for k, e := range x {
				p := k
				if path != "" {
					p = path + "." + k
				}
				check(p, k)
				walk(p, e)
			}
		}
	}
	walk("", doc)
	if len(v) == 0 { // a NUL-looking escape such as "\\u0000", or invalid bytes nowhere in a string
		return nil
	}
	return domain.BadText(v)
}

// checkAddress answers 400 when a path or query parameter holds a NUL character or bytes
// that are not UTF-8: such an address names nothing, and must never reach the database.
func checkAddress(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		for i, name := range c.ParamNames() {
			if i < len(c.ParamValues()) && domain.TextProblem(c.ParamValues()[i]) != "" {
				return domain.Errorf(domain.CodeBadRequest, "The address's %s holds a NUL character or bytes that are not UTF-8.", name)
			}
		}
		for name, vals := range c.QueryParams() {
			for _, val := range append(vals, name) {
				if domain.TextProblem(val) != "" {
					return domain.Errorf(domain.CodeBadRequest, "The query parameter %q holds a NUL character or bytes that are not UTF-8.", strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", ""), ""))
				}
			}
		}
		return next(c)
	}
}

// readBody reads the whole body: 413 past the body limit, 400 when it cannot be read.
func readBody(req *http.Request) ([]byte, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		var he *echo.HTTPError
		if errors.As(err, &tooLarge) || (errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge) {
			return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		return nil, domain.Errorf(domain.CodeBadRequest, "The request body could not be read.")
	}
	return body, nil
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Errorf(domain.CodeBadRequest, "The request body is not valid JSON.")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return domain.Errorf(domain.CodeBadRequest, "The request body must be a JSON object.")
		}
		return domain.InvalidField(field, fmt.Sprintf("must be a %s", jsonKind(typ.Type.Kind().String())))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return domain.InvalidField(name, "is not a field of this request")
	}
	return domain.Errorf(domain.CodeBadRequest, "The request body is not valid JSON.")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "int", "int64", "int32", "uint", "float64":
		return "number"
	case "bool":
		return "boolean"
	case "slice":
		return "list"
	case "map", "struct":
		return "object"
	}
	return goKind
}
