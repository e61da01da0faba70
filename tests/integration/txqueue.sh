#!/usr/bin/env bash
# How secondaries transmit (docs/dataplane-ports.md), on a net_tap port
# moved into the test's namespace:
#
#  - refused at start, exit 1 with the reason: tx_mode "queue" on
#    af_packet (its burst functions are NULL in a secondary), on a port
#    with a tx impairment stage, and on net_tap with 1 + 4 queues; an MTU
#    above what the PMD takes (net_tap: 1504, its max_rx_pktlen is 1522);
#  - tx_mode "auto" on net_tap with 2 secondaries: `ysctl status` says
#    "queue", queues 1 and 2; pings from 8 sources (spread over both
#    secondaries by the Toeplitz/RETA mapping) all answered; the primary
#    transmitted nothing, and what the secondaries sent on their own
#    queues adds up to what the stacks sent and to the PMD's opackets;
#    mtu 1400 and promiscuous false reach the kernel's view of the tap;
#  - tx_mode "ring" on the same tap: everything goes through the
#    primary, whose tx_packets equal the stacks' and the PMD's counts;
#    the defaults (mtu 1500, promiscuous) reach the kernel;
#  - tx_mode "auto" with a tx impairment: "ring", with a warning.
#
# usage: txqueue.sh BIN_DIR   (as root, hugepages reserved)
set -euo pipefail
YS_BIN=$(realpath "$1")
HERE=$(dirname "$(realpath "$0")")
# shellcheck source=../lib/testbed.sh
. "$HERE/../lib/testbed.sh"
trap tb_cleanup EXIT

PINGS=3
SOURCES=(198.18.0.10 198.18.0.11 198.18.0.12 198.18.0.13 198.18.0.14
	198.18.0.15 198.18.0.16 198.18.0.17)
TAP=yt$TB_TAG
TAP_DEVICE="net_tap_$TB_TAG,iface=$TAP"
AF_PACKET_DEVICE="net_af_packet_$TB_TAG,iface=$TB_VETH_DPDK,framecnt=4096,qpairs=1"

tb_setup $(printf '%s/24 ' "${SOURCES[@]}")

# The primary, with the config as written, must exit 1 saying $1.
expect_refusal() {
	local want=$1 out rc=0
	out=$(timeout --signal=TERM --kill-after=10 120 \
		"$YS_BIN/ys-primary" -c "$TB_DIR/ys.json" 2>&1) || rc=$?
	[ "$rc" = 1 ] || { echo "$out" >&2; tb_die "primary exited $rc, expected 1: $want"; }
	grep -qF -- "$want" <<<"$out" ||
		{ echo "$out" >&2; tb_die "primary's refusal does not say: $want"; }
	echo "refused: $(grep -F -- "$want" <<<"$out" | head -n 1)"
}

tap_gone() { ! tb_in_ns ip link show "$TAP" >/dev/null 2>&1 && ! ip link show "$TAP" >/dev/null 2>&1; }

# ---- refusals -----------------------------------------------------------
TB_PORT_DEVICE=$AF_PACKET_DEVICE TB_PORT_EXTRA='"tx_mode": "queue"' tb_write_config 2
expect_refusal 'ports[0] (p0): tx_mode "queue" is not possible: driver net_af_packet cannot transmit from a secondary process'

TB_PORT_DEVICE=$TAP_DEVICE TB_PORT_EXTRA='"tx_mode": "queue", "impair": {"tx": {"delay_us": 10}}' tb_write_config 2
expect_refusal 'ports[0] (p0): tx_mode "queue" is not possible: its impair.tx stage runs in the primary'
tb_wait_for 15 tap_gone || tb_die "tap left behind by a refused start"

TB_PORT_DEVICE=$TAP_DEVICE TB_PORT_EXTRA='"tx_mode": "queue"' tb_write_config 4
expect_refusal 'ports[0] (p0): tx_mode "queue" is not possible: driver net_tap takes at most 4 queues from secondaries and 1 + 4 secondaries need 5'
tb_wait_for 15 tap_gone || tb_die "tap left behind by a refused start"

TB_PORT_DEVICE=$TAP_DEVICE TB_PORT_EXTRA='"mtu": 9000' tb_write_config 2
expect_refusal 'ports[0] (p0): mtu 9000 is outside what driver net_tap takes (46..1504)'
tb_wait_for 15 tap_gone || tb_die "tap left behind by a refused start"

# ---- one run: start, ping from every source, check, stop cleanly ---------
# $1: expected tx_mode; $2: expected MTU; $3: promiscuous (true/false).
run_phase() {
	local mode=$1 mtu=$2 promisc=$3 src out link k
	tb_start_primary
	tb_move_tap_to_ns "$TAP"
	tb_start_secondary 0
	tb_start_secondary 1

	# The kernel's view of the tap: the MTU and promiscuous mode the
	# PMD set on it (SIOCSIFMTU, IFF_PROMISC) before it moved here.
	link=$(tb_in_ns ip -o link show "$TAP")
	grep -q " mtu $mtu " <<<"$link" || { echo "$link" >&2; tb_die "tap MTU is not $mtu"; }
	if [ "$promisc" = true ]; then
		grep -q "[<,]PROMISC[,>]" <<<"$link" || { echo "$link" >&2; tb_die "tap not promiscuous"; }
	else
		! grep -q "PROMISC" <<<"$link" || { echo "$link" >&2; tb_die "tap promiscuous"; }
	fi
	echo "kernel: $TAP mtu $mtu, promiscuous $promisc: ok"

	for src in "${SOURCES[@]}"; do
		out=$(tb_in_ns ping -n -c "$PINGS" -i 0.2 -W 2 -I "$src" "$TB_STACK_ADDR") ||
			{ echo "$out" >&2; tb_die "$mode: ping from $src failed"; }
		grep -q "$PINGS packets transmitted, $PINGS received, 0% packet loss" <<<"$out" ||
			{ echo "$out" >&2; tb_die "$mode: loss on pings from $src"; }
	done

	# Counters are written after each burst: wait until they settle.
	tb_wait_for 10 check_status "$mode" "$mtu" "$promisc" settled ||
		{ tb_ysctl --json status >&2; tb_die "$mode: tx counters never agreed"; }
	check_status "$mode" "$mtu" "$promisc" assert

	for k in 0 1; do
		tb_stop_pid "${TB_SECONDARY_PIDS[$k]}"
		TB_SECONDARY_PIDS[k]=
		[ "$TB_STOP_RC" = 0 ] || tb_die "$mode: secondary $k exited with $TB_STOP_RC"
	done
	tb_stop_pid "$TB_PRIMARY_PID"
	TB_PRIMARY_PID=
	[ "$TB_STOP_RC" = 0 ] || tb_die "$mode: primary exited with $TB_STOP_RC"
	tb_wait_for 15 tap_gone || tb_die "$mode: tap left behind"
}

# $4 settled: fetch the status, succeed once its tx counters agree;
# assert: check everything in that same status.
check_status() {
	if [ "$4" = settled ]; then
		tb_ysctl --json status >"$TB_DIR/status.json" || return 1
	fi
	TB_LIB="$HERE/../lib" python3 - "$TB_DIR/status.json" "$@" "$TB_STACK_ADDR" \
		"$PINGS" "${SOURCES[@]}" <<'PY'
import json, os, sys
sys.path.insert(0, os.environ["TB_LIB"])
from toeplitz import toeplitz, ipv4_pair, owner

st = json.load(open(sys.argv[1]))
mode, mtu, promisc, what = sys.argv[2], int(sys.argv[3]), sys.argv[4] == "true", sys.argv[5]
dst, pings, sources = sys.argv[6], int(sys.argv[7]), sys.argv[8:]
port, secs = st["ports"][0], st["secondaries"]
n = len(secs)
sent = sum(s["tx_packets"] for s in secs)
stack_tx = sum(s["stack"]["eth_tx"] for s in secs)
on_queues = sum(s["tx_queue_packets"] for s in secs)
hw_out = port["hw"]["opackets"]
if what == "settled":
    sys.exit(0 if sent == stack_tx == hw_out else 1)

print(f"{mode}: stacks sent {stack_tx}, secondaries handed over {sent} "
      f"({on_queues} on own queues), primary transmitted {port['tx_packets']}, "
      f"PMD opackets {hw_out}")
assert port["driver"] == "net_tap", port["driver"]
assert port["tx_mode"] == mode, port["tx_mode"]
assert port["mtu"] == mtu and port["promiscuous"] == promisc, (port["mtu"], port["promiscuous"])
assert port["nic_hash"] is False  # net_tap reports no RSS_HASH offload
# net_tap verifies rx checksums when asked: the stacks trust its verdict.
assert "IPV4_CKSUM" in port["offloads"]["rx"], port["offloads"]
assert sum(s["stack"]["ip_rx_cksum_offloaded"] for s in secs) > 0
if mode == "queue":
    assert port["secondary_tx_queues"] == [1, 2], port["secondary_tx_queues"]
    # net_tap pairs queues: the primary polls all 3 rx queues.
    assert port["tx_queues"] == 3 and port["rx_queues"] == 3
    assert port["tx_packets"] == 0 and port["tx_bytes"] == 0, "the primary transmitted"
    assert on_queues == sent, "every frame on the secondaries' own queues"
    for s in secs:
        assert s["tx_queue_packets"] == s["stack"]["eth_tx"] > 0, s
else:
    assert port["secondary_tx_queues"] == []
    assert port["tx_queues"] == 1 and port["rx_queues"] == 1
    assert port["tx_packets"] == sent and on_queues == 0
assert sent == stack_tx == hw_out
assert port["drops"]["tx_failed"] == 0 and port["drops"]["rx_ring_full"] == 0
for s in secs:
    assert s["tx_ring_full"] == 0 and s["tx_queue_full"] == 0, s
    assert s["stack"]["drops"]["tx_full"] == 0

expected = [0] * n
for src in sources:
    expected[owner(toeplitz(ipv4_pair(src, dst)), n)] += pings
got = [s["stack"]["icmp_echo_replies"] for s in secs]
print(f"{mode}: echo replies per secondary: expected {expected}, got {got}")
assert got == expected and all(e > 0 for e in expected)
print(f"{mode}: ok")
PY
}

# ---- own queues ----------------------------------------------------------
TB_PORT_DEVICE=$TAP_DEVICE TB_PORT_EXTRA='"mtu": 1400, "promiscuous": false' tb_write_config 2
run_phase queue 1400 false

# ---- through the primary -------------------------------------------------
TB_PORT_DEVICE=$TAP_DEVICE TB_PORT_EXTRA='"tx_mode": "ring"' tb_write_config 2
run_phase ring 1500 true

# ---- auto with a tx impairment: the ring, and a warning -------------------
: >"$TB_DIR/primary.log"
TB_PORT_DEVICE=$TAP_DEVICE TB_PORT_EXTRA='"impair": {"tx": {"delay_us": 10}}' tb_write_config 2
tb_start_primary
mode=$(tb_ysctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"][0]["tx_mode"])')
[ "$mode" = ring ] || tb_die "auto with a tx impairment gave tx_mode $mode"
grep -qF 'warn: ports[0] (p0): secondaries transmit through the primary: its impair.tx stage runs in the primary' \
	"$TB_DIR/primary.log" || { cat "$TB_DIR/primary.log" >&2; tb_die "no warning for the forced ring"; }
echo "auto with impair.tx: ring, with a warning: ok"
tb_stop_all

echo "txqueue: ok"
