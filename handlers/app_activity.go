package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/templates/pages/apps"
)

// activityDays is how far back the chart of an application's activity reaches, today included.
const activityDays = 30

// activityEvents is how many of the latest events the timeline lists.
const activityEvents = 50

// eventKinds names each kind of event for the timeline, with a line for those that did not fail.
var eventKinds = map[string]struct{ label, detail string }{
	models.EventAuthorization: {"Authorization", "A user allowed the application."},
	models.EventDenied:        {"Denied", "A user declined on the consent page."},
	models.EventToken:         {"Token", "Tokens were issued."},
	models.EventRefresh:       {"Refresh", "A refresh token was exchanged for new tokens."},
	models.EventFailure:       {"Failure", ""},
}

// AppActivity shows what happened to an application at the protocol endpoints: a chart of the
// last 30 days and the latest events, failures explained.
func (h *Handlers) AppActivity(c echo.Context) error {
	client, err := h.ownedClient(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	since := today.AddDate(0, 0, -(activityDays - 1))
	counts, err := h.store.ClientEventCounts(ctx, client.ID, since)
	if err != nil {
		return err
	}
	events, err := h.store.ClientEvents(ctx, client.ID, activityEvents)
	if err != nil {
		return err
	}
	requests, err := h.store.ScopeRequestsFor(ctx, client.ID)
	if err != nil {
		return err
	}

	days := activityByDay(counts, since, activityDays)
	v := apps.ActivityView{
		Base: h.base(c, client.Name+" activity", "apps"),
		App: apps.AppTab{ID: client.ID, Name: client.Name, Type: string(client.Type), Status: client.Status,
			CreatedISO: isoTime(client.CreatedAt), Created: humanTime(client.CreatedAt), Current: "activity",
			URLs: h.appLinks(client.ID)},
		Days:  days,
		Chart: apps.BuildActivityChart(days),
	}
	for _, r := range requests {
		v.App.Pending = v.App.Pending || r.Status == models.RequestPending
	}
	for _, e := range events {
		k, ok := eventKinds[e.Kind]
		if !ok {
			k.label = e.Kind
		}
		row := apps.EventRow{Kind: e.Kind, KindLabel: k.label, GrantType: e.GrantType, CreatedISO: isoTime(e.CreatedAt), Created: humanTime(e.CreatedAt), Detail: k.detail}
		if e.Kind == models.EventFailure {
			row.ErrorCode, row.Detail = e.ErrorCode, e.Detail
		}
		v.Events = append(v.Events, row)
	}
	return h.render(c, http.StatusOK, apps.Activity(v))
}

// activityByDay spreads per-day counts over n days from since (midnight UTC), so a day without
// events is a day with zero, not a missing bar.
func activityByDay(counts []models.DayCount, since time.Time, n int) []apps.ChartDay {
	days := make([]apps.ChartDay, n)
	index := make(map[string]int, n)
	for i := range days {
		days[i].Date = since.AddDate(0, 0, i)
		index[days[i].Date.Format(time.DateOnly)] = i
	}
	for _, dc := range counts {
		i, ok := index[dc.Day]
		if !ok {
			continue
		}
		switch dc.Kind {
		case models.EventFailure:
			days[i].Failure += dc.N
		case models.EventDenied:
			days[i].Denied += dc.N
		default:
			days[i].Success += dc.N
		}
	}
	return days
}
