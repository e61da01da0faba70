#!/usr/bin/env bash
# yastack on a throw-away namespace testbed, from nothing:
#
#   deploy/quickstart.sh         set up the host, build, start, prove it works
#   deploy/quickstart.sh status  ysctl status of the running testbed
#   deploy/quickstart.sh stop    stop everything and remove all it created
#
# It creates a network namespace "ysqs" joined to the root namespace by
# the veth pair ysqsa (root side, driven by ys-primary through DPDK's
# af_packet PMD) / ysqsb (in the namespace, 198.18.0.1/24 plus
# 198.18.0.10-17), starts ys-primary and 2 secondaries with the stack on
# 198.18.0.2, and pings it from 8 source addresses so both secondaries
# answer. Traffic never leaves the namespace pair. Must run as root.
set -euo pipefail
ROOT=$(dirname "$(dirname "$(realpath "$0")")")
STATE_DIR=/run/yastack-quickstart
export TB_TAG=qs TB_DIR=$STATE_DIR TB_PROC_TIMEOUT=$((7 * 24 * 3600))
YS_BIN=$ROOT/build/release/bin
# shellcheck source=../tests/lib/testbed.sh
. "$ROOT/tests/lib/testbed.sh"

save_state() {
	cat >"$STATE_DIR/state" <<STATE
TB_PRIMARY_PID=$TB_PRIMARY_PID
TB_SECONDARY_PIDS=(${TB_SECONDARY_PIDS[*]})
TB_CREATED=1
STATE
}

do_stop() {
	if [ ! -f "$STATE_DIR/state" ]; then
		echo "quickstart: nothing running (no $STATE_DIR/state)"
		return 0
	fi
	# shellcheck disable=SC1091
	. "$STATE_DIR/state"
	trap - EXIT
	(tb_cleanup) || true
	echo "quickstart: stopped; namespace $TB_NS, veth $TB_VETH_DPDK, file prefix $TB_PREFIX and $STATE_DIR removed"
}

do_start() {
	if [ -f "$STATE_DIR/state" ]; then
		echo "quickstart: already running; '$0 stop' first" >&2
		exit 1
	fi
	"$ROOT/deploy/setup-host.sh"
	cmake -S "$ROOT" -B "$ROOT/build/release" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$ROOT/build/release" -j "$(nproc)" >/dev/null
	mkdir -p "$STATE_DIR"
	# Anything failing from here on removes what was created.
	trap 'tb_cleanup' EXIT

	local sources=(198.18.0.10 198.18.0.11 198.18.0.12 198.18.0.13
		198.18.0.14 198.18.0.15 198.18.0.16 198.18.0.17)
	tb_setup $(printf '%s/24 ' "${sources[@]}")
	tb_write_config 2
	tb_start_primary
	tb_start_secondary 0
	tb_start_secondary 1
	save_state

	echo "quickstart: pinging $TB_STACK_ADDR from ${#sources[@]} addresses in namespace $TB_NS"
	local src
	for src in "${sources[@]}"; do
		tb_in_ns ping -n -q -c 2 -i 0.2 -W 2 -I "$src" "$TB_STACK_ADDR" |
			sed -n "s/^/  $src: /;/packets transmitted/p"
	done
	echo
	tb_ysctl status
	trap - EXIT
	cat <<EOF2

yastack is running (config $TB_DIR/ys.json, logs $TB_DIR/*.log).
  ping it:     ip netns exec $TB_NS ping $TB_STACK_ADDR
  inspect it:  $YS_BIN/ysctl -s $TB_SOCK status
  stop it:     $0 stop
EOF2
}

case "${1:-start}" in
start) do_start ;;
stop) do_stop ;;
status) "$YS_BIN/ysctl" -s "$TB_SOCK" status ;;
*)
	echo "usage: $0 [start|status|stop]" >&2
	exit 2
	;;
esac
