# shellcheck shell=bash
# Throw-away network-namespace testbed for yastack (source this file).
#
# Follows ../shared/TESTBED.md: traffic only inside a namespace this
# script creates, 198.18.0.0/15 addresses, the DPDK-side veth guarded by
# an nftables ingress drop chain so the host's stack never sees the
# traffic, namespace-side offloads off, every process under `timeout`,
# and one trap that removes everything on every exit path.
#
# Names are unique per run: TB_TAG (default: derived from $$) makes the
# namespace ys<tag>, the veths ys<tag>a (root, DPDK) / ys<tag>b
# (namespace), the EAL file prefix ys<tag>, and the work dir.

TB_TAG=${TB_TAG:-$(printf '%05d' $(($$ % 100000)))}
TB_NS=ys${TB_TAG}
TB_VETH_DPDK=ys${TB_TAG}a
TB_VETH_PEER=ys${TB_TAG}b
TB_PREFIX=ys${TB_TAG}
TB_NFT_TABLE=ys${TB_TAG}
TB_DIR=${TB_DIR:-$(mktemp -d /tmp/ys-testbed.XXXXXX)}
TB_SOCK=$TB_DIR/ys.sock
TB_PEER_ADDR=198.18.0.1
TB_STACK_ADDR=198.18.0.2
TB_PROC_TIMEOUT=${TB_PROC_TIMEOUT:-900}
TB_PRIMARY_PID=
TB_SECONDARY_PIDS=()
TB_CREATED=0

tb_log() { echo "testbed: $*" >&2; }
tb_die() {
	echo "testbed: FAIL: $*" >&2
	exit 1
}

# Poll `cmd...` until it succeeds or `secs` pass. Never a fixed sleep.
tb_wait_for() {
	local secs=$1
	shift
	local deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
}

tb_in_ns() { ip netns exec "$TB_NS" "$@"; }

# Create namespace, veth pair and guard. Extra peer addresses: $@ (CIDR).
tb_setup() {
	TB_CREATED=1
	ip netns add "$TB_NS"
	ip link add "$TB_VETH_DPDK" type veth peer name "$TB_VETH_PEER"
	ip link set "$TB_VETH_PEER" netns "$TB_NS"

	# Root side: DPDK's af_packet socket only. No address, no IPv6,
	# no forwarding, and an ingress drop so the host ignores the frames
	# (af_packet's tap runs before ingress and still sees them).
	sysctl -qw "net.ipv6.conf.$TB_VETH_DPDK.disable_ipv6=1"
	sysctl -qw "net.ipv4.conf.$TB_VETH_DPDK.forwarding=0"
	nft -f - <<NFT
table netdev $TB_NFT_TABLE {
	chain in {
		type filter hook ingress device $TB_VETH_DPDK priority 0; policy drop;
	}
}
NFT
	ip link set "$TB_VETH_DPDK" up

	# Namespace side: the Linux peer.
	tb_in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	tb_in_ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	tb_in_ns ip link set lo up
	tb_in_ns ip addr add "$TB_PEER_ADDR/24" dev "$TB_VETH_PEER"
	local a
	TB_EXTRA_ADDRS="$*"
	for a in "$@"; do
		tb_in_ns ip addr add "$a" dev "$TB_VETH_PEER"
	done
	tb_in_ns ethtool -K "$TB_VETH_PEER" tx off tso off gso off gro off \
		>/dev/null 2>&1 || true
	tb_in_ns ip link set "$TB_VETH_PEER" up
}

# Write the yastack config for this testbed to $TB_DIR/ys.json.
# TB_PORT_EXTRA, when set, is JSON members added to the port object
# (e.g. '"impair": {"seed": 7, "rx": {"drop": 5}}'); TB_SEC_EXTRA the
# same for the secondaries object (e.g. '"failover": "rebalance"').
# TB_TOP_EXTRA the same for the top-level object (e.g.
# '"diag": {"udp_echo": 7}').
# TB_METRICS is admin.metrics: "off" unless a test sets it, so that no
# test binds a TCP port it did not choose (the default 127.0.0.1:9180
# would collide between tests and with the host); metrics.sh asks the
# kernel for a free loopback port (tb_free_port) and sets it.
tb_write_config() {
	local secondaries=${1:-2}
	cat >"$TB_DIR/ys.json" <<JSON
{
  "eal": { "file_prefix": "$TB_PREFIX", "memory_mb": 256, "mbufs": 0,
           "args": ["--log-level=lib.eal:notice", "--base-virtaddr=0x500000000000"] },
  "ports": [ { "name": "p0",
               "device": "${TB_PORT_DEVICE:-net_af_packet_$TB_TAG,iface=$TB_VETH_DPDK,framecnt=4096,qpairs=1}"${TB_PORT_EXTRA:+,
               $TB_PORT_EXTRA} } ],
  "secondaries": { "count": $secondaries${TB_SEC_EXTRA:+, $TB_SEC_EXTRA} },
  "interfaces": [ { "port": "p0", "address": "$TB_STACK_ADDR/24",
                    "gateway": "$TB_PEER_ADDR" } ],
  "admin": { "metrics": "${TB_METRICS:-off}" },${TB_TOP_EXTRA:+
  $TB_TOP_EXTRA,}
  "control": { "socket": "$TB_SOCK" }
}
JSON
}

# A TCP port on 127.0.0.1 that nothing listens on now: the kernel's
# choice for port 0, so parallel runs never pick the same one.
tb_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

tb_ysctl() { "$YS_BIN/ysctl" -s "$TB_SOCK" "$@"; }

# A net_tap port (TB_PORT_DEVICE="net_tap_...,iface=NAME") is created by
# the primary in the root namespace; move it into the test's namespace
# as the Linux peer's interface (no IPv6, offloads off), so its traffic
# never touches the host's stack. Deleting the namespace deletes it.
tb_move_tap_to_ns() {
	local ifc=$1
	ip link set "$ifc" netns "$TB_NS"
	tb_in_ns sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1"
	# net_tap gives the kernel side the port's own MAC: a peer needs its
	# own (a stack ignores ARP from its own MAC). Locally administered.
	tb_in_ns ip link set "$ifc" down
	tb_in_ns ip link set "$ifc" address "02:7e:$(printf '%02x:%02x:%02x:%02x' \
		$((RANDOM % 256)) $((RANDOM % 256)) $((RANDOM % 256)) $((RANDOM % 256)))"
	tb_in_ns ip link set "$TB_VETH_PEER" down
	tb_in_ns ip addr flush dev "$TB_VETH_PEER"
	tb_in_ns ip addr add "$TB_PEER_ADDR/24" dev "$ifc"
	local a
	for a in $TB_EXTRA_ADDRS; do
		tb_in_ns ip addr add "$a" dev "$ifc"
	done
	tb_in_ns ethtool -K "$ifc" tx off tso off gso off gro off \
		>/dev/null 2>&1 || true
	tb_in_ns ip link set "$ifc" up
}

tb_start_primary() {
	timeout --signal=TERM --kill-after=10 "$TB_PROC_TIMEOUT" \
		"$YS_BIN/ys-primary" -c "$TB_DIR/ys.json" \
		>>"$TB_DIR/primary.log" 2>&1 &
	TB_PRIMARY_PID=$!
	tb_wait_for 30 tb_ysctl status ||
		{ cat "$TB_DIR/primary.log" >&2; tb_die "primary did not come up"; }
}

tb_secondary_state() {
	tb_ysctl --json status | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["secondaries"]['"$1"']["state"])'
}

tb_secondary_running() { [ "$(tb_secondary_state "$1")" = running ]; }

tb_start_secondary() {
	local k=$1
	timeout --signal=TERM --kill-after=10 "$TB_PROC_TIMEOUT" \
		"$YS_BIN/ys-secondary" -c "$TB_DIR/ys.json" -i "$k" \
		>>"$TB_DIR/secondary$k.log" 2>&1 &
	TB_SECONDARY_PIDS[$k]=$!
	tb_wait_for 30 tb_secondary_running "$k" ||
		{ cat "$TB_DIR/secondary$k.log" >&2; tb_die "secondary $k did not register"; }
}

# SIGTERM one process we started (by PID) and wait for it; its exit
# status lands in TB_STOP_RC (not printed: `wait` only works in the shell
# that started the process, never in a $(...) subshell). SIGKILL after
# `secs`.
TB_STOP_RC=
tb_stop_pid() {
	local pid=$1 secs=${2:-15}
	TB_STOP_RC=0
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	local deadline=$((SECONDS + secs))
	while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || TB_STOP_RC=$?
}

# Secondaries first, then the primary (TESTBED.md).
tb_stop_all() {
	local k
	for k in "${!TB_SECONDARY_PIDS[@]}"; do
		tb_stop_pid "${TB_SECONDARY_PIDS[$k]}"
		TB_SECONDARY_PIDS[$k]=
	done
	tb_stop_pid "$TB_PRIMARY_PID"
	TB_PRIMARY_PID=
}

tb_cleanup() {
	local rc=$?
	set +e # every step below must run, whatever fails
	tb_stop_all
	if [ "$TB_CREATED" = 1 ]; then
		ip netns del "$TB_NS" 2>/dev/null || true
		ip link del "$TB_VETH_DPDK" 2>/dev/null || true
		nft delete table netdev "$TB_NFT_TABLE" 2>/dev/null || true
	fi
	rm -rf "/var/run/dpdk/$TB_PREFIX"
	rm -f /dev/hugepages/"$TB_PREFIX"map_* 2>/dev/null || true
	if [ $rc -ne 0 ]; then
		local f
		for f in "$TB_DIR"/*.log; do
			[ -f "$f" ] || continue
			echo "---- $f" >&2
			tail -n 40 "$f" >&2
		done
	fi
	rm -rf "$TB_DIR"
	exit $rc
}
