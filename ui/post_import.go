package ui

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// importPage is the CSV import: the upload form, a refused file's reason, or the preview
// of every row (each bad one with its reasons) and the form that schedules the good ones.
type importPage struct {
	Refused string // why the file was refused as a whole
	File    string // the file's name
	Rows    []importRow
	Ready   int    // rows that can be scheduled
	CSV     string // the file's text, sent back with "Schedule N posts"
	Saved   int    // posts scheduled by the last request (0: a preview)
}

// MaxRows is the most posts one file may hold.
func (importPage) MaxRows() int { return app.MaxBulkPosts }

// Bad counts the rows with problems.
func (p importPage) Bad() int { return len(p.Rows) - p.Ready }

// importPosts handles GET /posts/import: the upload form.
func (h *Handler) importPosts(c echo.Context) error {
	return h.page(c, http.StatusOK, pageImport, importPage{})
}

// importTemplateFile handles GET /posts/import/template.csv: an example file to fill in.
func (h *Handler) importTemplateFile(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="herald-import.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", []byte(importTemplate))
}

// previewImport handles POST /posts/import/preview: the uploaded file read and every row
// checked as scheduling would check it, nothing saved. A refused file answers 422 with the
// form and the reason.
func (h *Handler) previewImport(c echo.Context) error {
	if err := h.mayImport(c); err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return h.page(c, http.StatusUnprocessableEntity, pageImport, importPage{Refused: "Choose a CSV file to import."})
	}
	if fh.Size > maxImportBytes {
		return h.page(c, http.StatusUnprocessableEntity, pageImport, importPage{File: fh.Filename,
			Refused: fmt.Sprintf("The file is larger than %d MiB; split it into several files.", maxImportBytes>>20)})
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxImportBytes+1))
	if err != nil {
		return err
	}
	return h.importRows(c, data, fh.Filename, false)
}

// createImport handles POST /posts/import: the previewed file, sent back, is read and
// checked again, and its good rows are scheduled through the bulk use case; the posts
// page follows (303) saying how many were scheduled and how many rows were left out. When
// none could be scheduled, the page shows every row with its reasons.
func (h *Handler) createImport(c echo.Context) error {
	return h.importRows(c, []byte(c.FormValue("csv")), c.FormValue("file_name"), true)
}

// importRows reads data, finds each row's accounts and media, and checks (save false) or
// schedules (save true) the rows without problems through one bulk request.
func (h *Handler) importRows(c echo.Context, data []byte, name string, save bool) error {
	ctx, actor := c.Request().Context(), actorOf(c)
	if err := h.mayImport(c); err != nil {
		return err
	}
	rows, err := parseImport(data, zoneOf(c))
	if err != nil {
		if domain.CodeOf(err) != domain.CodeInvalid {
			return err
		}
		return h.page(c, http.StatusUnprocessableEntity, pageImport, importPage{File: name, Refused: "This file cannot be imported: it " + domain.FieldsOf(err)["file"] + "."})
	}
	_, accounts, err := h.accountNames(c)
	if err != nil {
		return err
	}
	resolveImport(rows, accounts, h.libraryLookup(c))
	var items []app.BulkPost
	var at []int
	for i, r := range rows {
		if r.OK() {
			items = append(items, r.bulkPost())
			at = append(at, i)
		}
	}
	p := importPage{File: name, CSV: string(data), Rows: rows}
	if len(items) > 0 {
		check := h.Posts.CheckMany
		if save {
			check = h.Posts.CreateMany
		}
		results, err := check(ctx, actor, items)
		if err != nil {
			return err
		}
		for j, res := range results {
			if res.Err != nil {
				rows[at[j]].Problems = importProblems(res.Err)
			} else if save {
				p.Saved++
			}
		}
	}
	for _, r := range rows {
		if r.OK() {
			p.Ready++
		}
	}
	if save && p.Saved > 0 {
		msg := fmt.Sprintf("Scheduled %d posts from %s.", p.Saved, name)
		if left := len(rows) - p.Saved; left > 0 {
			msg += fmt.Sprintf(" Left out: %d %s with problems.", left, map[bool]string{true: "row", false: "rows"}[left == 1])
		}
		h.flash(c, msg)
		return c.Redirect(http.StatusSeeOther, routePath("posts"))
	}
	return h.page(c, http.StatusOK, pageImport, p)
}

// libraryLookup returns how the import finds a media library file by its name (in any
// case), or nil when this Herald has no library.
func (h *Handler) libraryLookup(c echo.Context) func(string) (domain.MediaID, bool) {
	if !h.Media.Enabled() {
		return nil
	}
	found := map[string]domain.MediaID{}
	return func(name string) (domain.MediaID, bool) {
		key := strings.ToLower(name)
		if id, ok := found[key]; ok {
			return id, id != ""
		}
		files, _, err := h.Media.List(c.Request().Context(), actorOf(c), domain.MediaFilter{Query: name}, ports.Page{Limit: 50})
		found[key] = ""
		if err == nil {
			for _, f := range files {
				if strings.EqualFold(f.Name, name) {
					found[key] = f.ID
					break
				}
			}
		}
		return found[key], found[key] != ""
	}
}

// mayImport refuses an import, before its file is read, in a suspended company or to a
// role that cannot write posts; the bulk use case checks again.
func (h *Handler) mayImport(c echo.Context) error {
	if err := suspension(c); err != nil {
		return err
	}
	if h.Admin != nil && !h.Admin.Allows(c.Request().Context(), actorOf(c), domain.ResourcePosts, domain.ActionWrite) {
		return domain.Errorf(domain.CodeForbidden, "Your role cannot write posts in this company.")
	}
	return nil
}
