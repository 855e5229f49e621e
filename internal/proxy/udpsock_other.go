//go:build !linux

package proxy

import "net"

// openUDP leaves every socket to net.Dialer off Linux.
func openUDP(string, *net.TCPAddr) (udpConn, bool, error) { return nil, false, nil }

func socketLocalText(udpConn) string { return "" }
