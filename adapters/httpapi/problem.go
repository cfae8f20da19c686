package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// problem is an RFC 9457 problem answer.
type problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail"`
	Errors []fieldError `json:"errors,omitempty"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// status is the API's status for code: domain's one table (Code.HTTPStatus).
func status(code domain.Code) int { return code.HTTPStatus() }

// HandleError writes err as a problem answer. Echo's own errors (unknown route, body too
// large, CSRF) keep their status; internal errors are logged with the request id and
// answered without detail.
func HandleError(err error, c echo.Context, log *slog.Logger) {
	if c.Response().Committed {
		return
	}
	p := toProblem(err)
	if p.Status >= 500 && domain.CodeOf(err) != domain.CodeUnavailable { // a 503 says what to do; nothing to log
		log.ErrorContext(c.Request().Context(), "request failed", "err", err, "request_id", c.Response().Header().Get(echo.HeaderXRequestID),
			"method", c.Request().Method, "path", c.Path())
	}
	var de *domain.Error
	if errors.As(err, &de) && de.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(de.RetryAfter.Seconds())))
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	_ = c.JSON(p.Status, p)
}

func toProblem(err error) problem {
	var he *echo.HTTPError
	if errors.As(err, &he) && domain.CodeOf(err) == domain.CodeInternal {
		return echoProblem(he)
	}
	code := domain.CodeOf(err)
	st := status(code)
	p := problem{Type: "urn:herald:problem:" + string(code), Title: http.StatusText(st), Status: st, Detail: domain.MessageOf(err)}
	fields := domain.FieldsOf(err)
	for _, f := range domain.SortedFields(fields) {
		p.Errors = append(p.Errors, fieldError{Field: f, Message: fields[f]})
	}
	return p
}

// echoProblem turns Echo's errors (routing, body limit, CSRF) into problems without
// passing on internal text.
func echoProblem(he *echo.HTTPError) problem {
	st := he.Code
	detail := http.StatusText(st)
	code := "http_" + strconv.Itoa(st)
	switch st {
	case http.StatusNotFound:
		detail, code = "There is nothing at this address.", string(domain.CodeNotFound)
	case http.StatusMethodNotAllowed:
		detail = "This address does not accept that method."
	case http.StatusRequestEntityTooLarge:
		detail, code = "The request body is too large: at most 10 MiB (32 MiB for POST /posts/bulk).", "too_large"
	case http.StatusForbidden:
		detail, code = "The request was refused: a cross-site request or a missing CSRF token.", "csrf"
	case http.StatusBadRequest:
		detail, code = "The request is malformed (a missing CSRF token?).", string(domain.CodeBadRequest)
	case http.StatusTooManyRequests:
		detail, code = "Too many requests. Slow down and try again.", string(domain.CodeRateLimited)
	case http.StatusServiceUnavailable:
		detail = "The service is not available right now."
	}
	if st >= 500 {
		detail, code = "Something went wrong on our side. It has been logged; please try again.", string(domain.CodeInternal)
	}
	return problem{Type: "urn:herald:problem:" + code, Title: http.StatusText(st), Status: st, Detail: detail}
}
