#!/usr/bin/env bash
# A packet's whole journey: pings from 8 source addresses in a namespace
# cross a veth to ys-primary (af_packet), are dispatched by the Toeplitz
# hash of the address pair to one of 2 secondaries, answered there, and
# sent back out through the primary.
#
# Asserts: no loss; each secondary answered exactly the echo requests the
# Toeplitz/RETA mapping (computed independently in Python) assigns to it,
# and both answered some; every ARP request for us was answered exactly
# once; a clean stop exits 0 and leaves no DPDK runtime or hugepage files.
#
# usage: ping_spread.sh BIN_DIR   (as root, hugepages reserved)
set -euo pipefail
YS_BIN=$(realpath "$1")
HERE=$(dirname "$(realpath "$0")")
# shellcheck source=../lib/testbed.sh
. "$HERE/../lib/testbed.sh"
trap tb_cleanup EXIT

PINGS=3
SOURCES=(198.18.0.10 198.18.0.11 198.18.0.12 198.18.0.13 198.18.0.14
	198.18.0.15 198.18.0.16 198.18.0.17)

tb_setup $(printf '%s/24 ' "${SOURCES[@]}")
tb_write_config 2
tb_start_primary
tb_start_secondary 0
tb_start_secondary 1

for src in "${SOURCES[@]}"; do
	out=$(tb_in_ns ping -n -c "$PINGS" -i 0.2 -W 2 -I "$src" "$TB_STACK_ADDR") ||
		{ echo "$out" >&2; tb_die "ping from $src failed"; }
	grep -q "$PINGS packets transmitted, $PINGS received, 0% packet loss" <<<"$out" ||
		{ echo "$out" >&2; tb_die "loss on pings from $src"; }
done

tb_ysctl status
tb_ysctl --json status >"$TB_DIR/status.json"

TB_LIB="$HERE/../lib" python3 - "$TB_DIR/status.json" "$TB_STACK_ADDR" "$PINGS" "${SOURCES[@]}" <<'PY'
import json, os, sys
sys.path.insert(0, os.environ["TB_LIB"])
from toeplitz import toeplitz, ipv4_pair, owner

status = json.load(open(sys.argv[1]))
dst, pings, sources = sys.argv[2], int(sys.argv[3]), sys.argv[4:]
secs = status["secondaries"]
n = len(secs)

expected = [0] * n
for src in sources:
    expected[owner(toeplitz(ipv4_pair(src, dst)), n)] += pings
got = [s["stack"]["icmp_echo_replies"] for s in secs]
print(f"echo replies per secondary: expected {expected}, got {got}")
assert got == expected, "echo replies do not follow the Toeplitz/RETA mapping"
assert all(e > 0 for e in expected), "test addresses must spread over all secondaries"
assert all(s["state"] == "running" for s in secs)

answered = sum(s["stack"]["arp_requests_answered"] for s in secs)
left = sum(s["stack"]["arp_requests_left_to_peer"] for s in secs)
print(f"ARP requests: answered {answered}, left to a peer {left}")
assert answered >= 1 and left == answered * (n - 1), "each ARP request must be answered exactly once"

port = status["ports"][0]
assert port["link"] == "up"
assert port["drops"]["rx_ring_full"] == 0 and port["drops"]["tx_failed"] == 0
for s in secs:
    assert s["tx_ring_full"] == 0
    assert s["stack"]["drops"]["tx_full"] == 0
print("ok")
PY

# Clean stop: secondaries, then the primary; all exit 0, nothing left.
for k in 0 1; do
	tb_stop_pid "${TB_SECONDARY_PIDS[$k]}"
	TB_SECONDARY_PIDS[$k]=
	[ "$TB_STOP_RC" = 0 ] || tb_die "secondary $k exited with $TB_STOP_RC"
done
tb_wait_for 10 bash -c "[ \"\$($YS_BIN/ysctl -s $TB_SOCK --json status | python3 -c 'import json,sys; print(sorted({s[\"state\"] for s in json.load(sys.stdin)[\"secondaries\"]}))')\" = \"['dead']\" ]" ||
	tb_die "primary did not notice the secondaries stop"
tb_stop_pid "$TB_PRIMARY_PID"
TB_PRIMARY_PID=
[ "$TB_STOP_RC" = 0 ] || tb_die "primary exited with $TB_STOP_RC"
[ ! -e "/var/run/dpdk/$TB_PREFIX" ] || { ls -la "/var/run/dpdk/$TB_PREFIX" >&2; tb_die "runtime dir left behind"; }
if compgen -G "/dev/hugepages/${TB_PREFIX}map_*" >/dev/null; then
	ls -la /dev/hugepages >&2
	tb_die "hugepage files left behind"
fi
[ ! -e "$TB_SOCK" ] || tb_die "control socket left behind"
echo "ping_spread: ok"
