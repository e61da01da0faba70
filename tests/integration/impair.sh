#!/usr/bin/env bash
# The seeded impairment stage on a real port: ys-primary on af_packet
# with a port "impair" object, one secondary, pings from the namespace.
#
# The namespace has a permanent neighbour entry for the stack and an
# nftables arp output chain that drops everything, so the only frames
# that reach the stage are the echo requests: every PRNG draw is a
# ping's, and the stage's decisions are known in advance.
#
# 1. rx drop 5%, seed 7, 400 pings: the primary logged the loud
#    warning; the namespace sent exactly 400 frames and the stage saw
#    exactly 400; lost pings == impair_rx_dropped exactly; the loss is
#    between 1% and 12% (a wide statistical bound on 5%); the lost
#    icmp_seq numbers are exactly those a Python model of the stage's
#    streams (splitmix64, primary/impair.c) drops; nothing else impaired.
# 2. rx duplicate 100%, tx delay 200 us, 100 pings: every request is
#    answered twice (the namespace receives exactly 200 frames, all
#    delayed on tx, the last ones released by polling with no new
#    traffic), counters exact (plus the gratuitous ARP secondary 0 sends
#    at start, which the stage delays too).
# 3. rx corrupt 100%, 50 pings: no reply; every corrupted frame is
#    dropped by a checksum or header check somewhere (port + stack drops
#    == 50): a one-bit error never goes unnoticed.
# Each phase ends with a clean stop (exit 0, frames held by the stage
# freed, no runtime dir left).
#
# usage: impair.sh BIN_DIR   (as root, hugepages reserved)
set -euo pipefail
YS_BIN=$(realpath "$1")
HERE=$(dirname "$(realpath "$0")")
# shellcheck source=../lib/testbed.sh
. "$HERE/../lib/testbed.sh"
trap tb_cleanup EXIT

tb_setup
# The namespace never sends ARP (requests or replies): only pings.
tb_in_ns nft -f - <<NFT
table arp ysimpair {
	chain out {
		type filter hook output priority 0; policy drop;
	}
}
NFT

# Print one value of the primary's status: a Python expression over
# `s` (the status), `p` (port 0) and `k` (secondary 0).
status_value() {
	tb_ysctl --json status | python3 -c '
import json, sys
s = json.load(sys.stdin)
p, k = s["ports"][0], s["secondaries"][0]
print(eval(sys.argv[1]))' "$1"
}
value_is() { [ "$(status_value "$1")" = "$2" ]; }
peer_stat() { tb_in_ns cat "/sys/class/net/$TB_VETH_PEER/statistics/$1"; }
SEEN='p["impair_rx_dropped"] + p["rx_packets"]'

# start IMPAIR_JSON: primary + secondary 0 with that impair object.
start() {
	export TB_PORT_EXTRA="\"impair\": $1"
	tb_write_config 1
	tb_start_primary
	tb_start_secondary 0
	# After every port stop the neighbour entry may be gone.
	tb_in_ns ip neigh replace "$TB_STACK_ADDR" lladdr "$(status_value 'p["mac"]')" \
		dev "$TB_VETH_PEER" nud permanent
}

stop_clean() {
	tb_stop_pid "${TB_SECONDARY_PIDS[0]}"
	TB_SECONDARY_PIDS[0]=
	[ "$TB_STOP_RC" = 0 ] || tb_die "secondary exited with $TB_STOP_RC"
	tb_wait_for 10 value_is 'k["state"]' dead ||
		tb_die "primary did not notice the secondary stop"
	tb_stop_pid "$TB_PRIMARY_PID"
	TB_PRIMARY_PID=
	[ "$TB_STOP_RC" = 0 ] || tb_die "primary exited with $TB_STOP_RC"
	[ ! -e "/var/run/dpdk/$TB_PREFIX" ] || tb_die "runtime dir left behind"
}

# Every impair_* counter of port 0 other than those named is 0.
others_zero() {
	status_value "sorted(n for n, v in p.items() if n.startswith('impair_') and v and n not in '$*'.split())"
}

# ---- 1. seeded drop ----------------------------------------------------
PINGS=400 SEED=7 DROP=5
start "{\"seed\": $SEED, \"rx\": {\"drop\": $DROP}}"
grep -q "IMPAIRMENT ENABLED on port p0 (seed $SEED): rx drop $DROP% .* - never use in production" \
	"$TB_DIR/primary.log" || tb_die "no impairment warning in the primary's log"

tx0=$(peer_stat tx_packets)
seen0=$(status_value "$SEEN")
out=$(tb_in_ns ping -n -c "$PINGS" -i 0.01 -W 1 "$TB_STACK_ADDR") || true
grep -q "^$PINGS packets transmitted" <<<"$out" ||
	{ echo "$out" >&2; tb_die "ping did not send $PINGS requests"; }
tail -n 2 <<<"$out"
sent=$(($(peer_stat tx_packets) - tx0))
[ "$sent" = "$PINGS" ] || tb_die "the namespace sent $sent frames, not just $PINGS pings"
# The primary may still be reading the last frames off the socket.
tb_wait_for 10 value_is "$SEEN" $((seen0 + PINGS)) ||
	tb_die "the stage saw $(($(status_value "$SEEN") - seen0)) frames, not $PINGS"
tb_ysctl status
tb_ysctl --json status >"$TB_DIR/status.json"
grep -o 'icmp_seq=[0-9]*' <<<"$out" | cut -d= -f2 >"$TB_DIR/replied"

python3 - "$TB_DIR/status.json" "$TB_DIR/replied" "$PINGS" "$SEED" "$DROP" "$seen0" <<'PY'
import json, sys

status = json.load(open(sys.argv[1]))
replied = [int(x) for x in open(sys.argv[2]).read().split()]
pings, seed, drop, seen0 = (int(x) for x in sys.argv[3:7])
port = status["ports"][0]

M = (1 << 64) - 1
def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return state, z ^ (z >> 31)

# impair.c: stream_seed(seed, DIR_RX = 0, YS_IMPAIR_DROP = 0), then one
# draw per frame; drop when (draw >> 11) < pct / 100 * 2^53.
_, state = splitmix64(seed << 32)
threshold = int(drop / 100.0 * 2.0**53)
model = set()
for i in range(seen0 + pings):
    state, draw = splitmix64(state)
    if i >= seen0 and (draw >> 11) < threshold:
        model.add(i - seen0 + 1)  # icmp_seq counts from 1

assert len(replied) == len(set(replied)), "duplicate replies"
lost = sorted(set(range(1, pings + 1)) - set(replied))
dropped = port["impair_rx_dropped"]
print(f"impair: {len(lost)} of {pings} pings lost ({100.0 * len(lost) / pings:.2f}%), "
      f"impair_rx_dropped {dropped}, model {len(model)}; lost icmp_seq {lost}")
assert len(lost) == dropped, "lost pings != impair_rx_dropped"
assert pings * 0.01 <= len(lost) <= pings * 0.12, "loss outside 1%..12%"
assert lost == sorted(model), f"lost {lost}, the seeded model drops {sorted(model)}"
assert port["drops"]["rx_ring_full"] == 0 and port["drops"]["tx_failed"] == 0
PY
[ "$(others_zero impair_rx_dropped)" = "[]" ] ||
	tb_die "unexpected impairment counters: $(others_zero impair_rx_dropped)"
stop_clean

# ---- 2. duplicate on rx, delay on tx -----------------------------------
PINGS=100
start '{"seed": 9, "rx": {"duplicate": 100}, "tx": {"delay_us": 200}}'
grep -q "IMPAIRMENT ENABLED on port p0 (seed 9): rx drop 0% duplicate 100% .* tx .* delay 200us" \
	"$TB_DIR/primary.log" || tb_die "no impairment warning for phase 2"
rx0=$(peer_stat rx_packets)
out=$(tb_in_ns ping -n -c "$PINGS" -i 0.01 -W 1 "$TB_STACK_ADDR") || true
grep -q "^$PINGS packets transmitted, $PINGS received" <<<"$out" ||
	{ echo "$out" >&2; tb_die "pings lost with duplicate/delay only"; }
# ping may exit before the last duplicate reply: count on the wire. The
# last replies leave the delay queue only by polling.
peer_rx_is() { [ $(($(peer_stat rx_packets) - rx0)) = "$1" ]; }
tb_wait_for 10 peer_rx_is $((2 * PINGS)) ||
	tb_die "the namespace received $(($(peer_stat rx_packets) - rx0)) frames, not $((2 * PINGS))"
# Secondary 0's gratuitous ARP at start went out through the stage too.
GARP="k['stack']['arp_gratuitous_sent']"
for check in "p['impair_rx_duplicated'] $PINGS" "p['rx_packets'] $((2 * PINGS))" \
	"p['impair_tx_delayed']-$GARP $((2 * PINGS))" "p['tx_packets']-$GARP $((2 * PINGS))" \
	"k['stack']['icmp_echo_replies'] $((2 * PINGS))"; do
	set -- $check
	value_is "$1" "$2" || tb_die "$1 is $(status_value "$1"), not $2"
done
[ "$(others_zero impair_rx_duplicated impair_tx_delayed)" = "[]" ] ||
	tb_die "unexpected impairment counters: $(others_zero impair_rx_duplicated impair_tx_delayed)"
echo "impair: duplicate 100%: $PINGS pings, $((2 * PINGS)) replies on the wire, all delayed"
stop_clean

# ---- 3. corrupt on rx --------------------------------------------------
PINGS=50
DROPS='sum(p["drops"].values()) + sum(k["stack"]["drops"].values())'
start '{"seed": 11, "rx": {"corrupt": 100}}'
drops0=$(status_value "$DROPS")
out=$(tb_in_ns ping -n -c "$PINGS" -i 0.01 -W 1 "$TB_STACK_ADDR") || true
grep -q "^$PINGS packets transmitted, 0 received" <<<"$out" ||
	{ echo "$out" >&2; tb_die "a corrupted ping was answered"; }
tb_wait_for 10 value_is "$DROPS" $((drops0 + PINGS)) ||
	tb_die "$(($(status_value "$DROPS") - drops0)) corrupted frames dropped, not $PINGS"
value_is 'p["impair_rx_corrupted"]' "$PINGS" ||
	tb_die "impair_rx_corrupted is $(status_value 'p["impair_rx_corrupted"]')"
echo "impair: corrupt 100%: $PINGS pings, all caught: $(status_value \
	'{n: v for n, v in list(p["drops"].items()) + list(k["stack"]["drops"].items()) if v}')"
stop_clean
echo "impair: ok"
