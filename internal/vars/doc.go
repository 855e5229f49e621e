// Package vars is strait's one variable engine for the stream module: the
// registry of variable names with their getters and nginx's flags, value
// expressions ("$remote_addr:${server_port}") compiled once at load, and
// map {} blocks, which are variables computed lazily from another
// expression and cached per session.
//
// A Registry is built from the configuration (BuildStream) and is immutable
// afterwards, so every session of a configuration snapshot reads it without
// locks. Consumers (access_log, map, limit_conn_zone, set, return, geo,
// split_clients, and later proxy_* values) compile their text through the registry:
// an unknown name is a configuration error worded as nginx words it. The
// values are read from one Session per connection, which the proxy fills
// as the session progresses; getters read that live state at the moment
// they run, so $upstream_addr before the connect differs from after it.
//
// It follows nginx's src/stream/ngx_stream_variables.c (names, formats,
// flags), ngx_stream_script.c (expression syntax), ngx_stream_map_module.c
// and src/core/ngx_hash.c (map lookups, hostnames wildcards),
// ngx_stream_geo_module.c, ngx_stream_split_clients_module.c with
// src/core/ngx_murmurhash.c, ngx_stream_set_module.c and
// ngx_stream_realip_module.c.
package vars
