package httpapi

import (
	"log/slog"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
)

// API is the JSON API's handlers over the app services.
type API struct {
	auth      *app.Auth
	passkeys  *app.Passkeys
	teams     *app.Teams
	admin     *app.Admin
	idem      *app.Idempotency
	accounts  *app.Accounts
	posts     *app.Posts
	queue     *app.Queue
	media     *app.Media
	snippets  *app.Snippets
	ai        *app.AI
	analytics *app.Analytics
	webhooks  *app.Webhooks
	privacy   *app.Privacy
	audit     *app.AuditLog
	// notifications are the caller's own, in the company of the request.
	notifications *app.Notifications
	limiter       *app.RateLimiter
	log           *slog.Logger

	discussion *app.Discussion
	reviews    *app.Reviews
}

// New returns the API over the app's services (app.New); log receives its request
// errors. A nil s.RateLimiter means no rate limits.
func New(s *app.Services, log *slog.Logger) *API {
	return &API{auth: s.Auth, passkeys: s.Passkeys, teams: s.Teams, admin: s.Admin, idem: s.Idempotency, accounts: s.Accounts, posts: s.Posts, queue: s.PostingQueue, media: s.Media, snippets: s.Snippets, ai: s.AI, analytics: s.Analytics, webhooks: s.Webhooks, audit: s.Audit, privacy: s.Privacy, limiter: s.RateLimiter, log: log,
		notifications: s.Notifications, discussion: s.Discussion, reviews: s.Reviews}
}

// Register adds every route of the API under g (mounted at /api/v1); openapi.json
// describes each of them.
func (a *API) Register(g *echo.Group) {
	// Each request counts once against its rate limits (ratelimit.go): where its caller is
	// known (limit), or by its address when it was refused before that (limitRefused).
	g.Use(a.limitRefused, checkAddress)
	g.GET("/openapi.json", serveOpenAPI, a.limit)
	g.GET("/docs", serveDocs, a.limit)
	g.POST("/auth/register", a.register, a.limit)
	g.POST("/auth/login", a.login, a.limit)
	g.POST("/auth/password-reset", a.requestPasswordReset, a.limit)
	g.POST("/auth/password-reset/confirm", a.confirmPasswordReset, a.limit)
	g.POST("/auth/verify-email", a.verifyEmail, a.limit)
	g.POST("/auth/passkeys/login/begin", a.beginPasskeyLogin, a.limit)
	g.POST("/auth/passkeys/login/finish", a.finishPasskeyLogin, a.limit)
	g.POST("/auth/login/mfa", a.loginMFA, a.limit)
	// The platforms' consent pages send the browser here; it signs in by its cookie.
	g.GET("/accounts/callback/:platform", a.accountCallback, a.limit)

	// Idempotency-Key replays are answered after the checks that would refuse the caller
	// now: the credentials here, and for company routes the membership (inCompany).
	user := g.Group("", a.authenticate, a.limit)
	user.POST("/auth/logout", a.logout)
	user.POST("/auth/logout-all", a.logoutAll)
	user.POST("/auth/password", a.changePassword)
	user.POST("/auth/verify-email/resend", a.resendVerification)
	user.GET("/auth/me", a.me)
	user.PUT("/auth/me", a.updateMe)
	user.GET("/auth/me/export", a.exportMe)
	user.DELETE("/auth/me", a.deleteMe)
	user.POST("/auth/tokens", a.createToken, a.idempotent)
	user.GET("/auth/tokens", a.listTokens)
	user.DELETE("/auth/tokens/:id", a.deleteToken)
	user.POST("/auth/passkeys/register/begin", a.beginPasskeyRegistration)
	user.POST("/auth/passkeys/register/finish", a.finishPasskeyRegistration)
	user.GET("/auth/passkeys", a.listPasskeys)
	user.DELETE("/auth/passkeys/:id", a.deletePasskey)
	user.GET("/auth/2fa", a.twoFactorStatus)
	user.POST("/auth/2fa/totp", a.beginTOTP)
	user.POST("/auth/2fa/totp/confirm", a.confirmTOTP)
	user.DELETE("/auth/2fa/totp", a.disableTOTP)
	user.POST("/auth/2fa/recovery-codes", a.regenerateRecoveryCodes)
	user.GET("/admin/companies", a.listCompanies)
	user.GET("/admin/companies/:id", a.getCompany)
	user.PUT("/admin/companies/:id", a.updateCompany)
	user.GET("/admin/audit", a.listAllAudit)
	user.POST("/invitations/accept", a.acceptInvitation)
	user.POST("/companies", a.createCompany, a.idempotent)

	// An upload is read as a stream, so it cannot pass through idempotent (which reads the
	// whole body to fingerprint it): uploadMedia checks its Idempotency-Key itself, with the
	// file's digest computed while it is spooled.
	g.POST("/media", a.uploadMedia, a.authenticate, a.inCompany, a.limit, a.withMedia)

	company := g.Group("", a.authenticate, a.inCompany, a.limit, a.idempotent)
	company.GET("/company/export", a.exportCompany)
	company.GET("/company", a.getCompanySettings)
	company.PUT("/company", a.updateCompanySettings)
	company.GET("/ai/usage", a.aiUsage)
	company.DELETE("/company", a.deleteCompany)
	company.GET("/members", a.listMembers)
	company.POST("/members", a.addMember)
	company.PUT("/members/:user_id", a.changeRole)
	company.DELETE("/members/:user_id", a.removeMember)
	company.GET("/invitations", a.listInvitations)
	company.POST("/invitations/:id/renew", a.renewInvitation)
	company.DELETE("/invitations/:id", a.deleteInvitation)
	company.GET("/accounts", a.listAccounts)
	company.POST("/accounts/connect/:platform", a.connectAccount)
	company.DELETE("/accounts/:id", a.disconnectAccount)
	company.POST("/accounts/:id/retry-failed", a.retryFailed)
	company.GET("/posts", a.listPosts)
	company.POST("/posts", a.createPost)
	company.POST("/posts/bulk", a.createPosts)
	company.GET("/posts/:id", a.getPost)
	company.PUT("/posts/:id", a.updatePost)
	company.DELETE("/posts/:id", a.deletePost)
	company.POST("/posts/:id/duplicate", a.duplicatePost)
	company.POST("/posts/:id/schedule", a.schedulePost)
	company.DELETE("/posts/:id/schedule", a.unschedulePost)
	company.POST("/posts/:id/queue", a.queuePost)
	company.POST("/posts/:id/submit", a.submitPost)
	company.POST("/posts/:id/approve", a.approvePost)
	company.POST("/posts/:id/reject", a.rejectPost)
	company.GET("/queue", a.getQueue)
	company.PUT("/queue", a.putQueue)
	company.POST("/posts/:id/targets/:account_id/resolve", a.resolveTarget)
	company.POST("/posts/:id/targets/:account_id/comment/retry", a.retryComment)
	company.POST("/posts/:id/targets/:account_id/comment/resolve", a.resolveComment)
	company.GET("/media", a.listMedia, a.withMedia)
	company.GET("/media/:id", a.getMedia, a.withMedia)
	company.PUT("/media/:id", a.updateMedia, a.withMedia)
	company.DELETE("/media/:id", a.deleteMedia, a.withMedia)
	company.GET("/posts/:id/comments", a.listComments)
	company.POST("/posts/:id/comments", a.addComment)
	company.GET("/posts/:id/review-links", a.listPostReviewLinks)
	company.POST("/posts/:id/review-links", a.createPostReviewLink)
	company.POST("/review-links", a.createRangeReviewLink)
	company.DELETE("/review-links/:id", a.revokeReviewLink)
	company.GET("/snippets", a.listSnippets)
	company.POST("/snippets", a.createSnippet)
	company.GET("/snippets/:id", a.getSnippet)
	company.PUT("/snippets/:id", a.updateSnippet)
	company.DELETE("/snippets/:id", a.deleteSnippet)
	company.POST("/ai/captions", a.suggestCaptions)
	company.GET("/analytics/posts/:id", a.analyticsPost)
	company.GET("/analytics/overview", a.analyticsOverview)
	company.GET("/analytics/best-times", a.bestTimes)
	company.GET("/analytics/export.csv", a.analyticsExport)
	company.GET("/analytics/platform/:platform", a.analyticsPlatform)
	company.GET("/webhooks", a.listWebhooks)
	company.POST("/webhooks", a.createWebhook)
	company.GET("/webhooks/:id", a.getWebhook)
	company.PUT("/webhooks/:id", a.updateWebhook)
	company.DELETE("/webhooks/:id", a.deleteWebhook)
	company.POST("/webhooks/:id/rotate", a.rotateWebhookSecret)
	company.POST("/webhooks/:id/test", a.testWebhook)
	company.GET("/webhooks/:id/deliveries", a.listDeliveries)
	company.POST("/webhooks/:id/deliveries/:delivery_id/retry", a.retryDelivery)
	company.GET("/audit", a.listAudit)
	company.GET("/notifications", a.listNotifications)
	company.POST("/notifications/read", a.markNotificationsRead)
	company.GET("/notifications/settings", a.getNotificationSettings)
	company.PUT("/notifications/settings", a.putNotificationSettings)

	// Resumable uploads speak tus (uploads.go): its version is checked before the
	// credentials, and its requests are not idempotent in the API's sense (no replays).
	uploads := g.Group("/uploads", tus, a.authenticate, a.inCompany, a.limit)
	uploads.OPTIONS("", a.uploadOptions)
	uploads.POST("", a.createUpload)
	uploads.HEAD("/:id", a.headUpload)
	uploads.PATCH("/:id", a.patchUpload)
	uploads.DELETE("/:id", a.deleteUpload)
}
