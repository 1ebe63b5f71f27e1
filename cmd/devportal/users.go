package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/devportal/devportal/models"
)

func usersCreate(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := flags("users create", stdout)
	email := fs.String("email", "", "the user's email (required)")
	fromStdin := fs.Bool("password-stdin", false, "read the password, at least 12 characters, from the first line of standard input")
	password := fs.String("password", "", "the user's password (prefer --password-stdin: a password here stays in the shell history)")
	admin := fs.Bool("admin", false, "make the user an administrator")
	name := fs.String("name", "", "the user's display name (optional; the OpenID name claim)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *email == "":
		return errors.New("users create needs --email")
	case *fromStdin && *password != "":
		return errors.New("give the password with --password-stdin or with --password, not both")
	case !*fromStdin && *password == "":
		return errors.New("users create needs a password: --password-stdin reads it from standard input (or give --password P)")
	case *fromStdin:
		var err error
		if *password, err = readPassword(stdin); err != nil {
			return err
		}
	}
	env, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer env.store.Close()
	// Not in one transaction with the audit entries: on SQLite that would hold the database's
	// write lock while the password hashes. A failed entry is reported after the account exists.
	u, err := env.store.CreateAccount(ctx, models.NewUser{Email: *email, Password: *password, Name: *name, Admin: *admin})
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
	if err := auditDone(ctx, env.store, models.AuditUserCreated, u.Email, role); err != nil {
		return err
	}
	if u.IsAdmin {
		return auditDone(ctx, env.store, models.AuditAdminGranted, u.Email, "at creation, with devportal users create --admin")
	}
	return nil
}

// readPassword takes the first line of r, without its line ending, as the password.
func readPassword(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
			return "", errors.New("--password-stdin: the first line of standard input is too long for a password (at most 1024 characters)")
		} else if err != nil {
			return "", fmt.Errorf("--password-stdin: %w", err)
		}
		return "", errors.New("--password-stdin: standard input is empty; pipe the password in, for example: printf '%s\\n' \"$PASSWORD\" | devportal users create --email E --password-stdin")
	}
	if sc.Text() == "" {
		return "", errors.New("--password-stdin: the first line of standard input is empty")
	}
	return sc.Text(), nil
}
