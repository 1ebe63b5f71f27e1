package main

import (
	"context"
	"fmt"
	"io"

	"github.com/devportal/devportal/models/oauth"
)

func keysRotate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if err := flags("keys rotate", stdout).Parse(args); err != nil {
		return err
	}
	env, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer env.store.Close()
	kid, err := env.oauth.RotateKey(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added signing key %s: running servers publish it in the JWKS within a minute and sign with it %s after now; older keys keep verifying\n", kid, oauth.DefaultKeyActivation)
	return nil
}
