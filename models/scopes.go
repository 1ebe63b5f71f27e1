package models

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"time"
)

// Scope is one entry of the scope catalog: a permission an application may ask a user for.
type Scope struct {
	Name        string `gorm:"primaryKey"`
	Description string
	Sensitive   bool
	// APIID is the API (resource server) the scope belongs to; nil only for the standard OpenID
	// Connect scopes, which belong to none and never decide a token's aud.
	APIID     *int64 `gorm:"column:api_id"`
	RetiredAt *time.Time
	CreatedAt time.Time
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

// AllScopes lists the whole catalog, retired scopes included, by name.
func (s *Store) AllScopes(ctx context.Context) ([]Scope, error) {
	var out []Scope
	err := s.q(ctx).Order("name").Find(&out).Error
	return out, err
}

// CreateScope adds a scope to the catalog under the sample API (SampleAPIIdentifier), or under
// no API when that was deleted; a taken name is ErrDuplicate. CreateScopeIn names the API.
func (s *Store) CreateScope(ctx context.Context, name, description string, sensitive bool) error {
	sc := &Scope{Name: name, Description: description, Sensitive: sensitive, CreatedAt: time.Now().UTC()}
	switch a, err := s.APIByIdentifier(ctx, SampleAPIIdentifier); {
	case err == nil:
		sc.APIID = &a.ID
	case err != ErrNotFound:
		return err
	}
	return duplicate(s.q(ctx).Create(sc).Error)
}

// UpdateScope changes a scope's description and sensitivity.
func (s *Store) UpdateScope(ctx context.Context, name, description string, sensitive bool) error {
	res := s.q(ctx).Model(&Scope{}).Where("name = ?", name).Updates(map[string]any{"description": description, "sensitive": sensitive})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// StandardScopes are the OpenID Connect scopes (OIDC Core §5.4, §11): always in the catalog,
// never retired, whatever an admin does.
var StandardScopes = []string{"openid", "profile", "email", "offline_access"}

// RetireScope stops new requests for a scope; grants that carry it keep working until revoked.
// The standard scopes cannot be retired (ErrForbidden).
func (s *Store) RetireScope(ctx context.Context, name string) error {
	if slices.Contains(StandardScopes, name) {
		return ErrForbidden.Describe(name + " is a standard OpenID Connect scope and stays in the catalog.")
	}
	res := s.q(ctx).Model(&Scope{}).Where("name = ? AND retired_at IS NULL", name).Update("retired_at", time.Now().UTC())
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// Scope request statuses.
const (
	RequestPending  = "pending"
	RequestApproved = "approved"
	RequestRejected = "rejected"
)

// ScopeRequest is an application's request for a sensitive scope, which an admin decides.
type ScopeRequest struct {
	ClientID    string `gorm:"primaryKey"`
	Scope       string `gorm:"primaryKey"`
	Status      string
	RequestedAt time.Time
	DecidedBy   *int64
	DecidedAt   *time.Time
}

// PendingScopeRequest is a request with what an admin needs to decide it.
type PendingScopeRequest struct {
	ScopeRequest
	ClientName string
	OwnerEmail string
}

// RequestScopes records pending requests for sensitive scopes (idempotent per client and scope).
// The scopes it files (new, or asked again after a rejection) get one AuditScopeRequested entry
// by ctx's actor (WithAuditActor) in the same transaction as the requests; a scope already
// pending or approved is not filed again, so saving a form twice records it once.
func (s *Store) RequestScopes(ctx context.Context, clientID string, scopes []string) error {
	if len(scopes) == 0 {
		return nil
	}
	return s.InTx(ctx, func(tx *Store) error {
		now := time.Now().UTC()
		var filed []string
		for _, sc := range scopes {
			var n int64
			if err := tx.q(ctx).Model(&ScopeRequest{}).Where("client_id = ? AND scope = ?", clientID, sc).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				res := tx.q(ctx).Model(&ScopeRequest{}).Where("client_id = ? AND scope = ? AND status = ?", clientID, sc, RequestRejected).
					Updates(map[string]any{"status": RequestPending, "requested_at": now, "decided_by": nil, "decided_at": nil})
				if res.Error != nil {
					return res.Error
				}
				if res.RowsAffected > 0 {
					filed = append(filed, sc)
				}
				continue
			}
			if err := tx.q(ctx).Create(&ScopeRequest{ClientID: clientID, Scope: sc, Status: RequestPending, RequestedAt: now}).Error; err != nil {
				return err
			}
			filed = append(filed, sc)
		}
		if len(filed) == 0 {
			return nil
		}
		return tx.auditAs(ctx, AuditScopeRequested, clientID, strings.Join(filed, " "))
	})
}

// ScopeRequestsFor lists a client's scope requests.
func (s *Store) ScopeRequestsFor(ctx context.Context, clientID string) ([]ScopeRequest, error) {
	var out []ScopeRequest
	err := s.q(ctx).Where("client_id = ?", clientID).Order("scope").Find(&out).Error
	return out, err
}

// ScopeRequestCursor is where a page of the pending queue ends: the last request shown, in
// the queue's order (requested_at, client_id, scope). The zero cursor is the queue's start.
type ScopeRequestCursor struct {
	RequestedAt time.Time
	ClientID    string
	Scope       string
}

// String encodes the cursor for a query string; ParseScopeRequestCursor reads it back.
func (c ScopeRequestCursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.RequestedAt.UTC().Format(time.RFC3339Nano) + "\n" + c.ClientID + "\n" + c.Scope))
}

// ParseScopeRequestCursor reads a cursor made by String; anything else is ErrInvalid.
func ParseScopeRequestCursor(s string) (ScopeRequestCursor, error) {
	bad := ErrInvalid.Describe("That page of requests does not exist; start again from the first page.")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return ScopeRequestCursor{}, bad
	}
	parts := strings.Split(string(raw), "\n")
	if len(parts) != 3 {
		return ScopeRequestCursor{}, bad
	}
	at, err := time.Parse(time.RFC3339Nano, parts[0])
	if err != nil {
		return ScopeRequestCursor{}, bad
	}
	return ScopeRequestCursor{RequestedAt: at, ClientID: parts[1], Scope: parts[2]}, nil
}

// PendingScopeRequests lists up to limit requests waiting for an admin, oldest first, after
// the cursor (the zero cursor: from the oldest). It reads one page of the
// scope_requests_status_requested index however long the queue is: the row-value comparison
// is a keyset, not an OFFSET, on both databases.
func (s *Store) PendingScopeRequests(ctx context.Context, after ScopeRequestCursor, limit int) ([]PendingScopeRequest, error) {
	q := s.q(ctx).Table("scope_requests").
		Select(s.columnsOf(&ScopeRequest{})+", clients.name AS client_name, COALESCE(users.email, '') AS owner_email").
		Joins("JOIN clients ON clients.id = scope_requests.client_id").
		Joins("LEFT JOIN users ON users.id = clients.owner_id").
		Where("scope_requests.status = ?", RequestPending)
	if after != (ScopeRequestCursor{}) {
		q = q.Where("(scope_requests.requested_at, scope_requests.client_id, scope_requests.scope) > (?, ?, ?)",
			after.RequestedAt.UTC(), after.ClientID, after.Scope)
	}
	var out []PendingScopeRequest
	err := q.Order("scope_requests.requested_at, scope_requests.client_id, scope_requests.scope").Limit(limit).Scan(&out).Error
	return out, err
}

// PendingScopeClients says which of an owner's clients have a request waiting for an admin: the
// applications list marks them. It reads the owner's clients and their requests by key, never
// the global queue.
func (s *Store) PendingScopeClients(ctx context.Context, ownerID int64) (map[string]bool, error) {
	var ids []string
	err := s.q(ctx).Table("clients").Distinct("clients.id").
		Joins("JOIN scope_requests ON scope_requests.client_id = clients.id").
		Where("clients.owner_id = ? AND scope_requests.status = ?", ownerID, RequestPending).
		Pluck("clients.id", &ids).Error
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, err
}

// DecideScopeRequest approves (adding the scope to the client) or rejects a pending request.
func (s *Store) DecideScopeRequest(ctx context.Context, clientID, scope string, approve bool, adminID int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		status := RequestRejected
		if approve {
			status = RequestApproved
		}
		now := time.Now().UTC()
		res := tx.q(ctx).Model(&ScopeRequest{}).Where("client_id = ? AND scope = ? AND status = ?", clientID, scope, RequestPending).
			Updates(map[string]any{"status": status, "decided_by": adminID, "decided_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if !approve {
			return nil
		}
		var c Client
		if err := tx.q(ctx).Take(&c, "id = ?", clientID).Error; err != nil {
			return notFound(err)
		}
		c.Scopes = union(c.Scopes, []string{scope})
		return tx.q(ctx).Model(&Client{}).Where("id = ?", clientID).Update("scopes", c.Scopes).Error
	})
}
