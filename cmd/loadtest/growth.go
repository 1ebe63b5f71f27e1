package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// growthOp is one row of issue 14's growth table: an operation whose cost should not depend on
// how much data the server holds. prepare returns the timed step, run n times.
type growthOp struct {
	name    string
	prepare func(ctx context.Context, g *growthTarget) (op, error)
	// most bounds the iterations (deleting uses up its applications); 0: no bound.
	most func(fx *Fixtures) int
}

// growthTarget is one server with its dataset and its signed-in people, each signed in once.
type growthTarget struct {
	label    string
	base     string
	fx       *Fixtures
	client   *http.Client
	sessions map[string]*session
}

func (g *growthTarget) as(ctx context.Context, acc Account) (*session, error) {
	if s := g.sessions[acc.Email]; s != nil {
		return s, nil
	}
	s, err := login(ctx, g.base, 1, acc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", g.label, err)
	}
	g.sessions[acc.Email] = s
	return s, nil
}

// page is a growth op that loads path as who.
func page(who func(*Fixtures) Account, path func(*Fixtures) string) func(context.Context, *growthTarget) (op, error) {
	return func(ctx context.Context, g *growthTarget) (op, error) {
		s, err := g.as(ctx, who(g.fx))
		if err != nil {
			return nil, err
		}
		p := path(g.fx)
		return func(ctx context.Context) error {
			_, _, err := s.get(ctx, p, http.StatusOK)
			return err
		}, nil
	}
}

func admin(f *Fixtures) Account     { return f.Admin }
func developer(f *Fixtures) Account { return f.Developer }
func user(f *Fixtures) Account      { return f.User }

func fixed(p string) func(*Fixtures) string { return func(*Fixtures) string { return p } }

var growthOps = []growthOp{
	{name: "refresh grant, popular client", prepare: func(ctx context.Context, g *growthTarget) (op, error) {
		s, err := g.as(ctx, g.fx.User)
		if err != nil {
			return nil, err
		}
		t, err := s.exchange(ctx, g.client, g.fx.Web)
		if err != nil {
			return nil, err
		}
		rt := t.RefreshToken
		return func(ctx context.Context) error {
			t, err := token(ctx, g.client, g.base, g.fx.Web, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
			if err == nil {
				rt = t.RefreshToken
			}
			return err
		}, nil
	}},
	{name: "/apps/{id}/activity", prepare: page(developer, func(f *Fixtures) string { return "/apps/" + f.Web.ID + "/activity" })},
	{name: "/admin/clients", prepare: page(admin, fixed("/admin/clients"))},
	{name: "/admin/clients?q=", prepare: page(admin, func(f *Fixtures) string { return "/admin/clients?q=" + url.QueryEscape(f.ClientQuery) })},
	{name: "/admin/audit?actor=", prepare: page(admin, func(f *Fixtures) string { return "/admin/audit?actor=" + url.QueryEscape(f.AuditActor) })},
	{name: "/admin/audit?type=", prepare: page(admin, func(f *Fixtures) string { return "/admin/audit?type=" + url.QueryEscape(f.AuditType) })},
	{name: "/admin/users?q=", prepare: page(admin, func(f *Fixtures) string { return "/admin/users?q=" + url.QueryEscape(f.UserQuery) })},
	{name: "/admin/scopes", prepare: page(admin, fixed("/admin/scopes"))},
	{name: "/apps", prepare: page(developer, fixed("/apps"))},
	{name: "/account/apps", prepare: page(user, fixed("/account/apps"))},
	{name: "delete a client", most: func(f *Fixtures) int { return len(f.Deletable) }, prepare: func(ctx context.Context, g *growthTarget) (op, error) {
		s, err := g.as(ctx, g.fx.Developer)
		if err != nil {
			return nil, err
		}
		next := 0
		return func(ctx context.Context) error {
			if next == len(g.fx.Deletable) {
				return errors.New("no deletable application left: seed again")
			}
			id := g.fx.Deletable[next]
			next++
			_, _, err := s.post(ctx, "/apps/"+id+"/delete", url.Values{}, http.StatusSeeOther)
			return err
		}, nil
	}},
}

func growthCmd(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("growth", out)
	small := fs.String("small", "", "URL,fixtures of the server on the small dataset (e.g. http://127.0.0.1:8081,small.json)")
	large := fs.String("large", "", "URL,fixtures of the server on the large dataset")
	n := fs.Int("n", 15, "timed iterations of each operation on each server (medians are reported)")
	only := fs.String("ops", "", "comma-separated substrings: measure only the operations whose name contains one")
	format := fs.String("format", "text", "text, or md for a Markdown table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > 1000 {
		return errors.New("-n must be 1..1000")
	}
	specs := [2][2]string{}
	for i, spec := range []string{*small, *large} {
		base, path, ok := strings.Cut(spec, ",")
		if !ok {
			return errors.New("-small and -large take URL,fixtures")
		}
		if err := loopback(base); err != nil {
			return err
		}
		specs[i] = [2]string{base, path}
	}
	var targets [2]*growthTarget
	for i, spec := range specs {
		base, path := spec[0], spec[1]
		fx, err := loadFixtures(path)
		if err != nil {
			return err
		}
		targets[i] = &growthTarget{label: []string{"small", "large"}[i], base: strings.TrimSuffix(base, "/"), fx: fx, client: newClient(1), sessions: map[string]*session{}}
	}
	type line struct {
		name         string
		small, large time.Duration
	}
	var lines []line
	for _, g := range growthOps {
		if *only != "" && !slices.ContainsFunc(strings.Split(*only, ","), func(s string) bool { return strings.Contains(g.name, s) }) {
			continue
		}
		iters, warm := *n, 1
		if g.most != nil {
			iters, warm = min(iters, g.most(targets[0].fx), g.most(targets[1].fx)), 0
		}
		var ops [2]op
		lat := [2][]time.Duration{}
		for i, t := range targets {
			o, err := g.prepare(ctx, t)
			if err != nil {
				return fmt.Errorf("%s on %s: %w", g.name, t.label, err)
			}
			ops[i] = o
			for range warm {
				if err := o(ctx); err != nil {
					return fmt.Errorf("%s on %s: %w", g.name, t.label, err)
				}
			}
		}
		// Alternating between the servers, so a burst of load from elsewhere on the machine
		// falls on both.
		for range iters {
			for i, t := range targets {
				t0 := time.Now()
				if err := ops[i](ctx); err != nil {
					return fmt.Errorf("%s on %s: %w", g.name, t.label, err)
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}
		lines = append(lines, line{g.name, median(lat[0]), median(lat[1])})
	}
	fmt.Fprintf(out, "growth: small %s (scale %d), large %s (scale %d); median of %d; %s\n", targets[0].base, targets[0].fx.Scale,
		targets[1].base, targets[1].fx.Scale, *n, time.Now().UTC().Format(time.RFC3339))
	if *format == "md" {
		fmt.Fprintln(out, "| operation | small | large | large/small |")
		fmt.Fprintln(out, "|---|---:|---:|---:|")
		for _, l := range lines {
			fmt.Fprintf(out, "| `%s` | %s | %s | %.1f× |\n", l.name, ms(l.small), ms(l.large), float64(l.large)/float64(l.small))
		}
		return nil
	}
	fmt.Fprintf(out, "%-32s %12s %12s %12s\n", "operation", "small", "large", "large/small")
	for _, l := range lines {
		fmt.Fprintf(out, "%-32s %12s %12s %11.1f×\n", l.name, ms(l.small), ms(l.large), float64(l.large)/float64(l.small))
	}
	return nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
