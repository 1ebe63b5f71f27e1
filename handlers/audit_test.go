package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// Issue #12, item 7: an audit record is written even when the client has gone away and the
// request's context is cancelled; the action it records has already been committed.
func TestAuditSurvivesCancelledRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := New(s, nil, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // the client hung up
		req := httptest.NewRequest(http.MethodPost, "/signup", nil).WithContext(ctx)
		c := echo.New().NewContext(req, httptest.NewRecorder())
		h.audit(c, models.AuditSignup, "gone@example.com", "")
		events, err := s.AuditEvents(context.Background(), models.AuditFilter{Target: "gone@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].Type != models.AuditSignup {
			t.Fatalf("audit records after a cancelled request: %+v, want one %s", events, models.AuditSignup)
		}
	})
}
