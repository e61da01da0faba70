#!/usr/bin/env bash
# The systemd units and deploy scripts, without systemd running them (PID 1
# here is not systemd) and without touching the host:
#  - deploy/install.sh stages binaries, the hugepage helper, the units and
#    the docs into a DESTDIR; a second run keeps an edited ys.json; another
#    prefix is written into the units;
#  - `systemd-analyze verify` accepts ys-primary.service,
#    ys-secondary@0.service and yastack.target with no output at all (the
#    staged units, their paths pointed at the staged binaries, since verify
#    checks that every Exec*= command exists), and rejects a broken copy
#    (so a silent verify means something);
#  - the settings that matter: the hugepage helper runs before the primary,
#    ExecStop drains the secondary within TimeoutStopSec, Restart=on-failure
#    (exit 3 restarts), ordering and binding to the primary, the runtime
#    directory, no hardening option that breaks DPDK;
#  - ys-hugepages in --dry-run/--check against the host, and for real
#    against a fake /sys and /proc: reserves, never lowers, refuses bad input.
#
# usage: systemd_units.sh BIN_DIR
set -euo pipefail
BIN=$(realpath "$1")
SRC=$(cd "$(dirname "$(realpath "$0")")/../.." && pwd)
T=$(mktemp -d /tmp/ys-units.XXXXXX)
trap 'rm -rf "$T"' EXIT

fail() {
	echo "systemd_units: FAIL: $*" >&2
	exit 1
}
checks=0
ok() { checks=$((checks + 1)); }

command -v systemd-analyze >/dev/null ||
	fail "systemd-analyze not installed (deploy/setup-host.sh installs package systemd)"

# -- install.sh into a staging root -----------------------------------------
STAGE=$T/stage
DESTDIR=$STAGE "$SRC/deploy/install.sh" --bindir "$BIN" >"$T/install.log" ||
	{ cat "$T/install.log" >&2; fail "install.sh failed"; }
UNITS=$STAGE/usr/lib/systemd/system
for f in usr/bin/ys-primary usr/bin/ys-secondary usr/bin/ysctl \
	usr/lib/yastack/ys-hugepages; do
	[ -x "$STAGE/$f" ] || fail "install.sh: /$f missing or not executable"
done
for f in ys-primary.service ys-secondary@.service yastack.target; do
	cmp -s "$SRC/deploy/systemd/$f" "$UNITS/$f" ||
		fail "install.sh: $f differs from deploy/systemd/$f with --prefix /usr"
done
for f in README.md config.md ys.example.json; do
	[ -f "$STAGE/usr/share/doc/yastack/$f" ] || fail "install.sh: doc $f missing"
done
cmp -s "$SRC/conf/ys.example.json" "$STAGE/etc/yastack/ys.json" ||
	fail "install.sh: /etc/yastack/ys.json is not the example config"
echo '{"edited": true}' >"$STAGE/etc/yastack/ys.json"
DESTDIR=$STAGE "$SRC/deploy/install.sh" --bindir "$BIN" >>"$T/install.log"
[ "$(cat "$STAGE/etc/yastack/ys.json")" = '{"edited": true}' ] ||
	fail "install.sh overwrote an existing /etc/yastack/ys.json"
DESTDIR=$T/opt "$SRC/deploy/install.sh" --bindir "$BIN" --prefix /opt/ys >>"$T/install.log"
OPT_UNITS=$T/opt/opt/ys/lib/systemd/system
if grep -n '/usr/bin/\|/usr/lib/yastack/' "$OPT_UNITS"/*; then
	fail "install.sh --prefix /opt/ys: units still name /usr paths"
fi
grep -q '^ExecStart=/opt/ys/bin/ys-primary ' "$OPT_UNITS/ys-primary.service" ||
	fail "install.sh --prefix /opt/ys: ys-primary path not rewritten"
grep -q '/opt/ys/bin/ysctl ' "$OPT_UNITS/ys-secondary@.service" ||
	fail "install.sh --prefix /opt/ys: ysctl path not rewritten"
ok

# -- systemd-analyze verify ---------------------------------------------------
# Copies whose absolute paths lead into the staging root; everything else is
# the unit as shipped.
VERIFY=$T/verify
mkdir -p "$VERIFY"
for f in ys-primary.service ys-secondary@.service yastack.target; do
	sed -e "s|/usr/bin/|$STAGE/usr/bin/|g" \
		-e "s|/usr/lib/yastack/|$STAGE/usr/lib/yastack/|g" \
		"$UNITS/$f" >"$VERIFY/$f"
done
# verify prints warnings (unknown keys, bad values) and still exits 0, so
# any output at all fails.
verify() {
	local out rc=0
	out=$(cd "$VERIFY" && systemd-analyze verify --man=no "$@" 2>&1) || rc=$?
	if [ -n "$out" ]; then printf '%s\n' "$out"; fi >"$T/verify.out"
	return "$rc"
}
verify "$VERIFY/ys-primary.service" "$VERIFY/ys-secondary@0.service" \
	"$VERIFY/ys-secondary@7.service" "$VERIFY/yastack.target" ||
	{ cat "$T/verify.out" >&2; fail "systemd-analyze verify failed"; }
[ ! -s "$T/verify.out" ] ||
	{ cat "$T/verify.out" >&2; fail "systemd-analyze verify printed warnings"; }
ok

# The same check must catch a missing binary and an unknown key.
sed -e "s|$STAGE/usr/bin/ys-secondary|$STAGE/usr/bin/ys-missing|" \
	"$VERIFY/ys-secondary@.service" >"$VERIFY/ys-broken@.service"
verify "$VERIFY/ys-broken@0.service" && fail "verify accepted a missing ExecStart binary"
grep -q 'ys-missing' "$T/verify.out" || fail "verify did not name the missing binary"
{ cat "$VERIFY/ys-primary.service"; echo 'Bogus=1'; } >"$VERIFY/ys-bogus.service"
verify "$VERIFY/ys-bogus.service" || true
grep -q "Unknown key 'Bogus'" "$T/verify.out" || fail "verify did not report an unknown key"
rm -f "$VERIFY/ys-broken@.service" "$VERIFY/ys-bogus.service"
ok

# -- settings -------------------------------------------------------------------
# prop FILE SECTION KEY: every value of KEY in [SECTION], one per line
# (values of repeated keys, and the space-separated words of list keys,
# as written).
prop() {
	awk -v sec="[$2]" -v key="$3" '
		/^[ \t]*[#;]/ || /^[ \t]*$/ { next }
		/^\[/ { cur = $0; next }
		cur == sec {
			i = index($0, "=")
			if (i && substr($0, 1, i - 1) == key) print substr($0, i + 1)
		}' "$1"
}
has() { # has FILE SECTION KEY VALUE: exact value present
	prop "$1" "$2" "$3" | grep -qxF -- "$4" ||
		fail "$(basename "$1"): [$2] $3=$4 missing (have: $(prop "$1" "$2" "$3" | tr '\n' ' '))"
}
has_word() { # has_word FILE SECTION KEY WORD: WORD in a space-separated list
	prop "$1" "$2" "$3" | tr ' ' '\n' | grep -qxF -- "$4" ||
		fail "$(basename "$1"): [$2] $3 does not list $4"
}
seconds() { # a systemd time span in whole seconds: 45, 45s, 1min, 1min 30s
	local v=$1 total=0 n u
	v=${v// /}
	while [ -n "$v" ]; do
		n=${v%%[!0-9]*}
		v=${v#"$n"}
		u=${v%%[0-9]*}
		v=${v#"$u"}
		[ -n "$n" ] || fail "cannot read time span '$1'"
		case "$u" in
		'' | s | sec) total=$((total + n)) ;;
		m | min) total=$((total + n * 60)) ;;
		*) fail "cannot read time span '$1'" ;;
		esac
	done
	echo "$total"
}

P=$UNITS/ys-primary.service
S=$UNITS/ys-secondary@.service
G=$UNITS/yastack.target

# Primary: hugepages before the daemon, restart policy, runtime directory.
prop "$P" Service ExecStartPre | grep -qE '^[-+!@:]*/usr/lib/yastack/ys-hugepages( |$)' ||
	fail "ys-primary: no ExecStartPre running /usr/lib/yastack/ys-hugepages"
has "$P" Service ExecStart '/usr/bin/ys-primary -c /etc/yastack/ys.json'
has "$P" Service Restart on-failure
has "$P" Service RuntimeDirectory yastack
has "$P" Service RuntimeDirectoryMode 0750
prop "$P" Service RuntimeDirectoryPreserve | grep -qxE 'yes|restart' ||
	fail "ys-primary: RuntimeDirectoryPreserve is not yes or restart"
has "$P" Service LimitMEMLOCK infinity
[ -n "$(prop "$P" Service RestartSec)" ] || fail "ys-primary: no RestartSec"
[ -n "$(prop "$P" Unit StartLimitBurst)" ] || fail "ys-primary: no StartLimitBurst"
[ -n "$(prop "$P" Unit StartLimitIntervalSec)" ] || fail "ys-primary: no StartLimitIntervalSec"
ok

# Secondary: drain on stop with time for it, restart after exit 3, ordering.
has "$S" Service ExecStart '/usr/bin/ys-secondary -c /etc/yastack/ys.json -i %i --wait 60'
prop "$S" Service ExecStop | grep -qxE -- '-?/usr/bin/ysctl drain -i %i' ||
	fail "ys-secondary@: ExecStop is not 'ysctl drain -i %i'"
stop_s=$(seconds "$(prop "$S" Service TimeoutStopSec)")
# 30 s default drain deadline + ysctl's 5 s grace past it.
[ "$stop_s" -gt 35 ] || fail "ys-secondary@: TimeoutStopSec ${stop_s}s does not cover a 30 s drain"
has "$S" Service Restart on-failure
if prop "$S" Service RestartPreventExitStatus | tr ' ' '\n' | grep -qx 3; then
	fail "ys-secondary@: exit 3 (primary gone) must be restarted"
fi
if prop "$S" Service SuccessExitStatus | tr ' ' '\n' | grep -qx 3; then
	fail "ys-secondary@: exit 3 counted as success would not be restarted"
fi
[ -n "$(prop "$S" Service RestartSec)" ] || fail "ys-secondary@: no RestartSec"
[ -n "$(prop "$S" Unit StartLimitBurst)" ] || fail "ys-secondary@: no StartLimitBurst"
has_word "$S" Unit After ys-primary.service
has_word "$S" Unit PartOf ys-primary.service
prop "$S" Unit BindsTo | tr ' ' '\n' | grep -qx ys-primary.service ||
	prop "$S" Unit Requires | tr ' ' '\n' | grep -qx ys-primary.service ||
	fail "ys-secondary@: neither BindsTo= nor Requires= ys-primary.service"
has "$S" Service LimitMEMLOCK infinity
# The primary must not be ordered after its secondaries (a cycle).
if prop "$P" Unit After | grep -q ys-secondary; then
	fail "ys-primary: ordered After= a secondary"
fi
has_word "$G" Unit Wants ys-primary.service
has_word "$P" Install WantedBy yastack.target
has_word "$S" Install WantedBy yastack.target
ok

# Hardening that would break DPDK (/dev/hugepages, /dev/vfio, /sys/bus/pci,
# JIT-free but W+X mappings in some PMDs) is absent from both.
for u in "$P" "$S"; do
	for k in PrivateDevices MemoryDenyWriteExecute DevicePolicy DeviceAllow \
		ProtectClock ProcSubset PrivateNetwork PrivateUsers; do
		[ -z "$(prop "$u" Service "$k")" ] ||
			fail "$(basename "$u"): $k= is set: it breaks DPDK"
	done
done
ok

# -- ys-hugepages -----------------------------------------------------------------
H=$STAGE/usr/lib/yastack/ys-hugepages
# Against the host: read only. Whatever the host has, a dry run succeeds.
"$H" --dry-run >"$T/h.out" 2>&1 || { cat "$T/h.out" >&2; fail "ys-hugepages --dry-run failed on this host"; }

# Against a fake /sys and /proc: the real code path, the real arithmetic.
F=$T/fake
POOL=$F/sys/kernel/mm/hugepages/hugepages-2048kB
mkdir -p "$POOL" "$F/sys/kernel/mm/hugepages/hugepages-1048576kB" "$F/proc"
echo 'Hugepagesize:       2048 kB' >"$F/proc/meminfo"
echo 'nodev /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0' >"$F/proc/mounts"
echo 10 >"$POOL/nr_hugepages"
echo 0 >"$F/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"
hp() { # hp WANT_MB [ARGS...]: run against the fake root, output in h.out
	local mb=$1
	shift
	YS_HUGEPAGES_ROOT=$F YS_HUGEPAGES_MB=$mb YS_HUGEPAGE_SIZE=${YS_HP_SIZE:-2M} \
		"$H" "$@" >"$T/h.out" 2>&1
}
pages() { cat "$POOL/nr_hugepages"; }
expect_rc() { # expect_rc RC WHAT COMMAND...
	local want=$1 what=$2 rc=0
	shift 2
	"$@" || rc=$?
	[ "$rc" = "$want" ] || { cat "$T/h.out" >&2; fail "ys-hugepages $what: exit $rc, want $want"; }
}

expect_rc 0 "--dry-run short" hp 100 --dry-run
grep -q 'would raise .* from 10 to 50 ' "$T/h.out" || fail "ys-hugepages --dry-run: wrong plan"
[ "$(pages)" = 10 ] || fail "ys-hugepages --dry-run changed nr_hugepages"
expect_rc 1 "--check short" hp 100 --check
[ "$(pages)" = 10 ] || fail "ys-hugepages --check changed nr_hugepages"
expect_rc 0 "reserve" hp 100
[ "$(pages)" = 50 ] || fail "ys-hugepages: nr_hugepages $(pages), want 50 for 100 MiB"
expect_rc 0 "--check ready" hp 100 --check
expect_rc 0 "odd size" hp 101
[ "$(pages)" = 51 ] || fail "ys-hugepages: 101 MiB must round up to 51 pages, got $(pages)"
expect_rc 0 "lower request" hp 2
[ "$(pages)" = 51 ] || fail "ys-hugepages lowered the reservation to $(pages)"
expect_rc 0 "second run" hp 101
[ "$(pages)" = 51 ] || fail "ys-hugepages not idempotent"
# 1G pages: none mounted with that size, so apply would mount; dry run says so.
YS_HP_SIZE=1G expect_rc 0 "1G --dry-run" hp 2048 --dry-run
grep -q 'would raise .* from 0 to 2 ' "$T/h.out" || fail "ys-hugepages 1G: wrong plan"
grep -q 'would mount hugetlbfs (pagesize=1G) at /dev/hugepages1G' "$T/h.out" ||
	fail "ys-hugepages 1G: no mount planned"
# A fake root never leads to a real mount.
YS_HP_SIZE=1G expect_rc 1 "1G with a fake root" hp 2048
grep -q 'YS_HUGEPAGES_ROOT is set: not mounting' "$T/h.out" || fail "ys-hugepages mounted under a fake root"
# Refusals: bad input (2), missing page size or node, unreadable count (1).
expect_rc 2 "bad MB" hp 12x
expect_rc 2 "zero MB" hp 0
YS_HP_SIZE=4M expect_rc 2 "bad size" hp 100
expect_rc 2 "bad argument" hp 100 --bogus
YS_HUGEPAGES_NODE=3 expect_rc 1 "missing node" hp 100
grep -q 'no 2M hugepages on NUMA node 3' "$T/h.out" || fail "ys-hugepages: missing node not named"
rm "$POOL/nr_hugepages"
mkdir "$POOL/nr_hugepages"
expect_rc 1 "unreadable count" hp 100
ok

echo "systemd_units: ok ($checks groups of checks)"
