package models

import (
	"context"
	"database/sql/driver"
	"fmt"
	"slices"
	"time"

	"github.com/mattn/go-sqlite3"
)

// AuthorizedApp is one application a user approved, as their account page lists it.
type AuthorizedApp struct {
	ClientID   string
	ClientName string
	Scope      Words
	GrantedAt  time.Time  // when the user first allowed it
	LastUsedAt *time.Time // the latest token issued for the user, if any is remembered
}

// AuthorizedApps lists what a user approved, with last use derived from the newest code
// exchange or refresh, so recording it costs the token endpoint no extra write. It is one
// query however many applications there are, and its cost does not depend on how many tokens
// other users hold: each consent's newest refresh token is a correlated subquery on the
// grants of that user and client (grants_user_client) and their tokens
// (refresh_tokens_grant_created), an aggregate rather than a sort. (A window over the user's grants, joined to the
// consents, left PostgreSQL's generic plan free to read half a million index entries.)
func (s *Store) AuthorizedApps(ctx context.Context, userID int64) ([]AuthorizedApp, error) {
	var rows []struct {
		ClientID   string
		ClientName string
		Scope      Words
		CreatedAt  time.Time
		LastUsedAt scannedTime
	}
	err := s.q(ctx).Table("consents").
		Select("consents.client_id, clients.name AS client_name, consents.scope, consents.created_at, "+
			"(SELECT MAX(refresh_tokens.created_at) FROM grants JOIN refresh_tokens ON refresh_tokens.grant_id = grants.id"+
			" WHERE grants.user_id = consents.user_id AND grants.client_id = consents.client_id) AS last_used_at").
		Joins("JOIN clients ON clients.id = consents.client_id").
		Where("consents.user_id = ?", userID).Order("consents.created_at DESC").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]AuthorizedApp, len(rows))
	for i, r := range rows {
		out[i] = AuthorizedApp{ClientID: r.ClientID, ClientName: r.ClientName, Scope: r.Scope, GrantedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt.Time}
	}
	return out, nil
}

// scannedTime reads a nullable time that may come back as text: SQLite gives an expression (an
// aggregate, a subquery) no declared type, so go-sqlite3 returns the stored text as it is.
type scannedTime struct{ Time *time.Time }

// Value implements driver.Valuer (GORM wants both halves; the type is only ever read).
func (t scannedTime) Value() (driver.Value, error) {
	if t.Time == nil {
		return nil, nil
	}
	return *t.Time, nil
}

// Scan implements sql.Scanner.
func (t *scannedTime) Scan(src any) error {
	var text string
	switch v := src.(type) {
	case nil:
		t.Time = nil
		return nil
	case time.Time:
		t.Time = &v
		return nil
	case string:
		text = v
	case []byte:
		text = string(v)
	default:
		return fmt.Errorf("scan time from %T", src)
	}
	for _, layout := range sqlite3.SQLiteTimestampFormats {
		if v, err := time.ParseInLocation(layout, text, time.UTC); err == nil {
			v = v.UTC()
			t.Time = &v
			return nil
		}
	}
	return fmt.Errorf("scan time from %q", text)
}

// ConsentFor returns the scopes a user already allowed a client, or ErrNotFound.
func (s *Store) ConsentFor(ctx context.Context, userID int64, clientID string) (*Consent, error) {
	var c Consent
	if err := s.q(ctx).Take(&c, "user_id = ? AND client_id = ?", userID, clientID).Error; err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// RevokeConsent forgets a user's approval of a client, deletes the authorization codes not yet
// exchanged, and revokes every grant between them, in one transaction: from that moment their
// codes, access and refresh tokens are refused everywhere. Grants are revoked last, so a code
// exchange that raced ahead has committed its grant by then (it holds the code's row lock).
func (s *Store) RevokeConsent(ctx context.Context, userID int64, clientID string) error {
	return s.InTx(ctx, func(tx *Store) error {
		res := tx.q(ctx).Where("user_id = ? AND client_id = ?", userID, clientID).Delete(&Consent{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := tx.q(ctx).Where("user_id = ? AND client_id = ? AND used_at IS NULL", userID, clientID).Delete(&AuthCode{}).Error; err != nil {
			return err
		}
		return tx.q(ctx).Model(&Grant{}).Where("user_id = ? AND client_id = ? AND revoked_at IS NULL", userID, clientID).
			Update("revoked_at", time.Now().UTC()).Error
	})
}

// ConsentCovers reports whether the user is enabled and still allows the client every scope in
// scope; a code exchange asks it, so a code issued just before "Revoke access" or a disable
// cannot be redeemed afterwards.
func (s *Store) ConsentCovers(ctx context.Context, userID int64, clientID string, scope []string) (bool, error) {
	var rows []Consent
	err := s.q(ctx).Table("consents").Select(s.columnsOf(&Consent{})).Joins("JOIN users ON users.id = consents.user_id").
		Where("consents.user_id = ? AND consents.client_id = ? AND users.disabled_at IS NULL", userID, clientID).Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return false, err
	}
	for _, sc := range scope {
		if !slices.Contains(rows[0].Scope, sc) {
			return false, nil
		}
	}
	return true, nil
}
