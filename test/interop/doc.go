// Package interop holds strait's end-to-end interoperability tests: strait
// runs over real loopback sockets in front of real TLS peers (openssl
// s_server, nginx, HAProxy, redis-server and Go TLS servers), each of which
// requires strait's client certificate, and the tests check what arrives,
// what the access log says about every upstream TLS session and how the
// error log words each failure. The package has no non-test code.
package interop
