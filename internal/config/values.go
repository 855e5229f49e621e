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

// parseEnum finds v among names ignoring case, as ngx_conf_set_enum_slot
// and ngx_conf_set_bitmask_slot do (ngx_strcasecmp), and returns the name
// as nginx's table spells it.
func parseEnum(v string, names ...string) (string, bool) {
	for _, n := range names {
		if strings.EqualFold(v, n) {
			return n, true
		}
	}
	return "", false
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

// Steps of ngx_parse_time: a value's units must come in this order, each
// at most once ("1h30m", not "30m1h").
const (
	stStart = iota
	stYear
	stMonth
	stWeek
	stDay
	stHour
	stMin
	stSec
	stMsec
	stLast // a space after a bare number: that number was seconds
)

// parseMsec reads a time like ngx_parse_time(..., 0), used by
// ngx_conf_set_msec_slot: units ms s m h d w; a bare number is seconds.
func parseMsec(s string) (time.Duration, error) { return parseTime(s, false) }

// parseSec reads a time like ngx_parse_time(..., 1): units s m h d w M y.
func parseSec(s string) (time.Duration, error) { return parseTime(s, true) }

// parseTime follows ngx_parse_time step by step, quirks included: spaces
// may follow any unit ("1m 30s"), a space also ends a bare number of
// seconds ("30 " is 30s), a bare number at the end counts as seconds, and
// a unit without digits adds nothing but is allowed once some digit
// appears anywhere ("m5" is 5s).
func parseTime(s string, isSec bool) (time.Duration, error) {
	const maxValue = math.MaxInt64
	var value, total int64
	valid := false
	step := stMonth // milliseconds: no months, no years
	if isSec {
		step = stStart
	}
	for p := 0; p < len(s); {
		c := s[p]
		p++
		if c >= '0' && c <= '9' {
			if value > (maxValue-int64(c-'0'))/10 {
				return 0, errInvalidValue
			}
			value = value*10 + int64(c-'0')
			valid = true
			continue
		}
		var next int
		var scale int64
		switch c {
		case 'y':
			next, scale = stYear, 365*86400
		case 'M':
			next, scale = stMonth, 30*86400
		case 'w':
			next, scale = stWeek, 7*86400
		case 'd':
			next, scale = stDay, 86400
		case 'h':
			next, scale = stHour, 3600
		case 'm':
			next, scale = stMin, 60
			if p < len(s) && s[p] == 's' {
				if isSec {
					return 0, errInvalidValue
				}
				p++
				next, scale = stMsec, 1
			}
		case 's':
			next, scale = stSec, 1
		case ' ':
			// nginx checks the step against seconds, not against
			// itself: "30 5" is 35s.
			if step >= stSec {
				return 0, errInvalidValue
			}
			next, scale = stLast, 1
		default:
			return 0, errInvalidValue
		}
		// Each unit must come after the previous one (so "y" only first).
		if next != stLast && step >= next {
			return 0, errInvalidValue
		}
		step = next
		if step != stMsec && !isSec {
			scale *= 1000
		}
		if value > maxValue/scale {
			return 0, errInvalidValue
		}
		value *= scale
		if total > maxValue-value {
			return 0, errInvalidValue
		}
		total += value
		value = 0
		for p < len(s) && s[p] == ' ' {
			p++
		}
	}
	if !valid {
		return 0, errInvalidValue
	}
	unit := int64(time.Second)
	if !isSec {
		if value > maxValue/1000 {
			return 0, errInvalidValue
		}
		value *= 1000
		unit = int64(time.Millisecond)
	}
	if total > maxValue-value {
		return 0, errInvalidValue
	}
	total += value
	if total > math.MaxInt64/unit {
		return time.Duration(math.MaxInt64), nil
	}
	return time.Duration(total * unit), nil
}
