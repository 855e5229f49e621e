package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// TestRatesWithVariables runs sessions whose proxy_upload_rate and
// proxy_download_rate come from a map, as nginx 1.27 allows: a valid size
// paces the session, a value that is not a size is logged as nginx logs
// it and leaves the session unlimited.
func TestRatesWithVariables(t *testing.T) {
	dir := t.TempDir()
	up := straittest.ServeTCP(t, straittest.Echo)
	lnOK, pOK := listenPort(t)
	lnBad, pBad := listenPort(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`
events {}
stream {
    map $server_port $rate {
        %s     1m;
        default   fast;
    }
    proxy_upload_rate $rate;
    server { listen 127.0.0.1:%s; proxy_pass %s; proxy_download_rate ${rate}; }
    server { listen 127.0.0.1:%s; proxy_pass %s; proxy_download_rate $rate; }
}`, pOK, pOK, up, pBad, up))
	ts := startServer(t, cfg, lnOK, lnBad)
	msg := strings.Repeat("paced ", 1000)
	echoSession(t, "127.0.0.1:"+pOK, msg)
	echoSession(t, "127.0.0.1:"+pBad, msg)
	waitFor(t, "both sessions to end", func() bool { return ts.Stats().Statuses[200] == 2 })
	log := ts.log.String()
	if n := strings.Count(log, `invalid size "fast" while proxying connection`); n != 2 {
		t.Errorf("%d invalid size lines, want 2 (upload and download of the second session):\n%s", n, log)
	}
	if strings.Contains(log, `invalid size "1m"`) {
		t.Errorf("a valid rate was refused:\n%s", log)
	}
}

func TestRateWithUnknownVariable(t *testing.T) {
	dir := t.TempDir()
	cfg := mustConfig(t, dir, `events {} stream {
    server { listen 127.0.0.1:1; proxy_pass 127.0.0.1:2; proxy_upload_rate $nosuch; }
}`)
	err := CheckVariables(cfg)
	if want := `unknown "nosuch" variable in ` + dir + "/nginx.conf:2"; err == nil || err.Error() != want {
		t.Errorf("CheckVariables: %v, want %s", err, want)
	}
}
