//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// startRedis runs redis-server with a clear-text port and a mutual-TLS
// port (TLS 1.3 only, client certificates required), no persistence.
func startRedis(ctx context.Context, sup *supervisor, dir string, pki *pkiFiles) (p *process, plain, tlsAddr string, err error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, "", "", err
	}
	p, err = sup.start("redis-server", filepath.Join(dir, "redis.log"),
		"--bind", "127.0.0.1",
		"--port", strconv.Itoa(ports[0]),
		"--tls-port", strconv.Itoa(ports[1]),
		"--tls-cert-file", pki.ServerCert,
		"--tls-key-file", pki.ServerKey,
		"--tls-ca-cert-file", pki.CA,
		"--tls-auth-clients", "yes",
		"--tls-protocols", "TLSv1.3",
		"--save", "", "--appendonly", "no",
		"--maxclients", "10000",
		"--dir", dir)
	if err != nil {
		return nil, "", "", err
	}
	plain = fmt.Sprintf("127.0.0.1:%d", ports[0])
	tlsAddr = fmt.Sprintf("127.0.0.1:%d", ports[1])
	if err := waitListening(ctx, p, []string{plain, tlsAddr}, 10*time.Second); err != nil {
		sup.stop(p)
		return nil, "", "", err
	}
	if err := redisPing(plain); err != nil {
		sup.stop(p)
		return nil, "", "", err
	}
	return p, plain, tlsAddr, nil
}

func redisPing(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "PING\r\n"); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("redis ping: got %q: %v", line, err)
	}
	return nil
}

// benchResult is one line of redis-benchmark --csv output.
type benchResult struct {
	Test string
	RPS  float64
	P50  float64 // ms
	P99  float64 // ms
}

// parseRedisBenchmarkCSV reads redis-benchmark --csv output: a header line
// then one quoted line per test.
func parseRedisBenchmarkCSV(out string) ([]benchResult, error) {
	r := csv.NewReader(strings.NewReader(out))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parse redis-benchmark csv: %w", err)
	}
	col := map[string]int{}
	var res []benchResult
	for _, rec := range recs {
		if len(rec) > 0 && rec[0] == "test" {
			for i, name := range rec {
				col[name] = i
			}
			continue
		}
		if len(col) == 0 || len(rec) != len(col) {
			continue // progress noise or a line before the header
		}
		num := func(name string) (float64, error) {
			i, ok := col[name]
			if !ok {
				return 0, fmt.Errorf("parse redis-benchmark csv: no column %q", name)
			}
			return strconv.ParseFloat(rec[i], 64)
		}
		var br benchResult
		br.Test = rec[col["test"]]
		if br.RPS, err = num("rps"); err != nil {
			return nil, fmt.Errorf("parse redis-benchmark rps for %s: %w", br.Test, err)
		}
		br.P50, _ = num("p50_latency_ms")
		br.P99, _ = num("p99_latency_ms")
		res = append(res, br)
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("parse redis-benchmark csv: no results in %q", truncate(out, 200))
	}
	return res, nil
}

// aggregateRPS is total requests over total time across tests of n
// requests each: the harmonic mean of the per-test rates.
func aggregateRPS(rs []benchResult) float64 {
	var secs float64
	for _, r := range rs {
		if r.RPS <= 0 {
			return 0
		}
		secs += 1 / r.RPS
	}
	if secs == 0 {
		return 0
	}
	return float64(len(rs)) / secs
}

// redisBenchmarkArgs are the arguments for n requests per test with 50
// clients, no pipelining; tlsFiles adds the client TLS flags for direct.
func redisBenchmarkArgs(addr string, n int, tlsFiles *pkiFiles) []string {
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-h", host, "-p", port, "-t", "ping,set,get", "-c", "50", "-P", "1", "-n", strconv.Itoa(n), "--csv"}
	if tlsFiles != nil {
		args = append(args, "--tls", "--sni", upstreamName, "--cacert", tlsFiles.CA,
			"--cert", tlsFiles.ClientCert, "--key", tlsFiles.ClientKey)
	}
	return args
}

// runRedisBenchmark runs redis-benchmark, bounded by ctx, and returns its
// per-test results.
func runRedisBenchmark(ctx context.Context, args []string) ([]benchResult, error) {
	cmd := exec.CommandContext(ctx, "redis-benchmark", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // gone with the harness
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("redis-benchmark: %w: %s", err, truncate(stderr.String(), 300))
	}
	return parseRedisBenchmarkCSV(string(out))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
