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
	X(dispatched, "frames enqueued to a secondary's rx ring")

/* X(name, help): every reason the dispatcher drops a frame. */
#define YS_PORT_DROPS(X)                                                       \
	X(runt, "frame shorter than the headers it claims")                    \
	X(unsupported_ethertype, "neither IPv4 nor ARP")                       \
	X(ip_malformed, "IPv4 header too short or bad IHL")                    \
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

/* X(name, help): per-secondary counters outside the stack. */
#define YS_SECONDARY_COUNTERS(X)                                               \
	X(rx_packets, "frames dequeued from the rx ring")                      \
	X(tx_packets, "frames enqueued to the tx ring")                        \
	X(tx_ring_full, "frames dropped: tx ring full")                        \
	X(loops, "poll loop iterations")                                       \
	X(idle_sleeps, "times the poll loop slept for lack of work")           \
	X(heartbeat_tsc, "TSC at the last poll loop iteration")

struct ys_secondary_stats {
#define YS_X_FIELD(name, help) uint64_t name;
	YS_SECONDARY_COUNTERS(YS_X_FIELD)
#undef YS_X_FIELD
	struct ys_stack_stats stack;
} __rte_cache_aligned;

#endif /* YS_STATS_H */
