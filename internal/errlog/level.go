package errlog

import (
	"fmt"
	"log/slog"
)

// Level is a severity. It is slog.Level itself, so the constants below can be
// passed straight to slog.Logger.Log.
type Level = slog.Level

// The nginx severities, in increasing order, as slog levels.
const (
	LevelDebug  Level = slog.LevelDebug // -4
	LevelInfo   Level = slog.LevelInfo  // 0
	LevelNotice Level = 2
	LevelWarn   Level = slog.LevelWarn  // 4
	LevelError  Level = slog.LevelError // 8
	LevelCrit   Level = 10
	LevelAlert  Level = 11
	LevelEmerg  Level = 12
)

// levels lists the nginx names from the most to the least severe, so that
// the first entry at or below a level names it.
var levels = [...]struct {
	level Level
	name  string
}{
	{LevelEmerg, "emerg"},
	{LevelAlert, "alert"},
	{LevelCrit, "crit"},
	{LevelError, "error"},
	{LevelWarn, "warn"},
	{LevelNotice, "notice"},
	{LevelInfo, "info"},
	{LevelDebug, "debug"},
}

// ParseLevel parses an nginx level name as written in error_log.
func ParseLevel(s string) (Level, error) {
	for _, l := range levels {
		if l.name == s {
			return l.level, nil
		}
	}
	return 0, fmt.Errorf("invalid log level %q", s)
}

// LevelName is the nginx name for l. Levels between two nginx levels take
// the name of the lower one; anything below debug is debug.
func LevelName(l Level) string {
	for _, e := range levels {
		if l >= e.level {
			return e.name
		}
	}
	return "debug"
}
