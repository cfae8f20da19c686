package httpapi

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// setETag sends a resource's version as its strong ETag.
func setETag(c echo.Context, version int) {
	c.Response().Header().Set("ETag", `"`+strconv.Itoa(version)+`"`)
}

// ifMatch returns the version named by If-Match: 0 when absent or "*"; a value that is not
// one of our ETags can never match, so it is CodeStale (412).
func ifMatch(c echo.Context) (int, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	for _, tag := range strings.Split(h, ",") {
		tag = strings.Trim(strings.TrimPrefix(strings.TrimSpace(tag), "W/"), `"`)
		if v, err := strconv.Atoi(tag); err == nil && v > 0 {
			return v, nil // several tags: the first of ours is the one we check
		}
	}
	return 0, domain.Errorf(domain.CodeStale, "If-Match does not name a version of this resource.")
}
