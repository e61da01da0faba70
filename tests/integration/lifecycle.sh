#!/usr/bin/env bash
# Start-up, registration and supervision of the processes:
#  - a bad config stops ys-primary before anything starts, with exit 1
#    and a one-line reason naming the key; ysctl without a daemon exits 3;
#  - a secondary started before its primary waits (bounded, and says so),
#    then registers;
#  - a second secondary with a live id is refused (exit 1) and the first
#    keeps running;
#  - after kill -9 of a secondary the primary marks it dead, and a
#    restart with the same id rejoins and answers pings again;
#  - when the primary dies every secondary exits with code 3.
#
# usage: lifecycle.sh BIN_DIR   (as root, hugepages reserved)
set -euo pipefail
YS_BIN=$(realpath "$1")
HERE=$(dirname "$(realpath "$0")")
# shellcheck source=../lib/testbed.sh
. "$HERE/../lib/testbed.sh"
trap tb_cleanup EXIT

json_field() { # json_field EXPR: evaluate EXPR on the status as `s`
	tb_ysctl --json status | python3 -c "import json,sys; s=json.load(sys.stdin); print($1)"
}

# -- bad config and no daemon -------------------------------------------
cat >"$TB_DIR/bad.json" <<'JSON'
{ "ports": [ { "name": "p0", "device": "net_null0" } ],
  "secondaries": { "count": 2, "ring_size": 1000 },
  "interfaces": [ { "port": "p0", "address": "198.18.0.2/24" } ] }
JSON
rc=0
"$YS_BIN/ys-primary" -c "$TB_DIR/bad.json" 2>"$TB_DIR/bad.err" || rc=$?
[ "$rc" = 1 ] || tb_die "bad config: exit $rc, want 1"
[ "$(wc -l <"$TB_DIR/bad.err")" = 1 ] || tb_die "bad config: want one line"
grep -q 'secondaries.ring_size: must be a power of two' "$TB_DIR/bad.err" ||
	{ cat "$TB_DIR/bad.err" >&2; tb_die "bad config: reason does not name the key"; }
rc=0
"$YS_BIN/ysctl" -s "$TB_DIR/none.sock" status 2>/dev/null || rc=$?
[ "$rc" = 3 ] || tb_die "ysctl without daemon: exit $rc, want 3"

# -- a secondary waits for its primary -----------------------------------
tb_setup
tb_write_config 2
timeout --signal=TERM --kill-after=10 "$TB_PROC_TIMEOUT" \
	"$YS_BIN/ys-secondary" -c "$TB_DIR/ys.json" -i 0 \
	>>"$TB_DIR/secondary0.log" 2>&1 &
TB_SECONDARY_PIDS[0]=$!
tb_wait_for 30 grep -q 'waiting up to 30 s for the primary' "$TB_DIR/secondary0.log" ||
	tb_die "secondary 0 did not say it waits for the primary"
tb_start_primary
tb_wait_for 30 tb_secondary_running 0 || tb_die "waiting secondary 0 did not register"
tb_start_secondary 1

# -- a duplicate id is refused --------------------------------------------
rc=0
timeout 60 "$YS_BIN/ys-secondary" -c "$TB_DIR/ys.json" -i 0 \
	>"$TB_DIR/dup.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$TB_DIR/dup.log" >&2; tb_die "duplicate id: exit $rc, want 1"; }
grep -q 'primary refused registration: secondary 0 is already running' "$TB_DIR/dup.log" ||
	{ cat "$TB_DIR/dup.log" >&2; tb_die "duplicate id: no clear reason"; }
[ "$(json_field 's["secondaries"][0]["state"]')" = running ] ||
	tb_die "the first secondary 0 must keep running"
[ "$(json_field 's["secondaries"][0]["registrations"]')" = 1 ] ||
	tb_die "the refused duplicate must not count as a registration"

# -- kill -9 and restart --------------------------------------------------
sec0_pid=$(json_field 's["secondaries"][0]["pid"]')
kill -KILL "$sec0_pid"
tb_wait_for 10 bash -c "[ \"\$($YS_BIN/ysctl -s $TB_SOCK --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"secondaries\"][0][\"state\"])')\" = dead ]" ||
	tb_die "primary did not notice secondary 0 die"
wait "${TB_SECONDARY_PIDS[0]}" 2>/dev/null || true
tb_start_secondary 0
[ "$(json_field 's["secondaries"][0]["registrations"]')" = 2 ] ||
	tb_die "restarted secondary 0 must show a second registration"
out=$(tb_in_ns ping -n -c 3 -i 0.2 -W 2 "$TB_STACK_ADDR") ||
	{ echo "$out" >&2; tb_die "no ping replies after the restart"; }

# -- primary death ----------------------------------------------------------
primary_pid=$(json_field 's["primary"]["pid"]')
kill -KILL "$primary_pid"
for k in 0 1; do
	tb_wait_for 10 bash -c "! kill -0 ${TB_SECONDARY_PIDS[$k]} 2>/dev/null" ||
		tb_die "secondary $k outlived its primary"
	rc=0
	wait "${TB_SECONDARY_PIDS[$k]}" || rc=$?
	TB_SECONDARY_PIDS[$k]=
	[ "$rc" = 3 ] || tb_die "secondary $k exited with $rc after the primary died, want 3"
	grep -q 'control connection to the primary lost' "$TB_DIR/secondary$k.log" ||
		tb_die "secondary $k did not say why it exited"
done
wait "$TB_PRIMARY_PID" 2>/dev/null || true
TB_PRIMARY_PID=
echo "lifecycle: ok"
