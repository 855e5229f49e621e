//go:build linux

package main

import (
	"errors"
	"io"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name string
		line string
		want procStat
	}{
		{
			name: "nginx worker",
			line: "4242 (nginx) S 4241 4241 4241 0 -1 4194624 712 0 0 0 153 47 0 0 20 0 1 0 1234 11111111 2345 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0",
			want: procStat{PID: 4242, PPID: 4241, UTime: 153, STime: 47, RSSPages: 2345},
		},
		{
			name: "command with spaces and parentheses",
			line: "77 (a b) (c)) R 1 77 77 0 -1 0 0 0 0 0 9 1 0 0 20 0 4 0 99 5000 12 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
			want: procStat{PID: 77, PPID: 1, UTime: 9, STime: 1, RSSPages: 12},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat(tt.line)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "12 no-parens S 1", "12 (x) S 1 2 3", "x (y) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 1 1 1 1"} {
		if _, err := parseProcStat(bad); err == nil {
			t.Errorf("parseProcStat(%q) accepted a malformed line", bad)
		}
	}
}

func TestProcReaderReadsItself(t *testing.T) {
	r := newProcReader()
	u := r.usage(os.Getpid())
	if u.Processes < 1 || u.RSSBytes <= 0 {
		t.Fatalf("usage of the test process = %+v", u)
	}
}

const sampleCSV = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"PING_INLINE","40000.00","0.770","0.288","0.591","1.487","3.359","4.943"
"PING_MBULK","50000.00","0.579","0.176","0.527","0.959","1.695","3.599"
"SET","40000.00","0.534","0.240","0.527","0.623","0.687","2.623"
"GET","50000.00","0.524","0.192","0.511","0.599","0.879","3.743"
`

func TestParseRedisBenchmarkCSV(t *testing.T) {
	rs, err := parseRedisBenchmarkCSV(sampleCSV)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 {
		t.Fatalf("got %d results, want 4", len(rs))
	}
	want := benchResult{Test: "PING_INLINE", RPS: 40000, P50: 0.591, P99: 3.359}
	if rs[0] != want {
		t.Errorf("first = %+v, want %+v", rs[0], want)
	}
	if rs[3].Test != "GET" || rs[3].RPS != 50000 {
		t.Errorf("last = %+v", rs[3])
	}
	// 4 tests of n requests at 40k,50k,40k,50k: 4n / (n/40k+n/50k+...) .
	if got, want := aggregateRPS(rs), 4/(2/40000.0+2/50000.0); math.Abs(got-want) > 1e-6 {
		t.Errorf("aggregateRPS = %v, want %v", got, want)
	}
	for _, bad := range []string{"", "Could not connect to Redis at 127.0.0.1:1: Connection refused\n", `"test","rps"` + "\n" + `"PING_INLINE","fast"` + "\n"} {
		if _, err := parseRedisBenchmarkCSV(bad); err == nil {
			t.Errorf("parseRedisBenchmarkCSV(%q) gave no error", bad)
		}
	}
}

func TestRedisBenchmarkArgs(t *testing.T) {
	plain := strings.Join(redisBenchmarkArgs("127.0.0.1:7001", 500, nil), " ")
	if plain != "-h 127.0.0.1 -p 7001 -t ping,set,get -c 50 -P 1 -n 500 --csv" {
		t.Errorf("plain args: %s", plain)
	}
	withTLS := strings.Join(redisBenchmarkArgs("127.0.0.1:7001", 500, &pkiFiles{CA: "ca", ClientCert: "c", ClientKey: "k"}), " ")
	if !strings.HasSuffix(withTLS, "--tls --sni upstream.bench --cacert ca --cert c --key k") {
		t.Errorf("TLS args: %s", withTLS)
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i))
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 50}, {99, 99}, {100, 100}, {1, 1}, {0, 1}} {
		if got := percentile(ds, tt.p); got != tt.want {
			t.Errorf("p%v = %v, want %v", tt.p, got, tt.want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("percentile of nothing should be 0")
	}
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		args    []string
		rounds  int
		only    string
		targets string
		wantErr bool
	}{
		{args: nil, rounds: 3, targets: "strait,nginx,haproxy,direct"},
		{args: []string{"-quick"}, rounds: 1, targets: "strait,nginx,haproxy,direct"},
		{args: []string{"-quick", "-rounds", "2"}, rounds: 2, targets: "strait,nginx,haproxy,direct"},
		{args: []string{"-only", "bulk, latency,bulk", "-proxies", "nginx,haproxy"}, rounds: 3, only: "bulk,latency", targets: "nginx,haproxy"},
		{args: []string{"-only", "nonsense"}, wantErr: true},
		{args: []string{"-proxies", "envoy"}, wantErr: true},
		{args: []string{"-proxies", ","}, wantErr: true},
		{args: []string{"-rounds", "0"}, wantErr: true},
		{args: []string{"stray"}, wantErr: true},
	}
	for _, tt := range tests {
		o, err := parseOptions(tt.args, io.Discard)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%v: no error", tt.args)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		if o.Rounds != tt.rounds || strings.Join(o.Only, ",") != tt.only || strings.Join(o.Targets, ",") != tt.targets {
			t.Errorf("%v: rounds %d only %v targets %v", tt.args, o.Rounds, o.Only, o.Targets)
		}
	}
}

func TestFitFileLimit(t *testing.T) {
	s := sizes{IdleSessions: 10_000}
	if got := s.fitFileLimit(1 << 20); got.IdleSessions != 10_000 || got.IdleCapped {
		t.Errorf("ample limit changed sizes: %+v", got)
	}
	got := s.fitFileLimit(20_000)
	if got.IdleSessions != 9_750 || !got.IdleCapped {
		t.Errorf("limit 20000: %+v, want 9750 capped", got)
	}
	if l := limitsFor(20_000); l.MaxConns*2+100 > 20_000 || l.MaxConns < got.IdleSessions {
		t.Errorf("HAProxy maxconn %d does not fit 20000 descriptors or %d sessions", l.MaxConns, got.IdleSessions)
	}
}

func TestCheckToolsNamesMissingPackages(t *testing.T) {
	lookPath := func(name string) (string, error) {
		if name == "redis-benchmark" || name == "haproxy" {
			return "", errors.New("not found")
		}
		return "/usr/bin/" + name, nil
	}
	err := checkTools(lookPath, false, true)
	if !errors.Is(err, errMissingTools) {
		t.Fatalf("err = %v, want errMissingTools", err)
	}
	for _, want := range []string{"redis-benchmark, haproxy", "apt-get install redis-tools haproxy"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not mention %q", err, want)
		}
	}
	all := func(string) (string, error) { return "/usr/bin/x", nil }
	if err := checkTools(all, false, true); err != nil {
		t.Errorf("nothing missing, got %v", err)
	}
}
