package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

const (
	sessionKey     = "ui.session"
	actorKey       = "ui.actor"
	membershipsKey = "ui.memberships"
	companyCookie  = "herald_company"
)

// signedIn resolves the session cookie and the current company; without a valid session
// it returns CodeUnauthenticated, which errors.go turns into the login page. A company that
// requires two-factor sign-in sends members without it to its setup (requireTwoFactor).
func (h *Handler) signedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		ck, err := c.Cookie(app.SessionCookie)
		if err != nil {
			return domain.Errorf(domain.CodeUnauthenticated, "Please sign in.")
		}
		s, err := h.Auth.AuthenticateSession(ctx, ck.Value)
		if err != nil {
			return err
		}
		c.Set(sessionKey, s)
		u, ms, err := h.Auth.Me(ctx, s.User.ID)
		if err != nil {
			return err
		}
		c.Set(membershipsKey, ms)
		c.Set(userZoneKey, u.TimeZone)
		c.Set(zoneKey, displayZone(c, u.TimeZone))
		actor := domain.Actor{UserID: s.User.ID, IsSuperadmin: s.User.IsSuperadmin, IP: c.RealIP(),
			Passkey: s.Token.Kind == domain.TokenSession && s.Token.Name == app.PasskeySessionName}
		want := ""
		if ck, err := c.Cookie(companyCookie); err == nil {
			want = ck.Value
		}
		for _, m := range ms {
			if string(m.CompanyID) == want {
				actor.CompanyID, actor.Role = m.CompanyID, m.Role
			}
		}
		if actor.CompanyID == "" && len(ms) > 0 {
			actor.CompanyID, actor.Role = ms[0].CompanyID, ms[0].Role
			h.setCompany(c, actor.CompanyID)
		}
		c.Set(actorKey, actor)
		if sent, err := h.requireTwoFactor(c); sent || err != nil {
			return err
		}
		return next(c)
	}
}

// OperatorOnly returns the guard of an operator tool mounted beside the web app (tool
// "jobs" is the job dashboard), guarded as the tenants page is: signed-out visitors are
// sent to the sign-in page, signed-in people who are not superadmins get 403. GET and HEAD
// need the right to look, other methods the right to change, and a change the tool
// accepted is audited as "<tool>.changed" with its method and path.
func (h *Handler) OperatorOnly(tool string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return h.signedIn(func(c echo.Context) error {
			ctx, r := c.Request().Context(), c.Request()
			read := r.Method == http.MethodGet || r.Method == http.MethodHead
			act := domain.ActionWrite
			if read {
				act = domain.ActionRead
			}
			if err := h.Admin.Authorize(ctx, actorOf(c), act); err != nil {
				return err
			}
			if err := next(c); err != nil || read || c.Response().Status >= 400 {
				return err
			}
			if err := h.Admin.RecordOperatorChange(ctx, actorOf(c), tool, map[string]string{"method": r.Method, "path": r.URL.Path}); err != nil {
				h.Log.ErrorContext(ctx, "audit an operator change", "tool", tool, "err", err)
			}
			return nil
		})
	}
}

func actorOf(c echo.Context) domain.Actor {
	a, _ := c.Get(actorKey).(domain.Actor)
	return a
}

func sessionOf(c echo.Context) domain.Session {
	s, _ := c.Get(sessionKey).(domain.Session)
	return s
}

func (h *Handler) setCompany(c echo.Context, id domain.CompanyID) {
	c.SetCookie(&http.Cookie{Name: companyCookie, Value: string(id), Path: "/", HttpOnly: true, Secure: h.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
}

func (h *Handler) startSession(c echo.Context, issued app.Issued) {
	c.SetCookie(&http.Cookie{Name: app.SessionCookie, Value: issued.Secret, Path: "/", HttpOnly: true, Secure: h.SecureCookies,
		SameSite: http.SameSiteLaxMode, Expires: issued.Token.ExpiresAt})
}

// registerPage is the registration form; with Invitation it joins that company and asks
// no company name.
type registerPage struct {
	form
	Invitation *domain.Invitation
	Token      string
}

// registerForm handles GET /register; ?token= opens an invitation (see renderRegister).
func (h *Handler) registerForm(c echo.Context) error {
	return h.renderRegister(c, http.StatusOK, newForm(nil), c.QueryParam("token"))
}

// renderRegister renders the registration form. With a token that works, the form joins
// its invitation, with the invited email filled in; with one that does not, it says so
// above the ordinary form.
func (h *Handler) renderRegister(c echo.Context, status int, f form, token string) error {
	p := registerPage{form: f}
	if token != "" {
		inv, err := h.Teams.InvitationFor(c.Request().Context(), token)
		switch domain.CodeOf(err) {
		case "":
			p.Invitation, p.Token = &inv, token
			if p.Values == nil {
				p.Values = map[string]string{"email": inv.Email}
			}
		case domain.CodeNotFound:
			p.Message = domain.MessageOf(err)
		default:
			return err
		}
	}
	return h.page(c, status, pageRegister, p)
}

// register handles POST /register: a new person with their own company, or, with an
// invitation token, joining the invitation's company. An email that has an account and
// its right password signs in instead, as login would. 422 with the form on bad input,
// values kept (never the password).
func (h *Handler) register(c echo.Context) error {
	r := app.Registration{Email: c.FormValue("email"), Password: c.FormValue("password"), Name: c.FormValue("name"),
		Company: c.FormValue("company"), InvitationToken: c.FormValue("token")}
	f := newForm(map[string]string{"email": r.Email, "name": r.Name, "company": r.Company})
	out, err := h.Auth.Register(c.Request().Context(), r, c.RealIP())
	switch domain.CodeOf(err) {
	case "":
		if out.Session.MFAToken != "" { // an existing account with two-factor sign-in: its second step
			next := ""
			if r.InvitationToken != "" {
				next = routePath("invitation") + "?token=" + url.QueryEscape(r.InvitationToken)
			}
			return h.renderMFA(c, out.Session, next)
		}
		h.startSession(c, out.Session)
		if out.Company.ID != "" {
			h.setCompany(c, out.Company.ID)
		}
		msg := "Welcome to Herald, " + out.User.Name + "!"
		if out.Existing {
			msg = "You already have a Herald account, so you are signed in to it."
		}
		if out.Joined != nil {
			msg += " You joined " + out.Joined.CompanyName + " as " + string(out.Joined.Role) + "."
		}
		if out.VerifyFirst {
			// The invitation waits on its page until the address is verified.
			h.flash(c, msg+" Verify your email address to accept the invitation: we emailed you a link.")
			to, err := withQuery(routePath("invitation"), "token", r.InvitationToken)
			if err != nil {
				return err
			}
			return redirect(c, to)
		}
		h.flash(c, msg)
		return redirect(c, routePath("home"))
	case domain.CodeInvalid, domain.CodeConflict, domain.CodeRateLimited, domain.CodeUnauthenticated, domain.CodeNotFound, domain.CodeLimit:
		st := formStatus(c, err)
		p := registerPage{form: f.withError(err)}
		if r.InvitationToken != "" && domain.CodeOf(err) != domain.CodeNotFound {
			if inv, ierr := h.Teams.InvitationFor(c.Request().Context(), r.InvitationToken); ierr == nil {
				p.Invitation, p.Token = &inv, r.InvitationToken
			}
		}
		return h.page(c, st, pageRegister, p)
	}
	return err
}

// acceptInvitationPage handles GET /invitations/accept?token=: signed in, it asks to
// confirm which account joins which company; signed out, it offers registration that
// joins. A link that does not work says so, and reveals nothing else.
func (h *Handler) acceptInvitationPage(c echo.Context) error {
	token := c.QueryParam("token")
	u, signedIn := h.optionalUser(c)
	if !signedIn {
		return h.renderRegister(c, http.StatusOK, newForm(nil), token)
	}
	// The guard fills in the layout's session and companies, as on every signed-in page.
	return h.signedIn(func(c echo.Context) error { return h.renderAccept(c, http.StatusOK, u, token, "") })(c)
}

// acceptPage is the confirmation of an invitation for a signed-in person.
type acceptPage struct {
	User       domain.User
	Invitation *domain.Invitation
	Token      string
	Message    string
}

func (h *Handler) renderAccept(c echo.Context, status int, u domain.User, token, message string) error {
	p := acceptPage{User: u, Token: token, Message: message}
	inv, err := h.Teams.InvitationFor(c.Request().Context(), token)
	switch domain.CodeOf(err) {
	case "":
		p.Invitation = &inv
	case domain.CodeNotFound:
		if p.Message == "" {
			p.Message = domain.MessageOf(err)
		}
		if status == http.StatusOK {
			status = http.StatusNotFound
		}
	default:
		return err
	}
	return h.page(c, status, pageAccept, p)
}

// acceptInvitation handles POST /invitations/accept: the signed-in person joins, and the
// company they joined becomes the current one.
func (h *Handler) acceptInvitation(c echo.Context) error {
	token := c.FormValue("token")
	s := sessionOf(c)
	m, err := h.Teams.AcceptInvitation(c.Request().Context(), domain.Actor{UserID: s.User.ID, IP: c.RealIP()}, token)
	switch domain.CodeOf(err) {
	case "":
		h.setCompany(c, m.CompanyID)
		h.flash(c, "You joined "+m.CompanyName+" as "+string(m.Role)+".")
		return redirect(c, routePath("home"))
	case domain.CodeNotFound, domain.CodeConflict, domain.CodeLimit, domain.CodeForbidden:
		// Forbidden: the address is not verified yet; the page offers to resend the link.
		return h.renderAccept(c, status(err), s.User, token, domain.MessageOf(err))
	}
	return err
}

// optionalUser returns the signed-in person on a page that is open to everyone.
func (h *Handler) optionalUser(c echo.Context) (domain.User, bool) {
	ck, err := c.Cookie(app.SessionCookie)
	if err != nil {
		return domain.User{}, false
	}
	s, err := h.Auth.Authenticate(c.Request().Context(), ck.Value)
	if err != nil {
		return domain.User{}, false
	}
	return s.User, true
}

// formStatus is the status of a form answered with its problems, from the one table
// (status), with Retry-After for 429. Handlers never choose a form's status themselves.
func formStatus(c echo.Context, err error) int {
	var de *domain.Error
	if domain.CodeOf(err) == domain.CodeRateLimited && errors.As(err, &de) {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(de.RetryAfter/time.Second)))
	}
	return status(err)
}

// loginForm handles GET /login; ?next= is where to go once signed in, when it is a path of
// this site (domain.LocalPath), such as an OAuth callback waiting for its starter.
func (h *Handler) loginForm(c echo.Context) error {
	return h.page(c, http.StatusOK, pageLogin, newForm(map[string]string{"next": domain.LocalPathOr(c.QueryParam("next"), "")}))
}

// login handles POST /login: signed in, the browser goes to the form's next (a path of this
// site) or home.
func (h *Handler) login(c echo.Context) error {
	email := c.FormValue("email")
	next := domain.LocalPathOr(c.FormValue("next"), "")
	f := newForm(map[string]string{"email": email, "next": next})
	_, issued, err := h.Auth.Login(c.Request().Context(), email, c.FormValue("password"), c.RealIP())
	switch domain.CodeOf(err) {
	case "":
		if issued.MFAToken != "" {
			return h.renderMFA(c, issued, next)
		}
		h.startSession(c, issued)
		return redirect(c, domain.LocalPathOr(next, routePath("home")))
	case domain.CodeUnauthenticated, domain.CodeRateLimited:
		return h.formError(c, pageLogin, f, err)
	}
	return err
}

// formError re-renders a form with its problems, answered with formStatus.
func (h *Handler) formError(c echo.Context, page string, f form, err error) error {
	return h.page(c, formStatus(c, err), page, f.withError(err))
}

// logout handles POST /logout.
func (h *Handler) logout(c echo.Context) error {
	if err := h.Auth.Logout(c.Request().Context(), sessionOf(c)); err != nil && domain.CodeOf(err) != domain.CodeNotFound {
		return err
	}
	c.SetCookie(&http.Cookie{Name: app.SessionCookie, Path: "/", MaxAge: -1, Expires: time.Unix(0, 0), HttpOnly: true, Secure: h.SecureCookies})
	h.flash(c, "You are signed out.")
	return redirect(c, routePath("login"))
}

// changePassword handles POST /profile/password: the current password and a new one. Every
// other session ends; this browser stays signed in. Problems come back beside their fields
// (422), the passwords never rendered back.
func (h *Handler) changePassword(c echo.Context) error {
	err := h.Auth.ChangePassword(c.Request().Context(), sessionOf(c),
		app.PasswordChange{Current: c.FormValue("current_password"), New: c.FormValue("new_password")})
	switch domain.CodeOf(err) {
	case "":
		h.flash(c, "Your password was changed. Every other session was signed out; this one stays signed in.")
		return redirect(c, routePath("profile")+"#password")
	case domain.CodeInvalid, domain.CodeRateLimited:
		saved, _ := c.Get(userZoneKey).(string)
		if de := (*domain.Error)(nil); errors.As(err, &de) && de.RetryAfter > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(de.RetryAfter/time.Second)))
		}
		return h.renderProfilePage(c, status(err), profilePage{Form: newForm(map[string]string{"time_zone": saved}),
			Deletion: newForm(nil), Password: newForm(nil).withError(err)})
	}
	return err
}

// logoutEverywhere handles POST /profile/logout-all: every session of the person ends, this
// one too; personal API tokens keep working.
func (h *Handler) logoutEverywhere(c echo.Context) error {
	if _, err := h.Auth.LogoutEverywhere(c.Request().Context(), sessionOf(c).User.ID); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: app.SessionCookie, Path: "/", MaxAge: -1, Expires: time.Unix(0, 0), HttpOnly: true, Secure: h.SecureCookies})
	h.flash(c, "You are signed out everywhere. Your personal API tokens still work; revoke them on the API tokens page if you need to.")
	return redirect(c, routePath("login"))
}

// createCompany handles POST /companies: another company owned by the user, made current.
func (h *Handler) createCompany(c echo.Context) error {
	name := c.FormValue("name")
	co, err := h.Auth.CreateCompany(c.Request().Context(), sessionOf(c).User.ID, name)
	if domain.CodeOf(err) == domain.CodeInvalid {
		return h.renderHome(c, formStatus(c, err), newForm(map[string]string{"name": name}).withError(err))
	}
	if err != nil {
		return err
	}
	h.setCompany(c, co.ID)
	h.flash(c, "Created "+co.Name+".")
	return redirect(c, routePath("home"))
}

// switchCompany handles POST /company/switch; a company the user is not in is not found.
func (h *Handler) switchCompany(c echo.Context) error {
	id := domain.CompanyID(c.FormValue("company_id"))
	ms, _ := c.Get(membershipsKey).([]domain.Membership)
	for _, m := range ms {
		if m.CompanyID == id {
			h.setCompany(c, id)
			return redirect(c, routePath("home"))
		}
	}
	return domain.Errorf(domain.CodeNotFound, "That company does not exist or you are not a member of it.")
}
