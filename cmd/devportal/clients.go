package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/web"
)

func clientsCreate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flags("clients create", stdout)
	name := fs.String("name", "", "the application's name (required)")
	typ := fs.String("type", "machine", "web, native or machine")
	scope := fs.String("scope", "", `space-separated scopes, e.g. "INVOICE.READ INVOICE.WRITE" (required)`)
	var redirects stringList
	fs.Var(&redirects, "redirect-uri", "a redirect URI (web and native; repeatable)")
	var logoutURIs stringList
	fs.Var(&logoutURIs, "post-logout-redirect-uri", "where RP-initiated logout may return the browser (web and native; repeatable)")
	accessTTL := fs.Duration("access-ttl", 0, "access-token lifetime for this client (default: the deployment's)")
	refreshTTL := fs.Duration("refresh-ttl", 0, "refresh-token lifetime for this client (default: the deployment's)")
	introspect := fs.Bool("introspect", false, "make the client a resource server that may introspect any token")
	owner := fs.String("owner", "", "the email of an existing account to own the client (the account the sample API acts for)")
	allowDevice := fs.Bool("allow-device", false, "allow device sign-in (RFC 8628 device authorization grant; web and native only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer env.store.Close()
	in, errs, err := env.oauth.ValidateRegistration(ctx, oauth.Registration{
		Name: *name, Type: models.ClientType(*typ), RedirectURIs: redirects, Scopes: strings.Fields(*scope),
		PostLogoutRedirectURIs: logoutURIs,
	})
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		var msgs []string
		for field, msg := range errs {
			msgs = append(msgs, fmt.Sprintf("--%s: %s", registrationFlags[field], msg))
		}
		sort.Strings(msgs)
		return errors.New(strings.Join(msgs, "; "))
	}
	// The flags follow the form's rule (oauth.LifetimeRange.Check); 0 is the deployment default.
	if *accessTTL != 0 {
		if err := oauth.AccessLifetime.Check(*accessTTL); err != nil {
			return fmt.Errorf("--access-ttl: %w", err)
		}
	}
	if *refreshTTL != 0 {
		if err := oauth.RefreshLifetime.Check(*refreshTTL); err != nil {
			return fmt.Errorf("--refresh-ttl: %w", err)
		}
	}
	if *owner != "" {
		u, err := env.store.UserByEmail(ctx, *owner)
		if errors.Is(err, models.ErrNotFound) {
			return fmt.Errorf("--owner: no account has the email %q; create it first with devportal users create", *owner)
		}
		if err != nil {
			return fmt.Errorf("--owner: %w", err)
		}
		in.OwnerID = &u.ID
	}
	in.CanIntrospect = *introspect
	if *allowDevice && in.Type == models.ClientMachine {
		return errors.New("--allow-device: machine applications act as themselves; device sign-in is for web and native applications")
	}
	in.AllowDeviceGrant = *allowDevice
	in.AccessTTLSeconds, in.RefreshTTLSeconds = seconds(*accessTTL), seconds(*refreshTTL)
	// The client, its scope requests and their audit entries commit together.
	var client *models.Client
	var secret string
	err = env.store.InTx(ctx, func(tx *models.Store) error {
		var err error
		if client, secret, err = tx.CreateClient(ctx, in); err != nil {
			return err
		}
		return audit(ctx, tx, models.AuditAppCreated, client.ID, clientDetail(client, *owner))
	})
	if err != nil {
		return err
	}
	out := map[string]any{
		"client_id":      client.ID,
		"name":           client.Name,
		"type":           client.Type,
		"scope":          client.Scopes.String(),
		"token_endpoint": env.cfg.Issuer + web.Paths["token"],
	}
	if *owner != "" {
		out["owner"] = models.NormalizeEmail(*owner)
	}
	if secret != "" {
		out["client_secret"] = secret
	}
	if len(client.RedirectURIs) > 0 {
		out["redirect_uris"] = client.RedirectURIs
	}
	if len(client.PostLogoutRedirectURIs) > 0 {
		out["post_logout_redirect_uris"] = client.PostLogoutRedirectURIs
	}
	if client.AllowDeviceGrant {
		out["device_authorization_endpoint"] = env.cfg.Issuer + web.Paths["device_authorization"]
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// clientDetail describes a client made on the command line, for the audit log.
func clientDetail(c *models.Client, owner string) string {
	d := fmt.Sprintf("%q; %s; scopes %s", c.Name, c.Type, c.Scopes.String())
	if owner != "" {
		d += "; owner " + models.NormalizeEmail(owner)
	}
	if c.CanIntrospect {
		d += "; may introspect tokens"
	}
	if c.AllowDeviceGrant {
		d += "; device sign-in allowed"
	}
	return d
}

// registrationFlags names the flag of each field oauth.ValidateRegistration may refuse.
var registrationFlags = map[string]string{
	"name": "name", "type": "type", "redirect_uris": "redirect-uri", "scopes": "scope",
	"post_logout_redirect_uris": "post-logout-redirect-uri",
}

func seconds(d time.Duration) *int {
	if d <= 0 {
		return nil
	}
	n := int(d / time.Second)
	return &n
}
