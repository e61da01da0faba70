#!/usr/bin/env bash
# Start-up, registration and supervision of the processes:
#  - a bad config stops ys-primary before anything starts, with exit 1
#    and a one-line reason naming the key; ysctl without a daemon exits 3;
#  - a secondary started before its primary waits (bounded, and says so),
#    then registers;
#  - a second secondary with a live id is refused (exit 1) and the first
#    keeps running;
#  - a restart right after kill -9 of a secondary (the primary may not
#    have noticed the death yet) takes the slot over and answers pings;
#  - when the primary dies every secondary notices within a second and
#    exits with code 3, saying why.
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
# At once: no waiting for the primary to notice.
old_wrapper=${TB_SECONDARY_PIDS[0]}
tb_start_secondary 0
wait "$old_wrapper" 2>/dev/null || true
[ "$(json_field 's["secondaries"][0]["registrations"]')" = 2 ] ||
	tb_die "restarted secondary 0 must show a second registration"
out=$(tb_in_ns ping -n -c 3 -i 0.2 -W 2 "$TB_STACK_ADDR") ||
	{ echo "$out" >&2; tb_die "no ping replies after the restart"; }

# -- primary death ----------------------------------------------------------
primary_pid=$(json_field 's["primary"]["pid"]')
sec_pids="$(json_field 's["secondaries"][0]["pid"]') $(json_field 's["secondaries"][1]["pid"]')"
# The issue's bound: every secondary gone within 1 s of the kill. The
# poll measures it (a deadline, not a sleep); ys-secondary's own exit
# path is what must meet it.
timeout 30 python3 - "$primary_pid" $sec_pids <<'PY'
import os, signal, sys, time
primary, secs = int(sys.argv[1]), [int(x) for x in sys.argv[2:]]
os.kill(primary, signal.SIGKILL)
t0 = time.monotonic()
left = set(secs)
while left and time.monotonic() - t0 < 1.0:
    for pid in list(left):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            left.discard(pid)
    time.sleep(0.005)
print("secondaries gone %.0f ms after the primary's kill" % ((time.monotonic() - t0) * 1000))
sys.exit(1 if left else 0)
PY
for k in 0 1; do
	rc=0
	wait "${TB_SECONDARY_PIDS[$k]}" || rc=$?
	TB_SECONDARY_PIDS[$k]=
	[ "$rc" = 3 ] || tb_die "secondary $k exited with $rc after the primary died, want 3"
	grep -q 'the primary closed the control connection: exiting (a DPDK secondary cannot outlive its primary; exit code 3)' \
		"$TB_DIR/secondary$k.log" || tb_die "secondary $k did not say why it exited"
done
wait "$TB_PRIMARY_PID" 2>/dev/null || true
TB_PRIMARY_PID=
echo "lifecycle: ok"
