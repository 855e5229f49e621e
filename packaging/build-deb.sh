#!/usr/bin/env bash
# Build strait's Debian package with dpkg-deb alone (no debhelper, no
# network beyond Go modules):
#
#   bash packaging/build-deb.sh OUTDIR    # writes OUTDIR/strait_VERSION_ARCH.deb
#
# VERSION overrides the version (default: internal/cli's Version), GOARCH
# the architecture (default: the Go toolchain's), MAINTAINER the
# Maintainer field. The path of the package is printed last.
set -euo pipefail
out=${1:?usage: build-deb.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH

version=${VERSION:-$(sed -n 's/^var Version = "\(.*\)"$/\1/p' internal/cli/version.go)}
[ -n "$version" ] || { echo "build-deb.sh: cannot read Version from internal/cli/version.go" >&2; exit 1; }
goarch=${GOARCH:-$(go env GOARCH)}
case "$goarch" in
amd64 | arm64 | riscv64 | s390x) arch=$goarch ;;
386) arch=i386 ;;
arm) arch=armhf ;;
ppc64le) arch=ppc64el ;;
*) echo "build-deb.sh: no Debian architecture for GOARCH=$goarch" >&2; exit 1 ;;
esac
maintainer=${MAINTAINER:-"strait maintainers <maintainers@example.org>"}
# Same timestamps for the same commit: dpkg-deb clamps file times to it.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/strait
ldflags="-X github.com/straitproxy/strait/internal/cli.Version=$version"

install -d "$root/usr/sbin" "$root/lib/systemd/system" "$root/etc/strait" \
	"$root/etc/logrotate.d" "$root/usr/lib/tmpfiles.d" \
	"$root/usr/share/man/man8" "$root/usr/share/doc/strait" "$root/DEBIAN"

# A static binary: no libc dependency, the same file on every release.
CGO_ENABLED=0 GOOS=linux GOARCH=$goarch go build -trimpath \
	-ldflags="-s -w $ldflags" -o "$root/usr/sbin/strait" ./cmd/strait
# The man page comes from the table that prints -h, with this version.
go run -ldflags="$ldflags" ./internal/cli/mangen | gzip -9n >"$root/usr/share/man/man8/strait.8.gz"

install -m 0644 packaging/strait.service "$root/lib/systemd/system/strait.service"
install -m 0644 packaging/strait.conf "$root/etc/strait/strait.conf"
install -m 0644 packaging/strait.logrotate "$root/etc/logrotate.d/strait"
install -m 0644 packaging/strait.tmpfiles "$root/usr/lib/tmpfiles.d/strait.conf"

doc=$root/usr/share/doc/strait
install -m 0644 packaging/debian/copyright "$doc/copyright"
gzip -9n <CHANGELOG.md >"$doc/changelog.gz"
install -m 0644 README.md docs/operations.md docs/directives.md \
	docs/upstream-tls.md docs/metrics.md "$doc/"

install -m 0644 packaging/debian/conffiles "$root/DEBIAN/conffiles"
install -m 0755 packaging/debian/postinst packaging/debian/prerm \
	packaging/debian/postrm "$root/DEBIAN/"
(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' |
	LC_ALL=C sort -z | xargs -0 md5sum >DEBIAN/md5sums)
chmod 0644 "$root/DEBIAN/md5sums"

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: strait
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: adduser
Recommends: logrotate
Section: net
Priority: optional
Homepage: https://github.com/straitproxy/strait
Description: TCP proxy that secures traffic to upstream servers with TLS
 strait is a TCP (stream) proxy and load balancer that carries client
 connections to upstream servers over TLS: client certificates, a trusted
 internal CA, verification of the upstream's identity, chosen protocols and
 ciphers, and session resumption. It reads nginx stream {} configuration
 and takes nginx's command line, so an existing nginx stream configuration
 runs unchanged.
 .
 This package runs strait as a sandboxed systemd service under its own
 user, with a sample configuration in /etc/strait/strait.conf.
CONTROL

deb=$out/strait_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
