package models

import (
	"database/sql/driver"
	"fmt"
	"strings"
)

// Words is a set of names stored as one space-separated column, the way OAuth writes scopes.
type Words []string

// Value implements driver.Valuer.
func (w Words) Value() (driver.Value, error) { return strings.Join(w, " "), nil }

// Scan implements sql.Scanner.
func (w *Words) Scan(src any) error {
	s, err := columnString(src)
	*w = strings.Fields(s)
	return err
}

// String joins the words with spaces.
func (w Words) String() string { return strings.Join(w, " ") }

// Lines is a list of values that cannot contain newlines (URIs), stored one per line.
type Lines []string

// Value implements driver.Valuer.
func (l Lines) Value() (driver.Value, error) { return strings.Join(l, "\n"), nil }

// Scan implements sql.Scanner.
func (l *Lines) Scan(src any) error {
	s, err := columnString(src)
	*l = nil
	for _, line := range strings.Split(s, "\n") {
		if line != "" {
			*l = append(*l, line)
		}
	}
	return err
}

func columnString(src any) (string, error) {
	switch v := src.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	default:
		return "", fmt.Errorf("cannot scan %T into a text column", src)
	}
}
