package models

import "context"

// CountAuditCapped counts the audit events of type typ as the admin console counts, stopping
// at limit, so a test can reach the cap without inserting CountCap rows.
func CountAuditCapped(ctx context.Context, s *Store, typ string, limit int) (Count, error) {
	return s.countCapped(ctx, s.q(ctx).Model(&AuditEvent{}).Where("type = ?", typ), limit)
}
