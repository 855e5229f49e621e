// Package resolver is strait's DNS client for names re-resolved at run
// time (`server name resolve`, `service=`): A, AAAA and SRV queries over
// UDP to the name servers of a `resolver` directive, tried in turn until
// resolver_timeout, with answers' TTLs (or valid=) measured on an injected
// clock. Failures carry nginx's resolver codes and texts
// (ngx_resolver_strerror), so logs read "(3: Host not found)" and
// "(110: Operation timed out)" as nginx's do.
//
// It is a leaf: it imports nothing of strait, and opens sockets only
// through Client.Dial.
package resolver
