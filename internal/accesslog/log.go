package accesslog

import "github.com/straitproxy/strait/internal/vars"

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

// Log is one access_log directive: a format, a shared writer and an
// optional if= condition.
type Log struct {
	Format *Format
	Writer *Writer
	If     *Condition
}

// Record renders s and queues the line on the writer. It returns the
// failed write to report for this session, as Writer.Write does.
func (l *Log) Record(s *Session) error {
	if l.If != nil && !l.If.Match(s) {
		return nil
	}
	b := l.Writer.line()
	*b = l.Format.Append(*b, s)
	err := l.Writer.Write(*b)
	l.Writer.putLine(b)
	return err
}
