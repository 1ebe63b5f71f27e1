package models

import (
	"cmp"
	"context"
	"slices"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// MaxAuditReason bounds the reason an administrator may give for an action; it lands in the
// audit entry's detail, which should stay a line, not a document.
const MaxAuditReason = 500

// ValidateReason checks an administrator's reason for an action.
func ValidateReason(reason string) error {
	if utf8.RuneCountInString(reason) > MaxAuditReason {
		return &TooLongError{Field: "the reason", Max: MaxAuditReason}
	}
	return nil
}

// CountCap is where the admin console's counts stop: a count reads at most this many index
// entries plus one, so a view costs the same with a million rows as with ten thousand, and the
// page says "more than 10,000" instead of an exact figure nobody needs.
const CountCap = 10000

// Count is a count that stopped at CountCap.
type Count struct {
	N    int64
	More bool // more than N rows match
}

// countUpTo counts the rows q selects, reading at most CountCap+1 of them.
func (s *Store) countUpTo(ctx context.Context, q *gorm.DB) (Count, error) {
	return s.countCapped(ctx, q, CountCap)
}

// countCapped counts the rows q selects, reading at most limit+1 of them (a LIMIT inside a
// subquery, portable to SQLite and PostgreSQL). q's WHERE must be index-backed.
func (s *Store) countCapped(ctx context.Context, q *gorm.DB, limit int) (Count, error) {
	var n int64
	err := s.q(ctx).Table("(?) AS capped", q.Select("1").Limit(limit+1)).Count(&n).Error
	if n > int64(limit) {
		return Count{N: int64(limit), More: true}, err
	}
	return Count{N: n}, err
}

// AdminCounts are the admin overview's figures.
type AdminCounts struct {
	Users                      Count
	Active, Suspended, Revoked Count // clients by status
	PendingScopeRequests       Count
}

// AdminCounts counts users, clients by status (the clients_status_updated_at index) and pending
// scope requests (scope_requests_status), each stopping at CountCap.
func (s *Store) AdminCounts(ctx context.Context) (AdminCounts, error) {
	var out AdminCounts
	var err error
	if out.Users, err = s.countUpTo(ctx, s.q(ctx).Model(&User{})); err != nil {
		return out, err
	}
	for status, dst := range map[string]*Count{ClientActive: &out.Active, ClientSuspended: &out.Suspended, ClientRevoked: &out.Revoked} {
		if *dst, err = s.countUpTo(ctx, s.q(ctx).Model(&Client{}).Where("status = ?", status)); err != nil {
			return out, err
		}
	}
	out.PendingScopeRequests, err = s.countUpTo(ctx, s.q(ctx).Model(&ScopeRequest{}).Where("status = ?", RequestPending))
	return out, err
}

// FirstPendingScopeRequests lists the limit oldest pending requests: PendingScopeRequests'
// first page.
func (s *Store) FirstPendingScopeRequests(ctx context.Context, limit int) ([]PendingScopeRequest, error) {
	return s.PendingScopeRequests(ctx, ScopeRequestCursor{}, limit)
}

// newestAudit lists at most limit events of q, newest first.
func newestAudit(q *gorm.DB, limit int) ([]AuditEvent, error) {
	var out []AuditEvent
	err := q.Order("id DESC").Limit(limit).Find(&out).Error
	return out, err
}

// mergeAudit merges lists that are each newest first into one, without duplicates, keeping
// the limit newest.
func mergeAudit(limit int, lists ...[]AuditEvent) []AuditEvent {
	var all []AuditEvent
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortFunc(all, func(a, b AuditEvent) int { return cmp.Compare(b.ID, a.ID) })
	all = slices.CompactFunc(all, func(a, b AuditEvent) bool { return a.ID == b.ID })
	if len(all) > limit {
		all = all[:limit]
	}
	return all
}

// SecurityEvents lists the limit newest events whose type is in SecurityAuditTypes. One query
// per type on the (type, id) index, merged here: a single "type IN (…) ORDER BY id" would have
// to gather every matching row before sorting, and the lockouts alone can be millions.
func (s *Store) SecurityEvents(ctx context.Context, limit int) ([]AuditEvent, error) {
	lists := make([][]AuditEvent, 0, len(SecurityAuditTypes))
	for _, typ := range SecurityAuditTypes {
		l, err := newestAudit(s.q(ctx).Where("type = ?", typ), limit)
		if err != nil {
			return nil, err
		}
		lists = append(lists, l)
	}
	return mergeAudit(limit, lists...), nil
}

// AuditAbout lists the limit newest events whose target is target (a client id, an email),
// on the (target, id) index.
func (s *Store) AuditAbout(ctx context.Context, target string, limit int) ([]AuditEvent, error) {
	return newestAudit(s.q(ctx).Where("target = ?", target), limit)
}

// AuditOfUser lists the limit newest events the user did (actor_id, the (actor_id, id) index)
// or that were about their email (the (target, id) index), merged.
func (s *Store) AuditOfUser(ctx context.Context, userID int64, email string, limit int) ([]AuditEvent, error) {
	did, err := newestAudit(s.q(ctx).Where("actor_id = ?", userID), limit)
	if err != nil {
		return nil, err
	}
	about, err := s.AuditAbout(ctx, email, limit)
	if err != nil {
		return nil, err
	}
	return mergeAudit(limit, did, about), nil
}

// ClientStatusAuditTypes are the audit types that change a client's status.
var ClientStatusAuditTypes = []string{AuditClientSuspended, AuditClientReinstated, AuditClientRevoked}

// ClientStatusHistory lists the limit newest suspensions, reinstatements and revocations of a
// client (the audit_events_target_type index), reasons in their details.
func (s *Store) ClientStatusHistory(ctx context.Context, clientID string, limit int) ([]AuditEvent, error) {
	return newestAudit(s.q(ctx).Where("target = ? AND type IN ?", clientID, ClientStatusAuditTypes), limit)
}

// ActiveGrantCount counts a client's grants that are not revoked (grants_client_id), up to
// CountCap.
func (s *Store) ActiveGrantCount(ctx context.Context, clientID string) (Count, error) {
	return s.countUpTo(ctx, s.q(ctx).Model(&Grant{}).Where("client_id = ? AND revoked_at IS NULL", clientID))
}

// ClientNames maps client ids to names, for the strings among ids that are the id of a client
// (one primary-key lookup; the caller passes a page's worth, at most 200). Emails, scopes and
// other strings are left out.
func (s *Store) ClientNames(ctx context.Context, ids []string) (map[string]string, error) {
	var candidates []string
	for _, id := range ids {
		if id != "" && !slices.Contains(candidates, id) && len(candidates) < 200 {
			candidates = append(candidates, id)
		}
	}
	out := map[string]string{}
	if len(candidates) == 0 {
		return out, nil
	}
	var rows []struct{ ID, Name string }
	if err := s.q(ctx).Model(&Client{}).Select("id, name").Where("id IN ?", candidates).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// UserConsent is one application a user authorized, for the admin's user page.
type UserConsent struct {
	ClientID, ClientName string
	Scope                Words
	CreatedAt            time.Time
}

// UserConsents lists the limit newest consents of a user (the consents primary key starts with
// user_id).
func (s *Store) UserConsents(ctx context.Context, userID int64, limit int) ([]UserConsent, error) {
	var out []UserConsent
	err := s.q(ctx).Table("consents").
		Select("consents.client_id, clients.name AS client_name, consents.scope, consents.created_at").
		Joins("JOIN clients ON clients.id = consents.client_id").
		Where("consents.user_id = ?", userID).Order("consents.created_at DESC").Limit(limit).Scan(&out).Error
	return out, err
}

// OwnedClients lists the limit newest clients a user owns (clients_owner_id).
func (s *Store) OwnedClients(ctx context.Context, userID int64, limit int) ([]Client, error) {
	var out []Client
	err := s.q(ctx).Where("owner_id = ?", userID).Order("created_at DESC").Limit(limit).Find(&out).Error
	return out, err
}

// PasskeyCount counts a user's passkeys (passkeys_user; an account has a handful).
func (s *Store) PasskeyCount(ctx context.Context, userID int64) (int64, error) {
	var n int64
	err := s.q(ctx).Model(&Passkey{}).Where("user_id = ?", userID).Count(&n).Error
	return n, err
}
