package vars

import (
	"fmt"
	"strings"
)

// UnknownError is nginx's `unknown "name" variable`. Hint says what a name
// is when nginx knows it and strait does not (yet).
type UnknownError struct {
	Name string
	Hint string
}

func (e *UnknownError) Error() string { return fmt.Sprintf("unknown %q variable", e.Name) }

// missingVariables lists variables nginx's stream modules define that
// strait does not, with the module that would define them. Names ending
// in "_" match as prefixes; the first match wins.
func missingVariables() []struct{ name, module string } {
	return []struct{ name, module string }{
		{"proxy_protocol_tlv_", "PROXY protocol v2 TLVs"},
		{"geoip_", "ngx_stream_geoip_module"},
		{"upstream_last_server_name", "ngx_stream_upstream_module (resolved names)"},
	}
}

// unknown returns the error for an unknown name, with a hint when nginx
// defines the name.
func unknown(name string) error {
	low := strings.ToLower(name)
	for _, m := range missingVariables() {
		if low == m.name || strings.HasSuffix(m.name, "_") && strings.HasPrefix(low, m.name) {
			return &UnknownError{Name: name, Hint: "nginx's " + m.module + " defines it; strait does not support it yet"}
		}
	}
	return &UnknownError{Name: name}
}
