/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared statistics blocks. Each block has exactly one writer (the
 * primary's dispatcher for a port, secondary K for its own block) and is
 * cache aligned, so writers never share a line. Readers (the control
 * server) read 64-bit counters that are naturally aligned, which x86-64
 * and arm64 load atomically; a reader may see a counter a few packets
 * stale, never torn.
 */
#ifndef YS_STATS_H
#define YS_STATS_H

#include <stdint.h>

#include <rte_common.h>

#include "ys_stack_stats.h"

/* X(name, help): per-port counters kept by the primary's dispatcher. */
#define YS_PORT_COUNTERS(X)                                                    \
	X(rx_packets, "frames received from the port")                         \
	X(rx_bytes, "bytes received from the port")                            \
	X(tx_packets, "frames transmitted on the port")                        \
	X(tx_bytes, "bytes transmitted on the port")                           \
	X(arp_fanout, "ARP frames copied to every secondary")                  \
	X(dispatched, "frames enqueued to a secondary's rx ring")              \
	X(neighbour_fanout,                                                    \
	  "IPv6 neighbour discovery copied to every secondary")                \
	X(icmp_error_steered, "ICMP errors sent to the quoted flow's owner")   \
	X(nic_hash_used, "frames dispatched by the NIC's own RSS hash")        \
	X(nic_hash_mismatch, "NIC hashes that differed from ours (then off)")  \
	X(lent, "frames dispatched to a secondary lending a dead one's entry") \
	X(reasm_fragments, "IP fragments taken into reassembly")               \
	X(reasm_datagrams, "datagrams reassembled and dispatched whole")       \
	X(impair_rx_dropped, "impairment stage: rx frames dropped")            \
	X(impair_rx_corrupted,                                                 \
	  "impairment stage: rx frames with a bit flipped")                    \
	X(impair_rx_duplicated, "impairment stage: rx frames copied")          \
	X(impair_rx_reordered,                                                 \
	  "impairment stage: rx frames held behind the next")                  \
	X(impair_rx_delayed,                                                   \
	  "impairment stage: rx frames queued for delay_us")                   \
	X(impair_rx_queue_full,                                                \
	  "impairment stage: rx frames dropped, delay queue full")             \
	X(impair_rx_copy_failed,                                               \
	  "impairment stage: rx copies without an mbuf")                       \
	X(impair_tx_dropped, "impairment stage: tx frames dropped")            \
	X(impair_tx_corrupted,                                                 \
	  "impairment stage: tx frames with a bit flipped")                    \
	X(impair_tx_duplicated, "impairment stage: tx frames copied")          \
	X(impair_tx_reordered,                                                 \
	  "impairment stage: tx frames held behind the next")                  \
	X(impair_tx_delayed,                                                   \
	  "impairment stage: tx frames queued for delay_us")                   \
	X(impair_tx_queue_full,                                                \
	  "impairment stage: tx frames dropped, delay queue full")             \
	X(impair_tx_copy_failed, "impairment stage: tx copies without an "     \
	                         "mbuf")

/* X(name, help): every reason the dispatcher drops a frame. */
#define YS_PORT_DROPS(X)                                                       \
	X(runt, "frame shorter than the headers it claims")                    \
	X(vlan_too_many, "more than two VLAN tags")                            \
	X(unsupported_ethertype, "neither IPv4, IPv6 nor ARP")                 \
	X(ip_malformed, "IP header bad: version, IHL or lengths")              \
	X(ipv6_ext_unsupported,                                                \
	  "IPv6 extension headers too many or a fragment header not first")    \
	X(reasm_failed, "fragments dropped: overlap, too many, or table full") \
	X(reasm_bad_fragment, "fragment headers not in its first segment")     \
	X(reasm_oversize,                                                      \
	  "reassembled datagram over 65535 bytes or inconsistent")             \
	X(rx_ring_full, "secondary's rx ring full")                            \
	X(secondary_dead, "flow's secondary is not running")                   \
	X(arp_copy_failed, "no mbuf to copy an ARP frame")                     \
	X(tx_failed, "port did not take a frame from a tx ring")               \
	X(tx_bad_port, "secondary sent a frame for an unknown port")

enum ys_port_drop_reason {
#define YS_X_ENUM(name, help) YS_PORT_DROP_##name,
	YS_PORT_DROPS(YS_X_ENUM)
#undef YS_X_ENUM
	        YS_PORT_DROP_MAX
};

struct ys_port_stats {
#define YS_X_FIELD(name, help) uint64_t name;
	YS_PORT_COUNTERS(YS_X_FIELD)
#undef YS_X_FIELD
	uint64_t drops[YS_PORT_DROP_MAX];
} __rte_cache_aligned;

/* X(name, help): counters of the primary as a whole. */
#define YS_PRIMARY_COUNTERS(X)                                                 \
	X(reasm_timeouts, "fragments freed: datagram incomplete at timeout")   \
	X(secondaries_lost, "secondaries found dead")                          \
	X(secondaries_reaped, "dead secondaries whose resources were freed")   \
	X(mbufs_reclaimed,                                                     \
	  "mbufs a dead secondary held, freed by the primary")                 \
	X(ring_mbufs_freed, "mbufs left on a dead secondary's rings, freed")   \
	X(reta_rebuilds, "effective RETA rebuilt after a death or a rejoin")   \
	X(caches_abandoned, "dead secondaries' mempool caches not flushed: "   \
	                    "they died inside the mempool")                    \
	X(mbufs_maybe_lost, "bound on mbufs lost with abandoned caches and "   \
	                    "unfinished transmits")                            \
	X(secondaries_stopped,                                                 \
	  "secondaries that stopped cleanly: drain, shutdown or SIGTERM")      \
	X(heartbeats_late,                                                     \
	  "times a running secondary's poll loop stalled over 1 s")            \
	X(ctl_forwarded, "control requests forwarded to a secondary")          \
	X(ctl_forward_timeouts,                                                \
	  "forwarded requests a secondary did not answer in time")             \
	X(ctl_late_replies, "secondary replies that came after the deadline")  \
	X(config_reloads, "config.reload requests applied")                    \
	X(config_reload_failures, "config.reload requests refused or aborted")

struct ys_primary_stats {
#define YS_X_FIELD(name, help) uint64_t name;
	YS_PRIMARY_COUNTERS(YS_X_FIELD)
#undef YS_X_FIELD
} __rte_cache_aligned;

/* X(name, help): per-secondary counters outside the stack. */
#define YS_SECONDARY_COUNTERS(X)                                               \
	X(rx_packets, "frames dequeued from the rx ring")                      \
	X(tx_packets, "frames handed to the tx ring or to own tx queues")      \
	X(tx_ring_full, "frames dropped: tx ring full")                        \
	X(tx_queue_packets, "frames sent on this secondary's own tx queues")   \
	X(tx_queue_full, "frames dropped: own tx queue did not take them")     \
	X(loops, "poll loop iterations")                                       \
	X(idle_sleeps, "times the poll loop slept for lack of work")           \
	X(heartbeat_tsc, "TSC at the last poll loop iteration")

struct ys_secondary_stats {
#define YS_X_FIELD(name, help) uint64_t name;
	YS_SECONDARY_COUNTERS(YS_X_FIELD)
#undef YS_X_FIELD
	struct ys_stack_stats stack;
	/* 1 while inside the mempool (ys_mbuf.h); not a counter. */
	volatile uint32_t in_mempool;
} __rte_cache_aligned;

#endif /* YS_STATS_H */
