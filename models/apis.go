package models

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// API is a resource server: what an access token's aud names (RFC 8707, RFC 9068 §3), and the
// owner of a part of the scope catalog.
type API struct {
	ID   int64 `gorm:"primaryKey"`
	Name string
	// Identifier is the stored form of the API's URI: one under the issuer starts with
	// IssuerMarker (see ResolveIdentifier), any other is the URI itself.
	Identifier  string
	Description string
	DocsURL     string
	// AccessTTLSeconds is the lifetime of this API's access tokens; nil: the deployment's.
	AccessTTLSeconds *int64 `gorm:"column:access_token_ttl_seconds"`
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// TableName is apis (GORM would say "api_s").
func (API) TableName() string { return "apis" }

// IssuerMarker stands for the issuer at the start of a stored identifier or documentation URL.
// The issuer lives in the configuration, not the database, and may change (DEVPORTAL_ISSUER):
// an API under it, like the sample API, keeps naming the right URI without a data migration.
const IssuerMarker = "{issuer}"

// SampleAPIIdentifier is the stored identifier of the built-in sample API, {issuer}/api/v1.
const SampleAPIIdentifier = IssuerMarker + "/api/v1"

// Limits of an API's fields.
const (
	MaxAPINameLength        = 80
	MaxAPIDescriptionLength = 500
	// MaxAPIAccessTTL bounds an API's access-token lifetime: a day. Access tokens are not
	// revocable at resource servers that verify them offline, so they must stay short.
	MaxAPIAccessTTL = 24 * 60 * 60
)

// ResolveIdentifier turns a stored identifier (or documentation URL) into the URI it names
// under issuer.
func ResolveIdentifier(stored, issuer string) string {
	if rest, ok := strings.CutPrefix(stored, IssuerMarker); ok {
		return issuer + rest
	}
	return stored
}

// RelativeIdentifier is the stored form of uri: relative to issuer when it is the issuer or
// under it (the next character a '/'), otherwise uri itself.
func RelativeIdentifier(uri, issuer string) string {
	if rest, ok := strings.CutPrefix(uri, issuer); ok && issuer != "" && (rest == "" || strings.HasPrefix(rest, "/")) {
		return IssuerMarker + rest
	}
	return uri
}

// URI is a's identifier under issuer.
func (a *API) URI(issuer string) string { return ResolveIdentifier(a.Identifier, issuer) }

// Docs is a's documentation URL under issuer ("" for none).
func (a *API) Docs(issuer string) string { return ResolveIdentifier(a.DocsURL, issuer) }

// CheckAPIFields checks the fields people type: name, description, lifetime. The identifier's
// rules are the protocol's (oauth.CheckResourceIdentifier).
func CheckAPIFields(a *API) map[string]string {
	errs := map[string]string{}
	switch n := utf8.RuneCountInString(a.Name); {
	case strings.TrimSpace(a.Name) == "":
		errs["name"] = "Enter a name: developers see it next to the API's scopes."
	case n > MaxAPINameLength:
		errs["name"] = fmt.Sprintf("Use at most %d characters.", MaxAPINameLength)
	}
	if utf8.RuneCountInString(a.Description) > MaxAPIDescriptionLength {
		errs["description"] = fmt.Sprintf("Use at most %d characters.", MaxAPIDescriptionLength)
	}
	if len(a.DocsURL) > MaxURLLength {
		errs["docs_url"] = fmt.Sprintf("Use at most %d characters.", MaxURLLength)
	}
	if t := a.AccessTTLSeconds; t != nil && (*t < 60 || *t > MaxAPIAccessTTL) {
		errs["access_ttl"] = fmt.Sprintf("Enter a number of seconds from 60 to %d, or leave it empty for the server's default.", MaxAPIAccessTTL)
	}
	return errs
}

// APIs lists every API by name.
func (s *Store) APIs(ctx context.Context) ([]API, error) {
	var out []API
	err := s.q(ctx).Order("name, id").Find(&out).Error
	return out, err
}

// APIByID loads one API.
func (s *Store) APIByID(ctx context.Context, id int64) (*API, error) {
	var a API
	if err := s.q(ctx).Take(&a, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

// APIByIdentifier loads the API with this stored identifier (see RelativeIdentifier).
func (s *Store) APIByIdentifier(ctx context.Context, stored string) (*API, error) {
	var a API
	if err := s.q(ctx).Take(&a, "identifier = ?", stored).Error; err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

// CreateAPI registers an API (its Identifier in stored form); a taken identifier is
// ErrDuplicate. The AuditAPICreated entry by ctx's actor is written in the same transaction.
func (s *Store) CreateAPI(ctx context.Context, a *API) error {
	now := time.Now().UTC()
	a.ID, a.CreatedAt, a.UpdatedAt = 0, now, now
	return s.InTx(ctx, func(tx *Store) error {
		if err := duplicate(tx.q(ctx).Create(a).Error); err != nil {
			return err
		}
		return tx.auditAs(ctx, AuditAPICreated, a.Identifier, a.Name)
	})
}

// UpdateAPI saves an API's fields; detail describes the change for the AuditAPIUpdated entry.
func (s *Store) UpdateAPI(ctx context.Context, a *API, detail string) error {
	return s.InTx(ctx, func(tx *Store) error {
		var was API
		if err := tx.forUpdate(ctx).Take(&was, "id = ?", a.ID).Error; err != nil {
			return notFound(err)
		}
		// The sample API at /api/v1 accepts tokens for SampleAPIIdentifier only: renaming the
		// identifier would make it refuse every token issued for it from then on.
		if was.Identifier == SampleAPIIdentifier && a.Identifier != SampleAPIIdentifier {
			return ErrSampleAPIIdentifier
		}
		res := tx.q(ctx).Model(&API{}).Where("id = ?", a.ID).Updates(map[string]any{
			"name": a.Name, "identifier": a.Identifier, "description": a.Description, "docs_url": a.DocsURL,
			"access_token_ttl_seconds": a.AccessTTLSeconds, "updated_at": time.Now().UTC(),
		})
		if err := duplicate(res.Error); err != nil {
			return err
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return tx.auditAs(ctx, AuditAPIUpdated, a.Identifier, detail)
	})
}

// ErrSampleAPIIdentifier refuses changing the sample API's identifier.
var ErrSampleAPIIdentifier = ErrForbidden.Describe("The sample API's identifier is fixed: the sample API at /api/v1 accepts only tokens for {issuer}/api/v1.")

// DeleteAPI removes an API that has no scopes left; one that still has some is ErrForbidden,
// since its scopes would be left belonging to nothing. detail goes in the AuditAPIDeleted entry.
func (s *Store) DeleteAPI(ctx context.Context, id int64, detail string) error {
	return s.InTx(ctx, func(tx *Store) error {
		var a API
		if err := tx.forUpdate(ctx).Take(&a, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		var n int64
		if err := tx.q(ctx).Model(&Scope{}).Where("api_id = ?", id).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrForbidden.Describe(fmt.Sprintf("%s still has %d scope(s). Move them to another API (or retire them and move them) before deleting it.", a.Name, n))
		}
		if err := tx.q(ctx).Delete(&API{}, "id = ?", id).Error; err != nil {
			return err
		}
		return tx.auditAs(ctx, AuditAPIDeleted, a.Identifier, detail)
	})
}

// ScopesOfAPI lists an API's scopes, retired ones included, by name.
func (s *Store) ScopesOfAPI(ctx context.Context, apiID int64) ([]Scope, error) {
	var out []Scope
	err := s.q(ctx).Where("api_id = ?", apiID).Order("name").Find(&out).Error
	return out, err
}

// CreateScopeIn adds a scope to the catalog under an API; a taken name is ErrDuplicate, an
// unknown API ErrNotFound.
func (s *Store) CreateScopeIn(ctx context.Context, apiID int64, name, description string, sensitive bool) error {
	if _, err := s.APIByID(ctx, apiID); err != nil {
		return err
	}
	err := s.q(ctx).Create(&Scope{Name: name, Description: description, Sensitive: sensitive, APIID: &apiID, CreatedAt: time.Now().UTC()}).Error
	return duplicate(err)
}

// SetScopeAPI moves a scope to another API. The standard OpenID Connect scopes belong to none
// (ErrForbidden).
func (s *Store) SetScopeAPI(ctx context.Context, name string, apiID int64) error {
	if isStandardScope(name) {
		return ErrForbidden.Describe(name + " is a standard OpenID Connect scope and belongs to no API.")
	}
	if _, err := s.APIByID(ctx, apiID); err != nil {
		return err
	}
	res := s.q(ctx).Model(&Scope{}).Where("name = ?", name).Update("api_id", apiID)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

func isStandardScope(name string) bool {
	for _, s := range StandardScopes {
		if s == name {
			return true
		}
	}
	return false
}
