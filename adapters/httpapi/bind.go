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
	return nil
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
