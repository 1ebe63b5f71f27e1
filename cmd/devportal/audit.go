package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/devportal/devportal/models"
)

// cliActor is the actor of what a command changes: "cli:<user>" with the OS user the shell
// reports (USER, else LOGNAME), or "cli". It is a hint for whoever reads the log, not an
// authentication: anyone who can run the command can already write the database.
func cliActor(getenv func(string) string) string {
	for _, k := range []string{"USER", "LOGNAME"} {
		if u := strings.TrimSpace(getenv(k)); u != "" {
			return "cli:" + u
		}
	}
	return "cli"
}

// withCLIActor makes the command line the actor of every audit entry the command writes,
// including those the store writes on its own (models.WithAuditActor).
func withCLIActor(ctx context.Context, getenv func(string) string) context.Context {
	return models.WithAuditActor(ctx, models.AuditActor{Name: cliActor(getenv)})
}

// audit appends an entry by ctx's actor (the command line).
func audit(ctx context.Context, s *models.Store, typ, target, detail string) error {
	a := models.AuditActorOf(ctx)
	return s.Audit(ctx, &models.AuditEvent{Type: typ, ActorID: a.ID, Actor: a.Name, IP: a.IP, Target: target, Detail: detail})
}

// auditDone appends an entry for something already done, so a failure says that it was done. An
// interrupt (Ctrl-C cancels ctx) does not stop it: what a purge deleted before it stays deleted.
func auditDone(ctx context.Context, s *models.Store, typ, target, detail string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := audit(ctx, s, typ, target, detail); err != nil {
		return fmt.Errorf("done, but the audit log entry (%s %s) could not be written: %w", typ, target, err)
	}
	return nil
}

// auditMigrations records the migrations a command applied, if any.
func auditMigrations(ctx context.Context, s *models.Store, applied []string) error {
	if len(applied) == 0 {
		return nil
	}
	return auditDone(ctx, s, models.AuditMigrated, applied[len(applied)-1], "applied "+strings.Join(applied, ", "))
}
