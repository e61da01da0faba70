#!/usr/bin/env bash
# Reserves hugepages and mounts hugetlbfs for yastack. Installed as
# /usr/lib/yastack/ys-hugepages; ys-primary.service runs it before the
# primary starts (ExecStartPre). Idempotent; never lowers a reservation
# (other programs may use the pages).
#
#   ys-hugepages [--dry-run | --check]
#     --dry-run  say what would be done, change nothing (exit 0 unless the
#                request itself is wrong)
#     --check    change nothing; exit 0 if the host is ready, 1 if not
#
# Environment (ys-primary.service sets the defaults; /etc/default/yastack
# overrides them):
#   YS_HUGEPAGES_MB     memory to keep reserved, MiB (default 1024); at
#                       least eal.memory_mb of the configuration
#   YS_HUGEPAGE_SIZE    2M (default) or 1G
#   YS_HUGEPAGES_NODE   NUMA node to reserve on (the NIC's node); default:
#                       the system-wide count, spread over nodes by the kernel
#   YS_HUGEPAGES_MOUNT  hugetlbfs mount point to create when no hugetlbfs
#                       of that page size is mounted (default /dev/hugepages
#                       for 2M, /dev/hugepages1G for 1G)
#   YS_HUGEPAGES_ROOT   tests only: read and write sys/ and proc/ under this
#                       directory instead of /sys and /proc
#
# Exit codes: 0 ready, 1 cannot reserve or mount (or --check: not ready),
# 2 bad usage or environment.
#
# Stale hugepage files of a killed primary are not removed here: EAL does
# it when the primary starts, for each file no running DPDK process holds
# a lock on, which is the only safe test for "unused".
set -euo pipefail

prog=ys-hugepages
mode=apply

die() {
	echo "$prog: $*" >&2
	exit 1
}

usage_error() {
	echo "$prog: $*" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--dry-run) mode=dry-run ;;
	--check) mode=check ;;
	-h | --help) sed -n '2,26p' "$0"; exit 0 ;;
	*) usage_error "unknown argument '$1' (usage: $prog [--dry-run | --check])" ;;
	esac
	shift
done

root=${YS_HUGEPAGES_ROOT:-}
want_mb=${YS_HUGEPAGES_MB:-1024}
size=${YS_HUGEPAGE_SIZE:-2M}
node=${YS_HUGEPAGES_NODE:-}

case "$want_mb" in
'' | *[!0-9]*) usage_error "YS_HUGEPAGES_MB must be a whole number of MiB, not '$want_mb'" ;;
esac
[ "${#want_mb}" -le 7 ] || usage_error "YS_HUGEPAGES_MB $want_mb is too large"
want_mb=$((10#$want_mb))
[ "$want_mb" -gt 0 ] || usage_error "YS_HUGEPAGES_MB must be at least 1"

case "$size" in
2M | 2m | 2048k | 2048kB) size_kb=2048; size_name=2M ;;
1G | 1g | 1024M | 1048576kB) size_kb=1048576; size_name=1G ;;
*) usage_error "YS_HUGEPAGE_SIZE must be 2M or 1G, not '$size'" ;;
esac
default_mount=/dev/hugepages
[ "$size_name" = 2M ] || default_mount=/dev/hugepages1G
mountpoint=${YS_HUGEPAGES_MOUNT:-$default_mount}
case "$mountpoint" in
/*) ;;
*) usage_error "YS_HUGEPAGES_MOUNT must be an absolute path, not '$mountpoint'" ;;
esac

if [ -n "$node" ]; then
	case "$node" in
	*[!0-9]*) usage_error "YS_HUGEPAGES_NODE must be a NUMA node number, not '$node'" ;;
	esac
	pool_dir=$root/sys/devices/system/node/node$node/hugepages/hugepages-${size_kb}kB
	where="on NUMA node $node"
else
	pool_dir=$root/sys/kernel/mm/hugepages/hugepages-${size_kb}kB
	where="system-wide"
fi
[ -d "$pool_dir" ] ||
	die "no $size_name hugepages $where: $pool_dir does not exist (CPU or kernel without this page size, or no such node)"

# Round up: a partial page still has to be a whole page.
want_pages=$(((want_mb * 1024 + size_kb - 1) / size_kb))

read_pages() {
	local v
	v=$(cat "$pool_dir/nr_hugepages" 2>/dev/null) ||
		die "cannot read $pool_dir/nr_hugepages"
	case "$v" in
	'' | *[!0-9]*) die "unexpected content '$v' in $pool_dir/nr_hugepages" ;;
	esac
	echo "$v"
}

# Size in kB of a hugetlbfs "pagesize=" option as /proc/mounts shows it
# (the kernel prints 2M, 1G, 64K...).
option_kb() {
	local v=$1 n
	n=${v%[KkMmGg]}
	case "$n" in '' | *[!0-9]*) echo 0; return ;; esac
	case "$v" in
	*[Kk]) echo "$n" ;;
	*[Mm]) echo $((n * 1024)) ;;
	*[Gg]) echo $((n * 1024 * 1024)) ;;
	*) echo $((n / 1024)) ;;
	esac
}

# Prints the mount points of hugetlbfs mounts with our page size. A mount
# without a pagesize option has the default size (Hugepagesize).
hugetlbfs_mounts() {
	local default_kb mnt fstype opts o opt kb
	default_kb=$(awk '/^Hugepagesize:/ { print $2 }' "$root/proc/meminfo" 2>/dev/null || true)
	while read -r _ mnt fstype opts _; do
		[ "$fstype" = hugetlbfs ] || continue
		kb=${default_kb:-0}
		IFS=, read -ra o <<<"$opts"
		for opt in "${o[@]}"; do
			case "$opt" in pagesize=*) kb=$(option_kb "${opt#pagesize=}") ;; esac
		done
		if [ "$kb" = "$size_kb" ]; then
			printf '%b\n' "$mnt" # /proc/mounts writes a space as \040
		fi
	done <"$root/proc/mounts"
}

# Mounted at all (any file system) at this path?
is_mountpoint() {
	awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' "$root/proc/mounts"
}

have_pages=$(read_pages)
ready=1

# --- reservation ---------------------------------------------------------
if [ "$have_pages" -ge "$want_pages" ]; then
	echo "$prog: $have_pages x $size_name pages reserved $where (need $want_pages for $want_mb MiB)"
else
	ready=0
	case "$mode" in
	dry-run)
		echo "$prog: would raise $pool_dir/nr_hugepages from $have_pages to $want_pages ($want_mb MiB of $size_name pages)"
		;;
	check)
		echo "$prog: only $have_pages x $size_name pages reserved $where, need $want_pages ($want_mb MiB)" >&2
		;;
	apply)
		echo "$want_pages" 2>/dev/null >"$pool_dir/nr_hugepages" ||
			die "cannot write $pool_dir/nr_hugepages (not root, or read-only /sys?)"
		have_pages=$(read_pages)
		if [ "$have_pages" -lt "$want_pages" ]; then
			die "need $want_pages x $size_name hugepages $where ($want_mb MiB), the kernel reserved only $have_pages:" \
				"not enough free contiguous memory. Reserve them at boot (kernel command line:" \
				"hugepagesz=$size_name hugepages=$want_pages), or lower YS_HUGEPAGES_MB"
		fi
		echo "$prog: reserved $have_pages x $size_name pages $where ($want_mb MiB)"
		;;
	esac
fi

# --- hugetlbfs -------------------------------------------------------------
mapfile -t mounted < <(hugetlbfs_mounts)
if [ "${#mounted[@]}" -gt 0 ]; then
	echo "$prog: hugetlbfs with $size_name pages mounted at ${mounted[*]}"
elif is_mountpoint "$mountpoint"; then
	# Something else (another page size, or not hugetlbfs) is there already.
	die "$mountpoint is already mounted, but not as hugetlbfs with $size_name pages; set YS_HUGEPAGES_MOUNT to a free path"
else
	ready=0
	case "$mode" in
	dry-run) echo "$prog: would mount hugetlbfs (pagesize=$size_name) at $mountpoint" ;;
	check) echo "$prog: no hugetlbfs with $size_name pages is mounted" >&2 ;;
	apply)
		# A test's fake /proc must never lead to a real mount.
		[ -z "$root" ] || die "YS_HUGEPAGES_ROOT is set: not mounting $mountpoint"
		mkdir -p "$mountpoint" || die "cannot create $mountpoint"
		mount -t hugetlbfs -o "pagesize=$size_name" nodev "$mountpoint" ||
			die "cannot mount hugetlbfs (pagesize=$size_name) at $mountpoint"
		echo "$prog: mounted hugetlbfs (pagesize=$size_name) at $mountpoint"
		;;
	esac
fi

if [ "$mode" = check ] && [ "$ready" = 0 ]; then
	exit 1
fi
exit 0
