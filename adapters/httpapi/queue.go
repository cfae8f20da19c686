package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// slotJSON is a queue slot on the wire: weekday 1 = Monday … 7 = Sunday, time "HH:MM" in
// the company's zone, account_ids empty for every account.
type slotJSON struct {
	Weekday    int                `json:"weekday"`
	Time       string             `json:"time"`
	AccountIDs []domain.AccountID `json:"account_ids"`
}

// queueAnswer writes the queue with its version as ETag.
func (a *API) queueAnswer(c echo.Context, v app.QueueView) error {
	slots := make([]slotJSON, len(v.Slots))
	for i, s := range v.Slots {
		ids := s.AccountIDs
		if ids == nil {
			ids = []domain.AccountID{}
		}
		slots[i] = slotJSON{Weekday: s.Weekday, Time: s.Time(), AccountIDs: ids}
	}
	items, err := a.toPosts(c, v.Items...)
	if err != nil {
		return err
	}
	if items == nil {
		items = []postJSON{}
	}
	setETag(c, v.Version)
	return c.JSON(http.StatusOK, map[string]any{"time_zone": v.Zone, "slots": slots, "items": items})
}

// getQueue handles GET /queue.
func (a *API) getQueue(c echo.Context) error {
	v, err := a.queue.Get(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return a.queueAnswer(c, v)
}

// putQueue handles PUT /queue: {"slots":[...]} replaces the weekly times; If-Match, when
// given, must name the current version (412 otherwise), as PUT /posts/:id.
func (a *API) putQueue(c echo.Context) error {
	var in struct {
		Slots *[]slotJSON `json:"slots"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Slots == nil {
		return domain.InvalidField("slots", "is required: a list of {weekday, time, account_ids}; [] empties the queue")
	}
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	slots := make([]domain.QueueSlotInput, len(*in.Slots))
	for i, s := range *in.Slots {
		slots[i] = domain.QueueSlotInput{Weekday: s.Weekday, Time: s.Time, AccountIDs: s.AccountIDs}
	}
	v, err := a.queue.Save(c.Request().Context(), actor(c), slots, want)
	if err != nil {
		return err
	}
	return a.queueAnswer(c, v)
}

// queuePost handles POST /posts/:id/queue: the post is scheduled at the next free time of
// the queue for all its accounts; If-Match as for scheduling.
func (a *API) queuePost(c echo.Context) error {
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	p, err := a.queue.Add(c.Request().Context(), actor(c), domain.PostID(c.Param("id")), want)
	if err != nil {
		return err
	}
	return a.postAnswer(c, http.StatusOK, p)
}

// bestTimes handles GET /analytics/best-times?account_id=.
func (a *API) bestTimes(c echo.Context) error {
	id := c.QueryParam("account_id")
	if id == "" {
		return domain.InvalidField("account_id", "is required: the account to suggest times for")
	}
	r, err := a.analytics.BestTimes(c.Request().Context(), actor(c), domain.AccountID(id))
	if err != nil {
		return err
	}
	type item struct {
		Weekday int     `json:"weekday"`
		Hour    int     `json:"hour"`
		Score   float64 `json:"score"`
		Posts   int     `json:"posts"`
	}
	items := make([]item, len(r.Items))
	for i, b := range r.Items {
		items[i] = item{b.Weekday, b.Hour, b.Score, b.Posts}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "source": r.Source})
}
