#!/usr/bin/env bash
# Fault isolation, with 2 secondaries:
#
#  1. failover "drop": secondary 1 is killed with SIGKILL while pings
#     flow; secondary 0 keeps answering its flows, secondary 1's flows
#     are dropped and counted; its restart (same id) rejoins, every
#     source is answered again, and the pool's in-use count returns to
#     its idle value (the mbufs it held were reclaimed);
#  2. failover "rebalance": after the same kill, secondary 1's flows are
#     answered by secondary 0 through lent RETA entries.
#
# usage: failover.sh BIN_DIR   (as root, hugepages reserved)
set -euo pipefail
YS_BIN=$(realpath "$1")
HERE=$(dirname "$(realpath "$0")")
# shellcheck source=../lib/testbed.sh
. "$HERE/../lib/testbed.sh"
trap tb_cleanup EXIT

SOURCES=(198.18.0.10 198.18.0.11 198.18.0.12 198.18.0.13 198.18.0.14
	198.18.0.15 198.18.0.16 198.18.0.17)

# jq-like access to `ysctl --json status`: status_get 'EXPR' with `s`.
status_get() {
	tb_ysctl --json status | python3 -c \
		"import json,sys; s=json.load(sys.stdin); print($1)"
}

# Sources whose address pair with the stack is owned by secondary $1.
sources_of() {
	TB_LIB="$HERE/../lib" python3 - "$1" "$TB_STACK_ADDR" "${SOURCES[@]}" <<'PY'
import os, sys
sys.path.insert(0, os.environ["TB_LIB"])
from toeplitz import toeplitz, ipv4_pair, owner
k, dst = int(sys.argv[1]), sys.argv[2]
print(" ".join(s for s in sys.argv[3:] if owner(toeplitz(ipv4_pair(s, dst)), 2) == k))
PY
}

# ping_ok SRC COUNT [SIZE]: every echo answered.
ping_ok() {
	local out
	out=$(tb_in_ns ping -n -c "$2" -i 0.05 -W 5 -s "${3:-56}" -I "$1" "$TB_STACK_ADDR") ||
		{ echo "$out" >&2; return 1; }
	grep -q "$2 packets transmitted, $2 received, 0% packet loss" <<<"$out"
}

in_use() { status_get 's["mempools"][0]["in_use"]'; }

start_all() {
	tb_write_config 2
	tb_start_primary
	tb_start_secondary 0
	tb_start_secondary 1
}

# Background pings from every source while secondary 1 is killed.
kill_secondary_1_under_load() {
	local src pids=()
	for src in "${SOURCES[@]}"; do
		tb_in_ns ping -n -q -c 100 -i 0.02 -W 1 -I "$src" "$TB_STACK_ADDR" \
			>/dev/null 2>&1 &
		pids+=($!)
	done
	tb_wait_for 10 bash -c "[ \$($YS_BIN/ysctl -s $TB_SOCK --json status |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[\"secondaries\"][1][\"stack\"][\"icmp_echo_replies\"])') -ge 20 ]" ||
		tb_die "secondary 1 answered no pings"
	# The secondary itself, not the `timeout` that wraps it.
	kill -KILL "$(status_get 's["secondaries"][1]["pid"]')"
	wait "${TB_SECONDARY_PIDS[1]}" 2>/dev/null || true
	TB_SECONDARY_PIDS[1]=
	tb_wait_for 10 bash -c "[ \"\$($YS_BIN/ysctl -s $TB_SOCK --json status |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[\"secondaries\"][1][\"state\"])')\" = dead ]" ||
		tb_die "primary did not notice secondary 1 die"
	KILL_LOAD_PIDS=("${pids[@]}")
}

tb_setup $(printf '%s/24 ' "${SOURCES[@]}")
OWN0=$(sources_of 0)
OWN1=$(sources_of 1)
[ -n "$OWN0" ] && [ -n "$OWN1" ] || tb_die "sources must spread over both secondaries"

start_all

# ---- 1. failover "drop": kill -9 under load, restart, reclaim ----
idle=$(in_use)
kill_secondary_1_under_load
for src in $OWN0; do
	ping_ok "$src" 5 || tb_die "secondary 0 stopped answering $src"
done
src1=${OWN1%% *}
if ping_ok "$src1" 3; then tb_die "a dead secondary's flow was answered under \"drop\""; fi
dead_drops=$(status_get 's["ports"][0]["drops"]["secondary_dead"]')
[ "$dead_drops" -gt 0 ] || tb_die "no secondary_dead drops counted"
for pid in "${KILL_LOAD_PIDS[@]}"; do wait "$pid" || true; done
tb_start_secondary 1
for src in "${SOURCES[@]}"; do
	ping_ok "$src" 3 || { tb_ysctl status >&2; tb_die "after the restart, $src is not answered"; }
done
tb_wait_for 10 bash -c "[ \"\$($YS_BIN/ysctl -s $TB_SOCK --json status |
	python3 -c 'import json,sys; print(json.load(sys.stdin)[\"mempools\"][0][\"in_use\"])')\" = $idle ]" ||
	tb_die "pool in use $(in_use) after the restart, $idle when idle before"
grep -q "secondary 1 (pid [0-9]*) reaped" "$TB_DIR/primary.log" ||
	tb_die "primary did not reap secondary 1"
echo "drop: $dead_drops frames of the dead secondary dropped; in use back to $idle;" \
	"$(status_get 's["secondaries"][1]["reclaimed_mbufs"]') mbufs reclaimed"
tb_stop_all

# ---- 2. failover "rebalance": a live secondary answers the dead one's flows ----
TB_SEC_EXTRA='"failover": "rebalance"'
start_all
kill_secondary_1_under_load
for src in "${SOURCES[@]}"; do
	ping_ok "$src" 5 || tb_die "under rebalance, $src is not answered"
done
lent=$(status_get 's["ports"][0]["lent"]')
[ "$lent" -gt 0 ] || tb_die "no frames went through lent RETA entries"
[ "$(status_get 's["secondaries"][0]["reta_entries_lent"]')" = 64 ] ||
	tb_die "secondary 0 should serve 64 lent entries"
for pid in "${KILL_LOAD_PIDS[@]}"; do wait "$pid" || true; done
tb_start_secondary 1
[ "$(status_get 's["secondaries"][0]["reta_entries_lent"]')" = 0 ] ||
	tb_die "lent entries did not return to secondary 1"
for src in $OWN1; do
	ping_ok "$src" 3 || tb_die "secondary 1 does not answer $src after rejoining"
done
echo "rebalance: $lent frames served through lent entries; entries returned"
echo "failover: ok"
