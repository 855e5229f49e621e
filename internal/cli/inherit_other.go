//go:build !linux

package cli

// checkListeningSocket is Linux-only for now; elsewhere net.FileListener
// alone decides whether an inherited descriptor is usable, and inherited
// datagram sockets are not recognized.
func checkListeningSocket(int) (datagram bool, err error) { return false, nil }
