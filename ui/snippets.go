package ui

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// snippetsPage lists the company's snippets with a form for a new one; Editing, when set,
// is the snippet whose edit form comes back with what the person typed and its problems.
type snippetsPage struct {
	Snippets []domain.Snippet
	New      form
	Editing  domain.SnippetID
	Edit     form
	Message  string // a refusal about no one form (a suspended company, a role)
}

// EditFor returns the edit form of snippet s: the typed one when s is being edited, else
// its stored values.
func (p snippetsPage) EditFor(s domain.Snippet) form {
	if s.ID == p.Editing {
		return p.Edit
	}
	return newForm(map[string]string{"name": s.Name, "content": s.Content, "version": strconv.Itoa(s.Version)})
}

// CanWriteSnippets is a display hint for the snippet forms.
func (v view) CanWriteSnippets() bool { return v.may(domain.ResourceSnippets, domain.ActionWrite) }

// snippets handles GET /snippets.
func (h *Handler) snippets(c echo.Context) error {
	return h.renderSnippets(c, http.StatusOK, snippetsPage{New: newForm(nil)})
}

func (h *Handler) renderSnippets(c echo.Context, status int, p snippetsPage) error {
	list, err := h.Snippets.List(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	p.Snippets = list
	if p.Editing != "" && p.Edit.Message != "" && !slices.ContainsFunc(list, func(s domain.Snippet) bool { return s.ID == p.Editing }) {
		p.Message = p.Edit.Message // the snippet is gone: no form to show it beside
	}
	return h.page(c, status, pageSnippets, p)
}

// keepsSnippetForm reports whether a refused snippet change comes back as the form the
// person typed, with the problem beside it.
func keepsSnippetForm(err error) bool {
	switch domain.CodeOf(err) {
	case domain.CodeInvalid, domain.CodeConflict, domain.CodeStale, domain.CodeSuspended, domain.CodeForbidden:
		return true
	}
	return false
}

// createSnippet handles POST /snippets.
func (h *Handler) createSnippet(c echo.Context) error {
	in := domain.SnippetInput{Name: c.FormValue("name"), Content: c.FormValue("content")}
	s, err := h.Snippets.Create(c.Request().Context(), actorOf(c), in)
	if keepsSnippetForm(err) {
		f := newForm(map[string]string{"name": in.Name, "content": in.Content}).withError(err)
		return h.renderSnippets(c, status(err), snippetsPage{New: f})
	}
	if err != nil {
		return err
	}
	h.flash(c, "The snippet "+s.Name+" was saved. Insert it from the composer's Insert snippet list.")
	return redirect(c, routePath("snippets"))
}

// updateSnippet handles POST /snippets/:id: the form's version guards against another
// person's change in between.
func (h *Handler) updateSnippet(c echo.Context) error {
	id := domain.SnippetID(c.Param("id"))
	in := domain.SnippetInput{Name: c.FormValue("name"), Content: c.FormValue("content")}
	version, _ := strconv.Atoi(c.FormValue("version"))
	s, err := h.Snippets.Update(c.Request().Context(), actorOf(c), id, in, version)
	if keepsSnippetForm(err) {
		f := newForm(map[string]string{"name": in.Name, "content": in.Content, "version": c.FormValue("version")}).withError(err)
		if domain.CodeOf(err) == domain.CodeStale {
			if cur, gerr := h.Snippets.Get(c.Request().Context(), actorOf(c), id); gerr == nil {
				// Saving again overwrites the other change on purpose: the person saw the warning.
				f.Values["version"] = strconv.Itoa(cur.Version)
			}
		}
		return h.renderSnippets(c, status(err), snippetsPage{New: newForm(nil), Editing: id, Edit: f})
	}
	if err != nil {
		return err
	}
	h.flash(c, "The snippet "+s.Name+" was saved.")
	return redirect(c, routePath("snippets"))
}

// deleteSnippet handles POST /snippets/:id/delete.
func (h *Handler) deleteSnippet(c echo.Context) error {
	id := domain.SnippetID(c.Param("id"))
	version, _ := strconv.Atoi(c.FormValue("version"))
	err := h.Snippets.Delete(c.Request().Context(), actorOf(c), id, version)
	if code := domain.CodeOf(err); code == domain.CodeStale || code == domain.CodeSuspended || code == domain.CodeForbidden {
		// The snippet as it is now, so the person sees what they would delete.
		cur, gerr := h.Snippets.Get(c.Request().Context(), actorOf(c), id)
		if gerr != nil {
			return h.renderSnippets(c, status(err), snippetsPage{New: newForm(nil), Message: domain.MessageOf(err)})
		}
		f := newForm(map[string]string{"name": cur.Name, "content": cur.Content, "version": strconv.Itoa(cur.Version)}).withError(err)
		return h.renderSnippets(c, status(err), snippetsPage{New: newForm(nil), Editing: id, Edit: f})
	}
	if err != nil {
		return err
	}
	h.flash(c, "The snippet was deleted.")
	return redirect(c, routePath("snippets"))
}
