#!/usr/bin/env bash
# The network layer end to end (docs/network.md), primary + 2 secondaries
# on a tap port moved into the test's namespace (af_packet's socket
# defragments in the kernel, so fragments need the tap; see
# fragments.sh), with the diagnostic UDP echo service on port 7:
#  - ping with 0, 56, 1472, 4000 and 8000 bytes from 8 sources: every
#    one answered, full size; both secondaries answered some;
#  - arping for our address: 3 replies from the port's MAC; for an
#    address we do not own: none, and counted;
#  - UDP echo round trips of 1 to 8000 bytes with socat from 4 sources,
#    byte-exact (SHA-256);
#  - a datagram to a closed UDP port: the client's socket sees ICMP port
#    unreachable (ECONNREFUSED);
#  - a burst of malformed frames from scapy: every process keeps running,
#    each kind moves its drop counter by exactly the number sent, and
#    pings still answer.
#
# usage: netlayer.sh BIN_DIR   (as root, hugepages reserved)
set -euo pipefail
YS_BIN=$(realpath "$1")
HERE=$(dirname "$(realpath "$0")")
# shellcheck source=../lib/testbed.sh
. "$HERE/../lib/testbed.sh"
trap tb_cleanup EXIT

SOURCES=(198.18.0.10 198.18.0.11 198.18.0.12 198.18.0.13
	198.18.0.14 198.18.0.15 198.18.0.16 198.18.0.17)
TAP=yt$TB_TAG
# 198.18.0.18 only asks for an address we do not own (arping below).
tb_setup $(printf '%s/24 ' "${SOURCES[@]}") 198.18.0.18/24
TB_PORT_DEVICE="net_tap_$TB_TAG,iface=$TAP"
TB_TOP_EXTRA='"diag": { "udp_echo": 7 }'
tb_write_config 2
tb_start_primary
tb_move_tap_to_ns "$TAP"
tb_start_secondary 0
tb_start_secondary 1

# jf EXPR: evaluate EXPR over the JSON on stdin, bound to `r`.
jf() { python3 -c "import json,sys; r=json.load(sys.stdin); print($1)"; }
stack_sum() { # stack_sum COUNTER: over both secondaries
	tb_ysctl --json stats | jf "sum(s['stack']['$1'] for s in r['secondaries'])"
}
stack_drop_sum() {
	tb_ysctl --json stats | jf "sum(s['stack']['drops']['$1'] for s in r['secondaries'])"
}
port_mac=$(tb_ysctl --json ports | jf 'r["ports"][0]["mac"]')

# -- ping ------------------------------------------------------------------
for size in 0 56 1472 4000 8000; do
	for src in "${SOURCES[@]}"; do
		out=$(tb_in_ns ping -n -c 2 -i 0.1 -W 2 -s "$size" -I "$src" "$TB_STACK_ADDR") ||
			{ echo "$out" >&2; tb_die "$size-byte ping from $src failed"; }
		grep -q "2 packets transmitted, 2 received, 0% packet loss" <<<"$out" ||
			{ echo "$out" >&2; tb_die "loss on $size-byte pings from $src"; }
		grep -q "^$((size + 8)) bytes from $TB_STACK_ADDR" <<<"$out" ||
			{ echo "$out" >&2; tb_die "short $size-byte replies"; }
	done
done
replies=$(tb_ysctl --json stats | jf '[s["stack"]["icmp_echo_replies"] for s in r["secondaries"]]')
echo "netlayer: echo replies per secondary $replies"
python3 -c "import sys; r = $replies; sys.exit(0 if sum(r) == 5 * 8 * 2 and min(r) > 0 else 1)" ||
	tb_die "echo replies $replies: want 80 in all, from both secondaries"

# -- arping ---------------------------------------------------------------------
out=$(tb_in_ns arping -c 3 -w 5 -I "$TAP" "$TB_STACK_ADDR") ||
	{ echo "$out" >&2; tb_die "arping $TB_STACK_ADDR failed"; }
[ "$(grep -ci "reply from $TB_STACK_ADDR \[$port_mac\]" <<<"$out")" = 3 ] ||
	{ echo "$out" >&2; tb_die "arping: want 3 replies from $port_mac"; }
before=$(stack_drop_sum arp_not_for_us)
out=$(tb_in_ns arping -c 2 -w 3 -s 198.18.0.18 -I "$TAP" 198.18.0.99) &&
	{ echo "$out" >&2; tb_die "arping 198.18.0.99 got a reply"; }
# Each request is copied to both secondaries: each counts it (its sender
# is in no cache, so nothing learns from it either: RFC 826 merge rule).
tb_wait_for 5 bash -c "[ \$(( \$($YS_BIN/ysctl -s $TB_SOCK --json stats | python3 -c 'import json,sys; print(sum(s[\"stack\"][\"drops\"][\"arp_not_for_us\"] for s in json.load(sys.stdin)[\"secondaries\"]))') - $before )) = 4 ]" ||
	tb_die "arping 198.18.0.99: arp_not_for_us moved by $(($(stack_drop_sum arp_not_for_us) - before)), want 4"

# -- UDP echo --------------------------------------------------------------------------
for size in 1 100 1472 1473 4000 8000; do
	for src in "${SOURCES[@]:0:4}"; do
		head -c "$size" /dev/urandom >"$TB_DIR/req"
		tb_in_ns timeout 10 socat -b 65536 -t 1 -T 3 - \
			"UDP4:$TB_STACK_ADDR:7,bind=$src" <"$TB_DIR/req" >"$TB_DIR/resp" ||
			tb_die "socat $size bytes from $src failed"
		[ "$(sha256sum <"$TB_DIR/req")" = "$(sha256sum <"$TB_DIR/resp")" ] ||
			tb_die "UDP echo of $size bytes from $src: got $(stat -c %s "$TB_DIR/resp") bytes, not the same"
	done
done
echo "netlayer: UDP echo byte-exact, 1..8000 bytes, 4 sources"
python3 -c "import sys; sys.exit(0 if min($(tb_ysctl --json stats | jf '[s["stack"]["diag_udp_echo_tx"] for s in r["secondaries"]]')) > 0 else 1)" ||
	tb_die "both secondaries should have echoed some datagrams"

# -- closed port: ICMP port unreachable -----------------------------------------------------
unreach0=$(stack_drop_sum udp_no_port)
tb_in_ns timeout 10 python3 - "$TB_STACK_ADDR" <<'PY' || tb_die "no port unreachable seen by the client"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], 9))
s.send(b"anyone there?")
try:
    s.recv(100)
    sys.exit("got an answer from port 9")
except ConnectionRefusedError:
    print("netlayer: port 9 refused (ICMP port unreachable)")
PY
[ $(($(stack_drop_sum udp_no_port) - unreach0)) = 1 ] || tb_die "udp_no_port did not move by 1"

# -- malformed burst from scapy ---------------------------------------------------------------
tb_ysctl stats reset >/dev/null
tb_in_ns /usr/bin/python3 - "$TAP" "$port_mac" "$TB_STACK_ADDR" >"$TB_DIR/burst.json" <<'PY'
import json, sys
from scapy.all import Ether, IP, UDP, ICMP, Raw, Dot1Q, sendp, raw, conf
conf.verb = 0
ifc, mac, dst = sys.argv[1], sys.argv[2], sys.argv[3]
src = "198.18.0.10"
eth = Ether(dst=mac)
N = 20
def with_bytes(pkt, edit):
    b = bytearray(raw(pkt))
    edit(b)
    return Ether(bytes(b))
kinds = {
    # Where each kind is caught is part of the contract (docs/network.md).
    "ip_bad_checksum": eth / IP(src=src, dst=dst, chksum=0x1234) / ICMP(),
    "udp_bad_checksum": eth / IP(src=src, dst=dst) / UDP(sport=4000, dport=7, chksum=0x1234) / Raw(b"x" * 20),
    "udp_bad_length": with_bytes(eth / IP(src=src, dst=dst) / UDP(sport=4000, dport=7) / Raw(b"y" * 20),
                                 lambda b: b.__setitem__(slice(38, 40), (200).to_bytes(2, "big"))),
    "icmp_bad_checksum": eth / IP(src=src, dst=dst) / ICMP(chksum=0x1234) / Raw(b"z" * 8),
    "ip_bad_source": eth / IP(src="127.0.0.1", dst=dst) / ICMP(),
    "ip_unsupported_proto": eth / IP(src=src, dst=dst, proto=253) / Raw(b"p" * 8),
    "ip_not_for_us": eth / IP(src=src, dst="198.18.0.77") / ICMP(),
}
sent = {}
for name, pkt in kinds.items():
    sendp([pkt] * N, iface=ifc)
    sent[name] = N
# Frames the primary refuses before any secondary sees them.
primary = {
    "runt": Ether(dst=mac, type=0x0800) / Raw(b"\x45"),  # 1 byte of IPv4 header
    "ip_malformed": with_bytes(eth / IP(src=src, dst=dst) / ICMP(),
                               lambda b: b.__setitem__(14, 0x43)),  # IHL 3
    "unsupported_ethertype": Ether(dst=mac, type=0x88b5) / Raw(b"q" * 46),
}
for name, pkt in primary.items():
    sendp([pkt] * N, iface=ifc)
json.dump({"stack": sent, "port": {k: N for k in primary}}, sys.stdout)
PY
python3 - "$TB_DIR/burst.json" "$YS_BIN/ysctl" "$TB_SOCK" <<'PY' || tb_die "malformed burst not accounted exactly"
import json, subprocess, sys, time
want = json.load(open(sys.argv[1]))
def stats():
    out = subprocess.run([sys.argv[2], "-s", sys.argv[3], "--json", "stats"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)
deadline = time.monotonic() + 10
while True:
    r = stats()
    got_stack = {k: sum(s["stack"]["drops"].get(k, 0) for s in r["secondaries"]) for k in want["stack"]}
    got_port = {k: r["ports"][0]["drops"].get(k, 0) for k in want["port"]}
    if (got_stack == want["stack"] and got_port == want["port"]) or time.monotonic() > deadline:
        break
    time.sleep(0.05)
print("netlayer: stack drops", got_stack)
print("netlayer: port drops", got_port)
assert got_stack == want["stack"] and got_port == want["port"], (want, got_stack, got_port)
assert all(s["state"] == "running" for s in r["secondaries"]), r["secondaries"]
PY
for src in "${SOURCES[@]}"; do
	tb_in_ns ping -n -c 1 -W 2 -I "$src" "$TB_STACK_ADDR" >/dev/null ||
		tb_die "no ping answer from $src after the malformed burst"
done
echo "netlayer: ok"
