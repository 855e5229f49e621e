//go:build !linux

package cli

// checkListeningSocket is Linux-only for now; elsewhere net.FileListener
// alone decides whether an inherited descriptor is usable.
func checkListeningSocket(int) error { return nil }
