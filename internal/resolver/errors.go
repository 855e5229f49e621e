package resolver

import "fmt"

// Codes of Error: the DNS response codes nginx reports (RFC 1035 4.1.1)
// and its code for a query no server answered in time.
const (
	FormErr  = 1
	ServFail = 2
	NXDomain = 3
	NotImp   = 4
	Refused  = 5
	TimedOut = 110 // NGX_RESOLVE_TIMEDOUT, ETIMEDOUT
)

// Error is a failed resolution with nginx's code. Its text is what
// nginx puts in parentheses: "3: Host not found".
type Error struct {
	Code int
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d: %s", e.Code, strerror(e.Code))
}

// NotFound reports whether the name does not exist or has no address
// (nginx reports both as NXDOMAIN); a group drops the name's peers then,
// where any other failure keeps them.
func (e *Error) NotFound() bool { return e.Code == NXDomain }

// strerror is ngx_resolver_strerror.
func strerror(code int) string {
	switch code {
	case FormErr:
		return "Format error"
	case ServFail:
		return "Server failure"
	case NXDomain:
		return "Host not found"
	case NotImp:
		return "Unimplemented"
	case Refused:
		return "Operation refused"
	case TimedOut:
		return "Operation timed out"
	}
	return "Unknown error"
}
