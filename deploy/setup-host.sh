#!/usr/bin/env bash
# Prepares a Debian 12 host for building, testing and benchmarking yastack.
# Idempotent: safe to run again. Must run as root.
#
#   deploy/setup-host.sh [--hugepages-mb N] [--no-packages]
#
# Environment: YS_HUGEPAGES_MB (default 1024) is the amount of 2 MiB
# hugepages to keep reserved; a larger existing reservation is left alone.
set -euo pipefail

hugepages_mb=${YS_HUGEPAGES_MB:-1024}
install_packages=1

while [ $# -gt 0 ]; do
	case "$1" in
	--hugepages-mb) hugepages_mb=$2; shift 2 ;;
	--no-packages) install_packages=0; shift ;;
	-h | --help) sed -n '2,9p' "$0"; exit 0 ;;
	*) echo "setup-host: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-host: must run as root" >&2
	exit 1
fi

# Build, test and benchmark dependencies, all from Debian's repositories.
packages=(
	# build
	build-essential cmake pkg-config clang-14 clang-format llvm-14
	libclang-rt-14-dev
	libdpdk-dev dpdk-dev dpdk libevent-dev libjansson-dev libmbedtls-dev
	libcmocka-dev libpcap-dev libnuma-dev libbsd-dev
	# testbed
	iproute2 iputils-ping iputils-arping nftables ethtool procps psmisc
	python3 python3-scapy python3-h11 socat curl openssl tcpdump tshark
	# peers and benchmarks
	wrk nghttp2-client apache2-utils hey iperf3 haproxy nginx-light
	hping3 jq gnuplot-nox
	# unit file checks
	systemd
)

missing_packages() {
	local p
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

if [ "$install_packages" = 1 ]; then
	mapfile -t missing < <(missing_packages)
	if [ "${#missing[@]}" -gt 0 ]; then
		echo "setup-host: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q
		apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
fi

# nginx-light and haproxy start services on install where an init system
# runs them; the tests start their own instances and need the ports free.

# Hugepages: 2 MiB pages, reserved at run time.
want_pages=$((hugepages_mb / 2))
have_pages=$(cat /proc/sys/vm/nr_hugepages)
if [ "$have_pages" -lt "$want_pages" ]; then
	echo "$want_pages" >/proc/sys/vm/nr_hugepages
	have_pages=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$have_pages" -lt "$want_pages" ]; then
		echo "setup-host: asked for $want_pages hugepages, kernel gave $have_pages" >&2
		exit 1
	fi
fi

if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages
fi

echo "setup-host: ok ($have_pages x 2 MiB hugepages, hugetlbfs at /dev/hugepages)"
