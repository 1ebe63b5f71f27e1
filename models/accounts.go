package models

import (
	"context"
	"time"
)

// ErrLastAdmin refuses to leave the installation without an enabled admin.
var ErrLastAdmin = &Error{Code: ELastAdmin, Message: "this is the last enabled administrator"}

// ChangePassword replaces a user's password after checking the current one; it ends every other
// session of the user, since whoever knew the old password may hold one.
func (s *Store) ChangePassword(ctx context.Context, userID int64, current, next string, keepSession string) error {
	if len(current) > MaxPasswordLength { // no password was ever set that long
		return ErrBadCredential
	}
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	ok, err := s.checkPassword(ctx, current, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		return ErrBadCredential
	}
	if err := ValidatePassword(next); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return err
	}
	return s.InTx(ctx, func(tx *Store) error {
		if err := tx.q(ctx).Model(&User{}).Where("id = ?", userID).Update("password_hash", hash).Error; err != nil {
			return err
		}
		return tx.q(ctx).Where("user_id = ? AND id <> ?", userID, HashToken(keepSession)).Delete(&Session{}).Error
	})
}

// DeleteUserSessions signs a user out everywhere.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	return s.q(ctx).Where("user_id = ?", userID).Delete(&Session{}).Error
}

// SetUserDisabled disables (or enables) a user. Disabling ends their sessions, deletes their
// unexchanged authorization codes and revokes their grants at once, so every code and token of
// theirs is refused from then on.
func (s *Store) SetUserDisabled(ctx context.Context, id int64, disabled bool) error {
	return s.InTx(ctx, func(tx *Store) error {
		var value any
		if disabled {
			if err := tx.guardLastAdmin(ctx, id); err != nil {
				return err
			}
			now := time.Now().UTC()
			value = now
			if err := tx.DeleteUserSessions(ctx, id); err != nil {
				return err
			}
			// Their grants end too, so no refresh can mint new tokens that offline verifiers
			// would accept; enabling the user again does not bring them back.
			if err := tx.q(ctx).Where("user_id = ? AND used_at IS NULL", id).Delete(&AuthCode{}).Error; err != nil {
				return err
			}
			if err := tx.q(ctx).Model(&Grant{}).Where("user_id = ? AND revoked_at IS NULL", id).Update("revoked_at", now).Error; err != nil {
				return err
			}
		}
		return tx.updateUser(ctx, id, "disabled_at", value)
	})
}

// SetUserAdmin grants or removes the admin role.
func (s *Store) SetUserAdmin(ctx context.Context, id int64, admin bool) error {
	return s.InTx(ctx, func(tx *Store) error {
		if !admin {
			if err := tx.guardLastAdmin(ctx, id); err != nil {
				return err
			}
		}
		return tx.updateUser(ctx, id, "is_admin", admin)
	})
}

func (s *Store) updateUser(ctx context.Context, id int64, column string, value any) error {
	res := s.q(ctx).Model(&User{}).Where("id = ?", id).Updates(map[string]any{column: value, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// guardLastAdmin refuses when id is the only enabled admin.
func (s *Store) guardLastAdmin(ctx context.Context, id int64) error {
	var others int64
	if err := s.q(ctx).Model(&User{}).Where("is_admin = ? AND disabled_at IS NULL AND id <> ?", true, id).Count(&others).Error; err != nil {
		return err
	}
	u, err := s.UserByID(ctx, id)
	if err != nil {
		return err
	}
	if u.IsAdmin && u.DisabledAt == nil && others == 0 {
		return ErrLastAdmin
	}
	return nil
}
