#!/usr/bin/env bash
# The primary's Prometheus endpoint (admin.metrics, docs/observability.md
# "Metrics"): a primary and 2 secondaries answer pings from 8 addresses,
# then GET /metrics on a loopback port the kernel picked.
#
# Asserts: the body parses as exposition format 0.0.4 (every sample line
# `name{labels} value`, HELP and TYPE once per family and before its
# samples, a family's samples together); every family name matches
# ^yastack_[a-z0-9_]+$, counters end in _total and gauges do not; read
# while the counters are still (two `ysctl --json status` reads around the
# scrape agree), every port, primary, secondary and stack counter and
# every drop reason equals ysctl's, and each drop reason ysctl lists is
# there; both secondaries are up; /other gives 404, POST /metrics 405,
# HEAD 200. A clean stop exits 0. A config whose metrics port another
# socket already listens on makes the primary exit 1 with
# "admin.metrics: cannot listen on 127.0.0.1:PORT: Address already in use".
#
# usage: metrics.sh BIN_DIR   (as root, hugepages reserved)
set -euo pipefail
YS_BIN=$(realpath "$1")
HERE=$(dirname "$(realpath "$0")")
# shellcheck source=../lib/testbed.sh
. "$HERE/../lib/testbed.sh"

HOLDER_PID= # the process holding a port for the bind-failure case
metrics_cleanup() {
	local rc=$?
	if [ -n "$HOLDER_PID" ]; then
		kill "$HOLDER_PID" 2>/dev/null || true
		wait "$HOLDER_PID" 2>/dev/null || true
	fi
	(exit $rc)
	tb_cleanup
}
trap metrics_cleanup EXIT

SOURCES=(198.18.0.10 198.18.0.11 198.18.0.12 198.18.0.13 198.18.0.14
	198.18.0.15 198.18.0.16 198.18.0.17)
PINGS=3

tb_setup $(printf '%s/24 ' "${SOURCES[@]}")
METRICS_PORT=$(tb_free_port)
TB_METRICS=127.0.0.1:$METRICS_PORT
URL=http://127.0.0.1:$METRICS_PORT
tb_write_config 2
tb_start_primary
grep -q "metrics: $URL/metrics" "$TB_DIR/primary.log" ||
	tb_die "primary does not say where it serves metrics"
tb_start_secondary 0
tb_start_secondary 1

for src in "${SOURCES[@]}"; do
	out=$(tb_in_ns ping -n -c "$PINGS" -i 0.2 -W 2 -I "$src" "$TB_STACK_ADDR") ||
		{ echo "$out" >&2; tb_die "ping from $src failed"; }
done

# curl URL [curl args...]: prints the status code; the body goes to
# $TB_DIR/body. Loopback only, never through a proxy.
http() {
	local url=$1
	shift
	timeout 10 curl -s --noproxy '*' -o "$TB_DIR/body" -w '%{http_code}' \
		"$@" "$url"
}

cat >"$TB_DIR/check.py" <<'PY'
import json, re, sys

# Exit 0: all checks pass; 2: the counters moved between the two ysctl
# reads (try again); anything else: a failure.
before, body_path, after = sys.argv[1:4]
a, b = json.load(open(before)), json.load(open(after))
body = open(body_path).read()

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?\}})? (\S+)$")
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')

# A family is HELP and TYPE (once each) then its samples, all together.
helps, types, samples, done = {}, {}, {}, set()
current = None
assert body.endswith("\n"), "body must end with a newline"
for n, line in enumerate(body.split("\n")[:-1], 1):
    if line.startswith("# HELP ") or line.startswith("# TYPE "):
        kind, fam, rest = line[2:6], *line[7:].split(" ", 1)
        table = helps if kind == "HELP" else types
        assert fam not in table, f"line {n}: second {kind} for {fam}"
        assert fam not in samples, f"line {n}: {kind} after samples of {fam}"
        table[fam] = rest
        if current != fam:
            done.add(current)
            assert fam not in done, f"line {n}: {fam} split"
            current = fam
        continue
    m = SAMPLE.match(line)
    assert m, f"line {n} is not a sample: {line!r}"
    name, labels, value = m.group(1), m.group(2) or "", m.group(3)
    float(value)
    assert name == current, f"line {n}: {name} outside its family {current}"
    assert name not in done, f"line {n}: samples of {name} not together"
    key = tuple(sorted(LABEL_RE.findall(labels)))
    assert key not in samples.setdefault(name, {}), f"line {n}: duplicate"
    samples[name][key] = float(value)

for fam in set(helps) | set(types) | set(samples):
    assert re.fullmatch(r"yastack_[a-z0-9_]+", fam), f"bad family name {fam}"
    assert fam in helps and fam in types, f"{fam}: HELP and TYPE needed"
    assert types[fam] in ("counter", "gauge"), f"{fam}: type {types[fam]}"
    assert (types[fam] == "counter") == fam.endswith("_total"), \
        f"{fam}: counters end in _total, gauges do not"
print(f"{len(types)} families, "
      f"{sum(len(s) for s in samples.values())} samples parsed")

def get(fam, **labels):
    key = tuple(sorted(labels.items()))
    assert key in samples.get(fam, {}), f"missing {fam}{labels}"
    return samples[fam][key]

# What must be still: every counter but those that count loop passes.
MOVING = {"loops", "idle_sleeps", "heartbeat_tsc"}
def still(s):
    ports = [{k: v for k, v in p.items() if isinstance(v, int) or k == "drops"}
             for p in s["ports"]]
    secs = [{k: v for k, v in x.items() if k not in MOVING}
            for x in s["secondaries"]]
    prim = {k: v for k, v in s["primary"].items() if k != "uptime_s"}
    return ports, secs, prim
if still(a) != still(b):
    sys.exit(2)

checked = 0
for p in b["ports"]:
    port = p["name"]
    for k, v in p.items():
        if k == "drops":
            for reason, n in v.items():
                assert get("yastack_port_drops_total", port=port,
                           reason=reason) == n, f"{port} drop {reason}"
                checked += 1
        elif f"yastack_port_{k}_total" in types:
            assert get(f"yastack_port_{k}_total", port=port) == v, f"{port} {k}"
            checked += 1
rx = get("yastack_port_rx_packets_total", port="p0")
assert rx == b["ports"][0]["rx_packets"] and rx > 0
for k, v in b["primary"].items():
    if f"yastack_primary_{k}_total" in types:
        assert samples[f"yastack_primary_{k}_total"][()] == v, k
        checked += 1
for s in b["secondaries"]:
    sec = str(s["id"])
    assert get("yastack_secondary_up", secondary=sec) == 1
    assert get("yastack_secondary_state", secondary=sec, state="running") == 1
    assert get("yastack_secondary_state", secondary=sec, state="dead") == 0
    for k, v in s.items():
        if k not in MOVING and f"yastack_secondary_{k}_total" in types:
            assert get(f"yastack_secondary_{k}_total", secondary=sec) == v, k
            checked += 1
    for k, v in s["stack"].items():
        if k == "drops":
            for reason, n in v.items():
                assert get("yastack_stack_drops_total", secondary=sec,
                           reason=reason) == n, f"{sec} drop {reason}"
                checked += 1
        elif k == "pmtu_entries":  # a level: the one stack gauge
            assert get("yastack_stack_pmtu_entries", secondary=sec) == v, k
            checked += 1
        else:
            assert get(f"yastack_stack_{k}_total", secondary=sec) == v, k
            checked += 1
    replies = get("yastack_stack_icmp_echo_replies_total", secondary=sec)
    print(f"secondary {sec}: {int(replies)} echo replies (ysctl: "
          f"{s['stack']['icmp_echo_replies']})")
    assert replies > 0, "pings must reach both secondaries"
pool = b["mempools"][0]
assert get("yastack_mempool_size", pool=pool["name"]) == pool["size"]
# Idle, the pool may be all free (af_packet copies into fresh mbufs).
assert 0 <= get("yastack_mempool_in_use", pool=pool["name"]) <= pool["size"]
print(f"{checked} values equal ysctl's")
PY

# Counters are still when two ysctl reads around the scrape agree.
deadline=$((SECONDS + 30))
while :; do
	tb_ysctl --json status >"$TB_DIR/before.json"
	code=$(http "$URL/metrics")
	[ "$code" = 200 ] || tb_die "GET /metrics gave $code"
	cp "$TB_DIR/body" "$TB_DIR/metrics.txt"
	tb_ysctl --json status >"$TB_DIR/after.json"
	rc=0
	python3 "$TB_DIR/check.py" "$TB_DIR/before.json" "$TB_DIR/metrics.txt" \
		"$TB_DIR/after.json" || rc=$?
	[ "$rc" = 0 ] && break
	[ "$rc" = 2 ] || { head -n 40 "$TB_DIR/metrics.txt" >&2; tb_die "metrics differ from ysctl"; }
	[ $SECONDS -lt $deadline ] || tb_die "counters never stood still"
done
grep -E '^yastack_(port_rx_packets|stack_icmp_echo_replies)_total' "$TB_DIR/metrics.txt"

code=$(http "$URL/other")
[ "$code" = 404 ] || tb_die "GET /other gave $code, want 404"
code=$(http "$URL/metrics" -X POST -d x=1)
[ "$code" = 405 ] || tb_die "POST /metrics gave $code, want 405"
code=$(http "$URL/metrics" -I)
[ "$code" = 200 ] || tb_die "HEAD /metrics gave $code, want 200"
grep -qi '^content-type: text/plain; version=0.0.4' "$TB_DIR/body" ||
	{ cat "$TB_DIR/body" >&2; tb_die "HEAD: wrong Content-Type"; }

# Clean stop: secondaries, then the primary; all exit 0.
for k in 0 1; do
	tb_stop_pid "${TB_SECONDARY_PIDS[$k]}"
	TB_SECONDARY_PIDS[$k]=
	[ "$TB_STOP_RC" = 0 ] || tb_die "secondary $k exited with $TB_STOP_RC"
done
tb_stop_pid "$TB_PRIMARY_PID"
TB_PRIMARY_PID=
[ "$TB_STOP_RC" = 0 ] || tb_die "primary exited with $TB_STOP_RC"
http "$URL/metrics" >/dev/null && tb_die "metrics still served after stop"

# A port someone else listens on: the primary refuses to start.
timeout 60 python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)' "$TB_DIR/held_port" &
HOLDER_PID=$!
tb_wait_for 10 test -s "$TB_DIR/held_port" || tb_die "no port held"
HELD=$(cat "$TB_DIR/held_port")
TB_METRICS=127.0.0.1:$HELD
tb_write_config 2
rc=0
timeout 60 "$YS_BIN/ys-primary" -c "$TB_DIR/ys.json" >"$TB_DIR/busy.log" 2>&1 ||
	rc=$?
[ "$rc" = 1 ] || { cat "$TB_DIR/busy.log" >&2; tb_die "busy port: exit $rc, want 1"; }
want="admin.metrics: cannot listen on 127.0.0.1:$HELD: Address already in use"
grep -qF "$want" "$TB_DIR/busy.log" ||
	{ cat "$TB_DIR/busy.log" >&2; tb_die "busy port: no \"$want\""; }
echo "busy port: exit 1, \"$want\""
[ ! -e "/var/run/dpdk/$TB_PREFIX" ] || tb_die "runtime dir left behind"
[ ! -e "$TB_SOCK" ] || tb_die "control socket left behind"
echo "metrics: ok"
