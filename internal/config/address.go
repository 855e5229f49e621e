package config

import "net"

// hostPart strips a :port suffix and IPv6 brackets from an address.
func hostPart(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
