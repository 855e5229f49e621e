//go:build !linux

package server

import "github.com/straitproxy/strait/internal/config"

// setListenSockopts is Linux-only for now; elsewhere listen parameters
// other than the address are ignored.
func setListenSockopts(int, string, config.Listen) error { return nil }
