package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
)

const (
	claimsKey           = "devportal.claims"
	requiredScopeKey    = "devportal.required_scope"
	resourceMetadataKey = "devportal.resource_metadata"
)

// SetResourceMetadata records the URL of the protected resource's RFC 9728 document, which its
// 401 challenges name (RFC 9728 §5.1); the bearer middleware calls it.
func SetResourceMetadata(c echo.Context, url string) { c.Set(resourceMetadataKey, url) }

// SetAccessClaims records the validated bearer token's claims; the bearer middleware calls it.
func SetAccessClaims(c echo.Context, claims *oauth.AccessClaims) { c.Set(claimsKey, claims) }

// SetRequiredScope records the scope a route needs, for the insufficient_scope challenge.
func SetRequiredScope(c echo.Context, scope string) { c.Set(requiredScopeKey, scope) }

// AccessClaims are the claims of the request's validated bearer token, or nil.
func AccessClaims(c echo.Context) *oauth.AccessClaims {
	cl, _ := c.Get(claimsKey).(*oauth.AccessClaims)
	return cl
}

// invoiceJSON is an invoice as the API shows it.
type invoiceJSON struct {
	ID          string `json:"id"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Description string `json:"description"`
	Status      string `json:"status"`
	ClientID    string `json:"client_id,omitempty"`
	Created     string `json:"created"`
}

func toInvoiceJSON(inv models.Invoice) invoiceJSON {
	out := invoiceJSON{ID: inv.ID, Amount: inv.Amount, Currency: inv.Currency, Description: inv.Description, Status: inv.Status, Created: inv.CreatedAt.UTC().Format(time.RFC3339)}
	if inv.ClientID != nil {
		out.ClientID = *inv.ClientID
	}
	return out
}

// ListInvoices is GET /api/v1/invoices: the invoices of the user who authorized the token (for
// client credentials, of the developer who owns the client).
func (h *Handlers) ListInvoices(c echo.Context) error {
	owner, err := h.tokenOwner(c)
	if err != nil {
		return err
	}
	limit := 20
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return models.ErrInvalid.Describe("limit must be a whole number from 1 to 100")
		}
		limit = n
	}
	invs, err := h.store.InvoicesByOwner(c.Request().Context(), owner, limit)
	if err != nil {
		return err
	}
	data := make([]invoiceJSON, len(invs))
	for i, inv := range invs {
		data[i] = toInvoiceJSON(inv)
	}
	return c.JSON(http.StatusOK, map[string]any{"data": data})
}

type newInvoiceJSON struct {
	Amount      *int64 `json:"amount"`
	Currency    string `json:"currency"`
	Description string `json:"description"`
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// CreateInvoice is POST /api/v1/invoices.
func (h *Handlers) CreateInvoice(c echo.Context) error {
	owner, err := h.tokenOwner(c)
	if err != nil {
		return err
	}
	var in newInvoiceJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	var problems []string
	if in.Amount == nil || *in.Amount <= 0 {
		problems = append(problems, "amount must be a positive whole number of the currency's minor unit")
	}
	if !currencyCode.MatchString(in.Currency) {
		problems = append(problems, "currency must be an ISO 4217 code such as IDR or USD")
	}
	if utf8.RuneCountInString(in.Description) > 255 {
		problems = append(problems, "description must be at most 255 characters")
	}
	if len(problems) > 0 {
		return models.ErrInvalid.Describe(strings.Join(problems, "; "))
	}
	clientID := AccessClaims(c).ClientID
	inv := &models.Invoice{OwnerID: owner, ClientID: &clientID, Amount: *in.Amount, Currency: in.Currency, Description: in.Description}
	if err := h.store.CreateInvoice(c.Request().Context(), inv); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toInvoiceJSON(*inv))
}

// tokenOwner is the account a token acts for: its user, or the owner of a machine client.
func (h *Handlers) tokenOwner(c echo.Context) (int64, error) {
	claims := AccessClaims(c)
	if claims.GrantID != "" {
		u, err := h.store.UserBySubject(c.Request().Context(), claims.Subject)
		if errors.Is(err, models.ErrNotFound) {
			return 0, oauth.ErrInvalidToken.Describe("the token's user no longer exists")
		}
		if err != nil {
			return 0, err
		}
		return u.ID, nil
	}
	client, err := h.store.ClientByID(c.Request().Context(), claims.ClientID)
	if errors.Is(err, models.ErrNotFound) {
		return 0, oauth.ErrInvalidToken.Describe("the token's client no longer exists")
	}
	if err != nil {
		return 0, err
	}
	if client.OwnerID == nil {
		return 0, models.ErrForbidden.Describe("this client was created from the command line and has no owning developer, so it has no invoices; register the application in the portal")
	}
	return *client.OwnerID, nil
}

// decodeJSON reads a JSON request body into v, refusing other media types and unknown fields.
func decodeJSON(c echo.Context, v any) error {
	if !strings.HasPrefix(c.Request().Header.Get("Content-Type"), "application/json") {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the body as application/json")
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return models.ErrInvalid.Describe("the body is not valid JSON for this request: " + err.Error())
	}
	return nil
}
