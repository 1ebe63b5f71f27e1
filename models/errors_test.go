package models_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/devportal/devportal/models"
)

// Issue 9 item 1: one domain error type. A refined copy still matches its sentinel, sentinels
// of different codes never match each other, and the typed errors carry their code.
func TestErrorCodes(t *testing.T) {
	refined := models.ErrNotFound.Describe("There is no user with that id.")
	cases := []struct {
		name string
		err  error
		is   *models.Error
		code string
	}{
		{"sentinel", models.ErrNotFound, models.ErrNotFound, models.ENotFound},
		{"described", refined, models.ErrNotFound, models.ENotFound},
		{"wrapped", fmt.Errorf("loading: %w", refined), models.ErrNotFound, models.ENotFound},
		{"reworded", models.Reword(models.ErrNotFound, models.ErrNotFound, "gone"), models.ErrNotFound, models.ENotFound},
		{"throttle", &models.ThrottleError{Rule: models.ThrottleLoginIP}, models.ErrThrottled, models.EThrottled},
		{"too long", &models.TooLongError{Field: "the search", Max: 3}, models.ErrTooLong, models.ETooLong},
		{"last admin", models.ErrLastAdmin, models.ErrLastAdmin, models.ELastAdmin},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", tc.err, tc.is)
			}
			if got := models.ErrorCode(tc.err); got != tc.code {
				t.Errorf("ErrorCode = %q, want %q", got, tc.code)
			}
		})
	}
	if errors.Is(models.ErrLastAdmin, models.ErrClientStatus) || errors.Is(refined, models.ErrDuplicate) {
		t.Error("sentinels of different codes match each other")
	}
	if got := refined.Error(); got != "There is no user with that id." {
		t.Errorf("Describe message = %q", got)
	}
	if models.ErrorCode(errors.New("disk full")) != "" {
		t.Error("a plain error has a code; it must stay internal")
	}
	if err := models.Reword(models.ErrDuplicate, models.ErrNotFound, "gone"); err != models.ErrDuplicate {
		t.Errorf("Reword changed another error: %v", err)
	}
}

// Issue 9 item 1: the input rules answer with an EInvalid error whose message is the copy shown
// to people as it is, so no handler builds copy from err.Error().
func TestValidationMessagesForPeople(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"short password", models.ValidatePassword("x"), fmt.Sprintf("Choose another password: use at least %d characters.", models.MinPasswordLength)},
		{"spaces", models.ValidatePassword("              "), "Choose another password: use something other than spaces."},
		{"not an email", models.ValidateEmail("nope"), "Enter an email address like name@example.com."},
		{"control character", models.ValidateEmail("a\x00@b.c"), "An email address cannot contain control characters or invalid text."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if models.ErrorCode(tc.err) != models.EInvalid || models.ErrorMessage(tc.err) != tc.want {
				t.Errorf("got %q (code %q), want %q (invalid)", models.ErrorMessage(tc.err), models.ErrorCode(tc.err), tc.want)
			}
		})
	}
	if got := models.ErrorMessage(errors.New("pq: connection refused")); got == "pq: connection refused" {
		t.Error("ErrorMessage shows an internal error's text")
	}
}
