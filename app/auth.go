package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TokenPrefix starts every secret Herald issues, so leaked tokens are easy to spot and scan for.
const TokenPrefix = "hrd_"

// Limits throttle sign-in and sign-up attempts in fixed windows shared by all instances.
// Guessing is stopped per client address and email, so nobody can lock the owner out by
// guessing their password: the owner signing in from an address they used before passes
// the per-email limit that stops guesses spread over many addresses.
type Limits struct {
	Window   time.Duration
	PerIP    int // login and registration attempts per client address
	PerEmail int // login attempts per client address and email
	// PerAccount bounds login attempts per email from addresses it never signed in from;
	// zero means three times PerEmail.
	PerAccount int
}

// DefaultLimits allow a person a few typos and stop guessing quickly.
var DefaultLimits = Limits{Window: 15 * time.Minute, PerIP: 50, PerEmail: 10, PerAccount: 30}

// Auth holds the use cases of accounts of people: registering, signing in and out, tokens.
type Auth struct {
	store  ports.Store
	authz  ports.Authorizer
	hasher ports.PasswordHasher
	// cipher seals people's authenticator secrets; New sets it (NewAuth's callers that
	// never enrol, such as the superadmin command, leave it nil).
	cipher ports.TokenCipher
	// otp makes authenticator secrets, QR codes and codes; New sets it (nil: two-factor
	// use cases answer CodeUnavailable).
	otp    ports.OneTimePasswords
	limits Limits
	now    func() time.Time
	log    *slog.Logger
	// dummyHash is verified when an email is unknown, so answers take the same time.
	dummyHash string
	// mail sends verification and password-reset links; set by New.
	mail *Mail
}

// NewAuth returns the account use cases; now is time.Now outside tests. It returns an error
// when the hasher fails.
func NewAuth(store ports.Store, authz ports.Authorizer, hasher ports.PasswordHasher, limits Limits, now func() time.Time, log *slog.Logger) (*Auth, error) {
	dummy, err := hasher.Hash("herald-timing-equalizer")
	if err != nil {
		return nil, fmt.Errorf("app: dummy hash: %w", err)
	}
	return &Auth{store: store, authz: authz, hasher: hasher, limits: limits, now: now, log: log, dummyHash: dummy}, nil
}

// Registration is what a person gives to sign up. With InvitationToken they join the
// invitation's company instead of creating one, and Company is not needed.
type Registration struct {
	Email, Password, Name, Company string
	InvitationToken                string
}

// Issued is a freshly issued credential: Secret is shown once and never stored. A sign-in
// that waits for a second factor has no session yet: MFAToken is set instead (shown once,
// until MFAExpiresAt), for CompleteLogin, and MFAMethods names the factors it takes.
type Issued struct {
	Secret string
	Token  domain.Token

	MFAToken     string
	MFAExpiresAt time.Time
	MFAMethods   []string
}

// Registered is the outcome of Register.
type Registered struct {
	User domain.User
	// Company is the new company, the one an invitation joined, or, for a person who
	// already had an account, their first company (zero when they have none).
	Company domain.Company
	Session Issued
	// Joined is the membership an invitation gave, nil without one.
	Joined *domain.Membership
	// Existing says that the email already had an account and the password was its, so
	// the person was signed in as login would, and nothing was created for them. When
	// they have two-factor sign-in, Session carries only an MFA token (see Login).
	Existing bool
	// VerifyFirst says that the invitation was not accepted because the person's address
	// is not verified yet; it keeps working until they have verified it.
	VerifyFirst bool
}

// Register signs a person up and in: a new user who owns a new company or, with an
// invitation token, joins the invitation's company with its role. Registration must not
// tell whether an email has an account: when it does and the password is that account's,
// the person is signed in as login would (and the invitation, if any, is accepted);
// otherwise the answer is login's refusal, after the same password work as a new
// registration. Attempts are throttled per client address (ip) and per email.
// Errors: CodeInvalid (fields), CodeUnauthenticated (an existing email with another
// password), CodeNotFound (the invitation link does not work), CodeConflict (already a
// member of the invitation's company), CodeLimit (its plan's members are used up),
// CodeRateLimited.
func (a *Auth) Register(ctx context.Context, r Registration, ip string) (Registered, error) {
	now := a.now()
	if err := a.throttle(ctx, now, "register-ip:"+ip, a.limits.PerIP); err != nil {
		return Registered{}, err
	}
	u, uerr := domain.NewUser(r.Email, r.Name, r.Password, now)
	var c domain.Company
	var cerr error
	if r.InvitationToken == "" {
		c, cerr = domain.NewCompany(r.Company, now)
	}
	if err := joinViolations(uerr, cerr); err != nil {
		return Registered{}, err
	}
	if err := a.throttle(ctx, now, "register-email:"+u.Email, a.limits.PerEmail); err != nil {
		return Registered{}, err
	}
	// Both paths hash the password and verify one hash, so the time taken does not tell
	// whether the email has an account.
	hash, err := a.hasher.Hash(r.Password)
	if err != nil {
		return Registered{}, fmt.Errorf("app: hash password: %w", err)
	}
	wrong := domain.Errorf(domain.CodeUnauthenticated, "The email or password is not right.")
	var existing domain.User
	var stored string
	err = a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		existing, stored, err = tx.Users().ByEmail(ctx, u.Email)
		return err
	})
	out := Registered{}
	switch domain.CodeOf(err) {
	case "":
		ok, err := a.hasher.Verify(stored, r.Password)
		if err != nil {
			return Registered{}, fmt.Errorf("app: verify password of %s: %w", existing.ID, err)
		}
		if !ok {
			return Registered{}, wrong
		}
		u, out.Existing = existing, true
		// Signing in as login would includes its second factor: the answer is the
		// challenge, and an invitation waits until the person opens it signed in.
		var second bool
		if err := a.store.Read(ctx, func(tx ports.Tx) error {
			var err error
			second, err = hasSecondFactor(ctx, tx, u.ID)
			return err
		}); err != nil {
			return Registered{}, err
		}
		if second {
			out.User = u
			out.Session, err = a.startChallenge(ctx, u, now)
			return out, err
		}
	case domain.CodeNotFound:
		_, _ = a.hasher.Verify(a.dummyHash, r.Password)
	default:
		return Registered{}, err
	}
	err = a.store.InTx(ctx, func(tx ports.Tx) error {
		if !out.Existing {
			if err := tx.Users().Create(ctx, &u, hash); err != nil {
				if domain.CodeOf(err) == domain.CodeConflict {
					return wrong // registered a moment ago: the same answer as any taken email
				}
				return err
			}
			if err := a.registerAddress(ctx, tx, &u, r.InvitationToken, now); err != nil {
				return err
			}
		}
		var err error
		switch {
		case r.InvitationToken != "" && !u.Verified():
			// Joining waits for the address to be verified; the invitation keeps working.
			out.VerifyFirst = true
		case r.InvitationToken != "":
			m, err := acceptInvitation(ctx, tx, u, r.InvitationToken, ip, now)
			if err != nil {
				return err
			}
			out.Joined = &m
			if c, err = tx.Companies().Get(ctx, m.CompanyID); err != nil {
				return err
			}
		case out.Existing:
			ms, err := tx.Memberships().ForUser(ctx, u.ID)
			if err != nil {
				return err
			}
			c = domain.Company{}
			if len(ms) > 0 {
				if c, err = tx.Companies().Get(ctx, ms[0].CompanyID); err != nil {
					return err
				}
			}
		default:
			if err := tx.Companies().Create(ctx, &c); err != nil {
				return err
			}
			if err := tx.Memberships().Add(ctx, domain.Membership{CompanyID: c.ID, UserID: u.ID, Role: domain.RoleOwner, JoinedAt: now}); err != nil {
				return err
			}
		}
		if !out.Existing {
			if err := tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: c.ID, ActorID: u.ID, IP: ip, Action: "user.registered", Subject: string(u.ID), At: now}); err != nil {
				return err
			}
		}
		out.Session, err = issue(ctx, tx, domain.Token{UserID: u.ID, Kind: domain.TokenSession, Name: "login", CreatedAt: now, ExpiresAt: now.Add(domain.SessionLifetime)})
		return err
	})
	if err != nil {
		return Registered{}, err
	}
	out.User, out.Company = u, c
	if (!out.Existing || out.Joined != nil) && c.ID != "" {
		a.reload(ctx, c.ID)
	}
	return out, nil
}

// Login checks email and password and starts a session. Unknown emails and wrong passwords
// get the same answer after the same work. Guesses are throttled per client address, per
// address and email, and per email from addresses the person never signed in from, so
// guessing from elsewhere never locks out the owner at an address they know. A successful
// sign-in remembers its address (hashed). A person with two-factor sign-in gets no session
// yet: Issued carries an MFA token for CompleteLogin instead.
// Errors: CodeUnauthenticated, CodeRateLimited.
func (a *Auth) Login(ctx context.Context, email, password, ip string) (domain.User, Issued, error) {
	now := a.now()
	email = domain.NormalizeEmail(email)
	if err := a.throttle(ctx, now, "login-ip:"+ip, a.limits.PerIP); err != nil {
		return domain.User{}, Issued{}, err
	}
	if err := a.throttle(ctx, now, "login-pair:"+ip+"|"+email, a.limits.PerEmail); err != nil {
		return domain.User{}, Issued{}, err
	}
	wrong := domain.Errorf(domain.CodeUnauthenticated, "The email or password is not right.")
	if len(password) > domain.MaxPasswordBytes {
		password = password[:domain.MaxPasswordBytes] // still hashed, so the timing does not tell
	}
	var u domain.User
	var hash string
	var known bool
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		u, hash, err = tx.Users().ByEmail(ctx, email)
		if domain.CodeOf(err) == domain.CodeNotFound {
			// The same query for an unknown email, so the answer takes as long.
			_, _ = tx.Users().KnowsAddress(ctx, noUser, addressHash(noUser, ip))
			return err
		}
		if err != nil {
			return err
		}
		known, err = tx.Users().KnowsAddress(ctx, u.ID, addressHash(u.ID, ip))
		return err
	})
	if c := domain.CodeOf(err); c != "" && c != domain.CodeNotFound {
		return domain.User{}, Issued{}, err
	}
	if !known {
		if err := a.throttle(ctx, now, "login-email:"+email, a.perAccount()); err != nil {
			return domain.User{}, Issued{}, err
		}
	}
	if domain.CodeOf(err) == domain.CodeNotFound {
		_, _ = a.hasher.Verify(a.dummyHash, password)
		return domain.User{}, Issued{}, wrong
	}
	ok, err := a.hasher.Verify(hash, password)
	if err != nil {
		return domain.User{}, Issued{}, fmt.Errorf("app: verify password of %s: %w", u.ID, err)
	}
	if !ok {
		return domain.User{}, Issued{}, wrong
	}
	var second bool
	if err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		second, err = hasSecondFactor(ctx, tx, u.ID)
		return err
	}); err != nil {
		return domain.User{}, Issued{}, err
	}
	if second {
		issued, err := a.startChallenge(ctx, u, now)
		return u, issued, err
	}
	var issued Issued
	err = a.store.InTx(ctx, func(tx ports.Tx) error {
		if err := tx.Users().RememberAddress(ctx, u.ID, addressHash(u.ID, ip), now); err != nil {
			return err
		}
		issued, err = issue(ctx, tx, domain.Token{UserID: u.ID, Kind: domain.TokenSession, Name: "login", CreatedAt: now, ExpiresAt: now.Add(domain.SessionLifetime)})
		return err
	})
	return u, issued, err
}

// noUser stands for an unknown email in queries that need a user id.
const noUser domain.UserID = "00000000-0000-0000-0000-000000000000"

// perAccount is the per-email limit for addresses the person never signed in from.
func (a *Auth) perAccount() int {
	if a.limits.PerAccount > 0 {
		return a.limits.PerAccount
	}
	return 3 * a.limits.PerEmail
}

// addressHash returns the hash a client address is remembered by for a user: salted with
// the user's id, so equal addresses of two people do not match and no address is stored.
func addressHash(user domain.UserID, ip string) []byte {
	h := sha256.Sum256([]byte("herald/v1|login_address|" + string(user) + "|" + ip))
	return h[:]
}

// Authenticate returns the session a bearer secret belongs to.
// Errors: CodeUnauthenticated for unknown, malformed or expired secrets.
func (a *Auth) Authenticate(ctx context.Context, secret string) (domain.Session, error) {
	unauth := domain.Errorf(domain.CodeUnauthenticated, "Sign in first: the token is missing, unknown or expired.")
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 200 {
		return domain.Session{}, unauth
	}
	var s domain.Session
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		s, err = tx.Tokens().Lookup(ctx, hashSecret(secret), a.now())
		return err
	})
	if domain.CodeOf(err) == domain.CodeNotFound {
		return domain.Session{}, unauth
	}
	return s, err
}

// AuthenticateSession returns the web session a session cookie's secret belongs to. Only
// sessions started by signing in count: a personal API token is for scripts, sent as a
// bearer token, and never works as the cookie. Errors: CodeUnauthenticated.
func (a *Auth) AuthenticateSession(ctx context.Context, secret string) (domain.Session, error) {
	s, err := a.Authenticate(ctx, secret)
	if err == nil && s.Token.Kind != domain.TokenSession {
		return domain.Session{}, domain.Errorf(domain.CodeUnauthenticated, "Sign in first: the session is missing, unknown or expired.")
	}
	return s, err
}

// Logout ends the session or revokes the token it was called with. Errors: CodeNotFound
// when it is already gone.
func (a *Auth) Logout(ctx context.Context, s domain.Session) error {
	return a.store.InTx(ctx, func(tx ports.Tx) error {
		return tx.Tokens().Delete(ctx, s.User.ID, s.Token.ID)
	})
}

// PasswordChange is what a person gives to change their password.
type PasswordChange struct {
	Current, New string
}

// ChangePassword sets a new password for the session's user after checking their current
// one, and ends every other session and login token of theirs; the session it was called
// with stays (and personal API tokens stay). Attempts are throttled per user, as guesses of
// the current password. Errors: CodeInvalid (current_password wrong or missing, new_password
// weak, naming the fields), CodeRateLimited.
func (a *Auth) ChangePassword(ctx context.Context, s domain.Session, ch PasswordChange) error {
	now := a.now()
	if err := a.throttle(ctx, now, "password-user:"+string(s.User.ID), a.limits.PerEmail); err != nil {
		return err
	}
	v := domain.Violations{}
	if ch.Current == "" {
		v.Add("current_password", "is required")
	}
	domain.CheckPassword(v, "new_password", ch.New)
	if ch.New != "" && ch.New == ch.Current {
		v.Add("new_password", "must differ from the current password")
	}
	if err := v.Err(); err != nil {
		return err
	}
	var hash string
	if err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		_, hash, err = tx.Users().ByEmail(ctx, s.User.Email)
		return err
	}); err != nil {
		return err
	}
	if len(ch.Current) > domain.MaxPasswordBytes {
		ch.Current = ch.Current[:domain.MaxPasswordBytes]
	}
	ok, err := a.hasher.Verify(hash, ch.Current)
	if err != nil {
		return fmt.Errorf("app: verify password of %s: %w", s.User.ID, err)
	}
	if !ok {
		return domain.InvalidField("current_password", "is not your current password")
	}
	newHash, err := a.hasher.Hash(ch.New)
	if err != nil {
		return fmt.Errorf("app: hash password: %w", err)
	}
	keep := domain.TokenID("")
	if s.Token.Kind == domain.TokenSession {
		keep = s.Token.ID
	}
	return a.store.InTx(ctx, func(tx ports.Tx) error {
		if err := tx.Users().SetPassword(ctx, s.User.ID, newHash); err != nil {
			return err
		}
		n, err := tx.Tokens().DeleteSessions(ctx, s.User.ID, keep)
		if err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: s.User.ID, Action: "user.password_changed", Subject: string(s.User.ID),
			Details: map[string]string{"sessions_ended": fmt.Sprint(n)}, At: now})
	})
}

// LogoutEverywhere ends every session and login token of the user, the one it was called
// with included; personal API tokens keep working (they are revoked one by one). It returns
// how many sessions ended.
func (a *Auth) LogoutEverywhere(ctx context.Context, user domain.UserID) (int, error) {
	var n int
	err := a.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		if n, err = tx.Tokens().DeleteSessions(ctx, user, ""); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: user, Action: "user.signed_out_everywhere", Subject: string(user),
			Details: map[string]string{"sessions_ended": fmt.Sprint(n)}, At: a.now()})
	})
	return n, err
}

// Me returns the user and the companies they belong to.
func (a *Auth) Me(ctx context.Context, user domain.UserID) (domain.User, []domain.Membership, error) {
	var u domain.User
	var ms []domain.Membership
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		if u, err = tx.Users().Get(ctx, user); err != nil {
			return err
		}
		ms, err = tx.Memberships().ForUser(ctx, user)
		return err
	})
	return u, ms, err
}

// SetTimeZone stores the IANA time zone (such as "Europe/Berlin") the user's times are
// shown in; "" goes back to the browser's. Errors: CodeInvalid (unknown zone).
func (a *Auth) SetTimeZone(ctx context.Context, user domain.UserID, zone string) error {
	zone = strings.TrimSpace(zone)
	if _, err := LoadZone(zone); err != nil {
		return err
	}
	return a.store.InTx(ctx, func(tx ports.Tx) error { return tx.Users().SetTimeZone(ctx, user, zone) })
}

// LoadZone returns the named IANA time zone ("" is UTC), or CodeInvalid for field time_zone.
func LoadZone(zone string) (*time.Location, error) {
	if zone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || len(zone) > 64 || strings.HasPrefix(zone, "/") || strings.Contains(zone, "..") {
		return nil, domain.InvalidField("time_zone", "is not a time zone Herald knows, such as Europe/Berlin or America/New_York")
	}
	return loc, nil
}

// CreateToken issues a personal API token for the user. A person whose every company is
// suspended cannot make new tokens. Errors: CodeInvalid (name, expiry), CodeSuspended.
func (a *Auth) CreateToken(ctx context.Context, user domain.UserID, name string, expires time.Time) (Issued, error) {
	now := a.now()
	t, err := domain.NewPersonalToken(user, name, expires, now)
	if err != nil {
		return Issued{}, err
	}
	var issued Issued
	err = a.store.InTx(ctx, func(tx ports.Tx) error {
		ms, err := tx.Memberships().ForUser(ctx, user)
		if err != nil {
			return err
		}
		if err := onlySuspended(ms); err != nil {
			return err
		}
		if issued, err = issue(ctx, tx, t); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: user, Action: "token.created", Subject: string(issued.Token.ID),
			Details: map[string]string{"name": t.Name}, At: now})
	})
	return issued, err
}

// Actor resolves which company a request acts in (the JSON API's X-Company-ID header): the
// named company when the user belongs to it; without one, the user's only company. Errors: CodeNotFound (not
// a member, or no such company), CodeBadRequest (several companies and none named).
func (a *Auth) Actor(ctx context.Context, u domain.User, company string) (domain.Actor, error) {
	actor := domain.Actor{UserID: u.ID, IsSuperadmin: u.IsSuperadmin}
	if company != "" {
		var m domain.Membership
		err := a.store.Read(ctx, func(tx ports.Tx) error {
			var err error
			m, err = tx.Memberships().Get(ctx, domain.CompanyID(company), u.ID)
			return err
		})
		if domain.CodeOf(err) == domain.CodeNotFound {
			return domain.Actor{}, domain.Errorf(domain.CodeNotFound, "That company does not exist or you are not a member of it.")
		}
		if err != nil {
			return domain.Actor{}, err
		}
		actor.CompanyID, actor.Role, actor.Plan = m.CompanyID, m.Role, m.CompanyPlan
		return actor, nil
	}
	var ms []domain.Membership
	if err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		ms, err = tx.Memberships().ForUser(ctx, u.ID)
		return err
	}); err != nil {
		return domain.Actor{}, err
	}
	switch len(ms) {
	case 0:
		return domain.Actor{}, domain.Errorf(domain.CodeNotFound, "You are not a member of any company.")
	case 1:
		actor.CompanyID, actor.Role, actor.Plan = ms[0].CompanyID, ms[0].Role, ms[0].CompanyPlan
		return actor, nil
	}
	return domain.Actor{}, domain.Errorf(domain.CodeBadRequest, "You belong to %d companies: name one in the X-Company-ID header.", len(ms))
}

// EnsureSuperadmin makes the person with email a superadmin, creating them with password
// when they have no account. It is for the operator's command line, so it takes no actor.
// Errors: CodeInvalid (email, or password for a new person).
func (a *Auth) EnsureSuperadmin(ctx context.Context, email, name, password string) (domain.User, bool, error) {
	now := a.now()
	email = domain.NormalizeEmail(email)
	v := domain.Violations{}
	domain.CheckEmail(v, "email", email)
	if err := v.Err(); err != nil {
		return domain.User{}, false, err
	}
	var u domain.User
	created := false
	err := a.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		u, _, err = tx.Users().ByEmail(ctx, email)
		switch domain.CodeOf(err) {
		case domain.CodeNotFound:
			if u, err = domain.NewUser(email, name, password, now); err != nil {
				return err
			}
			hash, err := a.hasher.Hash(password)
			if err != nil {
				return fmt.Errorf("app: hash password: %w", err)
			}
			u.IsSuperadmin, created = true, true
			if err := tx.Users().Create(ctx, &u, hash); err != nil {
				return err
			}
			// The operator vouches for the address they typed on the server.
			u.EmailVerifiedAt = now.UTC()
			if err := tx.Users().SetEmailVerified(ctx, u.ID, now); err != nil {
				return err
			}
		case "":
			if err := tx.Users().SetSuperadmin(ctx, u.ID); err != nil {
				return err
			}
			u.IsSuperadmin = true
		default:
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{Action: "superadmin.granted", Subject: string(u.ID), At: now})
	})
	if err != nil {
		return domain.User{}, false, err
	}
	a.reload(ctx, "")
	return u, created, nil
}

// throttle counts an attempt under key and returns CodeRateLimited past limit.
func (a *Auth) throttle(ctx context.Context, now time.Time, key string, limit int) error {
	var n int
	var reset time.Time
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		n, reset, err = tx.Attempts().Hit(ctx, key, a.limits.Window, now)
		return err
	})
	if err != nil {
		return err
	}
	if n > limit {
		wait := reset.Sub(now).Round(time.Second)
		if wait < time.Second {
			wait = time.Second
		}
		return &domain.Error{Code: domain.CodeRateLimited, RetryAfter: wait,
			Message: fmt.Sprintf("Too many attempts. Try again in %s.", wait)}
	}
	return nil
}

// reload tells this instance's authorizer about committed membership changes; other
// instances hear of them through the database. A failure is logged: the periodic full
// reload repairs it.
func (a *Auth) reload(ctx context.Context, companies ...domain.CompanyID) {
	reloadAll(ctx, a.authz, a.log, companies...)
}

func reloadAll(ctx context.Context, authz ports.Authorizer, log *slog.Logger, companies ...domain.CompanyID) {
	for _, c := range companies {
		if err := authz.Reload(ctx, c); err != nil {
			log.ErrorContext(ctx, "reload roles", "company", c, "err", err)
		}
	}
}

// onlySuspended returns CodeSuspended, with the first one's reason, when every one of the
// memberships is in a suspended company (none at all is fine).
func onlySuspended(ms []domain.Membership) error {
	for _, m := range ms {
		if !m.CompanyStatus.Suspended() {
			return nil
		}
	}
	if len(ms) == 0 {
		return nil
	}
	return domain.SuspendedError(ms[0].CompanyStatusReason)
}

// issue creates a token with a new random secret and returns the secret once.
func issue(ctx context.Context, tx ports.Tx, t domain.Token) (Issued, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Issued{}, fmt.Errorf("app: token secret: %w", err)
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	if err := tx.Tokens().Create(ctx, &t, hashSecret(secret)); err != nil {
		return Issued{}, err
	}
	return Issued{Secret: secret, Token: t}, nil
}

// hashSecret returns the SHA-256 of a token secret: secrets are 256 random bits, so a fast
// hash is enough and lets lookups use an index.
func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// joinViolations merges the field problems of several validation errors into one, or
// returns the first error that is not a validation error.
func joinViolations(errs ...error) error {
	v := domain.Violations{}
	for _, err := range errs {
		if err == nil {
			continue
		}
		fields := domain.FieldsOf(err)
		if domain.CodeOf(err) != domain.CodeInvalid || fields == nil {
			return err
		}
		for k, m := range fields {
			v.Add(k, m)
		}
	}
	return v.Err()
}

// SessionCookie names the cookie that carries a web session's secret, for the web app and
// for API requests made from it.
const SessionCookie = "herald_session"

// Tokens returns the user's unexpired personal API tokens, without their secrets.
func (a *Auth) Tokens(ctx context.Context, user domain.UserID) ([]domain.Token, error) {
	var ts []domain.Token
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		ts, err = tx.Tokens().List(ctx, user, a.now())
		return err
	})
	return ts, err
}

// RevokeToken deletes one of the user's tokens. Errors: CodeNotFound (also another user's).
func (a *Auth) RevokeToken(ctx context.Context, user domain.UserID, id domain.TokenID) error {
	return a.store.InTx(ctx, func(tx ports.Tx) error {
		if err := tx.Tokens().Delete(ctx, user, id); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: user, Action: "token.revoked", Subject: string(id), At: a.now()})
	})
}

// CreateCompany creates another company owned by the user, for people who run several.
// Errors: CodeInvalid (name).
func (a *Auth) CreateCompany(ctx context.Context, user domain.UserID, name string) (domain.Company, error) {
	now := a.now()
	c, err := domain.NewCompany(name, now)
	if err != nil {
		return domain.Company{}, err
	}
	err = a.store.InTx(ctx, func(tx ports.Tx) error {
		if err := tx.Companies().Create(ctx, &c); err != nil {
			return err
		}
		if err := tx.Memberships().Add(ctx, domain.Membership{CompanyID: c.ID, UserID: user, Role: domain.RoleOwner, JoinedAt: now}); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: c.ID, ActorID: user, Action: "company.created", Subject: string(c.ID), At: now})
	})
	if err != nil {
		return domain.Company{}, err
	}
	a.reload(ctx, c.ID)
	return c, nil
}
