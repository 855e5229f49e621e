package tlsconf

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// protocolVersions maps nginx protocol names to TLS versions.
var protocolVersions = map[string]uint16{
	"TLSv1":   tls.VersionTLS10,
	"TLSv1.1": tls.VersionTLS11,
	"TLSv1.2": tls.VersionTLS12,
	"TLSv1.3": tls.VersionTLS13,
}

// defaultProtocols is nginx's proxy_ssl_protocols default since 1.27.3.
var defaultProtocols = []string{"TLSv1.2", "TLSv1.3"}

// protocolName is OpenSSL's SSL_get_version wording.
func protocolName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return fmt.Sprintf("unknown (0x%04x)", v)
}

func protocolVersion(name string) (uint16, error) {
	if name == "SSLv2" || name == "SSLv3" {
		return 0, fmt.Errorf("%s is not supported: strait's TLS stack does not implement SSL", name)
	}
	v, ok := protocolVersions[name]
	if !ok {
		return 0, fmt.Errorf("invalid protocol %q in proxy_ssl_protocols", name)
	}
	return v, nil
}

// versionRange turns proxy_ssl_protocols into Go's min..max range. Go
// cannot leave a hole, so "TLSv1 TLSv1.2" also enables TLSv1.1; Warnings
// reports that.
func versionRange(names []string) (lo, hi uint16, holes []string, err error) {
	if len(names) == 0 {
		names = defaultProtocols
	}
	set := map[uint16]bool{}
	for _, n := range names {
		v, err := protocolVersion(n)
		if err != nil {
			return 0, 0, nil, err
		}
		set[v] = true
		if lo == 0 || v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	for v := lo; v <= hi; v++ {
		if !set[v] {
			holes = append(holes, protocolName(v))
		}
	}
	return lo, hi, holes, nil
}

// curveIDs maps OpenSSL group names (and their aliases) to Go's IDs.
var curveIDs = map[string]tls.CurveID{
	"x25519":             tls.X25519,
	"p-256":              tls.CurveP256,
	"prime256v1":         tls.CurveP256,
	"secp256r1":          tls.CurveP256,
	"p-384":              tls.CurveP384,
	"secp384r1":          tls.CurveP384,
	"p-521":              tls.CurveP521,
	"secp521r1":          tls.CurveP521,
	"x25519mlkem768":     tls.X25519MLKEM768,
	"secp256r1mlkem768":  tls.SecP256r1MLKEM768,
	"secp384r1mlkem1024": tls.SecP384r1MLKEM1024,
}

// applyConfCommands maps proxy_ssl_conf_command settings that have a Go
// meaning onto cfg, in order (later ones win, as in OpenSSL), and refuses
// the rest. Command names are case-insensitive, as in an OpenSSL
// configuration file.
func applyConfCommands(cfg *tls.Config, cmds [][2]string) error {
	for i, c := range cmds {
		name, value := c[0], c[1]
		switch strings.ToLower(name) {
		case "groups", "curves":
			var ids []tls.CurveID
			for _, g := range strings.Split(value, ":") {
				id, ok := curveIDs[strings.ToLower(strings.TrimSpace(g))]
				if !ok {
					return about(fmt.Errorf("proxy_ssl_conf_command %q: unsupported group %q", name, g), confCommandPos(i))
				}
				ids = append(ids, id)
			}
			cfg.CurvePreferences = ids
		case "minprotocol", "maxprotocol":
			v, err := protocolVersion(value)
			if err != nil {
				return about(fmt.Errorf("proxy_ssl_conf_command %q: %w", name, err), confCommandPos(i))
			}
			if strings.EqualFold(name, "minprotocol") {
				cfg.MinVersion = v
			} else {
				cfg.MaxVersion = v
			}
		default:
			return about(fmt.Errorf("proxy_ssl_conf_command %q is not supported", name), confCommandPos(i))
		}
	}
	if cfg.MinVersion > cfg.MaxVersion {
		return about(fmt.Errorf("proxy_ssl_conf_command: minimum protocol %s is above maximum %s",
			protocolName(cfg.MinVersion), protocolName(cfg.MaxVersion)), confCommandPos(len(cmds)-1))
	}
	return nil
}
