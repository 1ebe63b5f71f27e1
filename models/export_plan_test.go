package models

import (
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// TraceSQL is s with every statement it runs recorded (values in place, as sqlRecorder keeps
// them); taken returns the statements recorded since its previous call.
func TraceSQL(s *Store) (traced *Store, taken func() []string) {
	rec := &sqlRecorder{Interface: logger.Default.LogMode(logger.Silent)}
	t := *s
	t.db = s.db.Session(&gorm.Session{Logger: rec})
	return &t, func() []string {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		out := rec.sql
		rec.sql = nil
		return out
	}
}
