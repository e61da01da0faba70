#!/usr/bin/env bash
# Fragmented datagrams end to end: pings of 4000 and 8000 bytes leave the
# namespace as IP fragments, are reassembled by ys-primary, answered by
# the secondary that owns the address pair, and the replies (bigger than
# the MTU) are fragmented on transmit by the stack and reassembled by
# Linux.
#
# The port is a net_tap moved into the test's namespace, not af_packet
# on a veth: the af_packet PMD's socket uses PACKET_FANOUT with the
# kernel's defragmentation flag, so through it yastack never sees a
# fragment (and the whole datagram does not fit its frames).
#
# usage: fragments.sh BIN_DIR   (as root, hugepages reserved)
set -euo pipefail
YS_BIN=$(realpath "$1")
HERE=$(dirname "$(realpath "$0")")
# shellcheck source=../lib/testbed.sh
. "$HERE/../lib/testbed.sh"
trap tb_cleanup EXIT

SOURCES=(198.18.0.10 198.18.0.11 198.18.0.12 198.18.0.13)
tb_setup $(printf '%s/24 ' "${SOURCES[@]}")
TB_PORT_DEVICE="net_tap_$TB_TAG,iface=yt$TB_TAG"
tb_write_config 2
tb_start_primary
tb_move_tap_to_ns "yt$TB_TAG"
tb_start_secondary 0
tb_start_secondary 1

for size in 4000 8000; do
	for src in "${SOURCES[@]}"; do
		out=$(tb_in_ns ping -n -c 2 -i 0.1 -W 2 -s "$size" -I "$src" "$TB_STACK_ADDR") ||
			{ echo "$out" >&2; tb_die "$size-byte ping from $src failed"; }
		grep -q "2 packets transmitted, 2 received, 0% packet loss" <<<"$out" ||
			{ echo "$out" >&2; tb_die "loss on $size-byte pings from $src"; }
		grep -q "$((size + 8)) bytes from $TB_STACK_ADDR" <<<"$out" ||
			{ echo "$out" >&2; tb_die "short $size-byte replies"; }
	done
done

tb_ysctl --json status >"$TB_DIR/status.json"
python3 - "$TB_DIR/status.json" "${#SOURCES[@]}" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
n = 2 * int(sys.argv[2])  # pings of each size
port = s["ports"][0]
secs = s["secondaries"]
# 4000 bytes: 3 fragments at MTU 1500; 8000 bytes: 6.
print("reassembled", port["reasm_datagrams"], "from", port["reasm_fragments"], "fragments")
assert port["reasm_datagrams"] == 2 * n, port
assert port["reasm_fragments"] == 3 * n + 6 * n, port
assert port["drops"]["reasm_failed"] == 0 and port["drops"]["ip_malformed"] == 0
out = sum(x["stack"]["ip_frag_out_datagrams"] for x in secs)
created = sum(x["stack"]["ip_frag_created"] for x in secs)
print("replies fragmented", out, "into", created, "fragments")
assert out == 2 * n and created == 3 * n + 6 * n
assert all(x["stack"]["icmp_echo_replies"] > 0 for x in secs), "both secondaries answer"
assert s["primary"]["reassembly_held"] == 0
print("ok")
PY
echo "fragments: ok"
