package models

import (
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Traced returns a copy of s whose statements go to rec instead of s's logger.
func Traced(s *Store, rec logger.Interface) *Store {
	t := *s
	t.db = s.db.Session(&gorm.Session{Logger: rec})
	return &t
}

// SearchCursor is the cursor a search page hands out for the row id found by key.
func SearchCursor(key, id string) string { return searchCursor(key, id) }
