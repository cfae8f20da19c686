package ui

import (
	"encoding/base64"

	"github.com/heraldhq/herald/domain"
)

// form is a submitted form: the values to show again and the problems to show beside them.
type form struct {
	Values  map[string]string
	Errors  map[string]string
	Message string
}

func newForm(values map[string]string) form {
	return form{Values: values, Errors: map[string]string{}}
}

// withError fills the form's problems from err: field errors beside their fields, anything
// else (already made safe by domain.MessageOf) at the top.
func (f form) withError(err error) form {
	if fields := domain.FieldsOf(err); len(fields) > 0 {
		for k, v := range fields {
			f.Errors[k] = v
		}
	}
	f.Message = domain.MessageOf(err)
	return f
}

func encodeFlash(msg string) string { return base64.RawURLEncoding.EncodeToString([]byte(msg)) }

func decodeFlash(s string) string {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 500 {
		return ""
	}
	return string(b)
}
