#!/usr/bin/env bash
# Every control command through ysctl, against a primary and two
# secondaries on the namespace testbed (docs/control.md, docs/ysctl.md):
#  - ports, secondaries (-i K), stats and stats reset (exact echo-reply
#    counts since the reset), arp (each secondary learnt the peer's MAC),
#    routes (connected + default), conns (empty: no TCP yet);
#  - config show / validate / reload: a bad file is refused with its
#    line and column and nothing changes; a good one adds an address that
#    then answers pings, on every secondary, and a restarted secondary
#    keeps it; a changed eal section is reported as needing a restart;
#  - log-level for all and for one secondary;
#  - a stopped (SIGSTOP) secondary shows as `timeout` in a forwarded
#    reply, which still comes back, and its stall is counted;
#  - drain -i 1: secondary 1 exits 0 and is counted drained, not lost;
#  - shutdown: every process exits 0 and leaves nothing behind.
#
# usage: ctl_commands.sh BIN_DIR   (as root, hugepages reserved)
set -euo pipefail
YS_BIN=$(realpath "$1")
HERE=$(dirname "$(realpath "$0")")
# shellcheck source=../lib/testbed.sh
. "$HERE/../lib/testbed.sh"
trap tb_cleanup EXIT

# jq-like: jf 'EXPR' evaluates EXPR on the JSON on stdin, bound to `r`.
jf() { python3 -c "import json,sys; r=json.load(sys.stdin); print($1)"; }
expect() { # expect WHAT GOT WANT
	[ "$2" = "$3" ] || tb_die "$1: got '$2', want '$3'"
}
ping_ok() { tb_in_ns ping -n -c "$2" -i 0.2 -W 2 "$1" >/dev/null; }

TB_SEC_EXTRA='"failover": "rebalance"'
TB_TOP_EXTRA='"diag": { "udp_echo": 7 }'
tb_setup 198.18.0.11/24 198.18.0.12/24 198.18.0.13/24
tb_write_config 2
tb_start_primary
tb_start_secondary 0
tb_start_secondary 1
peer_mac=$(tb_in_ns cat "/sys/class/net/$TB_VETH_PEER/address")

# -- ports, secondaries ----------------------------------------------------
expect "ports" "$(tb_ysctl --json ports | jf '[p["name"] for p in r["ports"]]')" "['p0']"
expect "secondaries" "$(tb_ysctl --json secondaries | jf '[(s["id"], s["state"]) for s in r["secondaries"]]')" \
	"[(0, 'running'), (1, 'running')]"
expect "secondaries -i 1" "$(tb_ysctl --json -i 1 secondaries | jf '[s["id"] for s in r["secondaries"]]')" "[1]"
rc=0
tb_ysctl -i 7 secondaries 2>"$TB_DIR/err" || rc=$?
expect "secondaries -i 7 exit" "$rc" 1
grep -q 'invalid_argument: secondary must be an integer in 0..1' "$TB_DIR/err" ||
	tb_die "secondaries -i 7: $(cat "$TB_DIR/err")"
tb_ysctl secondaries | grep -q '^SECONDARY' || tb_die "secondaries: no table"

# -- stats and stats reset ---------------------------------------------------
for src in 198.18.0.1 198.18.0.11 198.18.0.12 198.18.0.13; do
	tb_in_ns ping -n -c 2 -i 0.2 -W 2 -I "$src" "$TB_STACK_ADDR" >/dev/null ||
		tb_die "ping from $src"
done
replies() { tb_ysctl --json stats | jf 'sum(s["stack"]["icmp_echo_replies"] for s in r["secondaries"])'; }
expect "echo replies before reset" "$(replies)" 8
tb_ysctl stats reset >/dev/null
expect "echo replies after reset" "$(replies)" 0
expect "port rx after reset" "$(tb_ysctl --json stats | jf 'r["ports"][0]["rx_packets"] < 5')" True
ping_ok "$TB_STACK_ADDR" 3
expect "echo replies since reset" "$(replies)" 3
tb_ysctl -i 0 stats reset >/dev/null
expect "secondary 0 after its own reset" \
	"$(tb_ysctl --json -i 0 stats | jf 'r["secondaries"][0]["stack"]["icmp_echo_replies"]')" 0
tb_ysctl stats | grep -q '^PORT' || tb_die "stats: no table"

# -- arp, routes, conns ---------------------------------------------------------
# The peer ARPed for us before its pings: every secondary learnt it from
# the copies the primary fans out (only one answered).
arp=$(tb_ysctl --json arp)
for k in 0 1; do
	expect "arp entry of secondary $k" \
		"$(echo "$arp" | jf "[(e['mac'].lower(), e['state']) for e in r['secondaries'][$k]['result']['entries'] if e['ip'] == '198.18.0.1']")" \
		"[('$peer_mac', 'reachable')]"
done
routes=$(tb_ysctl --json routes)
for k in 0 1; do
	expect "routes of secondary $k" \
		"$(echo "$routes" | jf "sorted((x['prefix'], x['via'], x['source']) for x in r['secondaries'][$k]['result']['routes'])")" \
		"[('0.0.0.0/0', '198.18.0.1', 'default'), ('198.18.0.0/24', None, 'connected')]"
done
# The stack's connection-like objects today: the echo service's port.
expect "conns" "$(tb_ysctl --json conns | jf '[(e["id"], e["result"]["total"], e["result"]["connections"]) for e in r["secondaries"]]')" \
	"[(0, 1, [{'local': '0.0.0.0:7', 'proto': 'udp', 'remote': None, 'state': 'bound'}]), (1, 1, [{'local': '0.0.0.0:7', 'proto': 'udp', 'remote': None, 'state': 'bound'}])]"
for filter in "--state bound:1" "--state established:0" "--local 0.0.0.0:7:1" \
	"--local 0.0.0.0:8:0" "--local 0.0.0.0:1" "--remote 198.18.0.1:0"; do
	expect "conns -i 1 ${filter%:*}" "$(tb_ysctl --json -i 1 conns ${filter%:*} | jf 'r["secondaries"][0]["result"]["total"]')" "${filter##*:}"
done
expect "conns --limit 0" "$(tb_ysctl --json conns --limit 0 | jf '[(e["result"]["total"], len(e["result"]["connections"])) for e in r["secondaries"]]')" \
	"[(1, 0), (1, 0)]"
tb_ysctl arp | grep -q "198.18.0.1" || tb_die "arp: no table row"
# top against the real primary: two refreshes, rates from the second on.
top=$(tb_ysctl --json top --count 2)
expect "top refreshes" "$(echo "$top" | wc -l)" 2
echo "$top" | tail -1 | jf '[s["id"] for s in r["secondaries"]]' >/dev/null ||
	tb_die "top: $(echo "$top" | tail -1)"
tb_ysctl routes | grep -q "198.18.0.0/24" || tb_die "routes: no table row"

# -- config show / validate / reload -------------------------------------------------
show() { tb_ysctl --json config show | jf "$1"; }
expect "config path" "$(show 'r["path"]')" "$TB_DIR/ys.json"
expect "config generation" "$(show 'r["generation"]')" 0

sed 's/"gateway"/"gateway" "oops"/' "$TB_DIR/ys.json" >"$TB_DIR/bad.json"
rc=0
tb_ysctl config validate "$TB_DIR/bad.json" 2>"$TB_DIR/err" || rc=$?
expect "validate bad exit" "$rc" 1
grep -Eq "config_invalid: $TB_DIR/bad.json:[0-9]+:[0-9]+: " "$TB_DIR/err" ||
	tb_die "validate bad: $(cat "$TB_DIR/err")"
rc=0
tb_ysctl config reload "$TB_DIR/bad.json" 2>"$TB_DIR/err" || rc=$?
expect "reload bad exit" "$rc" 1
expect "generation after a bad reload" "$(show 'r["generation"]')" 0
ping_ok 198.18.0.3 1 && tb_die "198.18.0.3 answers before any reload"

# The good file: a second address on the interface.
sed 's|"address": "198.18.0.2/24"|"address": ["198.18.0.2/24", "198.18.0.3/24"]|' \
	"$TB_DIR/ys.json" >"$TB_DIR/good.json"
v=$(tb_ysctl --json config validate "$TB_DIR/good.json")
expect "validate good" "$(echo "$v" | jf '(r["valid"], r["live"], r["restart_required"])')" \
	"(True, ['interfaces'], [])"
r=$(tb_ysctl --json config reload "$TB_DIR/good.json")
expect "reload good" "$(echo "$r" | jf '(r["generation"], r["applied"], [e["ok"] for e in r["secondaries"]])')" \
	"(1, ['interfaces'], [True, True])"
expect "config show after reload" "$(show '(r["generation"], r["path"], r["config"]["interfaces"][0]["address"])')" \
	"(1, '$TB_DIR/good.json', ['198.18.0.2/24', '198.18.0.3/24'])"
# Pings from four sources reach both secondaries: each answers the new
# address. The kernel's failed resolution of it (above) is forgotten
# first, or its last probes may still be running out.
tb_in_ns ip neigh flush to 198.18.0.3
for src in 198.18.0.1 198.18.0.11 198.18.0.12 198.18.0.13; do
	tb_in_ns ping -n -c 1 -W 2 -I "$src" 198.18.0.3 >/dev/null ||
		tb_die "198.18.0.3 does not answer $src after the reload"
done

# A changed eal section is not applied: it needs a restart.
sed 's/"memory_mb": 256/"memory_mb": 300/' "$TB_DIR/good.json" >"$TB_DIR/eal.json"
r=$(tb_ysctl --json config reload "$TB_DIR/eal.json")
expect "reload eal" "$(echo "$r" | jf '(r["generation"], r["applied"], r["restart_required"])')" \
	"(1, [], ['eal'])"

# A restarted secondary takes the running (reloaded) configuration.
tb_stop_pid "${TB_SECONDARY_PIDS[1]}"
expect "secondary 1 SIGTERM exit" "$TB_STOP_RC" 0
tb_start_secondary 1
grep -q 'configuration generation 1 applied' "$TB_DIR/secondary1.log" ||
	tb_die "restarted secondary 1 did not take the reloaded configuration"

# -- log-level --------------------------------------------------------------------
ll=$(tb_ysctl --json log-level debug)
expect "log-level debug" "$(echo "$ll" | jf '(r["primary"], [e["result"]["level"] for e in r["secondaries"]])')" \
	"('debug', ['debug', 'debug'])"
ll=$(tb_ysctl --json -i 1 log-level warn)
expect "log-level -i 1 warn" "$(echo "$ll" | jf '(r["primary"], [(e["id"], e["result"]["level"]) for e in r["secondaries"]])')" \
	"('debug', [(1, 'warn')])"
expect "log-level read" "$(tb_ysctl --json log-level | jf '[e["result"]["level"] for e in r["secondaries"]]')" \
	"['debug', 'warn']"
rc=0
tb_ysctl log-level loud 2>/dev/null || rc=$?
expect "log-level loud exit" "$rc" 1
tb_ysctl log-level info >/dev/null

# -- a stalled secondary: timeout entry, counted stall --------------------------------
sec1=$(tb_ysctl --json -i 1 secondaries | jf 'r["secondaries"][0]["pid"]')
kill -STOP "$sec1"
rc=0
out=$(tb_ysctl --json --timeout 3 arp) || rc=$?
kill -CONT "$sec1"
expect "arp with a stopped secondary exit" "$rc" 1
expect "arp with a stopped secondary" "$(echo "$out" | jf '[(e["id"], e["ok"], e.get("error", {}).get("code")) for e in r["secondaries"]]')" \
	"[(0, True, None), (1, False, 'timeout')]"
expect "stall counted" "$(tb_ysctl --json status | jf 'r["primary"]["heartbeats_late"] >= 1')" True
expect "timeout counted" "$(tb_ysctl --json status | jf 'r["primary"]["ctl_forward_timeouts"]')" 1

# A reload that a stopped secondary cannot confirm is aborted: nothing
# changes anywhere. While it waits, no secondary may register.
sed 's|"198.18.0.3/24"\]|"198.18.0.3/24", "198.18.0.4/24"]|' "$TB_DIR/good.json" >"$TB_DIR/good2.json"
kill -STOP "$sec1"
tb_ysctl --json --timeout 4 config reload "$TB_DIR/good2.json" >"$TB_DIR/reload2.out" 2>"$TB_DIR/reload2.err" &
reload_pid=$!
tb_wait_for 5 bash -c "$YS_BIN/ysctl -s $TB_SOCK --json status | grep -q '\"config_reload_in_progress\": true'" ||
	tb_die "the reload did not start"
contract=$(sed -n 's/^#define YS_CONTRACT_VERSION \([0-9]*\)u$/\1/p' "$HERE/../../common/ys_contract.h")
version=$(tb_ysctl --json status | jf 'r["primary"]["version"]')
timeout 10 python3 - "$TB_SOCK" "$contract" "$version" <<'PY' || tb_die "registration during a reload"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(json.dumps({"id": 1, "cmd": "secondary.register", "args": {
    "id": 0, "pid": 1, "lcore": 1, "contract": int(sys.argv[2]),
    "version": sys.argv[3]}}).encode() + b"\n")
r = json.loads(s.makefile().readline())
assert r["error"] == {"code": "unavailable",
                      "message": "a config.reload is in progress; retry"}, r
PY
rc=0
wait "$reload_pid" || rc=$?
kill -CONT "$sec1"
expect "reload with a stopped secondary exit" "$rc" 1
grep -q "ysctl: timeout: secondary 1 did not answer within 3500 ms; nothing was changed" "$TB_DIR/reload2.err" ||
	tb_die "reload with a stopped secondary: $(cat "$TB_DIR/reload2.err")"
expect "generation after the aborted reload" "$(show 'r["generation"]')" 1
tb_in_ns ping -n -c 1 -W 2 198.18.0.4 >/dev/null && tb_die "198.18.0.4 answers after an aborted reload"
expect "failures counted" "$(tb_ysctl --json status | jf 'r["primary"]["config_reload_failures"] >= 1')" True

# -- drain one secondary --------------------------------------------------------
d=$(tb_ysctl --json -i 1 drain --deadline 10)
expect "drain -i 1" "$(echo "$d" | jf '[(e["id"], e["result"]["state"]) for e in r["secondaries"]]')" \
	"[(1, 'draining')]"
tb_wait_for 15 bash -c "! kill -0 $sec1 2>/dev/null" || tb_die "secondary 1 did not exit after drain"
rc=0
wait "${TB_SECONDARY_PIDS[1]}" || rc=$?
TB_SECONDARY_PIDS[1]=
expect "drained secondary exit" "$rc" 0
tb_wait_for 5 bash -c "[ \"\$($YS_BIN/ysctl -s $TB_SOCK --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"primary\"][\"secondaries_stopped\"])')\" = 2 ]" ||
	tb_die "the SIGTERM stop and the drain are not counted as stops"
expect "stopped is not lost" "$(tb_ysctl --json status | jf 'r["primary"]["secondaries_lost"]')" 0
# Rebalance: secondary 0 answers every source now.
for src in 198.18.0.1 198.18.0.11 198.18.0.12 198.18.0.13; do
	tb_in_ns ping -n -c 1 -W 2 -I "$src" "$TB_STACK_ADDR" >/dev/null ||
		tb_die "no answer to $src after secondary 1 drained"
done

# -- shutdown ---------------------------------------------------------------------
expect "shutdown" "$(tb_ysctl --json shutdown | jf '(r["stopping"], r["secondaries"])')" "(True, 1)"
for pid in "${TB_SECONDARY_PIDS[0]}" "$TB_PRIMARY_PID"; do
	rc=0
	wait "$pid" || rc=$?
	expect "exit after shutdown (pid $pid)" "$rc" 0
done
TB_SECONDARY_PIDS=()
TB_PRIMARY_PID=
[ ! -e "/var/run/dpdk/$TB_PREFIX" ] || tb_die "shutdown left /var/run/dpdk/$TB_PREFIX"
[ ! -e "$TB_SOCK" ] || tb_die "shutdown left the control socket"
echo "ctl_commands: ok"
