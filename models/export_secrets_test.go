package models

import (
	"context"
	"time"
)

// UsableSecretIDs lists, by usableSecretSQL, the ids of clientID's secrets usable at now.
func UsableSecretIDs(s *Store, clientID string, now time.Time) ([]int64, error) {
	var ids []int64
	err := s.usableSecrets(context.Background(), clientID, now).Order("id").Pluck("id", &ids).Error
	return ids, err
}

// AddSecretRow stores a secret row exactly as given, whatever its retirement and expiry.
func AddSecretRow(s *Store, cs *ClientSecret) error {
	return s.db.Create(cs).Error
}
