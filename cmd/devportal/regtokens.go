package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/web"
)

// openStore opens and migrates the database of the environment, for commands that need no
// protocol server.
func openStore(ctx context.Context, getenv func(string) string) (*models.Store, error) {
	cfg, err := web.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	store, err := models.OpenWith(cfg.DatabaseURL, cfg.DB)
	if err != nil {
		return nil, err
	}
	applied, err := store.Migrate(ctx)
	if err == nil {
		err = auditMigrations(ctx, store, applied)
	}
	if err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// registrationTokensCreate is `devportal registration-tokens create --expires 24h --uses 10`:
// it makes an initial access token for dynamic client registration (DEVPORTAL_DCR=token) and
// prints it, once, as JSON.
func registrationTokensCreate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flags("registration-tokens create", stdout)
	expires := fs.Duration("expires", 24*time.Hour, "how long the token registers clients (1m to 8760h)")
	uses := fs.Int("uses", 1, fmt.Sprintf("how many clients it may register (1 to %d)", models.MaxRegistrationTokenUses))
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("registration-tokens create: unexpected argument %q", fs.Arg(0))
	}
	if err := models.ValidateRegistrationToken(*expires, *uses); err != nil {
		return fmt.Errorf("registration-tokens create: %s", models.ErrorMessage(err))
	}
	store, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer store.Close()
	t, token, err := store.CreateRegistrationToken(ctx, *expires, *uses, time.Now())
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"id": t.ID, "token": token, "uses": t.Uses, "expires_at": t.ExpiresAt.Format(time.RFC3339)})
}

// registrationTokensRevoke is `devportal registration-tokens revoke ID`.
func registrationTokensRevoke(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flags("registration-tokens revoke", stdout)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: devportal registration-tokens revoke ID\n\nStops the initial access token ID (the id create printed) from registering more clients.")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("registration-tokens revoke: give the token's id")
	}
	store, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.RevokeRegistrationToken(ctx, fs.Arg(0), time.Now()); errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("registration-tokens revoke: no active token has the id %q", fs.Arg(0))
	} else if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked registration token %s\n", fs.Arg(0))
	return nil
}
