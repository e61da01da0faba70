#!/usr/bin/env bash
# The control socket under hostile clients: malformed JSON, unknown
# commands, a line over the 64 KiB limit, wrong registration arguments,
# 1000 pipelined requests on one connection, and 100 clients at once.
# Each gets its exact error reply (or all its replies, in order), and the
# primary keeps serving everyone and answering pings.
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
tb_start_primary
tb_start_secondary 0

contract=$(sed -n 's/^#define YS_CONTRACT_VERSION \([0-9]*\)u$/\1/p' \
	"$HERE/../../common/ys_contract.h")
timeout 120 python3 - "$TB_SOCK" "$contract" <<'PY'
import json, socket, sys, time

path = sys.argv[1]
contract = int(sys.argv[2])

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
             b'"pid": 1, "lcore": 5, "contract": %d}}\n' % contract, "invalid_argument",
             "secondary 0 must run on lcore 1, not 5 (mempool caches are per lcore id)")
expect_error(b'{"id": 7, "cmd": "secondary.register", "args": {"id": 0, '
             b'"pid": 1, "lcore": 1, "contract": %d}}\n' % contract, "invalid_argument",
             "secondary 0 is already running (pid %d)" %
             call(b'{"id":1,"cmd":"status"}\n')["result"]["secondaries"][0]["pid"])

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
    s.close()

st = call(b'{"id": 9, "cmd": "status"}\n')["result"]
assert st["secondaries"][0]["state"] == "running"
assert st["secondaries"][0]["registrations"] == 1
print("control: all hostile clients answered")
PY

out=$(tb_in_ns ping -n -c 3 -i 0.2 -W 2 "$TB_STACK_ADDR") ||
	{ echo "$out" >&2; tb_die "pings fail after the control tests"; }
echo "control: ok"
