package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// scenario is one workload of issue 14's targets table. prepare runs once before the clock
// starts and returns the per-worker op builder.
type scenario struct {
	name    string
	what    string
	prepare func(ctx context.Context, e *target) (func(ctx context.Context, worker int) (op, error), error)
}

// target is the server under test, its fixtures, and the client the current scenario sends
// with (a fresh one per scenario, so no scenario inherits another's connections).
type target struct {
	base    string
	ceiling string // the base URL of loadtest's own trivial handler
	fx      *Fixtures
	workers int
	client  *http.Client

	once sync.Once
	user *session
	err  error
}

// userSession signs the fixture user in once per run; every scenario that needs a session
// shares it (as one browser's tabs would).
func (e *target) userSession(ctx context.Context) (*session, error) {
	e.once.Do(func() { e.user, e.err = login(ctx, e.base, e.workers, e.fx.User) })
	return e.user, e.err
}

var scenarios = []scenario{
	{"ceiling", "GET on a trivial handler served by loadtest itself", prepareCeiling},
	{"healthz", "GET /healthz: devportal's HTTP stack and middleware around a handler that does nothing", prepareHealthz},
	{"client-credentials", "POST /oauth/token, client_credentials, HTTP Basic", prepareClientCredentials},
	{"introspect", "POST /oauth/introspect of a valid JWT by a resource server", prepareIntrospect},
	{"code-exchange", "GET /oauth/authorize (consented, session) then POST /oauth/token with the code", prepareCodeExchange},
	{"refresh", "POST /oauth/token, refresh_token; each worker rotates its own chain", prepareRefresh},
	{"api", "GET /api/v1/invoices with a bearer token", prepareAPI},
}

func scenarioNamed(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

func prepareCeiling(ctx context.Context, e *target) (func(context.Context, int) (op, error), error) {
	return func(context.Context, int) (op, error) {
		return func(ctx context.Context) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.ceiling+"/", nil)
			_, _, err := do(e.client, req, http.StatusOK)
			return err
		}, nil
	}, nil
}

// prepareHealthz measures the floor of devportal itself: what every request costs before the
// handler does any work, to set beside the ceiling and the scenarios that do.
func prepareHealthz(ctx context.Context, e *target) (func(context.Context, int) (op, error), error) {
	return func(context.Context, int) (op, error) {
		return func(ctx context.Context) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.base+"/healthz", nil)
			_, _, err := do(e.client, req, http.StatusOK)
			return err
		}, nil
	}, nil
}

func prepareClientCredentials(ctx context.Context, e *target) (func(context.Context, int) (op, error), error) {
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {e.fx.Machine.Scope}}
	return func(context.Context, int) (op, error) {
		return func(ctx context.Context) error {
			_, err := token(ctx, e.client, e.base, e.fx.Machine, form)
			return err
		}, nil
	}, nil
}

// machineToken is an access token of the fixture machine client.
func machineToken(ctx context.Context, e *target) (string, error) {
	t, err := token(ctx, e.client, e.base, e.fx.Machine, url.Values{"grant_type": {"client_credentials"}, "scope": {e.fx.Machine.Scope}})
	if err != nil {
		return "", fmt.Errorf("client credentials for %s: %w", e.fx.Machine.ID, err)
	}
	return t.AccessToken, nil
}

var active = []byte(`"active":true`)

func prepareIntrospect(ctx context.Context, e *target) (func(context.Context, int) (op, error), error) {
	at, err := machineToken(ctx, e)
	if err != nil {
		return nil, err
	}
	body := url.Values{"token": {at}}.Encode()
	return func(context.Context, int) (op, error) {
		return func(ctx context.Context) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.base+"/oauth/introspect", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(url.QueryEscape(e.fx.Machine.ID), url.QueryEscape(e.fx.Machine.Secret))
			_, resp, err := do(e.client, req, http.StatusOK)
			if err == nil && !bytes.Contains(resp, active) {
				err = fmt.Errorf("introspection says the token is not active: %s", snippet(resp))
			}
			return err
		}, nil
	}, nil
}

func prepareCodeExchange(ctx context.Context, e *target) (func(context.Context, int) (op, error), error) {
	s, err := e.userSession(ctx)
	if err != nil {
		return nil, err
	}
	return func(context.Context, int) (op, error) {
		return func(ctx context.Context) error {
			_, err := s.exchange(ctx, e.client, e.fx.Web)
			return err
		}, nil
	}, nil
}

func prepareRefresh(ctx context.Context, e *target) (func(context.Context, int) (op, error), error) {
	s, err := e.userSession(ctx)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, _ int) (op, error) {
		t, err := s.exchange(ctx, e.client, e.fx.Web)
		if err != nil {
			return nil, err
		}
		if t.RefreshToken == "" {
			return nil, fmt.Errorf("the code exchange for %s returned no refresh token", e.fx.Web.ID)
		}
		rt := t.RefreshToken
		return func(ctx context.Context) error {
			t, err := token(ctx, e.client, e.base, e.fx.Web, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
			if err != nil {
				return err
			}
			rt = t.RefreshToken
			return nil
		}, nil
	}, nil
}

func prepareAPI(ctx context.Context, e *target) (func(context.Context, int) (op, error), error) {
	at, err := machineToken(ctx, e)
	if err != nil {
		return nil, err
	}
	return func(context.Context, int) (op, error) {
		return func(ctx context.Context) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.base+"/api/v1/invoices", nil)
			req.Header.Set("Authorization", "Bearer "+at)
			_, _, err := do(e.client, req, http.StatusOK)
			return err
		}, nil
	}, nil
}
