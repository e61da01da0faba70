#!/usr/bin/env bash
# ysctl against a fake primary (ysctl_fake.py, a python unix-socket server
# with canned replies shaped as docs/control.md says): every command's
# table and --json output, the args each sends (-i, timeout_ms, absolute
# config paths, conns filters, deadline_ms), usage errors (exit 2), an
# error reply and failed secondaries (exit 1), no daemon or no reply
# (exit 3), drain's wait, top's rates, --count and SIGINT. No DPDK, no
# namespace: the fake lives in a temporary directory removed on exit.
#
# usage: ysctl_fake.sh BIN_DIR
set -euo pipefail
YS_BIN=$(realpath "$1")
HERE=$(dirname "$(realpath "$0")")
exec timeout 300 python3 "$HERE/ysctl_fake.py" "$YS_BIN/ysctl"
