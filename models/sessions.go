package models

import (
	"context"
	"time"
)

// Session is a signed-in browser. Its ID is the SHA-256 of the cookie value, so a database
// leak does not hand out live sessions.
type Session struct {
	ID     string
	UserID int64
	// SID is the session's public identifier, the ID Token's sid; ID is the cookie's hash and
	// is never shown.
	SID string `gorm:"column:sid"`
	// AMR says how the session was authenticated (RFC 8176 values such as "pwd").
	AMR       Words `gorm:"column:amr"`
	IP        string
	UserAgent string
	CreatedAt time.Time
	ExpiresAt time.Time
	// LastSeenAt is the latest activity, kept to within a few minutes (see SessionUser).
	LastSeenAt time.Time
}

// CreateSession starts a session for userID and returns the cookie value and the session. amr
// says how the user authenticated (RFC 8176: "pwd", "otp", "hwk", "user", "mfa"); none means a
// password.
func (s *Store) CreateSession(ctx context.Context, userID int64, ttl time.Duration, ip, userAgent string, amr ...string) (string, *Session, error) {
	token := NewToken("")
	now := time.Now().UTC()
	if len(userAgent) > 256 {
		userAgent = userAgent[:256]
	}
	if len(amr) == 0 {
		amr = []string{"pwd"}
	}
	sess := &Session{ID: HashToken(token), SID: NewID(16), AMR: Words(amr), UserID: userID, IP: ip, UserAgent: userAgent, CreatedAt: now, ExpiresAt: now.Add(ttl), LastSeenAt: now}
	if err := s.q(ctx).Create(sess).Error; err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// SessionUser returns the user behind a session cookie value at now, or ErrNotFound when the
// session is unknown, expired, idle for idle or longer (idle ≤ 0: no idle limit), or its user is
// disabled. It records the activity, but only when the last record is older than
// min(idle/10, 5m): page views do not each cost a write, and the idle limit is still kept to
// within a tenth of itself.
func (s *Store) SessionUser(ctx context.Context, token string, now time.Time, idle time.Duration) (*User, *Session, error) {
	var row struct {
		User
		SessionLastSeenAt time.Time `gorm:"column:session_last_seen_at"`
		SessionCreatedAt  time.Time `gorm:"column:session_created_at"`
		SessionSID        string    `gorm:"column:session_sid"`
		SessionAMR        Words     `gorm:"column:session_amr"`
	}
	q := s.q(ctx).Table("users").Select(s.columnsOf(&User{})+", sessions.last_seen_at AS session_last_seen_at, sessions.created_at AS session_created_at, sessions.sid AS session_sid, sessions.amr AS session_amr").
		Joins("JOIN sessions ON sessions.user_id = users.id").
		Where("sessions.id = ? AND sessions.expires_at > ? AND users.disabled_at IS NULL", HashToken(token), now)
	if idle > 0 {
		q = q.Where("sessions.last_seen_at > ?", now.Add(-idle))
	}
	if err := q.Take(&row).Error; err != nil {
		return nil, nil, notFound(err)
	}
	sess := &Session{ID: HashToken(token), UserID: row.User.ID, SID: row.SessionSID, AMR: row.SessionAMR, CreatedAt: row.SessionCreatedAt, LastSeenAt: row.SessionLastSeenAt}
	if now.Sub(row.SessionLastSeenAt) >= touchInterval(idle) {
		// The condition keeps two instances' touches from moving it backwards.
		err := s.q(ctx).Model(&Session{}).Where("id = ? AND last_seen_at < ?", HashToken(token), now).Update("last_seen_at", now).Error
		if err != nil {
			return nil, nil, err
		}
	}
	return &row.User, sess, nil
}

// touchInterval is how stale a session's last_seen_at may get before a request refreshes it.
func touchInterval(idle time.Duration) time.Duration {
	if idle <= 0 {
		return 5 * time.Minute
	}
	return min(idle/10, 5*time.Minute)
}

// DeleteSession ends one session; ending an unknown one is not an error.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	return s.q(ctx).Where("id = ?", HashToken(token)).Delete(&Session{}).Error
}

// UserSessions lists userID's live sessions, most recently active first (the sessions_user_id
// index; an account has a handful).
func (s *Store) UserSessions(ctx context.Context, userID int64, now time.Time) ([]Session, error) {
	var out []Session
	err := s.q(ctx).Where("user_id = ? AND expires_at > ?", userID, now).Order("last_seen_at DESC").Limit(100).Find(&out).Error
	return out, err
}

// EndSessionBySID ends userID's session whose public id is sid; ErrNotFound when it has none
// (another user's sid ends nothing).
func (s *Store) EndSessionBySID(ctx context.Context, userID int64, sid string) error {
	res := s.q(ctx).Where("user_id = ? AND sid = ?", userID, sid).Delete(&Session{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
