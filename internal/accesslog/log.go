package accesslog

import (
	"github.com/straitproxy/strait/internal/syslog"
	"github.com/straitproxy/strait/internal/vars"
)

// Condition is a compiled access_log if= value. The line is skipped when the
// value evaluates to "" or "0".
type Condition struct {
	e *vars.Expr
}

// CompileCondition compiles an if= value such as "$loggable". It may mix
// text and variables: nginx compiles it as a complex value.
func CompileCondition(reg *vars.Registry, expr string) (*Condition, error) {
	e, err := reg.Compile(expr)
	if err != nil {
		return nil, err
	}
	return &Condition{e: e}, nil
}

// Match reports whether the session should be logged.
func (c *Condition) Match(s *Session) bool {
	var scratch [64]byte
	v := c.e.Append(scratch[:0], s)
	return !(len(v) == 0 || len(v) == 1 && v[0] == '0')
}

// Log is one access_log directive: a format, a shared writer, a path
// with variables or a syslog peer, and an optional if= condition.
type Log struct {
	Format *Format
	Writer *Writer
	Paths  *PathLog     // instead of Writer, for paths with variables
	Syslog *syslog.Peer // instead of Writer, for syslog: targets
	If     *Condition
}

// Record renders s and queues the line on the writer, or sends it to the
// syslog peer. It returns the failure to report for this session, as
// Writer.Write and syslog.Peer.Log do.
func (l *Log) Record(s *Session) error {
	if l.If != nil && !l.If.Match(s) {
		return nil
	}
	if l.Syslog != nil {
		// One datagram per session, without the newline a file gets,
		// as ngx_stream_log_handler sends it.
		var scratch [512]byte
		return l.Syslog.Log(l.Format.appendOps(scratch[:0], s))
	}
	if l.Paths != nil {
		b := l.Paths.line()
		*b = l.Format.Append(*b, s)
		err := l.Paths.write(s, *b)
		l.Paths.putLine(b)
		return err
	}
	b := l.Writer.line()
	*b = l.Format.Append(*b, s)
	err := l.Writer.Write(*b)
	l.Writer.putLine(b)
	return err
}
