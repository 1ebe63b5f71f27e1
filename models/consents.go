package models

import (
	"context"
	"slices"
	"time"
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
// query however many applications there are: each application's newest refresh token comes
// from a window over the user's own grants (grants_user_id, refresh_tokens_grant_id), and
// selecting that row's column, not an aggregate, keeps its declared type, which SQLite needs
// to return a time.
func (s *Store) AuthorizedApps(ctx context.Context, userID int64) ([]AuthorizedApp, error) {
	newest := s.q(ctx).Table("refresh_tokens").
		Select("grants.client_id, refresh_tokens.created_at, ROW_NUMBER() OVER (PARTITION BY grants.client_id ORDER BY refresh_tokens.created_at DESC) AS n").
		Joins("JOIN grants ON grants.id = refresh_tokens.grant_id").
		Where("grants.user_id = ?", userID)
	var rows []struct {
		ClientID   string
		ClientName string
		Scope      Words
		CreatedAt  time.Time
		LastUsedAt *time.Time
	}
	err := s.q(ctx).Table("consents").
		Select("consents.client_id, clients.name AS client_name, consents.scope, consents.created_at, newest.created_at AS last_used_at").
		Joins("JOIN clients ON clients.id = consents.client_id").
		Joins("LEFT JOIN (?) newest ON newest.client_id = consents.client_id AND newest.n = 1", newest).
		Where("consents.user_id = ?", userID).Order("consents.created_at DESC").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]AuthorizedApp, len(rows))
	for i, r := range rows {
		out[i] = AuthorizedApp{ClientID: r.ClientID, ClientName: r.ClientName, Scope: r.Scope, GrantedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt}
	}
	return out, nil
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
