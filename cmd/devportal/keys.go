package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
)

func keysRotate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flags("keys rotate", stdout)
	now := fs.Bool("now", false, "emergency: the new keys sign at once instead of after the activation delay (resource servers with a cached JWKS may reject their tokens until they refetch it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer env.store.Close()
	rotate := env.oauth.RotateKeys
	if *now {
		rotate = env.oauth.RotateKeysNow
	}
	kids, err := rotate(ctx)
	// A key added before a failure is in the database: it is shown and recorded either way.
	for _, alg := range slices.Sorted(maps.Keys(kids)) {
		fmt.Fprintf(stdout, "added %s signing key %s\n", alg, kids[alg])
		detail := alg + "; signs after the activation delay (" + oauth.DefaultKeyActivation.String() + ")"
		if *now {
			detail = alg + "; signs at once (--now)"
		}
		if aerr := auditDone(ctx, env.store, models.AuditKeyRotated, kids[alg], detail); aerr != nil && err == nil {
			err = aerr
		}
	}
	if err != nil {
		return err
	}
	if *now {
		fmt.Fprintln(stdout, "running servers publish the new keys and sign with them within a minute; older keys keep verifying until you retire them (devportal keys retire KID)")
		return nil
	}
	fmt.Fprintf(stdout, "running servers publish the new keys in the JWKS within a minute and sign with them %s after now; older keys keep verifying\n", oauth.DefaultKeyActivation)
	return nil
}

func keysRetire(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flags("keys retire", stdout)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: devportal keys retire KID\n\nTakes the signing key KID (the kid in the JWKS) out of use: it stops signing and leaves the JWKS within a minute, so tokens it signed stop verifying. The last key of an algorithm cannot be retired: run devportal keys rotate --now first.")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("keys retire needs exactly one key id: devportal keys retire KID")
	}
	env, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer env.store.Close()
	kid := fs.Arg(0)
	if err := env.oauth.RetireKey(ctx, kid); err != nil {
		return err
	}
	if err := auditDone(ctx, env.store, models.AuditKeyRetired, kid, "stops signing and leaves the JWKS"); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "retired signing key %s: running servers stop signing with it and remove it from the JWKS within a minute\n", kid)
	return nil
}
