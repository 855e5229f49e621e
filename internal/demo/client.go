package demo

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"time"
)

// Client is `strait demo -client`, since a fresh system may have no nc or
// socat. It connects to addr and, for each line read from in, sends the
// line and prints the one line the demo's upstreams answer. It does not
// half-close after the input, as nc would: without proxy_half_close (the
// default, as in nginx) a client's FIN ends the whole session, answers
// still on their way included.
func Client(ctx context.Context, addr string, in io.Reader, out io.Writer) error {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	c, err := d.DialContext(dctx, "tcp", addr)
	cancel()
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() }) // Ctrl-C
	defer stop()
	lines, answers := bufio.NewScanner(in), bufio.NewReader(c)
	for lines.Scan() {
		if _, err := fmt.Fprintf(c, "%s\n", lines.Text()); err != nil {
			return err
		}
		answer, err := answers.ReadString('\n')
		if answer != "" {
			io.WriteString(out, answer)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("no answer through strait: %w", err)
		}
	}
	return lines.Err()
}
