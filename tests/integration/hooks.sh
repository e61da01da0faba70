#!/usr/bin/env bash
# DPDK's own tools against a running yastack (docs/observability.md):
#  - dpdk-dumpcap attaches to the primary's file prefix and captures the
#    port through rte_pdump: it stops by packet count after exactly the
#    ICMP echo requests (received) and replies (transmitted) of a ping,
#    198.18.0.1 <-> 198.18.0.2, with matching sequence numbers;
#  - dpdk-proc-info --stats reads the port's counters, equal to what
#    `ysctl status` reports for the port;
#  - dpdk-telemetry.py answers /yastack/ports, /yastack/secondaries and
#    /yastack/stats with the values `ysctl --json status` reports (exactly,
#    for counters that stand still between two telemetry reads);
#  - the primary runs on its own lcore id, away from the tools' lcore 0
#    and the secondaries' 1..N;
#  - after the tools detach, everything still runs and answers pings, and
#    a clean stop leaves nothing behind.
#
# usage: hooks.sh BIN_DIR   (as root, hugepages reserved, package dpdk-dev)
set -euo pipefail
YS_BIN=$(realpath "$1")
HERE=$(dirname "$(realpath "$0")")
# shellcheck source=../lib/testbed.sh
. "$HERE/../lib/testbed.sh"
trap tb_cleanup EXIT

PINGS=5
TOOL_SLOT=100 # DPDK tools sit in TB_SECONDARY_PIDS: stopped before the primary

for tool in dpdk-dumpcap dpdk-proc-info dpdk-telemetry.py tshark; do
	command -v "$tool" >/dev/null || tb_die "$tool not installed (deploy/setup-host.sh)"
done

gone() { ! kill -0 "$1" 2>/dev/null; }

# ping_ok COUNT: COUNT echo requests from the peer address, no loss.
ping_ok() {
	local out
	out=$(tb_in_ns ping -n -c "$1" -i 0.2 -W 2 "$TB_STACK_ADDR") ||
		{ echo "$out" >&2; tb_die "ping failed"; }
	grep -q "$1 packets transmitted, $1 received, 0% packet loss" <<<"$out" ||
		{ echo "$out" >&2; tb_die "loss on pings"; }
}

tb_setup
tb_write_config 2
tb_start_primary
tb_start_secondary 0
tb_start_secondary 1
PORT_NAME="net_af_packet_$TB_TAG" # the ethdev name dumpcap's -i takes

# -- the primary's lcore id is nobody else's -----------------------------
tb_ysctl --json status | python3 -c '
import json, sys
s = json.load(sys.stdin)
lc = s["primary"]["lcore"]
secs = [x["lcore"] for x in s["secondaries"]]
print(f"lcores: primary {lc}, secondaries {secs}")
assert lc != 0, "the primary must not share lcore 0 with DPDK tools"
assert lc not in secs and secs == [k + 1 for k in range(len(secs))]
' || tb_die "lcore ids"

# -- (a) dpdk-dumpcap captures ICMP both ways ----------------------------
# DPDK 22.11's dumpcap passes no EAL options through, so it cannot be
# given --no-pci: it runs in a private mount namespace whose
# /sys/bus/pci/devices is empty, which makes EAL's PCI scan find nothing
# (TESTBED.md: no DPDK process of a test looks at the machine's NIC).
CAP=$TB_DIR/icmp.pcapng
timeout --signal=TERM --kill-after=5 60 unshare --mount sh -c \
	'mount -t tmpfs -o size=64k,mode=0755 ys-no-pci /sys/bus/pci/devices && exec "$@"' \
	dumpcap dpdk-dumpcap --file-prefix="$TB_PREFIX" \
	-i "$PORT_NAME" -f icmp -c $((2 * PINGS)) -w "$CAP" \
	>"$TB_DIR/dumpcap.out" 2>"$TB_DIR/dumpcap.log" &
dumpcap_pid=$!
TB_SECONDARY_PIDS[TOOL_SLOT]=$dumpcap_pid
# "Packets captured:" follows rte_pdump_enable, which waits for the
# primary's answer: from then on the callbacks are on the port.
tb_wait_for 30 grep -q 'Packets captured' "$TB_DIR/dumpcap.log" ||
	{ cat "$TB_DIR/dumpcap.log" >&2; tb_die "dpdk-dumpcap did not start capturing"; }
ping_ok "$PINGS"
tb_wait_for 30 gone "$dumpcap_pid" ||
	{ cat "$TB_DIR/dumpcap.log" >&2; tb_die "dpdk-dumpcap did not stop after $((2 * PINGS)) packets"; }
rc=0
wait "$dumpcap_pid" || rc=$?
TB_SECONDARY_PIDS[TOOL_SLOT]=
[ "$rc" = 0 ] || { cat "$TB_DIR/dumpcap.log" >&2; tb_die "dpdk-dumpcap exited with $rc"; }
cat "$TB_DIR/dumpcap.log"

tshark -r "$CAP" -T fields -E separator=, -e frame.interface_name \
	-e frame.packet_flags_direction -e ip.src -e ip.dst -e icmp.type \
	-e icmp.seq 2>/dev/null >"$TB_DIR/icmp.csv" ||
	tb_die "tshark cannot read the capture"
python3 - "$TB_DIR/icmp.csv" "$PINGS" "$TB_PEER_ADDR" "$TB_STACK_ADDR" "$TB_VETH_DPDK" <<'PY'
import sys
rows = [l.strip().split(",") for l in open(sys.argv[1]) if l.strip()]
pings, peer, stack, ifname = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
for r in rows:
    print("captured:", r)
# The pcapng interface is the port's kernel interface (af_packet gives
# its ifindex); the direction flag is 1 inbound (pdump's rx callback),
# 2 outbound (its tx callback).
got = sorted((r[0], int(r[1], 0), r[2], r[3], int(r[4]), int(r[5])) for r in rows)
seqs = range(1, pings + 1)
want = sorted([(ifname, 1, peer, stack, 8, s) for s in seqs] +
              [(ifname, 2, stack, peer, 0, s) for s in seqs])
assert got == want, f"capture differs:\n got  {got}\n want {want}"
print(f"dumpcap: {pings} echo requests in, {pings} replies out: ok")
PY

# -- (b) dpdk-proc-info reads the port's counters ------------------------
# The port's counters stand still once pings stop, except for a late ARP
# probe from the namespace: retry until ysctl reads the same value before
# and after proc-info, which then must have read it too.
hw_ipackets() {
	tb_ysctl --json status | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["ports"][0]["hw"]["ipackets"])'
}
deadline=$((SECONDS + 60))
while :; do
	before=$(hw_ipackets)
	timeout --signal=TERM --kill-after=5 30 dpdk-proc-info --file-prefix="$TB_PREFIX" \
		--no-pci -- --stats >"$TB_DIR/procinfo.out" 2>"$TB_DIR/procinfo.log" ||
		{ cat "$TB_DIR/procinfo.log" "$TB_DIR/procinfo.out" >&2; tb_die "dpdk-proc-info failed"; }
	after=$(hw_ipackets)
	[ "$before" = "$after" ] && break
	[ $SECONDS -lt $deadline ] || tb_die "port counters never stood still"
done
grep -v "Stats reg" "$TB_DIR/procinfo.out" # per-queue lines are all 0 here
rx=$(sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' "$TB_DIR/procinfo.out" | head -n 1)
[ -n "$rx" ] || tb_die "dpdk-proc-info printed no RX-packets"
[ "$rx" -ge "$PINGS" ] || tb_die "dpdk-proc-info: RX-packets $rx < $PINGS pings"
[ "$rx" = "$before" ] || tb_die "dpdk-proc-info: RX-packets $rx, ysctl says $before"
echo "proc-info: RX-packets $rx, as ysctl reports: ok"

# -- (c) telemetry answers what ysctl answers ----------------------------
tel() { # tel CMD...: one JSON line per command
	printf '%s\n' "$@" |
		timeout --signal=TERM --kill-after=5 20 dpdk-telemetry.py -f "$TB_PREFIX"
}
TEL_CMDS=(/yastack/ports /yastack/secondaries /yastack/stats "/yastack/stats,1"
	"/yastack/stats,99" /)
deadline=$((SECONDS + 60))
while :; do
	tel "${TEL_CMDS[@]}" >"$TB_DIR/tel_a.json"
	tb_ysctl --json status >"$TB_DIR/status.json"
	tel "${TEL_CMDS[@]}" >"$TB_DIR/tel_c.json"
	rc=0
	python3 - "$TB_DIR/tel_a.json" "$TB_DIR/status.json" "$TB_DIR/tel_c.json" \
		"${TEL_CMDS[@]}" <<'PY' || rc=$?
import json, sys

cmds = sys.argv[4:]

def load_tel(path):
    # One reply per line, in the order of the commands; a reply's key is
    # the command without its parameter.
    replies = [json.loads(l) for l in open(path) if l.strip()]
    assert len(replies) == len(cmds), f"{len(replies)} replies to {len(cmds)} commands"
    return {cmd: r[cmd.split(",")[0]] for cmd, r in zip(cmds, replies)}

a, st, c = load_tel(sys.argv[1]), json.load(open(sys.argv[2])), load_tel(sys.argv[3])
for cmd in ("/yastack/ports", "/yastack/secondaries", "/yastack/stats"):
    assert cmd in a["/"], f"{cmd} not registered: {a['/']}"
assert a["/yastack/stats,99"] is None, "an unknown secondary id must answer null"

# Counters that move while idle: compared as a <= ysctl <= c only.
LIVE = {"loops", "idle_sleeps", "heartbeat_tsc"}
moving = []

def cmp(path, ta, sv, tc, complete):
    """Every value telemetry gives (read in ta, then tc) is what ysctl gives
    (sv). complete: sv's counters are all in ta too (dicts that only
    X-macro lists fill: drops, stack)."""
    for k, v in ta.items():
        where = f"{path}.{k}"
        assert k in sv, f"{where}: in telemetry, not in ysctl"
        if isinstance(v, dict):
            cmp(where, v, sv[k], tc[k], True)
        elif isinstance(v, int):
            assert ta[k] <= sv[k] <= tc[k], \
                f"{where}: telemetry {ta[k]}, ysctl {sv[k]}, telemetry {tc[k]}"
            if ta[k] != tc[k] and k not in LIVE:
                moving.append(where)
        else:
            assert v == sv[k] == tc[k], f"{where}: {v} / {sv[k]} / {tc[k]}"
    if complete:
        missing = [k for k, v in sv.items() if isinstance(v, int) and k not in ta]
        assert not missing, f"{path}: {missing} in ysctl, not in telemetry"

def without(d, *keys):
    return {k: v for k, v in d.items() if k not in keys}

ports, secs = st["ports"], st["secondaries"]
for t in (a, c):
    assert sorted(t["/yastack/ports"]) == [str(i) for i in range(len(ports))]
    assert sorted(t["/yastack/secondaries"]) == [str(s["id"]) for s in secs]
    assert sorted(t["/yastack/stats"]["ports"]) == sorted(t["/yastack/ports"])
    assert sorted(t["/yastack/stats"]["secondaries"]) == sorted(t["/yastack/secondaries"])
    assert "secondaries_omitted" not in t["/yastack/stats"]

for i, p in enumerate(ports):
    k = str(i)
    for t in (a, c):
        assert t["/yastack/ports"][k]["tx_via_ring"] == (1 if p["tx_mode"] == "ring" else 0)
    cmp(f"ports.{k}", without(a["/yastack/ports"][k], "tx_via_ring"), p,
        c["/yastack/ports"][k], False)
    cmp(f"stats.ports.{k}", a["/yastack/stats"]["ports"][k], p,
        c["/yastack/stats"]["ports"][k], False)

for s in secs:
    k = str(s["id"])
    for t in (a, c):
        assert t["/yastack/secondaries"][k].get("pid") == s["pid"], f"secondaries.{k}.pid"
    cmp(f"secondaries.{k}", without(a["/yastack/secondaries"][k], "pid"), s,
        c["/yastack/secondaries"][k], False)
    cmp(f"stats.secondaries.{k}", a["/yastack/stats"]["secondaries"][k], s,
        c["/yastack/stats"]["secondaries"][k], False)

cmp("stats.primary", a["/yastack/stats"]["primary"], st["primary"],
    c["/yastack/stats"]["primary"], False)

one = a["/yastack/stats,1"]
assert list(one["secondaries"]) == ["1"], one["secondaries"].keys()
assert one["ports"].keys() == a["/yastack/stats"]["ports"].keys()

if moving:
    print("not quiescent yet:", moving)
    sys.exit(2)
print("telemetry: /yastack/ports, /yastack/secondaries, /yastack/stats equal ysctl: ok")
PY
	[ "$rc" = 0 ] && break
	[ "$rc" = 2 ] || { cat "$TB_DIR/tel_a.json" >&2; tb_die "telemetry differs from ysctl"; }
	[ $SECONDS -lt $deadline ] || tb_die "counters never stood still"
done
head -c 600 "$TB_DIR/tel_a.json"
echo

# -- after the tools detached, everything still runs ---------------------
kill -0 "$TB_PRIMARY_PID" || tb_die "primary died"
tb_secondary_running 0 || tb_die "secondary 0 not running"
tb_secondary_running 1 || tb_die "secondary 1 not running"
ping_ok 3

# -- clean stop: secondaries, then the primary; nothing left -------------
assert_clean_stop() {
	tb_stop_pid "$TB_PRIMARY_PID"
	TB_PRIMARY_PID=
	[ "$TB_STOP_RC" = 0 ] || tb_die "primary exited with $TB_STOP_RC"
	[ ! -e "/var/run/dpdk/$TB_PREFIX" ] ||
		{ ls -la "/var/run/dpdk/$TB_PREFIX" >&2; tb_die "runtime dir left behind"; }
	if compgen -G "/dev/hugepages/${TB_PREFIX}map_*" >/dev/null; then
		ls -la /dev/hugepages >&2
		tb_die "hugepage files left behind"
	fi
	[ ! -e "$TB_SOCK" ] || tb_die "control socket left behind"
}
for k in 0 1; do
	tb_stop_pid "${TB_SECONDARY_PIDS[$k]}"
	TB_SECONDARY_PIDS[$k]=
	[ "$TB_STOP_RC" = 0 ] || tb_die "secondary $k exited with $TB_STOP_RC"
done
tb_wait_for 10 bash -c "[ \"\$($YS_BIN/ysctl -s $TB_SOCK --json status | python3 -c 'import json,sys; print(sorted({s[\"state\"] for s in json.load(sys.stdin)[\"secondaries\"]}))')\" = \"['dead']\" ]" ||
	tb_die "primary did not notice the secondaries stop"
assert_clean_stop

# -- 32 secondaries: /yastack/stats says what does not fit ---------------
# DPDK 22.11 answers at most max_output_len (16 KiB) and would silently
# leave out what does not fit: the primary leaves out whole secondaries
# and counts them, and /yastack/stats,K reads any one of them.
python3 - "$TB_DIR/ys.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["secondaries"] = {"count": 32, "ring_size": 256}
json.dump(cfg, open(sys.argv[1], "w"))
PY
tb_start_primary
tel /yastack/stats /yastack/stats,31 >"$TB_DIR/tel_32.json"
timeout 20 python3 - "$TB_DIR/tel_32.json" "/var/run/dpdk/$TB_PREFIX/dpdk_telemetry.v2" <<'PY' ||
import json, socket, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[2])
limit = json.loads(s.recv(1024))["max_output_len"]
full, one = (json.loads(l)["/yastack/stats"] for l in lines)
shown, omitted = len(full["secondaries"]), full.get("secondaries_omitted", 0)
print(f"/yastack/stats: {len(lines[0])} of {limit} bytes, {shown} secondaries shown, {omitted} omitted")
assert len(lines[0]) <= limit
assert shown + omitted == 32 and omitted > 0 and shown > 0, (shown, omitted)
assert sorted(map(int, full["secondaries"])) == list(range(shown)), "the first ones are shown"
assert list(one["secondaries"]) == ["31"] and "secondaries_omitted" not in one
assert one["secondaries"]["31"]["stack"]["drops"] == full["secondaries"]["0"]["stack"]["drops"]
PY
	tb_die "/yastack/stats with 32 secondaries"
assert_clean_stop
echo "hooks: ok"
