package ui

import (
	"encoding/hex"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// mediaFileCSP forbids a served file everything a page could do: opened in a browser,
// an SVG or HTML that slipped past the type checks could run nothing.
const mediaFileCSP = "default-src 'none'; sandbox"

// MediaFilePath returns the path at which the web app serves the media library file a
// signed token names; token is what app.MediaConfig.FileURL receives (the token, a
// slash and the escaped file name), so cmd/herald's FileURL is the base URL followed by
// MediaFilePath(token).
func MediaFilePath(token string) string {
	return strings.TrimSuffix(routeIndex["media.file"].path, ":token/:name") + token
}

// mediaFile handles GET and HEAD /media/files/:token/:name: the bytes of a library file
// (or its preview) to anyone holding an unexpired signed token, as platforms fetching
// media carry no credentials. Range requests and If-None-Match are answered by
// http.ServeContent; a bad, expired or revoked token is a 404 that does not say which.
func (h *Handler) mediaFile(c echo.Context) error {
	f, err := h.Media.OpenSigned(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	defer f.Object.Close()
	etag := hex.EncodeToString(f.Media.SHA256)
	if f.Name != f.Media.Name { // the preview, made from the file: a representation of its own
		etag += "-preview"
	}
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentType, f.Type)
	hd.Set("ETag", `"`+etag+`"`)
	disposition := mime.FormatMediaType("inline", map[string]string{"filename": f.Name})
	if disposition == "" {
		disposition = "inline"
	}
	hd.Set("Content-Disposition", disposition)
	hd.Set(echo.HeaderXContentTypeOptions, "nosniff")
	hd.Set(echo.HeaderContentSecurityPolicy, mediaFileCSP)
	// Private: the address is a credential, which shared caches must not keep or serve.
	hd.Set("Cache-Control", "private, max-age=3600")
	http.ServeContent(c.Response(), c.Request(), f.Name, f.Object.ModTime(), f.Object)
	return nil
}
