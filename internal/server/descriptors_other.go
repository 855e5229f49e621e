//go:build !linux

package server

// systemDescriptors knows no limit here: only worker_connections bounds
// sessions.
func systemDescriptors() (limit, open int) { return 0, 0 }
