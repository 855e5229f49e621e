package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

var errInvalidValue = errors.New("invalid value")

// parseFlag reads on/off like ngx_conf_set_flag_slot (case-insensitive).
func parseFlag(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "on":
		return true, true
	case "off":
		return false, true
	}
	return false, false
}

// parseSize reads a size like ngx_parse_size: digits with an optional
// k/K (KiB) or m/M (MiB) suffix.
func parseSize(s string) (int, error) {
	scale := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k', 'K':
			scale, s = 1024, s[:len(s)-1]
		case 'm', 'M':
			scale, s = 1024*1024, s[:len(s)-1]
		}
	}
	n, err := parseDigits(s)
	if err != nil || n > math.MaxInt64/scale {
		return 0, errInvalidValue
	}
	return int(n * scale), nil
}

// parseNumber reads a non-negative decimal number like ngx_atoi.
func parseNumber(s string) (int, error) {
	n, err := parseDigits(s)
	if err != nil || n > math.MaxInt32 {
		return 0, errInvalidValue
	}
	return int(n), nil
}

func parseDigits(s string) (int64, error) {
	if s == "" {
		return 0, errInvalidValue
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errInvalidValue
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// timeUnit is one suffix of nginx's time syntax, largest first; a value
// must use units in decreasing order ("1h30m", not "30m1h").
type timeUnit struct {
	suffix string
	ms     int64
	secOK  bool // allowed in second-resolution values
	msOK   bool // allowed in millisecond-resolution values
}

var timeUnits = []timeUnit{
	{"y", 365 * 86400 * 1000, true, false},
	{"M", 30 * 86400 * 1000, true, false},
	{"w", 7 * 86400 * 1000, true, true},
	{"d", 86400 * 1000, true, true},
	{"h", 3600 * 1000, true, true},
	{"m", 60 * 1000, true, true},
	{"s", 1000, true, true},
	{"ms", 1, false, true},
}

// parseMsec reads a time like ngx_parse_time(..., 0), used by
// ngx_conf_set_msec_slot: units ms s m h d w; a bare trailing number is
// seconds.
func parseMsec(s string) (time.Duration, error) { return parseTime(s, false) }

// parseSec reads a time like ngx_parse_time(..., 1): units s m h d w M y.
func parseSec(s string) (time.Duration, error) { return parseTime(s, true) }

func parseTime(s string, isSec bool) (time.Duration, error) {
	if s == "" {
		return 0, errInvalidValue
	}
	var totalMs int64
	next := 0 // index into timeUnits of the largest unit still allowed
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, errInvalidValue
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil {
			return 0, errInvalidValue
		}
		s = s[i:]
		unit, ok := matchUnit(s, next, isSec)
		if s == "" {
			// A bare number counts as seconds, whatever came before.
			unit, ok = timeUnit{ms: 1000}, true
		}
		if !ok || n > math.MaxInt64/unit.ms || totalMs > math.MaxInt64-n*unit.ms {
			return 0, errInvalidValue
		}
		totalMs += n * unit.ms
		s = s[len(unit.suffix):]
		next = unitIndex(unit) + 1
	}
	if totalMs > math.MaxInt64/int64(time.Millisecond) {
		return time.Duration(math.MaxInt64), nil
	}
	return time.Duration(totalMs) * time.Millisecond, nil
}

// matchUnit finds the unit at the start of s among those at or after
// index from.
func matchUnit(s string, from int, isSec bool) (timeUnit, bool) {
	// "ms" must be tried before "m".
	if strings.HasPrefix(s, "ms") {
		u := timeUnits[len(timeUnits)-1]
		return u, !isSec && from <= len(timeUnits)-1
	}
	for i := from; i < len(timeUnits); i++ {
		u := timeUnits[i]
		if u.suffix != "ms" && strings.HasPrefix(s, u.suffix) {
			if (isSec && !u.secOK) || (!isSec && !u.msOK) {
				return u, false
			}
			return u, true
		}
	}
	return timeUnit{}, false
}

func unitIndex(u timeUnit) int {
	for i, t := range timeUnits {
		if t.suffix == u.suffix {
			return i
		}
	}
	return len(timeUnits)
}
