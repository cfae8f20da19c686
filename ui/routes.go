package ui

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// route is one route of the web app. Templates and handlers build paths from its name
// (path in templates, routePath in Go), never by writing the path out, so a path is
// spelled once: here. The name is also the Echo route's Name, so Echo's Reverse agrees.
type route struct {
	name, method, path string
	handle             func(*Handler, echo.Context) error
	guard              routeGuard
}

// routeGuard is the middleware a route gets.
type routeGuard int

const (
	guardNone     routeGuard = iota // static files
	guardOpen                       // signed in or out: checkText only
	guardSignedIn                   // the sign-in guard, then checkText
	guardExternal                   // registered by another package; listed for links only
)

// routeTable is every route of the web app, in registration order, plus the pages of
// other packages the web app links to (guardExternal). Register adds the routes to Echo;
// routeIndex, built from the same table at start-up, answers path and routePath.
//
// Signed-in routes get the guard one by one: an Echo group with middleware at "/" would
// also catch unknown paths and send them to the sign-in page instead of a 404.
func routeTable() []route {
	get, post := http.MethodGet, http.MethodPost
	return []route{
		{"static", get, "/static/*", (*Handler).serveStatic, guardNone},
		{"favicon", get, "/favicon.ico", (*Handler).favicon, guardNone},
		{"register", get, "/register", (*Handler).registerForm, guardOpen},
		{"register.submit", post, "/register", (*Handler).register, guardOpen},
		{"login", get, "/login", (*Handler).loginForm, guardOpen},
		{"login.submit", post, "/login", (*Handler).login, guardOpen},
		{"password.reset", get, "/password-reset", (*Handler).passwordResetForm, guardOpen},
		{"password.reset.submit", post, "/password-reset", (*Handler).requestPasswordReset, guardOpen},
		{"password.reset.confirm", get, "/password-reset/confirm", (*Handler).passwordResetConfirmForm, guardOpen},
		{"password.reset.confirm.submit", post, "/password-reset/confirm", (*Handler).confirmPasswordReset, guardOpen},
		{"verify.email", get, "/verify-email", (*Handler).verifyEmailPage, guardOpen},
		{"verify.email.submit", post, "/verify-email", (*Handler).verifyEmail, guardOpen},
		{"login.passkey.begin", post, "/login/passkey/begin", (*Handler).beginPasskeyLogin, guardOpen},
		{"login.passkey.finish", post, "/login/passkey/finish", (*Handler).finishPasskeyLogin, guardOpen},
		{"login.mfa", post, "/login/mfa", (*Handler).loginMFA, guardOpen},
		// Open signed in or out: signed out it offers registration (see acceptInvitationPage).
		{"invitation", get, "/invitations/accept", (*Handler).acceptInvitationPage, guardOpen},
		// Media library files at signed addresses, for anyone holding one (platforms fetch
		// them without credentials); ui.MediaFilePath builds them for app.MediaConfig.FileURL.
		// Unsubscribe links in emails work signed in or out (app.Mail.UnsubscribePath); the
		// CSRF check skips only the one-click POST mail clients send (OneClickUnsubscribe).
		{"unsubscribe", get, "/unsubscribe/:token", (*Handler).unsubscribeForm, guardOpen},
		{"unsubscribe.submit", post, "/unsubscribe/:token", (*Handler).unsubscribe, guardOpen},
		{"media.file", get, "/media/files/:token/:name", (*Handler).mediaFile, guardOpen},
		{"media.file.head", http.MethodHead, "/media/files/:token/:name", (*Handler).mediaFile, guardOpen},
		// A review link's page, for clients without an account: the token is the capability.
		{"client_review", get, "/review/:token", (*Handler).clientReview, guardOpen},
		{"client_review.answer", post, "/review/:token/answers", (*Handler).answerReview, guardOpen},

		{"logout", post, "/logout", (*Handler).logout, guardSignedIn},
		{"home", get, "/", (*Handler).home, guardSignedIn},
		{"home.events", get, "/home/events", (*Handler).homeEvents, guardSignedIn},
		{"company.create", post, "/companies", (*Handler).createCompany, guardSignedIn},
		{"company.switch", post, "/company/switch", (*Handler).switchCompany, guardSignedIn},
		{"team", get, "/team", (*Handler).team, guardSignedIn},
		{"member.add", post, "/team/members", (*Handler).addMember, guardSignedIn},
		{"member.role", post, "/team/members/:user_id/role", (*Handler).changeRole, guardSignedIn},
		{"member.approver", post, "/team/members/:user_id/approver", (*Handler).setApprover, guardSignedIn},
		{"team.approvals", post, "/team/approvals", (*Handler).saveApprovals, guardSignedIn},
		{"member.remove", post, "/team/members/:user_id/remove", (*Handler).removeMember, guardSignedIn},
		{"invitation.renew", post, "/team/invitations/:id/renew", (*Handler).renewInvitation, guardSignedIn},
		{"invitation.revoke", post, "/team/invitations/:id/revoke", (*Handler).revokeInvitation, guardSignedIn},
		{"invitation.accept", post, "/invitations/accept", (*Handler).acceptInvitation, guardSignedIn},
		{"verify.email.resend", post, "/verify-email/resend", (*Handler).resendVerification, guardSignedIn},
		{"tokens", get, "/tokens", (*Handler).tokens, guardSignedIn},
		{"token.create", post, "/tokens", (*Handler).createToken, guardSignedIn},
		{"token.revoke", post, "/tokens/:id/revoke", (*Handler).revokeToken, guardSignedIn},
		{"tenants", get, "/admin/tenants", (*Handler).tenants, guardSignedIn},
		{"tenant", get, "/admin/tenants/:id", (*Handler).tenant, guardSignedIn},
		{"tenant.update", post, "/admin/tenants/:id", (*Handler).updateTenant, guardSignedIn},
		{"profile", get, "/profile", (*Handler).profile, guardSignedIn},
		{"notifications", get, "/notifications", (*Handler).notifications, guardSignedIn},
		{"notifications.panel", get, "/notifications/panel", (*Handler).notificationsPanel, guardSignedIn},
		{"notifications.events", get, "/notifications/events", (*Handler).notificationEvents, guardSignedIn},
		{"notifications.read", post, "/notifications/read", (*Handler).markNotificationsRead, guardSignedIn},
		{"notifications.settings", get, "/notifications/settings", (*Handler).notificationSettings, guardSignedIn},
		{"notifications.settings.save", post, "/notifications/settings", (*Handler).saveNotificationSettings, guardSignedIn},
		{"profile.update", post, "/profile", (*Handler).updateProfile, guardSignedIn},
		{"profile.password", post, "/profile/password", (*Handler).changePassword, guardSignedIn},
		{"profile.logout_all", post, "/profile/logout-all", (*Handler).logoutEverywhere, guardSignedIn},
		{"profile.export", get, "/profile/export", (*Handler).exportMe, guardSignedIn},
		{"profile.delete", post, "/profile/delete", (*Handler).deleteMe, guardSignedIn},
		{"passkeys", get, "/profile/passkeys", (*Handler).passkeys, guardSignedIn},
		{"passkey.begin", post, "/profile/passkeys/begin", (*Handler).beginPasskeyRegistration, guardSignedIn},
		{"passkey.finish", post, "/profile/passkeys/finish", (*Handler).finishPasskeyRegistration, guardSignedIn},
		{"passkey.rename", post, "/profile/passkeys/:id/rename", (*Handler).renamePasskey, guardSignedIn},
		{"passkey.delete", post, "/profile/passkeys/:id/delete", (*Handler).deletePasskey, guardSignedIn},
		{"two_factor", get, "/profile/two-factor", (*Handler).twoFactor, guardSignedIn},
		{"two_factor.begin", post, "/profile/two-factor/begin", (*Handler).beginTwoFactor, guardSignedIn},
		{"two_factor.confirm", post, "/profile/two-factor/confirm", (*Handler).confirmTwoFactor, guardSignedIn},
		{"two_factor.disable", post, "/profile/two-factor/disable", (*Handler).disableTwoFactor, guardSignedIn},
		{"two_factor.recovery_codes", post, "/profile/two-factor/recovery-codes", (*Handler).renewRecoveryCodes, guardSignedIn},
		{"accounts", get, "/accounts", (*Handler).accounts, guardSignedIn},
		{"account.connect", post, "/accounts/connect/:platform", (*Handler).connectAccount, guardSignedIn},
		{"account.disconnect", post, "/accounts/:id/disconnect", (*Handler).disconnectAccount, guardSignedIn},
		{"account.retry_failed", post, "/accounts/:id/retry-failed", (*Handler).retryFailed, guardSignedIn},
		{"posts", get, "/posts", (*Handler).posts, guardSignedIn},
		{"post.new", get, "/posts/new", (*Handler).newPost, guardSignedIn},
		{"post.import", get, "/posts/import", (*Handler).importPosts, guardSignedIn},
		{"post.import.template", get, "/posts/import/template.csv", (*Handler).importTemplateFile, guardSignedIn},
		{"post.import.preview", post, "/posts/import/preview", (*Handler).previewImport, guardSignedIn},
		{"post.import.create", post, "/posts/import", (*Handler).createImport, guardSignedIn},
		{"post.suggest", post, "/posts/suggest", (*Handler).suggest, guardSignedIn},
		{"post.create", post, "/posts", (*Handler).createPost, guardSignedIn},
		{"post.preview", post, "/posts/preview", (*Handler).previewPost, guardSignedIn},
		{"post", get, "/posts/:id", (*Handler).showPost, guardSignedIn},
		{"post.update", post, "/posts/:id", (*Handler).updatePost, guardSignedIn},
		{"post.edit", get, "/posts/:id/edit", (*Handler).editPost, guardSignedIn},
		{"post.status", get, "/posts/:id/status", (*Handler).postStatus, guardSignedIn},
		{"post.events", get, "/posts/:id/events", (*Handler).postEvents, guardSignedIn},
		{"post.schedule", post, "/posts/:id/schedule", (*Handler).schedulePost, guardSignedIn},
		{"post.unschedule", post, "/posts/:id/unschedule", (*Handler).unschedulePost, guardSignedIn},
		{"post.retry", post, "/posts/:id/retry", (*Handler).retryPost, guardSignedIn},
		{"post.delete", post, "/posts/:id/delete", (*Handler).deletePost, guardSignedIn},
		{"post.queue", post, "/posts/:id/queue", (*Handler).queuePost, guardSignedIn},
		{"post.submit", post, "/posts/:id/submit", (*Handler).submitPost, guardSignedIn},
		{"post.approve", post, "/posts/:id/approve", (*Handler).approvePost, guardSignedIn},
		{"post.reject", post, "/posts/:id/reject", (*Handler).rejectPost, guardSignedIn},
		{"review", get, "/review", (*Handler).review, guardSignedIn},
		{"post.comments", get, "/posts/:id/comments", (*Handler).postComments, guardSignedIn},
		{"post.comment.add", post, "/posts/:id/comments", (*Handler).addPostComment, guardSignedIn},
		{"post.comments.events", get, "/posts/:id/comments/events", (*Handler).postCommentEvents, guardSignedIn},
		{"post.review_link.create", post, "/posts/:id/review-links", (*Handler).createReviewLink, guardSignedIn},
		{"review_link.revoke", post, "/review-links/:id/revoke", (*Handler).revokeReviewLink, guardSignedIn},
		{"queue", get, "/queue", (*Handler).queue, guardSignedIn},
		{"queue.save", post, "/queue", (*Handler).saveQueue, guardSignedIn},
		{"queue.swap", post, "/queue/swap", (*Handler).swapQueue, guardSignedIn},
		{"post.duplicate", post, "/posts/:id/duplicate", (*Handler).duplicatePost, guardSignedIn},
		{"post.target.resolve", post, "/posts/:id/targets/:account_id/resolve", (*Handler).resolveTarget, guardSignedIn},
		{"post.comment.retry", post, "/posts/:id/targets/:account_id/comment/retry", (*Handler).retryComment, guardSignedIn},
		{"post.comment.resolve", post, "/posts/:id/targets/:account_id/comment/resolve", (*Handler).resolveComment, guardSignedIn},
		{"media.library", get, "/media", (*Handler).mediaLibrary, guardSignedIn},
		{"media.upload", post, "/media", (*Handler).uploadMedia, guardSignedIn},
		{"media.picker", get, "/media/picker", (*Handler).mediaPicker, guardSignedIn},
		{"media.tiles", get, "/media/tiles", (*Handler).mediaTiles, guardSignedIn},
		{"media.show", get, "/media/:id", (*Handler).showMedia, guardSignedIn},
		{"media.alt", post, "/media/:id/alt", (*Handler).saveAlt, guardSignedIn},
		{"media.delete", post, "/media/:id/delete", (*Handler).deleteMedia, guardSignedIn},
		{"snippets", get, "/snippets", (*Handler).snippets, guardSignedIn},
		{"snippet.create", post, "/snippets", (*Handler).createSnippet, guardSignedIn},
		{"snippet.update", post, "/snippets/:id", (*Handler).updateSnippet, guardSignedIn},
		{"snippet.delete", post, "/snippets/:id/delete", (*Handler).deleteSnippet, guardSignedIn},
		{"calendar", get, "/calendar", (*Handler).calendar, guardSignedIn},
		{"calendar.events", get, "/calendar/events", (*Handler).calendarEvents, guardSignedIn},
		{"calendar.move", post, "/calendar/posts/:id/move", (*Handler).moveCalendarPost, guardSignedIn},
		{"analytics", get, "/analytics", (*Handler).analyticsDashboard, guardSignedIn},
		{"analytics.export", get, "/analytics/export.csv", (*Handler).exportCSV, guardSignedIn},
		{"webhooks", get, "/webhooks", (*Handler).webhooks, guardSignedIn},
		{"webhook.create", post, "/webhooks", (*Handler).createWebhook, guardSignedIn},
		{"webhook", get, "/webhooks/:id", (*Handler).webhook, guardSignedIn},
		{"webhook.test", post, "/webhooks/:id/test", (*Handler).testWebhook, guardSignedIn},
		{"webhook.rotate", post, "/webhooks/:id/rotate", (*Handler).rotateWebhook, guardSignedIn},
		{"webhook.enable", post, "/webhooks/:id/enable", (*Handler).enableWebhook, guardSignedIn},
		{"webhook.disable", post, "/webhooks/:id/disable", (*Handler).disableWebhook, guardSignedIn},
		{"webhook.delete", post, "/webhooks/:id/delete", (*Handler).deleteWebhook, guardSignedIn},
		{"webhook.delivery.retry", post, "/webhooks/:id/deliveries/:delivery_id/retry", (*Handler).retryWebhookDelivery, guardSignedIn},
		{"settings", get, "/settings", (*Handler).settings, guardSignedIn},
		{"settings.voice", post, "/settings/voice", (*Handler).saveVoice, guardSignedIn},
		{"settings.zone", post, "/settings/zone", (*Handler).saveZone, guardSignedIn},
		{"settings.two_factor", post, "/settings/two-factor", (*Handler).saveRequire2FA, guardSignedIn},
		{"settings.export", get, "/settings/export", (*Handler).exportCompany, guardSignedIn},
		{"settings.delete", post, "/settings/delete", (*Handler).deleteCompany, guardSignedIn},
		{"settings.emails", get, "/settings/emails", (*Handler).emails, guardSignedIn},
		{"audit", get, "/audit", (*Handler).auditLog, guardSignedIn},
		{"admin.audit", get, "/admin/audit", (*Handler).allAuditLog, guardSignedIn},

		// Pages of other packages the web app links to. cmd/herald mounts River UI (the
		// job dashboard) at /admin/jobs and the sandbox platform's operator pages
		// (adapters/platforms/sandbox) at /sandbox/posts; the JSON API (adapters/httpapi)
		// receives platforms' OAuth callbacks under /api/v1/accounts/callback/, serves its
		// OpenAPI document and reference page, and takes resumable uploads.
		{"jobs", get, "/admin/jobs", nil, guardExternal},
		{"sandbox.posts", get, "/sandbox/posts", nil, guardExternal},
		{"api.account.callback", get, "/api/v1/accounts/callback/:platform", nil, guardExternal},
		{"api.docs", get, "/api/v1/docs", nil, guardExternal},
		{"api.openapi", get, "/api/v1/openapi.json", nil, guardExternal},
		// The resumable-upload (tus) endpoint the upload zones send files to.
		{"api.uploads", post, "/api/v1/uploads", nil, guardExternal},
	}
}

// adminPrefix starts the path of every operator page (superadmins only).
const adminPrefix = "/admin"

// routeIndex is routeTable by name, built once at start-up. It is filled in init, not
// in its declaration: the table names handlers that call routePath, which reads it.
var routeIndex map[string]route

func init() {
	routeIndex = map[string]route{}
	for _, r := range routeTable() {
		if _, dup := routeIndex[r.name]; dup {
			panic("ui: route name " + r.name + " is used twice")
		}
		routeIndex[r.name] = r
	}
}

// Register adds every route of routeTable to e, each with its name, so e.Reverse(name)
// builds the same paths as the templates' path function.
func (h *Handler) Register(e *echo.Echo) {
	signedIn := func(next echo.HandlerFunc) echo.HandlerFunc { return h.signedIn(checkText(next)) }
	for _, r := range routeTable() {
		var mw []echo.MiddlewareFunc
		switch r.guard {
		case guardExternal:
			continue
		case guardOpen:
			mw = append(mw, checkText)
		case guardSignedIn:
			mw = append(mw, signedIn)
		}
		handle := r.handle
		e.Add(r.method, r.path, func(c echo.Context) error { return handle(h, c) }, mw...).Name = r.name
	}
}

// buildPath writes the path of the route called name with params in the order its
// path names them, each escaped as one path segment. An unknown name or a wrong number
// of parameters is an error: templates fail to render instead of linking nowhere.
func buildPath(name string, params ...any) (string, error) {
	r, ok := routeIndex[name]
	if !ok {
		return "", fmt.Errorf("ui: no route named %q", name)
	}
	segs := strings.Split(r.path, "/")
	n := 0
	for i, s := range segs {
		if !strings.HasPrefix(s, ":") && s != "*" {
			continue
		}
		if n < len(params) {
			segs[i] = url.PathEscape(fmt.Sprint(params[n]))
		}
		n++
	}
	if n != len(params) {
		return "", fmt.Errorf("ui: route %q (%s) takes %d parameters, got %d", name, r.path, n, len(params))
	}
	return strings.Join(segs, "/"), nil
}

// routePath is buildPath for handlers, whose route names are constants in the code: a
// wrong name or parameter count is a programming error, which routes_test.go finds by
// checking every routePath call in the package.
func routePath(name string, params ...any) string {
	p, err := buildPath(name, params...)
	if err != nil {
		panic(err)
	}
	return p
}

// withQuery adds query parameters, given as name and value pairs, to a path, in the
// order given and each escaped. An odd number of arguments is an error.
func withQuery(p string, pairs ...any) (string, error) {
	if len(pairs)%2 != 0 {
		return "", fmt.Errorf("ui: withQuery %s: %d arguments, want name and value pairs", p, len(pairs))
	}
	var b strings.Builder
	b.WriteString(p)
	for i := 0; i < len(pairs); i += 2 {
		k, ok := pairs[i].(string)
		if !ok {
			return "", fmt.Errorf("ui: withQuery %s: parameter name %v is not a string", p, pairs[i])
		}
		if i == 0 && !strings.Contains(p, "?") {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(fmt.Sprint(pairs[i+1])))
	}
	return b.String(), nil
}

// staticPath is the address of an embedded static file, such as "app.js" or the
// versioned "vendor/htmx-2.0.11.min.js". A file that is not embedded is an error, so a
// vendored asset updated to a new version (static/vendor.sh) fails the template tests
// until the templates name the new file.
func staticPath(name string) (string, error) {
	if st, err := fs.Stat(files, "static/"+name); err != nil || st.IsDir() || path.Clean(name) != name {
		return "", fmt.Errorf("ui: no static file %q", name)
	}
	return strings.TrimSuffix(routeIndex["static"].path, "*") + name, nil
}
