package cli

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// Listening sockets a process starts with, used instead of binding (see
// server.Options.Inherited):
//
//   - STRAIT="3;4;" lists their file descriptors, as nginx's NGINX
//     variable does for a binary upgrade (ngx_add_inherited_sockets): each
//     number ends with ';' or ':'; a number not so ended is still taken.
//   - systemd socket activation: LISTEN_PID (this process) and LISTEN_FDS
//     (how many, from fd 3 on), as sd_listen_fds(3) reads them.
//
// Both are removed from the environment once read, so that nothing started
// later takes them for its own; a daemon child is handed the sockets again
// under STRAIT.
const inheritEnv = "STRAIT"

// inherited is what the environment passed: the sockets as listeners,
// the variables' text for the log, and the complaints about what could
// not be used, logged once the error log is open.
type inherited struct {
	listeners []net.Listener
	packets   []net.PacketConn // datagram sockets, for "listen ... udp"
	sources   []string         // `STRAIT="3;4;"`, `LISTEN_FDS="2"`
	problems  []string         // "[emerg] invalid socket number …"
}

// readInherited reads and removes STRAIT and systemd's variables and
// takes the sockets they name. It runs first thing, before strait opens
// descriptors of its own that a wrong number could name.
func readInherited() *inherited {
	in := &inherited{}
	var fds []int
	if v, ok := os.LookupEnv(inheritEnv); ok {
		os.Unsetenv(inheritEnv)
		in.sources = append(in.sources, fmt.Sprintf(`%s="%s"`, inheritEnv, v))
		var problem string
		fds, problem = parseInheritVar(v)
		if problem != "" {
			in.problems = append(in.problems, "[emerg] "+problem)
		}
	}
	pid, n := os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS")
	if n != "" && pid == strconv.Itoa(os.Getpid()) {
		for _, name := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
			os.Unsetenv(name)
		}
		in.sources = append(in.sources, fmt.Sprintf(`LISTEN_FDS="%s"`, n))
		count, err := strconv.Atoi(n)
		if err != nil || count < 0 {
			in.problems = append(in.problems, fmt.Sprintf(`[emerg] invalid LISTEN_FDS "%s", ignoring`, n))
		}
		for i := range count {
			fds = append(fds, 3+i) // SD_LISTEN_FDS_START
		}
	}
	seen := map[int]bool{}
	for _, fd := range fds {
		if seen[fd] {
			continue
		}
		seen[fd] = true
		// Checked before os.NewFile, whose File would close the
		// descriptor even when it is not a socket strait may take.
		datagram, err := checkListeningSocket(fd)
		if err != nil {
			in.problems = append(in.problems, fmt.Sprintf("[crit] the inherited socket #%d is ignored: %v", fd, err))
			continue
		}
		f := os.NewFile(uintptr(fd), "inherited socket #"+strconv.Itoa(fd))
		if datagram {
			pc, err := net.FilePacketConn(f) // a duplicate; the original closes
			f.Close()
			if err != nil {
				in.problems = append(in.problems, fmt.Sprintf("[crit] the inherited socket #%d is ignored: %v", fd, err))
				continue
			}
			in.packets = append(in.packets, pc)
			continue
		}
		ln, err := net.FileListener(f) // a duplicate; the original closes
		f.Close()
		if err != nil {
			in.problems = append(in.problems, fmt.Sprintf("[crit] the inherited socket #%d is ignored: %v", fd, err))
			continue
		}
		in.listeners = append(in.listeners, ln)
	}
	return in
}

// parseInheritVar splits "3;4;" as ngx_add_inherited_sockets does and
// says, in nginx's words, where it stopped. Descriptors 0 to 2 are never
// sockets to adopt: they are stdin, stdout and stderr.
func parseInheritVar(v string) (fds []int, problem string) {
	rest := v
	for rest != "" {
		i := strings.IndexAny(rest, ";:")
		num := rest
		if i >= 0 {
			num = rest[:i]
		}
		fd, err := strconv.Atoi(num)
		if err != nil || fd < 3 {
			return fds, fmt.Sprintf(`invalid socket number "%s" in %s environment variable, ignoring the rest of the variable`, rest, inheritEnv)
		}
		fds = append(fds, fd)
		if i < 0 {
			break
		}
		rest = rest[i+1:]
	}
	return fds, ""
}

// handDown gives the sockets to a daemon child: it appends them to
// extra (the child's descriptors 3, 4, …) and returns the STRAIT
// variable naming them, "" when there are none. The listeners stay open
// until close, after the child has started.
func (in *inherited) handDown(extra []*os.File) ([]*os.File, string, error) {
	if len(in.listeners)+len(in.packets) == 0 {
		return extra, "", nil
	}
	var b strings.Builder
	socks := make([]any, 0, len(in.listeners)+len(in.packets))
	for _, ln := range in.listeners {
		socks = append(socks, ln)
	}
	for _, pc := range in.packets {
		socks = append(socks, pc)
	}
	for _, ln := range socks {
		fl, ok := ln.(interface{ File() (*os.File, error) })
		if !ok {
			continue
		}
		f, err := fl.File()
		if err != nil {
			return extra, "", err
		}
		fmt.Fprintf(&b, "%d;", 3+len(extra))
		extra = append(extra, f)
	}
	return extra, inheritEnv + "=" + b.String(), nil
}

// take returns the listeners and datagram sockets for the server, which
// owns them from then on.
func (in *inherited) take() ([]net.Listener, []net.PacketConn) {
	lns, pcs := in.listeners, in.packets
	in.listeners, in.packets = nil, nil
	return lns, pcs
}

// close releases the sockets not taken.
func (in *inherited) close() {
	for _, ln := range in.listeners {
		ln.Close()
	}
	for _, pc := range in.packets {
		pc.Close()
	}
	in.listeners, in.packets = nil, nil
}
