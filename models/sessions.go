package models

import (
	"context"
	"time"
)

// Session is a signed-in browser. Its ID is the SHA-256 of the cookie value, so a database
// leak does not hand out live sessions.
type Session struct {
	ID        string
	UserID    int64
	IP        string
	UserAgent string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateSession starts a session for userID and returns the cookie value.
func (s *Store) CreateSession(ctx context.Context, userID int64, ttl time.Duration, ip, userAgent string) (string, error) {
	token := NewToken("")
	now := time.Now().UTC()
	if len(userAgent) > 256 {
		userAgent = userAgent[:256]
	}
	sess := &Session{ID: HashToken(token), UserID: userID, IP: ip, UserAgent: userAgent, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.q(ctx).Create(sess).Error; err != nil {
		return "", err
	}
	return token, nil
}

// SessionUser returns the user behind a session cookie value, or ErrNotFound when the session
// is unknown, expired, or its user is disabled.
func (s *Store) SessionUser(ctx context.Context, token string) (*User, error) {
	var u User
	err := s.q(ctx).Table("users").Select("users.*").
		Joins("JOIN sessions ON sessions.user_id = users.id").
		Where("sessions.id = ? AND sessions.expires_at > ? AND users.disabled_at IS NULL", HashToken(token), time.Now().UTC()).
		Take(&u).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// DeleteSession ends one session; ending an unknown one is not an error.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	return s.q(ctx).Where("id = ?", HashToken(token)).Delete(&Session{}).Error
}
