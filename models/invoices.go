package models

import (
	"context"
	"time"
)

// Invoice is a record of the sample protected API.
type Invoice struct {
	ID          string `gorm:"primaryKey"`
	OwnerID     int64
	ClientID    *string // the application that created it
	Amount      int64   // in the currency's minor unit
	Currency    string
	Description string
	Status      string
	CreatedAt   time.Time
}

// CreateInvoice stores a new invoice.
func (s *Store) CreateInvoice(ctx context.Context, inv *Invoice) error {
	inv.ID = "inv_" + NewID(12)
	if inv.Status == "" {
		inv.Status = "PENDING"
	}
	return s.q(ctx).Create(inv).Error
}

// InvoicesByOwner lists an owner's invoices, newest first, at most limit of them.
func (s *Store) InvoicesByOwner(ctx context.Context, ownerID int64, limit int) ([]Invoice, error) {
	out := []Invoice{}
	err := s.q(ctx).Where("owner_id = ?", ownerID).Order("created_at DESC, id DESC").Limit(limit).Find(&out).Error
	return out, err
}
