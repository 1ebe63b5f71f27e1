package models

import (
	"context"
	"time"
)

// OutboxEntry is one queued mail, sealed; models/mail seals, sends and retries it.
type OutboxEntry struct {
	ID            int64
	Payload       []byte
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	FailedAt      *time.Time
}

// TableName is the outbox table.
func (OutboxEntry) TableName() string { return "outbox" }

// EnqueueMail stores a sealed mail to be sent from now on. The queue is bounded: with max mails
// already waiting it refuses with ErrBusy, so a flood of requests cannot grow it without end.
func (s *Store) EnqueueMail(ctx context.Context, payload []byte, now time.Time, max int) error {
	var waiting int64
	if err := s.q(ctx).Model(&OutboxEntry{}).Where("failed_at IS NULL").Count(&waiting).Error; err != nil {
		return err
	}
	if waiting >= int64(max) {
		return ErrBusy.Describe("Too much mail is waiting to be sent. Try again in a few minutes.")
	}
	return s.q(ctx).Create(&OutboxEntry{Payload: payload, NextAttemptAt: now, CreatedAt: now}).Error
}

// DueMail lists up to limit mails whose next attempt is due at now, oldest first.
func (s *Store) DueMail(ctx context.Context, now time.Time, limit int) ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := s.q(ctx).Where("failed_at IS NULL AND next_attempt_at <= ?", now).Order("next_attempt_at, id").Limit(limit).Find(&out).Error
	return out, err
}

// ClaimMail takes e for one send attempt until leaseUntil, so that no other instance sends it
// meanwhile: it succeeds only if nobody moved e's next attempt since it was read.
func (s *Store) ClaimMail(ctx context.Context, e *OutboxEntry, leaseUntil time.Time) (bool, error) {
	res := s.q(ctx).Model(&OutboxEntry{}).Where("id = ? AND next_attempt_at = ? AND failed_at IS NULL", e.ID, e.NextAttemptAt).
		Updates(map[string]any{"next_attempt_at": leaseUntil, "attempts": e.Attempts + 1})
	return res.RowsAffected == 1, res.Error
}

// MailSent removes a sent mail: nothing of it is kept.
func (s *Store) MailSent(ctx context.Context, id int64) error {
	return s.q(ctx).Delete(&OutboxEntry{}, id).Error
}

// MailFailed records a failed attempt: another at next, or, when next is zero, none (given up).
func (s *Store) MailFailed(ctx context.Context, id int64, next time.Time, reason string, now time.Time) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	updates := map[string]any{"last_error": reason}
	if next.IsZero() {
		updates["failed_at"] = now
	} else {
		updates["next_attempt_at"] = next
	}
	return s.q(ctx).Model(&OutboxEntry{}).Where("id = ?", id).Updates(updates).Error
}

// MailCounts says how many mails wait to be sent and how many were given up on.
func (s *Store) MailCounts(ctx context.Context) (waiting, failed int64, err error) {
	if err = s.q(ctx).Model(&OutboxEntry{}).Where("failed_at IS NULL").Count(&waiting).Error; err != nil {
		return
	}
	err = s.q(ctx).Model(&OutboxEntry{}).Where("failed_at IS NOT NULL").Count(&failed).Error
	return
}
