package models

import (
	"context"
	"net"
	"net/url"
	"slices"
	"strings"
)

// ClientOrigin is one row of the index of the web origins in force for a client, which answers
// CORS preflights: a preflight names no client, only an origin.
type ClientOrigin struct {
	ClientID string `gorm:"primaryKey"`
	Origin   string `gorm:"primaryKey"`
}

// WebOrigin returns the serialised origin (RFC 6454 §6.2: lowercase scheme://host, the port only
// when it is not the scheme's default) of an https URI or an http URI on a loopback host, the
// only URIs a browser page that may call the token endpoint can live at. Other URIs (private-use
// schemes, plain http elsewhere, hosts that are not ASCII) have no usable origin.
//
// It lives here rather than in the protocol package because the Store derives a client's default
// origins itself when it rewrites the index, so the index cannot drift from the client row.
func WebOrigin(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return "", false
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if host == "" || !isASCII(host) {
		return "", false
	}
	switch {
	case scheme == "https":
		if port == "443" {
			port = ""
		}
	case scheme == "http" && loopbackHost(host):
		if port == "80" {
			port = ""
		}
	default:
		return "", false
	}
	if strings.Contains(host, ":") { // an IPv6 literal keeps its brackets
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, true
}

// WebOrigins are the origins whose pages may call the token and revocation endpoints for the
// client: its allowed origins when it lists any, else the origins of its redirect URIs.
func (c *Client) WebOrigins() []string {
	return EffectiveOrigins(c.AllowedOrigins, c.RedirectURIs)
}

// EffectiveOrigins is the allowed list when it is not empty, else the distinct origins of the
// redirect URIs, in order.
func EffectiveOrigins(allowed, redirectURIs []string) []string {
	if len(allowed) > 0 {
		return allowed
	}
	var out []string
	for _, uri := range redirectURIs {
		if o, ok := WebOrigin(uri); ok && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// AnyActiveClientAllowsOrigin reports whether an active client accepts calls from origin: one
// indexed lookup, for CORS preflights and for the error responses of requests whose client is
// not known.
func (s *Store) AnyActiveClientAllowsOrigin(ctx context.Context, origin string) (bool, error) {
	var hit []int
	err := s.q(ctx).Raw(`SELECT 1 FROM client_origins o JOIN clients c ON c.id = o.client_id
	LEFT JOIN users owners ON owners.id = c.owner_id
	WHERE o.origin = ? AND c.status = ? AND owners.disabled_at IS NULL LIMIT 1`, origin, ClientActive).Scan(&hit).Error
	return len(hit) > 0, err
}

// syncClientOrigins rewrites the index rows of one client; callers run it in the transaction
// that writes the client.
func (s *Store) syncClientOrigins(ctx context.Context, clientID string, origins []string) error {
	if err := s.q(ctx).Where("client_id = ?", clientID).Delete(&ClientOrigin{}).Error; err != nil {
		return err
	}
	if len(origins) == 0 {
		return nil
	}
	rows := make([]ClientOrigin, len(origins))
	for i, o := range origins {
		rows[i] = ClientOrigin{ClientID: clientID, Origin: o}
	}
	return s.q(ctx).Create(&rows).Error
}

// backfillClientOrigins fills the origin index for the clients that existed before migration 7,
// a page of clients at a time so memory stays flat however many there are.
func backfillClientOrigins(ctx context.Context, tx *Store) error {
	type row struct {
		ID             string
		RedirectURIs   Lines `gorm:"column:redirect_uris"`
		AllowedOrigins Lines
	}
	after := ""
	for {
		var page []row
		err := tx.q(ctx).Table("clients").Select("id, redirect_uris, allowed_origins").
			Where("id > ? AND (redirect_uris <> '' OR allowed_origins <> '')", after).Order("id").Limit(500).Find(&page).Error
		if err != nil || len(page) == 0 {
			return err
		}
		var rows []ClientOrigin
		for _, r := range page {
			for _, o := range EffectiveOrigins(r.AllowedOrigins, r.RedirectURIs) {
				rows = append(rows, ClientOrigin{ClientID: r.ID, Origin: o})
			}
		}
		if len(rows) > 0 {
			if err := tx.q(ctx).CreateInBatches(&rows, 500).Error; err != nil {
				return err
			}
		}
		after = page[len(page)-1].ID
	}
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
