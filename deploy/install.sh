#!/usr/bin/env bash
# Installs yastack's binaries, the hugepage helper, the systemd units and
# the documentation. Run from a source tree after building build/release.
#
#   [DESTDIR=/staging] deploy/install.sh [--prefix /usr] [--bindir DIR]
#                                        [--unitdir DIR]
#     --prefix   installation prefix (default /usr): PREFIX/bin/ys-primary,
#                PREFIX/lib/yastack/ys-hugepages, PREFIX/share/doc/yastack
#     --bindir   where the built binaries are (default build/release/bin)
#     --unitdir  systemd unit directory (default PREFIX/lib/systemd/system)
#
# DESTDIR (environment) is prepended to every installed path, for staging
# and packaging. /etc/yastack/ys.json is written from conf/ys.example.json
# only when it does not exist; an existing configuration is never touched.
# The units name /usr/bin and /usr/lib/yastack; another prefix is written
# into the installed copies. Nothing is enabled or started: see
# deploy/README.md.
set -euo pipefail

src=$(cd "$(dirname "$(realpath "$0")")/.." && pwd)
prefix=/usr
bindir=$src/build/release/bin
unitdir=

while [ $# -gt 0 ]; do
	case "$1" in
	--prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
	--bindir) bindir=${2:?--bindir needs a directory}; shift 2 ;;
	--unitdir) unitdir=${2:?--unitdir needs a directory}; shift 2 ;;
	-h | --help) sed -n '2,17p' "$0"; exit 0 ;;
	*) echo "install.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
case "$prefix" in
/*) ;;
*) echo "install.sh: --prefix must be absolute" >&2; exit 2 ;;
esac
prefix=${prefix%/}
unitdir=${unitdir:-$prefix/lib/systemd/system}
dest=${DESTDIR:-}

for b in ys-primary ys-secondary ysctl; do
	if [ ! -x "$bindir/$b" ]; then
		echo "install.sh: $bindir/$b not found: build first" \
			"(cmake -S . -B build/release && cmake --build build/release)" >&2
		exit 1
	fi
done

# install(1) with the directory created, reporting what it wrote.
put() {
	local mode=$1 from=$2 to=$3
	install -D -m "$mode" "$from" "$dest$to"
	echo "install.sh: $dest$to"
}

for b in ys-primary ys-secondary ysctl; do
	put 0755 "$bindir/$b" "$prefix/bin/$b"
done
put 0755 "$src/deploy/ys-hugepages.sh" "$prefix/lib/yastack/ys-hugepages"

# Units: rewrite the paths they name when the prefix is not /usr.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for u in ys-primary.service ys-secondary@.service yastack.target; do
	sed -e "s|/usr/bin/|$prefix/bin/|g" \
		-e "s|/usr/lib/yastack/|$prefix/lib/yastack/|g" \
		-e "s|/usr/share/doc/yastack/|$prefix/share/doc/yastack/|g" \
		"$src/deploy/systemd/$u" >"$tmp/$u"
	put 0644 "$tmp/$u" "$unitdir/$u"
done

docdir=$prefix/share/doc/yastack
put 0644 "$src/deploy/README.md" "$docdir/README.md"
put 0644 "$src/docs/config.md" "$docdir/config.md"
put 0644 "$src/docs/control.md" "$docdir/control.md"
put 0644 "$src/conf/ys.example.json" "$docdir/ys.example.json"
put 0644 "$src/conf/ys.schema.json" "$docdir/ys.schema.json"

if [ -e "$dest/etc/yastack/ys.json" ]; then
	echo "install.sh: $dest/etc/yastack/ys.json exists: left as it is"
else
	put 0640 "$src/conf/ys.example.json" /etc/yastack/ys.json
	echo "install.sh: edit $dest/etc/yastack/ys.json (ports[].device, interfaces, secondaries) before starting"
fi

if [ -z "$dest" ]; then
	echo "install.sh: now run: systemctl daemon-reload"
fi
