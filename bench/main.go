//go:build linux

// Command bench measures strait side by side with nginx and HAProxy, and
// against the direct connection to the upstream as the physical limit.
//
// It generates its own PKI, starts redis-server and its own Go upstreams on
// loopback, then for every round, scenario and target in turn starts the
// proxy with equivalent settings (mutual TLS 1.3 with verification to the
// upstream), runs the load and stops the proxy. It prints a table of
// medians with strait's ratio to each peer and the project's targets, and
// writes it with a bar chart to -out. It installs nothing: missing tools
// are reported with the Debian packages that provide them.
//
//	go run ./bench -quick
//	go run ./bench -rounds 3 -only requests,bulk -proxies strait,nginx
//
// -engine NAME=PATH adds a column for a prototype engine (see bench/proto)
// that takes part only in the scenarios whose routes are all plain TCP.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := checkTools(exec.LookPath, contains(opts.Targets, nameNginx), contains(opts.Targets, nameHAProxy)); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	fileLimit, err := raiseFileLimit(200_000)
	if err != nil {
		fmt.Fprintln(stderr, "bench: warning:", err)
	}
	sz := opts.sizes().fitFileLimit(fileLimit)
	tmp, err := os.MkdirTemp("", "strait-bench-")
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	// World-readable so nginx workers running as another user can read the
	// certificates; the directory is removed on exit.
	_ = os.Chmod(tmp, 0o755)
	defer os.RemoveAll(tmp)
	sup := newSupervisor()
	defer sup.stopAll()

	started := time.Now()
	targets, pending, straitBin := resolveTargets(ctx, opts, tmp, stderr)
	w, err := newWorld(ctx, tmp, sup, fileLimit)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	defer w.close()
	res := runRounds(ctx, w, opts, sz, targets, pending, stderr)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "bench: interrupted; no report written")
		return 130
	}
	rep := report{
		Date:    started.UTC(),
		Elapsed: time.Since(started),
		Options: opts,
		Sizes:   sz,
		Machine: describeMachine(ctx, straitBin),
		Results: res,
		Pending: pending,
	}
	if err := rep.write(opts.Out, stdout); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	return 0
}

// raiseFileLimit lifts RLIMIT_NOFILE for the harness and the proxies it
// starts (children inherit it) towards want, and returns the limit in
// force. Raising the hard limit needs CAP_SYS_RESOURCE; without it the
// soft limit goes up to the hard one.
func raiseFileLimit(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("get file limit: %w", err)
	}
	if lim.Cur >= want {
		return lim.Cur, nil
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: want, Max: max(want, lim.Max)}); err == nil {
		return want, nil
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: lim.Max, Max: lim.Max}); err != nil {
		return lim.Cur, fmt.Errorf("raise file limit: %w", err)
	}
	return lim.Max, nil
}
