package models

import (
	"fmt"
	"unicode/utf8"
)

// The largest input devportal accepts in each field. Every entry point (pages, the CLI, the
// store methods behind them) checks these before it writes anything, so nobody can grow the
// database, the append-only audit log or a rendered page by sending a long value. Lengths of
// emails and passwords are in bytes; the others count characters (runes), as people do.
const (
	// MaxEmailLength is RFC 5321 §4.5.3.1.3's 256-octet path limit less its angle brackets.
	MaxEmailLength = 254
	// MaxPasswordLength bounds what argon2id is given; longer passphrases add nothing.
	MaxPasswordLength = 1024
	// MaxAppNameLength bounds an application name, shown on every consent page.
	MaxAppNameLength = 80
	// MaxDisplayNameLength bounds a person's display name (the OpenID name claim).
	MaxDisplayNameLength = 80
	// MaxURLLength bounds every URL a developer registers: redirect URIs, logo, homepage, privacy
	// policy and terms links; and the local next= address of the login and sign-up forms.
	MaxURLLength = 2000
	// MaxRedirectURIs bounds how many redirect URIs one application registers.
	MaxRedirectURIs = 10
	// MaxScopeNameLength bounds a catalog scope name, and so any scope name worth looking up.
	MaxScopeNameLength = 64
	// MaxScopeDescriptionLength bounds a scope's description, shown on consent pages.
	MaxScopeDescriptionLength = 200
	// MaxSearchLength bounds an admin search box (SQLite refuses LIKE patterns over 50,000 bytes;
	// 200 characters is at most 1,602 bytes once escaped).
	MaxSearchLength = 200
	// MaxProtocolParamLength bounds each parameter of an authorization request (state, scope,
	// code_challenge, …): a client's state is echoed into the consent page and the redirect, so
	// it must not grow them without limit. 4 KiB leaves room for a signed state.
	MaxProtocolParamLength = 4096
	// MaxAuditFilterLength bounds each audit log filter (actor, target, type): the longest value
	// those columns hold is an email.
	MaxAuditFilterLength = MaxEmailLength
)

// ErrTooLong is matched (errors.Is) by every *TooLongError.
var ErrTooLong = &Error{Code: ETooLong, Message: "too long"}

// TooLongError says an input is longer than its documented maximum.
type TooLongError struct {
	Field string // in words: "the search", "the actor filter"
	Max   int
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("%s may be at most %d characters", e.Field, e.Max)
}

// Is makes errors.Is(err, ErrTooLong) true.
func (e *TooLongError) Is(target error) bool { return target == ErrTooLong }

// Unwrap gives the domain error behind e, so its code (ETooLong) is found with errors.As.
func (e *TooLongError) Unwrap() error { return ErrTooLong }

// ValidateSearch checks an admin search query.
func ValidateSearch(query string) error {
	if utf8.RuneCountInString(query) > MaxSearchLength {
		return &TooLongError{Field: "the search", Max: MaxSearchLength}
	}
	return nil
}

// Validate checks the filter's fields against MaxAuditFilterLength.
func (f AuditFilter) Validate() error {
	for _, v := range []struct{ name, value string }{{"actor", f.Actor}, {"target", f.Target}, {"type", f.Type}} {
		if utf8.RuneCountInString(v.value) > MaxAuditFilterLength {
			return &TooLongError{Field: "the " + v.name + " filter", Max: MaxAuditFilterLength}
		}
	}
	return nil
}
