package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// metricsBatch is how many of one account's targets one collection asks about.
const metricsBatch = 100

// Analytics holds the use cases of post metrics: collecting them from the platforms on a
// decaying schedule, and (later) reading them back.
type Analytics struct {
	store     ports.Store
	authz     ports.Authorizer
	creds     *Credentials
	platforms *Platforms
	schedule  domain.MetricsSchedule
	now       func() time.Time
	log       *slog.Logger
}

// NewAnalytics returns the analytics use cases, collecting on schedule from platforms with
// tokens from creds (both may be nil where nothing is collected).
func NewAnalytics(store ports.Store, authz ports.Authorizer, creds *Credentials, platforms *Platforms, schedule domain.MetricsSchedule, now func() time.Time, log *slog.Logger) *Analytics {
	return &Analytics{store: store, authz: authz, creds: creds, platforms: platforms, schedule: schedule, now: now, log: log}
}

// since is the oldest publishing time still collected: the schedule's end.
func (a *Analytics) since(now time.Time) time.Time {
	if len(a.schedule) == 0 {
		return now
	}
	return now.Add(-a.schedule[len(a.schedule)-1].Until)
}

// DueAccounts returns the accounts, of every company, with metrics due now.
func (a *Analytics) DueAccounts(ctx context.Context) ([]ports.AccountRef, error) {
	now := a.now()
	var out []ports.AccountRef
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, err = tx.Metrics().DueAccounts(ctx, now, a.since(now), 10_000)
		return err
	})
	return out, err
}

// CollectAccount collects the due metrics of one account's published posts, in one batch,
// and returns how many it stored. A platform's rate limit stops the batch and returns
// *Retry with the platform's wait, so the account's collection is snoozed, not failed; the
// rest stays due. An account whose token is refused needs a person; its collection waits.
func (a *Analytics) CollectAccount(ctx context.Context, company domain.CompanyID, account domain.AccountID) (int, error) {
	acct, creds, err := a.creds.credentials(ctx, company, account, "")
	if domain.CodeOf(err) == domain.CodeUnauthenticated || domain.CodeOf(err) == domain.CodeNotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	impl, ok := a.platforms.Get(acct.Platform)
	if !ok || acct.Status != domain.AccountActive {
		return 0, nil
	}
	now := a.now()
	var due []ports.DueTarget
	if err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		due, err = tx.Metrics().Due(ctx, company, account, now, a.since(now), metricsBatch)
		return err
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, t := range due {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		m, err := impl.Metrics(cctx, creds, acct, t.ExternalID)
		cancel()
		at := a.now()
		switch code := domain.CodeOf(err); {
		case err == nil:
			err = a.store.InTx(ctx, func(tx ports.Tx) error {
				return tx.Metrics().Record(ctx, company, t.Post, account, at, m, a.schedule.Next(t.PublishedAt, at))
			})
			if err != nil {
				return n, err
			}
			a.creds.recordSuccess(ctx, acct, at)
			n++
		case code == domain.CodeRateLimited:
			wait := time.Minute
			var de *domain.Error
			if errors.As(err, &de) && de.RetryAfter > 0 {
				wait = de.RetryAfter
			}
			return n, &Retry{After: wait, Reason: domain.MessageOf(err)}
		case errors.Is(err, ports.ErrMetricsUnsupported):
			note := fmt.Sprintf("%s does not share this post's numbers with apps, so Herald cannot collect them.", acct.Platform.Title())
			if code != domain.CodeInternal {
				note = domain.MessageOf(err)
			}
			if err := a.store.InTx(ctx, func(tx ports.Tx) error {
				return tx.Metrics().Unsupported(ctx, company, t.Post, account, note)
			}); err != nil {
				return n, err
			}
		case code == domain.CodeUnauthenticated:
			return n, nil // the next publish or renewal asks for a refresh; a person may have to reconnect
		default:
			// The platform could not say now (down, or the post is gone): try again on the schedule.
			next := a.schedule.Next(t.PublishedAt, at)
			if code == domain.CodeUnavailable || code == domain.CodeInternal {
				next = at.Add(15 * time.Minute)
			}
			a.log.WarnContext(ctx, "collecting a post's metrics failed", "account", account, "post", t.Post, "err", err)
			if err := a.store.InTx(ctx, func(tx ports.Tx) error {
				return tx.Metrics().Postpone(ctx, company, t.Post, account, next)
			}); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// MaxAnalyticsDays bounds the range of one analytics question.
const MaxAnalyticsDays = 366

// DayMetrics are the metrics of the posts published on one day of the company's calendar.
type DayMetrics struct {
	Date string // YYYY-MM-DD in the company's time zone
	domain.Metrics
}

// Report is what the analytics pages and API show for a range: totals (and those of the
// range just before, for the change), a day-by-day series with every day present, and the
// breakdowns. Metrics are the latest numbers of the targets published in the range.
type Report struct {
	From, To   time.Time // [From, To), at midnights of Zone
	Zone       string
	Platform   domain.Platform // "" for every platform
	Label      string          // only posts with this label (regardless of case); "" for all
	Totals     domain.Metrics
	Previous   domain.Metrics
	Daily      []DayMetrics
	ByPlatform []ports.MetricsRow
	ByAccount  []ports.MetricsRow
	TopPosts   []ports.MetricsRow
}

// Overview reports on every platform for the range from..to: dates (YYYY-MM-DD, to
// included) in the company's time zone or RFC 3339 times; empty means the last 30 days.
// Errors: CodeForbidden; CodeInvalid (from, to).
func (a *Analytics) Overview(ctx context.Context, actor domain.Actor, from, to string) (Report, error) {
	return a.report(ctx, actor, "", "", from, to)
}

// LabelOverview is Overview counting only the posts that carry label (regardless of case);
// an empty label counts every post. Errors: those of Overview.
func (a *Analytics) LabelOverview(ctx context.Context, actor domain.Actor, label, from, to string) (Report, error) {
	return a.LabelReport(ctx, actor, "", label, from, to)
}

// LabelReport is Platform (platform "": Overview) counting only the posts that carry label.
// Errors: those of Platform.
func (a *Analytics) LabelReport(ctx context.Context, actor domain.Actor, platform, label, from, to string) (Report, error) {
	var p domain.Platform
	if platform != "" {
		var err error
		if p, err = domain.ParsePlatform(platform); err != nil {
			return Report{}, err
		}
	}
	return a.report(ctx, actor, p, strings.TrimSpace(label), from, to)
}

// Platform reports on one platform. Errors: CodeForbidden; CodeNotFound (unknown platform);
// CodeInvalid (from, to).
func (a *Analytics) Platform(ctx context.Context, actor domain.Actor, platform, from, to string) (Report, error) {
	p, err := domain.ParsePlatform(platform)
	if err != nil {
		return Report{}, err
	}
	return a.report(ctx, actor, p, "", from, to)
}

func (a *Analytics) report(ctx context.Context, actor domain.Actor, platform domain.Platform, label, from, to string) (Report, error) {
	if err := a.authz.Can(ctx, actor, domain.ResourceAnalytics, domain.ActionRead); err != nil {
		return Report{}, err
	}
	r := Report{Platform: platform, Label: label}
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		c, err := tx.Companies().Get(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		r.Zone = c.Settings["time_zone"]
		if r.Zone == "" {
			r.Zone = "UTC"
		}
		loc, err := LoadZone(r.Zone)
		if err != nil {
			loc, r.Zone = time.UTC, "UTC"
		}
		if r.From, r.To, err = analyticsRange(from, to, a.now(), loc); err != nil {
			return err
		}
		q := ports.MetricsQuery{Company: actor.CompanyID, From: r.From, To: r.To, Platform: platform, Label: label, Zone: r.Zone}
		m := tx.MetricsReader()
		daily, err := m.Daily(ctx, q)
		if err != nil {
			return err
		}
		r.Daily, r.Totals = fillDays(daily, r.From, r.To, loc)
		prev := q
		prev.From, prev.To = r.From.Add(-r.To.Sub(r.From)), r.From
		before, err := m.Daily(ctx, prev)
		if err != nil {
			return err
		}
		for _, d := range before {
			r.Previous = add(r.Previous, d.Metrics)
		}
		if r.ByPlatform, err = m.ByPlatform(ctx, q); err != nil {
			return err
		}
		if r.ByAccount, err = m.ByAccount(ctx, q); err != nil {
			return err
		}
		r.TopPosts, err = m.TopPosts(ctx, q, 10)
		return err
	})
	return r, err
}

// analyticsRange reads from and to as dates in loc (to included) or RFC 3339 times.
func analyticsRange(from, to string, now time.Time, loc *time.Location) (time.Time, time.Time, error) {
	v := domain.Violations{}
	parse := func(field, s string, end bool) time.Time {
		if s == "" {
			return time.Time{}
		}
		if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
			if end {
				d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
			}
			return d
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t
		}
		v.Add(field, "must be a date (2026-11-24) or an RFC 3339 time")
		return time.Time{}
	}
	f, t := parse("from", from, false), parse("to", to, true)
	if err := v.Err(); err != nil {
		return f, t, err
	}
	if t.IsZero() {
		n := now.In(loc)
		t = time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, loc)
	}
	if f.IsZero() {
		f = time.Date(t.Year(), t.Month(), t.Day()-30, 0, 0, 0, 0, loc)
	}
	switch {
	case !t.After(f):
		v.Add("to", "must be after from")
	case t.Sub(f) > MaxAnalyticsDays*24*time.Hour+time.Hour: // an hour of slack for summer time
		v.Add("to", fmt.Sprintf("is more than %d days after from", MaxAnalyticsDays))
	}
	return f.UTC(), t.UTC(), v.Err()
}

// fillDays returns one entry per calendar day of [from, to) in loc, zero where no post was
// published, and their total.
func fillDays(rows []ports.MetricsRow, from, to time.Time, loc *time.Location) ([]DayMetrics, domain.Metrics) {
	byDay := map[string]domain.Metrics{}
	for _, r := range rows {
		byDay[r.Key] = r.Metrics
	}
	var out []DayMetrics
	var total domain.Metrics
	start := from.In(loc)
	for d := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, loc); d.Before(to); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc) {
		key := d.Format(time.DateOnly)
		out = append(out, DayMetrics{Date: key, Metrics: byDay[key]})
		total = add(total, byDay[key])
	}
	return out, total
}

func add(a, b domain.Metrics) domain.Metrics {
	return domain.Metrics{Likes: a.Likes + b.Likes, Comments: a.Comments + b.Comments, Shares: a.Shares + b.Shares,
		Reach: a.Reach + b.Reach, Impressions: a.Impressions + b.Impressions}
}

// PostReport is one post's latest metrics per target and in total.
type PostReport struct {
	Post    domain.PostID
	Totals  domain.Metrics
	Targets []ports.TargetMetrics
	Series  []ports.MetricsRow // the post's numbers at each collection, oldest first
}

// Post reports on one of the company's posts. Errors: CodeForbidden; CodeNotFound.
func (a *Analytics) Post(ctx context.Context, actor domain.Actor, id domain.PostID) (PostReport, error) {
	if err := a.authz.Can(ctx, actor, domain.ResourceAnalytics, domain.ActionRead); err != nil {
		return PostReport{}, err
	}
	r := PostReport{Post: id}
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		if r.Targets, err = tx.MetricsReader().Post(ctx, actor.CompanyID, id); err != nil {
			return err
		}
		r.Series, err = tx.MetricsReader().Series(ctx, actor.CompanyID, id)
		return err
	})
	for _, t := range r.Targets {
		r.Totals = add(r.Totals, t.Metrics)
	}
	return r, err
}

// Zone returns the company's time zone for analytics days ("UTC" until set).
// Errors: CodeForbidden.
func (a *Analytics) Zone(ctx context.Context, actor domain.Actor) (string, error) {
	if err := a.authz.Can(ctx, actor, domain.ResourceCompany, domain.ActionRead); err != nil {
		return "", err
	}
	zone := "UTC"
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		c, err := tx.Companies().Get(ctx, actor.CompanyID)
		if err == nil {
			zone = zoneOf(c.Settings)
		}
		return err
	})
	return zone, err
}

// SetZone sets the company's time zone, in which analytics count days (owners).
// Errors: CodeForbidden; CodeInvalid (time_zone).
func (a *Analytics) SetZone(ctx context.Context, actor domain.Actor, zone string) error {
	if err := a.authz.Can(ctx, actor, domain.ResourceCompany, domain.ActionWrite); err != nil {
		return err
	}
	zone, err := companyZone(zone)
	if err != nil {
		return err
	}
	return a.store.InTx(ctx, func(tx ports.Tx) error {
		c, err := tx.Companies().Lock(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		settings := copySettings(c.Settings)
		settings[settingZone] = zone
		if err := tx.Companies().SetSettings(ctx, actor.CompanyID, settings); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, zoneChanged(actor, zone, a.now()))
	})
}

// settingZone is the company setting that holds its time zone.
const settingZone = "time_zone"

// companyZone returns the zone name to store for a company ("UTC" for blank), or
// CodeInvalid (time_zone).
func companyZone(zone string) (string, error) {
	zone = strings.TrimSpace(zone)
	if zone == "" {
		zone = "UTC"
	}
	if _, err := LoadZone(zone); err != nil {
		return "", err
	}
	return zone, nil
}

// zoneOf returns the company's time zone from its settings ("UTC" until set).
func zoneOf(settings map[string]string) string {
	if z := settings[settingZone]; z != "" {
		return z
	}
	return "UTC"
}

// zoneChanged is the audit entry of a change of the actor's company's time zone.
func zoneChanged(actor domain.Actor, zone string, at time.Time) domain.AuditEntry {
	return domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: "company.time_zone_changed",
		Subject: string(actor.CompanyID), Details: map[string]string{"time_zone": zone}, At: at}
}
