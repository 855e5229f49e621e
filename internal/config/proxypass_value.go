package config

import "github.com/straitproxy/strait/internal/ngxconf"

// setProxyPassValue records a proxy_pass with variables. Its value is
// only known per session (nginx's ngx_stream_proxy_eval), so nothing is
// linked or resolved at load; the expression is compiled with the other
// variable expressions.
func setProxyPassValue(s *scope, d *ngxconf.Directive) error {
	srv := s.lvl.srv
	srv.ProxyPass = ProxyPass{Pos: stmtPos(d), Value: d.Args[0].Value}
	srv.Return, srv.Pass = nil, nil // the last of return, pass and proxy_pass serves the block
	return nil
}

// checkProxyPassValue refuses what strait does not do yet with a
// proxy_pass that has variables: UDP listens and health checks, which
// need one group known at load.
func checkProxyPassValue(srv *Server) error {
	if srv.ProxyPass.Value == "" {
		return nil
	}
	if srv.HasUDP() {
		return errorAt(srv.ProxyPass.Pos, "variables in \"proxy_pass\" are not supported yet for \"udp\" listens")
	}
	if len(srv.HealthChecks) > 0 {
		return errorAt(srv.HealthChecks[0].Pos, "health check requires proxy_pass without variables")
	}
	return nil
}
