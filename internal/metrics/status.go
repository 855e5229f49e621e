package metrics

import (
	"cmp"
	"maps"
	"time"
)

// statusDoc is the JSON document of GET /status; docs/metrics.md shows
// its shape.
type statusDoc struct {
	Version           string         `json:"version"`
	StartTime         time.Time      `json:"start_time"`
	UptimeSeconds     float64        `json:"uptime_seconds"`
	ConfigFile        string         `json:"config_file"`
	LastReload        *reloadDoc     `json:"last_reload"` // null until the first reload
	LastReloadSuccess time.Time      `json:"last_reload_success_time"`
	Reloads           reloadCounts   `json:"reloads"`
	Active            int64          `json:"active"`
	Accepted          uint64         `json:"accepted"`
	Handled           uint64         `json:"handled"`
	Statuses          map[int]uint64 `json:"statuses"`
	Bytes             bytesDoc       `json:"bytes"`
	Servers           []serverDoc    `json:"servers"`
	Upstreams         []upstreamDoc  `json:"upstreams"`
	TLS               tlsDoc         `json:"tls"`
}

type reloadDoc struct {
	Time   time.Time `json:"time"`
	Result string    `json:"result"` // "success" or "failure"
	Error  string    `json:"error,omitempty"`
}

type reloadCounts struct {
	Success uint64 `json:"success"`
	Failure uint64 `json:"failure"`
}

type bytesDoc struct {
	FromClient   uint64 `json:"from_client"`
	ToClient     uint64 `json:"to_client"`
	FromUpstream uint64 `json:"from_upstream"`
	ToUpstream   uint64 `json:"to_upstream"`
}

type upstreamDoc struct {
	Name  string    `json:"name"`
	TLS   bool      `json:"tls"`
	Peers []peerDoc `json:"peers"`
}

type peerDoc struct {
	Address           string        `json:"address"`
	Name              string        `json:"name"`
	Weight            int           `json:"weight"`
	Backup            bool          `json:"backup"`
	Down              bool          `json:"down"`
	Up                bool          `json:"up"`
	ActiveConnections int           `json:"active_connections"`
	Fails             int           `json:"fails"`
	UnavailableUntil  *time.Time    `json:"unavailable_until"` // null when selectable
	Selections        uint64        `json:"selections"`
	Health            healthDoc     `json:"health"`
	Origin            string        `json:"origin,omitempty"`
	Failures          failuresDoc   `json:"failures"`
	Attempts          attemptsDoc   `json:"attempts"`
	Handshakes        handshakesDoc `json:"handshakes"`
	// CertificateNotAfter: when the certificate the peer presented in
	// its last TLS handshake expires; null before any.
	CertificateNotAfter *time.Time `json:"certificate_not_after"`
	// VerifyFailures: verification failures by reason; {} when none.
	VerifyFailures map[string]uint64 `json:"verify_failures"`
}

// serverDoc is one server block.
type serverDoc struct {
	Name     string   `json:"name"`
	Position string   `json:"position"`
	Active   int64    `json:"active"`
	Sessions uint64   `json:"sessions"`
	Bytes    bytesDoc `json:"bytes"`
}

// healthDoc is a peer's active health-check state.
type healthDoc struct {
	State     string     `json:"state"`
	Reason    string     `json:"reason,omitempty"`
	LastCheck *time.Time `json:"last_check"` // null before any check
}

// failuresDoc groups failed attempts by the step that failed.
type failuresDoc struct {
	Connect   uint64 `json:"connect"`   // connect errors and timeouts
	Handshake uint64 `json:"handshake"` // TLS handshake and verification failures
}

type attemptsDoc struct {
	OK             uint64 `json:"ok"`
	ConnectError   uint64 `json:"connect_error"`
	ConnectTimeout uint64 `json:"connect_timeout"`
	HandshakeError uint64 `json:"handshake_error"`
	VerifyError    uint64 `json:"verify_error"`
	PinMismatch    uint64 `json:"pin_mismatch"`
}

type handshakesDoc struct {
	New     uint64 `json:"new"`
	Resumed uint64 `json:"resumed"`
}

func newStatusDoc(o Options, s Snapshot, r Reloads) statusDoc {
	doc := statusDoc{
		Version: o.Version, StartTime: o.Start, ConfigFile: o.ConfigFile,
		UptimeSeconds:     o.Now().Sub(o.Start).Seconds(),
		LastReloadSuccess: r.LastSuccess,
		Reloads:           reloadCounts{Success: r.Successes, Failure: r.Failures},
		Active:            s.Active, Accepted: s.Accepted, Handled: s.Handled,
		Statuses:  s.Statuses,
		Bytes:     newBytesDoc(s.Bytes),
		Servers:   make([]serverDoc, 0, len(s.Servers)),
		Upstreams: []upstreamDoc{},
		TLS:       newTLSDoc(s.TLS),
	}
	if doc.Statuses == nil {
		doc.Statuses = map[int]uint64{}
	}
	if !r.Last.At.IsZero() {
		doc.LastReload = &reloadDoc{Time: r.Last.At, Result: "success"}
		if r.Last.Err != nil {
			doc.LastReload.Result, doc.LastReload.Error = "failure", r.Last.Err.Error()
		}
	}
	for _, b := range s.Servers {
		doc.Servers = append(doc.Servers, serverDoc{
			Name: b.Name, Position: b.Pos, Active: b.Active, Sessions: b.Sessions, Bytes: newBytesDoc(b.Bytes),
		})
	}
	for _, u := range mergeUpstreams(s.Upstreams) {
		ud := upstreamDoc{Name: u.Name, TLS: u.TLS, Peers: make([]peerDoc, 0, len(u.Peers))}
		for _, p := range u.Peers {
			a := p.Attempts
			pd := peerDoc{
				Address: p.Addr, Name: p.Name, Weight: p.Weight, Backup: p.Backup, Down: p.Down, Up: p.Up,
				ActiveConnections: p.Conns, Fails: p.Fails, Selections: p.Selections, Origin: p.Origin,
				Health:   healthDoc{State: cmp.Or(p.Health, "unchecked"), Reason: p.HealthReason},
				Failures: failuresDoc{Connect: a.ConnectError + a.ConnectTimeout, Handshake: a.HandshakeError + a.VerifyError + a.PinMismatch},
				Attempts: attemptsDoc{
					OK: a.OK, ConnectError: a.ConnectError, ConnectTimeout: a.ConnectTimeout,
					HandshakeError: a.HandshakeError, VerifyError: a.VerifyError, PinMismatch: a.PinMismatch,
				},
				Handshakes:     handshakesDoc{New: p.Handshakes.New, Resumed: p.Handshakes.Resumed},
				VerifyFailures: map[string]uint64{},
			}
			maps.Copy(pd.VerifyFailures, p.VerifyFailures)
			if !p.UnavailableUntil.IsZero() {
				t := p.UnavailableUntil
				pd.UnavailableUntil = &t
			}
			if !p.CertificateNotAfter.IsZero() {
				t := p.CertificateNotAfter
				pd.CertificateNotAfter = &t
			}
			if !p.LastCheck.IsZero() {
				t := p.LastCheck
				pd.Health.LastCheck = &t
			}
			ud.Peers = append(ud.Peers, pd)
		}
		doc.Upstreams = append(doc.Upstreams, ud)
	}
	return doc
}

func newBytesDoc(b Bytes) bytesDoc {
	return bytesDoc{FromClient: b.FromClient, ToClient: b.ToClient, FromUpstream: b.FromUpstream, ToUpstream: b.ToUpstream}
}
