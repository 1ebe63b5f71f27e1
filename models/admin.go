package models

import (
	"context"
	"time"
)

// ErrClientStatus refuses a status change that does not apply to the client's current status,
// such as reinstating a revoked client or suspending one that is not active.
var ErrClientStatus = &Error{Code: EClientStatus, Message: "the client's status does not allow this change"}

// ChangeClientStatus moves a client from one status to another in a single conditional update,
// so a reinstate that raced a revoke cannot bring the revoked client back. It returns
// ErrNotFound for an unknown client and ErrClientStatus when the client is not in status from.
func (s *Store) ChangeClientStatus(ctx context.Context, id, from, to string) error {
	res := s.q(ctx).Model(&Client{}).Where("id = ? AND status = ?", id, from).
		Updates(map[string]any{"status": to, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected > 0 {
		return nil
	}
	var n int64
	if err := s.q(ctx).Model(&Client{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return ErrClientStatus
}

// SetClientIntrospection grants or removes a confidential client's right to introspect tokens
// issued to other clients (a resource server's capability).
func (s *Store) SetClientIntrospection(ctx context.Context, id string, allowed bool) error {
	res := s.q(ctx).Model(&Client{}).Where("id = ? AND type IN ?", id, []ClientType{ClientWeb, ClientMachine}).
		Updates(map[string]any{"can_introspect": allowed, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
