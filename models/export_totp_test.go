package models

import "context"

// SealedTOTPSecret is the stored (sealed) secret of userID's authenticator.
func SealedTOTPSecret(s *Store, userID int64) ([]byte, error) {
	var c TOTPCredential
	err := s.db.Where("user_id = ?", userID).Take(&c).Error
	return c.Secret, err
}

// MoveTOTPCredential gives userID's sealed secret to other, as a database edit could.
func MoveTOTPCredential(s *Store, userID, other int64) error {
	return s.db.WithContext(context.Background()).Model(&TOTPCredential{}).Where("user_id = ?", userID).Update("user_id", other).Error
}

// RecoveryCodeHashes are the stored hashes of userID's recovery codes.
func RecoveryCodeHashes(s *Store, userID int64) ([]string, error) {
	var out []string
	err := s.db.Model(&RecoveryCode{}).Where("user_id = ?", userID).Pluck("hash", &out).Error
	return out, err
}
