#!/usr/bin/env bash
# The control socket under hostile clients: malformed JSON, unknown
# commands, wrong argument types, a line over the 64 KiB limit, wrong
# registration arguments (lcore, build version, contract version), a
# client that connects and never sends, one that disconnects in the
# middle of its replies, 1000 pipelined requests on one connection, and
# 100 clients at once, a client that half-closes after its requests
# (forwarded or not), 128 idle clients holding every slot (a few more
# connections are then served once, on probation). Each gets its exact
# error reply (or all its replies, in order), and the primary keeps
# serving everyone and
# answering pings. Then the socket's permissions: mode 0660, the
# configured group on the socket and on the directory the primary made
# for it (0750), and a stale socket left by a killed primary replaced.
#
# usage: control.sh BIN_DIR   (as root, hugepages reserved)
set -euo pipefail
YS_BIN=$(realpath "$1")
HERE=$(dirname "$(realpath "$0")")
# shellcheck source=../lib/testbed.sh
. "$HERE/../lib/testbed.sh"
trap tb_cleanup EXIT

tb_setup
tb_write_config 1
# The socket in a directory the primary must create, owned by a group.
sed -i "s|\"socket\": \"$TB_SOCK\"|\"socket\": \"$TB_DIR/run/sub/ys.sock\", \"group\": \"nogroup\"|" \
	"$TB_DIR/ys.json"
TB_SOCK=$TB_DIR/run/sub/ys.sock
tb_start_primary
tb_start_secondary 0
version=$("$YS_BIN/ysctl" -s "$TB_SOCK" --json status | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["primary"]["version"])')

contract=$(sed -n 's/^#define YS_CONTRACT_VERSION \([0-9]*\)u$/\1/p' \
	"$HERE/../../common/ys_contract.h")
timeout 120 python3 - "$TB_SOCK" "$contract" "$version" <<'PY'
import json, socket, sys, time

path = sys.argv[1]
contract = int(sys.argv[2])
version = sys.argv[3]

def connect():
    # A full listen backlog makes a unix-socket connect() fail with EAGAIN
    # (Python's timeout mode is non-blocking underneath); like ysctl, retry
    # until a deadline instead of failing while the primary catches up.
    deadline = time.monotonic() + 20
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(20)
        try:
            s.connect(path)
            return s, s.makefile("rb")
        except BlockingIOError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)

def call(raw):
    s, f = connect()
    s.sendall(raw)
    line = f.readline()
    s.close()
    return json.loads(line)

def expect_error(raw, code, message):
    r = call(raw)
    assert r["ok"] is False, r
    assert r["error"]["code"] == code, r
    assert r["error"]["message"] == message, r
    return r

expect_error(b"this is not json\n", "bad_request",
             "invalid JSON at column 4: '[' or '{' expected near 'this'")
expect_error(b'{"id": 3, "cmd": "no.such"}\n', "unknown_command",
             "unknown command 'no.such'")
r = expect_error(b'{"id": 4, "cmd": "status", "args": 1}\n', "bad_request",
                 '"args" must be an object')
expect_error(b'{"id": 5, "cmd": "secondary.register", "args": {"id": 0}}\n',
             "invalid_argument", "id, pid, lcore and contract must be integers")
expect_error(b'{"id": 6, "cmd": "secondary.register", "args": {"id": 0, '
             b'"pid": 1, "lcore": 5, "contract": %d, "version": "%s"}}\n' % (contract, version.encode()), "invalid_argument",
             "secondary 0 must run on lcore 1, not 5 (mempool caches are per lcore id)")
expect_error(b'{"id": 7, "cmd": "secondary.register", "args": {"id": 0, '
             b'"pid": 1, "lcore": 1, "contract": %d, "version": "%s"}}\n' % (contract, version.encode()), "invalid_argument",
             "secondary 0 is already running (pid %d)" %
             call(b'{"id":1,"cmd":"status"}\n')["result"]["secondaries"][0]["pid"])

reg = {"id": 0, "pid": 1, "lcore": 1, "contract": contract}
expect_error(json.dumps({"id": 8, "cmd": "secondary.register",
                         "args": dict(reg, version="0.0.0-other")}).encode() + b"\n",
             "invalid_argument",
             "secondary version 0.0.0-other differs from the primary's %s: "
             "run binaries of one build" % version)
expect_error(json.dumps({"id": 8, "cmd": "secondary.register",
                         "args": dict(reg, version=version, contract=contract + 1)}).encode() + b"\n",
             "invalid_argument",
             "contract version %d differs from the primary's %d" % (contract + 1, contract))

# Wrong argument types, for each kind of command.
for cmd, args, message in [
        ("stats", {"secondary": "0"}, "secondary must be an integer in 0..0"),
        ("arp", {"secondary": 3}, "secondary must be an integer in 0..0"),
        ("routes", {"timeout_ms": 0}, "timeout_ms must be an integer in 1..60000"),
        ("log.level", {"level": 3}, "level must be one of err, warn, info, debug"),
        ("drain", {"deadline_ms": -1}, "deadline_ms must be an integer in 0..3600000"),
        ("config.validate", {}, "file is required"),
        ("config.validate", {"file": "relative.json"}, "file must be an absolute path"),
        ("config.reload", {"file": 7}, "file must be an absolute path")]:
    expect_error(json.dumps({"id": 9, "cmd": cmd, "args": args}).encode() + b"\n",
                 "invalid_argument", message)
# A forwarded command's own argument check happens in the secondary.
r = call(b'{"id": 10, "cmd": "conns", "args": {"limit": "all"}}\n')
assert r["ok"] and r["result"]["secondaries"] == [
    {"id": 0, "ok": False, "error": {"code": "invalid_argument",
                                     "message": "limit must be an integer >= 0"}}], r
# Not a regular file: refused without blocking the primary on it.
expect_error(b'{"id": 11, "cmd": "config.validate", "args": {"file": "/dev/zero"}}\n',
             "config_invalid", "/dev/zero: not a regular file")

# A client that connects and never sends: everyone else is still served.
silent, _ = connect()
assert call(b'{"id": 12, "cmd": "status"}\n')["ok"]

# A client that disconnects in the middle of its replies.
s, f = connect()
s.sendall(b"".join(b'{"id": %d, "cmd": "status"}\n' % i for i in range(200)))
f.readline()
s.close()
assert call(b'{"id": 13, "cmd": "status"}\n')["ok"]
silent.close()

# A line over the limit: an error reply, then the server closes.
s, f = connect()
try:
    s.sendall(b"{" + b" " * (70 * 1024))
except OSError:
    pass
r = json.loads(f.readline())
assert r["error"] == {"code": "bad_request", "message": "request line too long"}, r
assert f.readline() == b"", "connection must be closed after an oversized line"
s.close()

# 1000 pipelined requests on one connection: every reply, in order.
s, f = connect()
s.sendall(b"".join(b'{"id": %d, "cmd": "status"}\n' % i for i in range(1000)))
for i in range(1000):
    r = json.loads(f.readline())
    assert r["id"] == i and r["ok"] is True, (i, r)
s.close()

# 100 clients at once, all connected before any sends.
conns = [connect() for _ in range(100)]
for i, (s, _) in enumerate(conns):
    s.sendall(b'{"id": %d, "cmd": "status"}\n' % i)
for i, (s, f) in enumerate(conns):
    r = json.loads(f.readline())
    assert r["id"] == i and r["ok"] is True, (i, r)
    f.close()  # the file object holds the socket open too
    s.close()
del conns

# Half-closed clients still get every reply, a forwarded one included.
s, f = connect()
s.sendall(b'{"id": 21, "cmd": "arp"}\n{"id": 22, "cmd": "status"}\n')
s.shutdown(socket.SHUT_WR)
r1, r2 = json.loads(f.readline()), json.loads(f.readline())
assert r1["id"] == 21 and r1["ok"] and r1["result"]["secondaries"][0]["ok"], r1
assert r2["id"] == 22 and r2["ok"], r2
assert f.readline() == b"", "then the server closes"
s.close()

# 128 idle operators hold every slot: a few more connections are taken
# on probation, each for one status (or a secondary's registration).
# First, the connections above must all be gone (the server frees each
# when it reads its end): only the one asking remains.
deadline = time.monotonic() + 10
while (n := call(b'{"id": 20, "cmd": "status"}\n')["result"]["primary"]["control_clients"]) != 1:
    assert time.monotonic() < deadline, "%d earlier clients still counted" % (n - 1)
    time.sleep(0.05)
idle = [connect() for _ in range(128)]
assert call(b'{"id": 23, "cmd": "status"}\n')["ok"]
expect_error(b'{"id": 24, "cmd": "stats"}\n', "unavailable",
             "128 control clients are connected: this connection may only "
             "ask for status or register a secondary")
for s, f in idle:
    f.close()
    s.close()
del idle
deadline = time.monotonic() + 10
while not call(b'{"id": 25, "cmd": "stats"}\n')["ok"]:
    assert time.monotonic() < deadline, "slots not freed"
    time.sleep(0.05)

st = call(b'{"id": 9, "cmd": "status"}\n')["result"]
assert st["secondaries"][0]["state"] == "running"
assert st["secondaries"][0]["registrations"] == 1
print("control: all hostile clients answered")
PY

out=$(tb_in_ns ping -n -c 3 -i 0.2 -W 2 "$TB_STACK_ADDR") ||
	{ echo "$out" >&2; tb_die "pings fail after the control tests"; }

# -- permissions ------------------------------------------------------------
[ "$(stat -c '%a %G' "$TB_SOCK")" = "660 nogroup" ] ||
	tb_die "socket: $(stat -c '%a %G' "$TB_SOCK"), want 660 nogroup"
for d in "$TB_DIR/run" "$TB_DIR/run/sub"; do
	[ "$(stat -c '%a %G' "$d")" = "750 nogroup" ] ||
		tb_die "$d: $(stat -c '%a %G' "$d"), want 750 nogroup"
done

# -- a stale socket from a killed primary is replaced ---------------------------
tb_stop_pid "${TB_SECONDARY_PIDS[0]}"
TB_SECONDARY_PIDS=()
primary_pid=$("$YS_BIN/ysctl" -s "$TB_SOCK" --json status | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["primary"]["pid"])')
kill -KILL "$primary_pid" # the process itself, not its `timeout` wrapper
wait "$TB_PRIMARY_PID" 2>/dev/null || true
TB_PRIMARY_PID=
[ -S "$TB_SOCK" ] || tb_die "the killed primary's socket should still be there"
rm -rf "/var/run/dpdk/$TB_PREFIX"
rm -f /dev/hugepages/"$TB_PREFIX"map_*
tb_start_primary
grep -q "replacing stale control socket $TB_SOCK" "$TB_DIR/primary.log" ||
	tb_die "the stale socket was not reported as replaced"
tb_ysctl status >/dev/null || tb_die "new primary does not answer"
echo "control: ok"
