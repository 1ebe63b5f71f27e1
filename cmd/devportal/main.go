// Command devportal runs the developer portal and OAuth 2.0 authorization server, and the
// operator commands beside it (migrate, users, clients, keys, purge).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "devportal:", err)
		os.Exit(1)
	}
}

const usage = `Usage: devportal [command] [flags]

Commands:
  serve            run the portal and authorization server (the default): [--addr A]
  migrate          apply database migrations and exit
  users create     create a user:   --email E --password-stdin [--admin] (or --password P)
  clients create   create a client: --name N --type machine --scope "A B" [--redirect-uri U]...
  keys rotate      add new token-signing keys; older keys keep verifying: [--now] signs at once
  keys retire KID  take a signing key out of signing and out of the JWKS
  version          print the version
  purge            delete what has expired or passed its retention, in small batches
  backup --to F    copy the SQLite database to the new file F while the server runs
  registration-tokens create  an initial access token for dynamic client registration,
                   printed as JSON: [--expires 24h] [--uses 1]
  registration-tokens revoke ID  stop that token registering clients

Run "devportal COMMAND --help" for a command's flags.
Configuration comes from DEVPORTAL_* environment variables; see README.md.
`

// run dispatches to a subcommand. It takes its environment as arguments so tests can call it.
// Asking for help (-h, --help) anywhere is a success: the usage goes to stdout.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, getenv, stdin, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) { // the FlagSet printed the command's flags already
		return nil
	}
	return err
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "-help" || arg == "--help"
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	ctx = withCLIActor(ctx, getenv) // what a command changes, the audit log says the command line did
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	sub := func() (string, []string) {
		if len(args) == 0 {
			return "", nil
		}
		return args[0], args[1:]
	}
	// `devportal users --help`: the commands of the group are in the usage.
	if s, _ := sub(); isHelp(s) && (cmd == "users" || cmd == "clients" || cmd == "keys" || cmd == "registration-tokens") {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch cmd {
	case "version":
		if err := flags("version", stdout).Parse(args); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "devportal %s\n", version)
		return nil
	case "serve":
		return serve(ctx, args, getenv, stdout)
	case "migrate":
		return migrate(ctx, args, getenv, stdout)
	case "users":
		switch s, rest := sub(); s {
		case "create":
			return usersCreate(ctx, rest, getenv, stdin, stdout)
		}
	case "clients":
		switch s, rest := sub(); s {
		case "create":
			return clientsCreate(ctx, rest, getenv, stdout)
		}
	case "keys":
		switch s, rest := sub(); s {
		case "rotate":
			return keysRotate(ctx, rest, getenv, stdout)
		case "retire":
			return keysRetire(ctx, rest, getenv, stdout)
		}
	case "registration-tokens":
		switch s, rest := sub(); s {
		case "create":
			return registrationTokensCreate(ctx, rest, getenv, stdout)
		case "revoke":
			return registrationTokensRevoke(ctx, rest, getenv, stdout)
		}
	case "purge":
		return purgeCmd(ctx, args, getenv, stdout)
	case "backup":
		return backupCmd(ctx, args, getenv, stdout)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd+" "+firstOr(args, ""))
}

func firstOr(args []string, def string) string {
	if len(args) > 0 {
		return args[0]
	}
	return def
}
