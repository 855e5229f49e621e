package vars

import (
	"strings"
	"testing"
)

// TestEveryStreamVariable checks that each variable nginx's stream core
// and upstream modules define with a meaning in strait is registered, with
// nginx's cache flag.
func TestEveryStreamVariable(t *testing.T) {
	reg := build(t)
	noCache := map[string]bool{
		"session_time": true, "status": true, "msec": true, "time_iso8601": true, "time_local": true,
		"upstream_addr": true, "upstream_bytes_sent": true, "upstream_bytes_received": true,
		"upstream_connect_time": true, "upstream_first_byte_time": true, "upstream_session_time": true,
	}
	names := strings.Fields(`binary_remote_addr bytes_received bytes_sent connection hostname msec server_name
		nginx_version pid protocol proxy_protocol_addr proxy_protocol_port proxy_protocol_server_addr
		proxy_protocol_server_port remote_addr remote_port server_addr server_port session_time status
		time_iso8601 time_local upstream_addr upstream_bytes_sent upstream_bytes_received
		upstream_connect_time upstream_first_byte_time upstream_session_time upstream_ssl_protocol
		upstream_ssl_cipher upstream_ssl_session_reused upstream_ssl_verify upstream_ssl_server_name
		realip_remote_addr realip_remote_port ssl_protocol ssl_cipher ssl_ciphers ssl_curve ssl_curves
		ssl_server_name ssl_alpn_protocol ssl_session_id ssl_session_reused ssl_client_verify
		ssl_client_s_dn ssl_client_i_dn ssl_client_serial ssl_client_fingerprint ssl_client_v_start
		ssl_client_v_end ssl_client_v_remain ssl_client_cert ssl_client_raw_cert ssl_client_escaped_cert
		ssl_preread_server_name ssl_preread_alpn_protocols ssl_preread_protocol`)
	for _, name := range names {
		v, err := reg.Lookup(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if v.Doc() == "" {
			t.Errorf("%s has no description", name)
		}
		if strings.HasPrefix(name, "upstream_ssl_") {
			continue
		}
		if got := v.Flags()&NoCache != 0; got != noCache[name] {
			t.Errorf("%s: NoCache %v, nginx has %v", name, got, noCache[name])
		}
	}
	if got := len(reg.Variables()); got != len(names) {
		t.Errorf("%d variables registered, %d checked", got, len(names))
	}
}

func TestDefineFollowsNginx(t *testing.T) {
	get := func(dst []byte, _ *Session) ([]byte, bool) { return append(dst, "g"...), true }
	b, err := NewBuilder(Definition{Name: "fixed", Get: get}, Definition{Name: "Open", Flags: Changeable, Get: get})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Define(Definition{Name: "FIXED", Flags: Changeable, Get: get}); err == nil || err.Error() != `the duplicate "FIXED" variable` {
		t.Errorf("redefining a fixed variable: %v", err)
	}
	if _, err := b.Define(Definition{Name: "open", Flags: Changeable, Get: get}); err != nil {
		t.Errorf("redefining a changeable variable: %v", err)
	}
	if _, err := b.Define(Definition{Name: ""}); err == nil || err.Error() != `invalid variable name "$"` {
		t.Errorf("empty name: %v", err)
	}
	reg := b.Build()
	if _, err := b.Define(Definition{Name: "late", Get: get}); err == nil {
		t.Error("a built registry accepted a definition")
	}
	if v, err := reg.Lookup("OPEN"); err != nil || v.Name() != "open" {
		t.Errorf("lookup ignores case: %v %v", v, err)
	}
}

func TestPrefixVariables(t *testing.T) {
	b, err := NewBuilder(
		Definition{Name: "tlv_", Flags: Prefix | NoCache, ForName: func(rest string) (Getter, error) {
			return func(dst []byte, _ *Session) ([]byte, bool) { return append(dst, "short:"+rest...), true }, nil
		}},
		Definition{Name: "tlv_ssl_", Flags: Prefix, ForName: func(rest string) (Getter, error) {
			return func(dst []byte, _ *Session) ([]byte, bool) { return append(dst, "ssl:"+rest...), true }, nil
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	reg := b.Build()
	if got := eval(t, reg, "$tlv_0x01 $TLV_SSL_version", session()); got != "short:0x01 ssl:version" {
		t.Errorf("got %q", got)
	}
	v, _ := reg.Lookup("tlv_x")
	if v.Flags() != NoCache {
		t.Errorf("flags %v", v.Flags())
	}
}
