package httpapi

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// OpenAPI is the API's OpenAPI 3.1 document: every route Register adds, with its
// parameters, bodies, answers and problems, and the webhook events Herald sends.
// openapi_test.go checks that it names exactly the registered routes, and cmd/herald's API
// tests validate every answer they get against its schemas.
//
//go:embed openapi.json
var OpenAPI []byte

// openAPIETag is the document's strong ETag: it changes only with the binary.
var openAPIETag = func() string {
	sum := sha256.Sum256(OpenAPI)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
}()

// DocsCSP is the Content-Security-Policy of the reference page alone. Swagger UI runs from
// Herald's own /static with no inline script or style element; it sets styles through the
// DOM, loads the document with fetch (connect-src 'self') and draws icons as data: images.
// "Try it out" calls this same Herald only.
const DocsCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"

// serveOpenAPI handles GET /openapi.json: the document, without credentials, revalidated
// by its ETag.
func serveOpenAPI(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=300, must-revalidate")
	h.Set("ETag", openAPIETag)
	if match := c.Request().Header.Get("If-None-Match"); match != "" && strings.Contains(match, openAPIETag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, OpenAPI)
}

// docsPage is the API reference: Swagger UI (ui/static/vendor, VERSIONS.md there) started
// by /static/api-docs.js on the document.
const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald API reference</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/vendor/swagger-ui-5.35.0.css">
</head>
<body>
<noscript><p>This reference needs JavaScript. The document itself is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></noscript>
<div id="swagger-ui" data-openapi="/api/v1/openapi.json"></div>
<script src="/static/vendor/swagger-ui-bundle-5.35.0.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
`

// serveDocs handles GET /docs: the reference page, under DocsCSP.
func serveDocs(c echo.Context) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentSecurityPolicy, DocsCSP)
	h.Set("Cache-Control", "public, max-age=300, must-revalidate")
	return c.HTML(http.StatusOK, docsPage)
}
