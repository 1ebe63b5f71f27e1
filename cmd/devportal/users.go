package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/devportal/devportal/models"
)

func usersCreate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flags("users create", stdout)
	email := fs.String("email", "", "the user's email (required)")
	password := fs.String("password", "", "the user's password, at least 12 characters (required)")
	admin := fs.Bool("admin", false, "make the user an administrator")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || *password == "" {
		return errors.New("users create needs --email and --password")
	}
	env, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer env.store.Close()
	u, err := env.store.CreateUser(ctx, *email, *password, *admin)
	if errors.Is(err, models.ErrDuplicate) {
		return fmt.Errorf("a user with email %s already exists", models.NormalizeEmail(*email))
	}
	if err != nil {
		return err
	}
	role := "user"
	if u.IsAdmin {
		role = "admin"
	}
	fmt.Fprintf(stdout, "created %s %s (id %d); log in at %s/login\n", role, u.Email, u.ID, env.cfg.Issuer)
	return nil
}
