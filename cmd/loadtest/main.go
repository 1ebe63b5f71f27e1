// Command loadtest measures a devportal server on this machine (issue 14). It refuses any host
// that is not loopback, so it cannot be pointed at someone else's server.
//
//	loadtest seed -db data/large.db -scale 1 -fixtures large.json       # the growth dataset
//	loadtest run -url http://127.0.0.1:8080 -fixtures large.json -scenario all -c 8 -d 10s
//	loadtest growth -small http://127.0.0.1:8081,small.json -large http://127.0.0.1:8082,large.json
//
// run measures each scenario with the same client as a trivial handler it serves itself (the
// ceiling), so its ratios mean the same on any machine; growth compares the same operations on
// a small and a large dataset.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

const usage = `usage: loadtest COMMAND [flags]

commands:
  run      measure scenarios against a server, beside the ceiling of this machine
  seed     fill a database with the growth dataset and write the fixtures file
  growth   compare operations on a small and a large dataset

loadtest COMMAND -h lists the command's flags.
`

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(out, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "run":
		return runCmd(ctx, args[1:], out)
	case "seed":
		return seedCmd(ctx, args[1:], out)
	case "growth":
		return growthCmd(ctx, args[1:], out)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(out, usage)
		return nil
	}
	fmt.Fprint(out, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// flags builds a FlagSet that reports errors instead of exiting.
func flags(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("loadtest "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	return fs
}

// loopback refuses a base URL whose host is not this machine.
func loopback(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q is not an http URL", base)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s is not a loopback address; loadtest only measures servers on this machine", u.Hostname())
	}
	return nil
}
