package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// snippetJSON is a snippet as the API answers it.
type snippetJSON struct {
	ID        domain.SnippetID `json:"id"`
	Name      string           `json:"name"`
	Content   string           `json:"content"`
	Version   int              `json:"version"`
	CreatedAt string           `json:"created_at"`
	UpdatedAt string           `json:"updated_at"`
}

func toSnippet(s domain.Snippet) snippetJSON {
	return snippetJSON{ID: s.ID, Name: s.Name, Content: s.Content, Version: s.Version,
		CreatedAt: rfc3339(s.CreatedAt), UpdatedAt: rfc3339(s.UpdatedAt)}
}

// snippetInput is the body of POST /snippets and PUT /snippets/:id.
type snippetInput struct {
	Name    *string `json:"name"`
	Content *string `json:"content"`
}

func (in snippetInput) toDomain() (domain.SnippetInput, error) {
	v := domain.Violations{}
	if in.Name == nil {
		v.Add("name", "is required")
	}
	if in.Content == nil {
		v.Add("content", "is required")
	}
	if err := v.Err(); err != nil {
		return domain.SnippetInput{}, err
	}
	return domain.SnippetInput{Name: *in.Name, Content: *in.Content}, nil
}

// listSnippets handles GET /snippets: every snippet of the company (at most 500), by name.
func (a *API) listSnippets(c echo.Context) error {
	list, err := a.snippets.List(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	out := make([]snippetJSON, len(list))
	for i, s := range list {
		out[i] = toSnippet(s)
	}
	return c.JSON(http.StatusOK, newList(out, ""))
}

// getSnippet handles GET /snippets/:id.
func (a *API) getSnippet(c echo.Context) error {
	s, err := a.snippets.Get(c.Request().Context(), actor(c), domain.SnippetID(c.Param("id")))
	if err != nil {
		return err
	}
	return snippetAnswer(c, http.StatusOK, s)
}

// createSnippet handles POST /snippets.
func (a *API) createSnippet(c echo.Context) error {
	var body snippetInput
	if err := decode(c, &body); err != nil {
		return err
	}
	in, err := body.toDomain()
	if err != nil {
		return err
	}
	s, err := a.snippets.Create(c.Request().Context(), actor(c), in)
	if err != nil {
		return err
	}
	return snippetAnswer(c, http.StatusCreated, s)
}

// updateSnippet handles PUT /snippets/:id with If-Match.
func (a *API) updateSnippet(c echo.Context) error {
	var body snippetInput
	if err := decode(c, &body); err != nil {
		return err
	}
	in, err := body.toDomain()
	if err != nil {
		return err
	}
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	s, err := a.snippets.Update(c.Request().Context(), actor(c), domain.SnippetID(c.Param("id")), in, want)
	if err != nil {
		return err
	}
	return snippetAnswer(c, http.StatusOK, s)
}

// deleteSnippet handles DELETE /snippets/:id (If-Match optional).
func (a *API) deleteSnippet(c echo.Context) error {
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	if err := a.snippets.Delete(c.Request().Context(), actor(c), domain.SnippetID(c.Param("id")), want); err != nil {
		return err
	}
	return noContent(c)
}

func snippetAnswer(c echo.Context, status int, s domain.Snippet) error {
	setETag(c, s.Version)
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/snippets/"+string(s.ID))
	}
	return c.JSON(status, toSnippet(s))
}
