package main

import (
	"net"
	"net/http"
	"net/http/pprof"
	"os"
)

// startProfiling serves net/http/pprof on the address in STRAIT_PPROF
// (e.g. 127.0.0.1:6060), a debugging aid for profiling a running proxy
// under load; nothing listens unless the variable is set.
func startProfiling() {
	addr := os.Getenv("STRAIT_PPROF")
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		os.Stderr.WriteString("strait: STRAIT_PPROF: " + err.Error() + "\n")
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	go http.Serve(ln, mux)
}
