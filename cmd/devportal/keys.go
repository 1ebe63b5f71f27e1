package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"

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
	kids, err := env.oauth.RotateKeys(ctx)
	if err != nil {
		return err
	}
	for _, alg := range slices.Sorted(maps.Keys(kids)) {
		fmt.Fprintf(stdout, "added %s signing key %s\n", alg, kids[alg])
	}
	fmt.Fprintf(stdout, "running servers publish the new keys in the JWKS within a minute and sign with them %s after now; older keys keep verifying\n", oauth.DefaultKeyActivation)
	return nil
}
