// Package cipherlist evaluates OpenSSL cipher-list strings, the syntax of
// nginx's proxy_ssl_ciphers and ssl_ciphers directives, over the TLS 1.0-1.2
// cipher suites that crypto/tls implements.
//
// It owns the mapping from an OpenSSL expression such as "HIGH:!aNULL:!MD5"
// to an ordered []uint16 for tls.Config.CipherSuites, and the OpenSSL names
// of suites (for $upstream_ssl_cipher). The result is the list OpenSSL 3.0
// would put in a TLS 1.2 ClientHello for the same expression, restricted to
// the suites Go has: the same rule engine (aliases, "+" intersections, the
// "!", "-", "+" operators, @STRENGTH, @SECLEVEL, the leading DEFAULT), the
// same built-in preference order, and the same security-level filter.
//
// TLS 1.3 suites are outside this package: OpenSSL configures them with a
// separate setting (Ciphersuites) that nginx's cipher directives never touch,
// and Go does not let them be configured at all.
//
// The RC4 and 3DES suites Go still implements are compiled out of OpenSSL
// 3.0 unless it is built with enable-weak-ssl-ciphers (Debian's build, like
// the default, is not), so expressions never select them here either; they
// stay in Suites() and Name() so that logs can still name them.
package cipherlist
