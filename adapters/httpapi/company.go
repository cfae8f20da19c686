package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// brandVoiceJSON is a company's brand voice, as the settings page edits it.
type brandVoiceJSON struct {
	Description     string   `json:"description"`
	AvoidWords      []string `json:"avoid_words"`
	DefaultHashtags []string `json:"default_hashtags"`
}

// companySettingsJSON is GET /company: the company with its time zone and brand voice.
type companySettingsJSON struct {
	companyJSON
	TimeZone   string         `json:"time_zone"`
	BrandVoice brandVoiceJSON `json:"brand_voice"`
	Usage      usageJSON      `json:"usage"`  // this month's use of the plan
	Limits     limitsJSON     `json:"limits"` // the plan's limits; null: unlimited
	Require2FA bool           `json:"require_2fa"`
	// Approvals: who needs approval before posts are scheduled ("editors", "everyone", "api", "ai").
	Approvals []domain.ApprovalRule `json:"approvals"`
}

func toCompanySettings(s app.CompanySettings) companySettingsJSON {
	v := brandVoiceJSON{Description: s.Voice.Description, AvoidWords: s.Voice.AvoidWords, DefaultHashtags: s.Voice.DefaultHashtags}
	if v.AvoidWords == nil {
		v.AvoidWords = []string{}
	}
	if v.DefaultHashtags == nil {
		v.DefaultHashtags = []string{}
	}
	return companySettingsJSON{companyJSON: toCompany(s.Company), TimeZone: s.TimeZone, BrandVoice: v,
		Usage: toUsage(s.Usage), Limits: toLimits(s.Company.Plan.Limits()), Require2FA: s.Require2FA,
		Approvals: append([]domain.ApprovalRule{}, s.Approvals...)}
}

// getCompanySettings handles GET /company: the caller's company's settings, with its
// version as the ETag.
func (a *API) getCompanySettings(c echo.Context) error {
	s, err := a.teams.Settings(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	setETag(c, s.Company.Version)
	return c.JSON(http.StatusOK, toCompanySettings(s))
}

// updateCompanySettings handles PUT /company: name and time_zone (owners), brand_voice
// and require_2fa (owners and admins); an absent field is left as it is, under If-Match.
func (a *API) updateCompanySettings(c echo.Context) error {
	var in struct {
		Name       *string `json:"name"`
		TimeZone   *string `json:"time_zone"`
		BrandVoice *struct {
			Description     string   `json:"description"`
			AvoidWords      []string `json:"avoid_words"`
			DefaultHashtags []string `json:"default_hashtags"`
		} `json:"brand_voice"`
		Require2FA *bool     `json:"require_2fa"`
		Approvals  *[]string `json:"approvals"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	u := app.CompanyUpdate{Name: in.Name, TimeZone: in.TimeZone, Require2FA: in.Require2FA, Approvals: in.Approvals}
	if in.BrandVoice != nil {
		u.Voice = &domain.BrandVoice{Description: in.BrandVoice.Description, AvoidWords: in.BrandVoice.AvoidWords, DefaultHashtags: in.BrandVoice.DefaultHashtags}
	}
	s, err := a.teams.UpdateSettings(c.Request().Context(), actor(c), u, want)
	if err != nil {
		return err
	}
	setETag(c, s.Company.Version)
	return c.JSON(http.StatusOK, toCompanySettings(s))
}

// createCompany handles POST /companies: another company owned by the caller, on the
// free plan as in the web app. The answer's id goes in X-Company-ID.
func (a *API) createCompany(c echo.Context) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	co, err := a.auth.CreateCompany(c.Request().Context(), session(c).User.ID, in.Name)
	if msg := domain.FieldsOf(err)["company"]; msg != "" {
		return domain.InvalidField("name", msg) // the app names the field as registration's form does
	}
	if err != nil {
		return err
	}
	setETag(c, co.Version)
	return c.JSON(http.StatusCreated, toCompany(co))
}

// aiUsageJSON is the company's AI tokens this month against its plan's allowance.
type aiUsageJSON struct {
	Month            string `json:"month"` // "2026-11"
	PromptTokens     int64  `json:"prompt_tokens"`
	CompletionTokens int64  `json:"completion_tokens"`
	UsedTokens       int64  `json:"used_tokens"`
	Allowance        *int64 `json:"allowance"` // null: unlimited
	Configured       bool   `json:"configured"`
}

// aiUsage handles GET /ai/usage: what the settings page shows of the month's AI usage.
func (a *API) aiUsage(c echo.Context) error {
	u, err := a.ai.Usage(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, aiUsageJSON{Month: u.Month.Format("2006-01"), PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens,
		UsedTokens: u.PromptTokens + u.CompletionTokens, Allowance: limit(u.Allowance), Configured: a.ai.Configured()})
}
