package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm/clause"
)

// Grant is one authorization of a client: the tokens issued from one authorization code, or one
// refresh-token family. Revoking it ends all of them.
type Grant struct {
	ID       string `gorm:"primaryKey"`
	ClientID string
	UserID   *int64
	// Subject is the user's OpenID subject, the sub of the grant's tokens ("" for none).
	Subject   string
	Scope     Words
	CreatedAt time.Time
	RevokedAt *time.Time
	// APIID is the API the authorization request named as its resource (RFC 8707), which every
	// access token of the grant is for; nil: none was named, the scopes decide.
	APIID *int64 `gorm:"column:api_id"`
	Authn
}

// Authn is what an ID Token says about the sign-in behind a code or grant (OIDC Core §2): when
// it happened, how, and in which portal session. Zero for plain OAuth 2.0 and machine grants.
type Authn struct {
	AuthTime *time.Time
	AMR      Words  `gorm:"column:amr"`
	SID      string `gorm:"column:sid"`
}

// AuthCode is an authorization code, stored as its SHA-256.
type AuthCode struct {
	Hash                string `gorm:"primaryKey"`
	ClientID            string
	UserID              int64
	Subject             string // the user's OpenID subject, the sub of the code's tokens
	RedirectURI         string // as sent in the authorization request ("" when omitted)
	Scope               Words
	CodeChallenge       string
	CodeChallengeMethod string
	GrantID             *string
	CreatedAt           time.Time
	ExpiresAt           time.Time
	UsedAt              *time.Time
	Nonce               string // OIDC Core §3.1.2.1, echoed in the ID Token
	APIID               *int64 `gorm:"column:api_id"` // the resource asked for (RFC 8707 §2.1); nil: none
	Authn
}

// RefreshToken is one refresh token of a grant, stored as its SHA-256. Rotation marks it used
// and issues a successor in the same grant.
type RefreshToken struct {
	Hash      string `gorm:"primaryKey"`
	GrantID   string
	Scope     Words
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time

	Grant Grant `gorm:"foreignKey:GrantID"`
}

// Consent remembers which scopes a user allowed an application.
type Consent struct {
	UserID    int64  `gorm:"primaryKey"`
	ClientID  string `gorm:"primaryKey"`
	Scope     Words
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CreateAuthCode stores a freshly issued code.
func (s *Store) CreateAuthCode(ctx context.Context, code *AuthCode) error {
	return s.q(ctx).Create(code).Error
}

// ConsumeAuthCode marks clientID's code with this hash used and returns it. Only one caller can
// ever consume a code: the UPDATE's condition makes it atomic on both databases. A code used
// before is returned together with ErrAlreadyUsed, so the caller can revoke what it produced; a
// code of another client is ErrNotFound and stays unused.
func (s *Store) ConsumeAuthCode(ctx context.Context, hash, clientID string, now time.Time) (*AuthCode, error) {
	code, err := s.authCode(ctx, hash, clientID)
	if err != nil {
		return nil, err
	}
	if code.UsedAt != nil {
		return code, ErrAlreadyUsed
	}
	// Conditional, like the refresh token's: a racing exchange of the same code on PostgreSQL
	// waits for the winner's row lock, then updates nothing.
	res := s.q(ctx).Exec(useAuthCode, now, hash)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		if code, err = s.authCode(ctx, hash, clientID); err != nil {
			return nil, err
		}
		return code, ErrAlreadyUsed
	}
	code.UsedAt = &now
	return code, nil
}

const useAuthCode = `UPDATE auth_codes SET used_at = ? WHERE hash = ? AND used_at IS NULL`

// authCode reads clientID's code by its hash, with its columns written out: GORM's reflection
// was a sixth of a code exchange.
func (s *Store) authCode(ctx context.Context, hash, clientID string) (*AuthCode, error) {
	var c AuthCode
	err := s.q(ctx).Raw(authCodeByHash, hash, clientID).Row().Scan(&c.Hash, &c.ClientID, &c.UserID, &c.Subject, &c.RedirectURI, &c.Scope,
		&c.CodeChallenge, &c.CodeChallengeMethod, &c.GrantID, &c.CreatedAt, &c.ExpiresAt, &c.UsedAt, &c.Nonce, &c.APIID, &c.AuthTime, &c.AMR, &c.SID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

const authCodeByHash = `SELECT hash, client_id, user_id, subject, redirect_uri, scope, code_challenge, code_challenge_method,
	grant_id, created_at, expires_at, used_at, nonce, api_id, auth_time, amr, sid
	FROM auth_codes WHERE hash = ? AND client_id = ?`

// LinkAuthCode records which grant a code produced.
func (s *Store) LinkAuthCode(ctx context.Context, hash, grantID string) error {
	return s.q(ctx).Model(&AuthCode{}).Where("hash = ?", hash).Update("grant_id", grantID).Error
}

// CreateGrant stores a new grant.
func (s *Store) CreateGrant(ctx context.Context, g *Grant) error {
	return s.q(ctx).Create(g).Error
}

// RevokeGrant ends a grant and every token of it; revoking twice is harmless.
func (s *Store) RevokeGrant(ctx context.Context, id string, now time.Time) error {
	return s.q(ctx).Model(&Grant{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", now).Error
}

// RevokeReplayedGrant revokes grant id because a credential of it came back after use (a rotated
// refresh token, RFC 9700 §4.14.2; a spent authorization code, RFC 6749 §4.1.2) and records e
// in the same transaction, naming the grant and whom it was for (never the credential). Only the
// call that revokes the grant records it: concurrent replays, and replays of a grant already
// revoked, add no second entry, and the entry commits or rolls back with the revocation.
func (s *Store) RevokeReplayedGrant(ctx context.Context, id string, now time.Time, e *AuditEvent) error {
	return s.InTx(ctx, func(tx *Store) error {
		res := tx.q(ctx).Model(&Grant{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", now)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		g, err := tx.GrantByID(ctx, id)
		if err != nil {
			return err
		}
		e.Detail = "revoked grant " + g.ID
		if g.UserID != nil {
			who := fmt.Sprintf("user %d", *g.UserID)
			switch u, err := tx.UserByID(ctx, *g.UserID); {
			case err == nil:
				who = u.Email + " (" + who + ")"
			case !errors.Is(err, ErrNotFound):
				return err
			}
			e.Detail += " of " + who
		}
		if g.Subject != "" {
			e.Detail += ", subject " + g.Subject
		}
		return tx.Audit(ctx, e)
	})
}

// CreateRefreshToken stores a refresh token.
func (s *Store) CreateRefreshToken(ctx context.Context, rt *RefreshToken) error {
	if rt.CreatedAt.IsZero() {
		rt.CreatedAt = time.Now().UTC()
	}
	// Written out rather than GORM's Create, whose reflection was a third of storing the
	// successor on every refresh.
	return s.q(ctx).Exec(insertRefreshToken, rt.Hash, rt.GrantID, rt.Scope, rt.CreatedAt, rt.ExpiresAt, rt.UsedAt).Error
}

const insertRefreshToken = `INSERT INTO refresh_tokens (hash, grant_id, scope, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?)`

// UseRefreshToken atomically marks clientID's refresh token used and returns it with its grant.
// A token used before comes back with ErrAlreadyUsed (the caller decides what reuse means); an
// unknown one, or one of another client, is ErrNotFound. Of two concurrent callers exactly one
// gets a nil error.
func (s *Store) UseRefreshToken(ctx context.Context, hash, clientID string, now time.Time) (*RefreshToken, error) {
	// The token is read by its key with its grant, and the client checked on that grant: not
	// "grant_id IN (the client's grants)", which for a popular client meant a million rows read
	// inside the write transaction on every refresh (issue 14, growth).
	rt, err := s.RefreshTokenByHash(ctx, hash)
	if err != nil {
		return nil, err
	}
	if rt.Grant.ClientID != clientID {
		return nil, ErrNotFound
	}
	if rt.UsedAt != nil {
		return rt, ErrAlreadyUsed
	}
	// Marking it used is conditional: of two refreshes racing with the same token on
	// PostgreSQL, the second waits for the first's row lock, then finds used_at set and
	// updates nothing.
	res := s.q(ctx).Exec(useRefreshToken, now, hash)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		if rt, err = s.RefreshTokenByHash(ctx, hash); err != nil {
			return nil, err
		}
		return rt, ErrAlreadyUsed
	}
	rt.UsedAt = &now
	return rt, nil
}

const useRefreshToken = `UPDATE refresh_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL`

// GrantByID loads one grant.
func (s *Store) GrantByID(ctx context.Context, id string) (*Grant, error) {
	var g Grant
	if err := s.q(ctx).Take(&g, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	return &g, nil
}

// SaveConsent records (or widens) the scopes a user allowed a client. It is an upsert that
// holds under concurrent approvals on both databases: the insert yields to an existing row
// instead of failing on the key, and the widening reads that row locked, so no scope is lost.
func (s *Store) SaveConsent(ctx context.Context, userID int64, clientID string, scope []string) error {
	return s.InTx(ctx, func(tx *Store) error {
		// Most authorizations repeat one already allowed: a read then, and no write (the
		// token endpoint's write transaction is the one every sign-in queues for).
		var held []Consent
		if err := tx.q(ctx).Where("user_id = ? AND client_id = ?", userID, clientID).Limit(1).Find(&held).Error; err != nil {
			return err
		}
		if len(held) == 1 && covers(held[0].Scope, scope) {
			return nil
		}
		now := time.Now().UTC()
		res := tx.q(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "user_id"}, {Name: "client_id"}}, DoNothing: true}).
			Create(&Consent{UserID: userID, ClientID: clientID, Scope: scope, CreatedAt: now, UpdatedAt: now})
		if res.Error != nil || res.RowsAffected == 1 {
			return res.Error
		}
		var c Consent
		if err := tx.forUpdate(ctx).Take(&c, "user_id = ? AND client_id = ?", userID, clientID).Error; err != nil {
			return err
		}
		return tx.q(ctx).Model(&Consent{}).Where("user_id = ? AND client_id = ?", userID, clientID).
			Updates(map[string]any{"scope": Words(union(c.Scope, scope)), "updated_at": now}).Error
	})
}

// covers tells whether have includes every scope of want.
func covers(have, want []string) bool {
	for _, sc := range want {
		if !slices.Contains(have, sc) {
			return false
		}
	}
	return true
}

func union(a, b []string) []string {
	seen := make(map[string]bool, len(a)+len(b))
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
