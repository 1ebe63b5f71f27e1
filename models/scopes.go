package models

import (
	"context"
	"time"
)

// Scope is one entry of the scope catalog: a permission an application may ask a user for.
type Scope struct {
	Name        string `gorm:"primaryKey"`
	Description string
	Sensitive   bool
	RetiredAt   *time.Time
	CreatedAt   time.Time
}

// ActiveScopes lists the scopes applications may request now, by name.
func (s *Store) ActiveScopes(ctx context.Context) ([]Scope, error) {
	var out []Scope
	err := s.q(ctx).Where("retired_at IS NULL").Order("name").Find(&out).Error
	return out, err
}

// ScopesByName loads the named scopes, retired ones included, in catalog order; unknown names are
// simply absent from the result.
func (s *Store) ScopesByName(ctx context.Context, names []string) ([]Scope, error) {
	var out []Scope
	if len(names) == 0 {
		return out, nil
	}
	err := s.q(ctx).Where("name IN ?", names).Order("name").Find(&out).Error
	return out, err
}
