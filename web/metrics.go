package web

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/mail"
	"github.com/devportal/devportal/models/oauth"
)

// Metrics is devportal's Prometheus registry, served on DEVPORTAL_METRICS_ADDR only, never on
// the public listener. It has its own registry rather than the global one, so tests and
// libraries cannot add to or collide with what is exported.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	tokens   *prometheus.CounterVec
	authFail *prometheus.CounterVec
	reuse    prometheus.Counter
	// Counters for the known label values, resolved once: the token endpoint's path then costs
	// a map read and an atomic add, no allocation.
	tokenBy, authFailBy map[string]prometheus.Counter
}

var _ oauth.Metrics = (*Metrics)(nil)

// NewMetrics makes the registry with the request, token and Go runtime metrics; Watch* add the
// queues, the outbox and the database pool.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "devportal_http_requests_total", Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "devportal_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "devportal_oauth_tokens_issued_total", Help: "Successful token responses, by grant type.",
		}, []string{"grant_type"}),
		authFail: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "devportal_oauth_client_auth_failures_total", Help: "Refused client authentications (RFC 6749 §2.3), by reason.",
		}, []string{"reason"}),
		reuse: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "devportal_oauth_refresh_reuse_detected_total", Help: "Rotated refresh tokens presented again, each revoking its grant (RFC 9700 §4.14.2).",
		}),
		tokenBy: map[string]prometheus.Counter{}, authFailBy: map[string]prometheus.Counter{},
	}
	for _, g := range []string{oauth.GrantAuthorizationCode, oauth.GrantClientCredentials, oauth.GrantRefreshToken} {
		m.tokenBy[g] = m.tokens.WithLabelValues(g)
	}
	for _, r := range []string{"missing_client", "unknown_client", "bad_secret", "client_disabled", "invalid_client"} {
		m.authFailBy[r] = m.authFail.WithLabelValues(r)
	}
	m.reg.MustRegister(m.requests, m.duration, m.tokens, m.authFail, m.reuse,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry's metrics (the /metrics of the metrics listener).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// TokenIssued implements oauth.Metrics.
func (m *Metrics) TokenIssued(grantType string) {
	if c, ok := m.tokenBy[grantType]; ok {
		c.Inc()
		return
	}
	m.tokens.WithLabelValues(grantType).Inc()
}

// ClientAuthFailed implements oauth.Metrics.
func (m *Metrics) ClientAuthFailed(reason string) {
	if c, ok := m.authFailBy[reason]; ok {
		c.Inc()
		return
	}
	m.authFail.WithLabelValues(reason).Inc()
}

// RefreshReused implements oauth.Metrics.
func (m *Metrics) RefreshReused() { m.reuse.Inc() }

// track counts c's answer when its status is written, before the client can read it: whoever
// got an answer finds it counted, with the time to its first byte. An answer that writes
// nothing is counted when the returned func is called, after the handler.
func (m *Metrics) track(c echo.Context, start time.Time) (done func()) {
	if m == nil {
		return func() {}
	}
	counted := false
	count := func() {
		if !counted {
			counted = true
			m.observe(routeOf(c), c.Request().Method, c.Response().Status, time.Since(start))
		}
	}
	c.Response().Before(count)
	return count
}

// observe counts one answered request. The route is the pattern, never the path (which may
// carry codes, tokens and ids without bound); a method outside the standard ones is OTHER, so
// a client cannot invent label values.
func (m *Metrics) observe(route, method string, status int, d time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "OTHER"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// WatchEvents exports the activity-event buffer: its queue depth and the events it dropped.
func (m *Metrics) WatchEvents(b *models.EventBuffer) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "devportal_activity_events_queued", Help: "Activity events waiting for the next flush.",
		}, func() float64 { return float64(b.Queued()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "devportal_activity_events_dropped_total", Help: "Activity events lost to a full buffer or refused by the database.",
		}, func() float64 { return float64(b.Dropped()) }),
	)
}

// WatchMail exports the mail worker's counters.
func (m *Metrics) WatchMail(w *mail.Worker) {
	for _, c := range []struct {
		name, help string
		value      func(mail.Stats) int64
	}{
		{"devportal_mail_sent_total", "Mails handed to the mail server.", func(s mail.Stats) int64 { return s.Sent }},
		{"devportal_mail_retried_total", "Mail deliveries that failed and will be retried.", func(s mail.Stats) int64 { return s.Retried }},
		{"devportal_mail_failed_total", "Mails given up on after their last attempt.", func(s mail.Stats) int64 { return s.Failed }},
	} {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help},
			func() float64 { return float64(c.value(w.Stats())) }))
	}
}

// WatchStore exports the outbox depth and the database connection pool. The outbox is counted
// at each scrape (two indexed COUNTs on a table that stays small); the pool is read from
// database/sql, under the metric names of client_golang's DBStatsCollector.
func (m *Metrics) WatchStore(store *models.Store) {
	m.reg.MustRegister(&storeCollector{store: store, db: string(store.Dialect())})
}

// storeCollector reads the outbox counts and the pool statistics at scrape time.
type storeCollector struct {
	store *models.Store
	db    string
}

var outboxDesc = prometheus.NewDesc("devportal_mail_outbox", "Mails in the outbox, by state (waiting to be sent, or failed for good).", []string{"state"}, nil)

func poolDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, []string{"db_name"}, nil)
}

var (
	descMaxOpen      = poolDesc("go_sql_max_open_connections", "Maximum number of open connections to the database.")
	descOpen         = poolDesc("go_sql_open_connections", "The number of established connections both in use and idle.")
	descInUse        = poolDesc("go_sql_in_use_connections", "The number of connections currently in use.")
	descIdle         = poolDesc("go_sql_idle_connections", "The number of idle connections.")
	descWaitCount    = poolDesc("go_sql_wait_count_total", "The total number of connections waited for.")
	descWaitDuration = poolDesc("go_sql_wait_duration_seconds_total", "The total time blocked waiting for a new connection.")
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{outboxDesc, descMaxOpen, descOpen, descInUse, descIdle, descWaitCount, descWaitDuration} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.store.PoolStats()
	c.pool(ch, s)
	// A scrape must not hang on a database that does not answer; the pool metrics above
	// still tell what is going on then.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if waiting, failed, err := c.store.MailCounts(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(waiting), "waiting")
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(failed), "failed")
	} else {
		ch <- prometheus.NewInvalidMetric(outboxDesc, err)
	}
}

func (c *storeCollector) pool(ch chan<- prometheus.Metric, s sql.DBStats) {
	ch <- prometheus.MustNewConstMetric(descMaxOpen, prometheus.GaugeValue, float64(s.MaxOpenConnections), c.db)
	ch <- prometheus.MustNewConstMetric(descOpen, prometheus.GaugeValue, float64(s.OpenConnections), c.db)
	ch <- prometheus.MustNewConstMetric(descInUse, prometheus.GaugeValue, float64(s.InUse), c.db)
	ch <- prometheus.MustNewConstMetric(descIdle, prometheus.GaugeValue, float64(s.Idle), c.db)
	ch <- prometheus.MustNewConstMetric(descWaitCount, prometheus.CounterValue, float64(s.WaitCount), c.db)
	ch <- prometheus.MustNewConstMetric(descWaitDuration, prometheus.CounterValue, s.WaitDuration.Seconds(), c.db)
}
