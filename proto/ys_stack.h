/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One instance of yastack's host stack. Each secondary runs exactly one;
 * a unit test may run several in one process. Everything the stack needs
 * is in `struct ys_stack`: no globals, no process assumptions, no
 * hugepages required (a --no-huge EAL mempool is enough).
 *
 * Today the stack answers ARP requests for its interface addresses
 * (RFC 826) and ICMP echo requests addressed to them (RFC 792), including
 * reassembled (chained, multi-segment) requests, and fragments what it
 * sends when a datagram exceeds the interface MTU (RFC 791 3.2). Later
 * issues grow it into a full IPv4/TCP host stack behind the same entry
 * points: ys_stack_input() for every received frame, the tx callback for
 * every frame it sends.
 */
#ifndef YS_STACK_H
#define YS_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ys_mbuf.h"
#include "ys_stack_stats.h"

#define YS_STACK_MAX_IFACES 8
#define YS_STACK_MAX_ADDRS  8 /* per interface */
/* IP MTU of an interface whose mtu is 0: Ethernet's (RFC 894). */
#define YS_STACK_DEFAULT_MTU 1500

/* Flags for ys_stack_input(), set by whoever dispatched the frame. */
#define YS_RX_F_ARP_RESPONDER                                                  \
	(1u << 0) /* this instance answers ARP requests                        \
	           */

struct ys_stack_iface {
	uint16_t port_id; /* DPDK port the interface sits on */
	struct rte_ether_addr mac;
	uint32_t n_addrs;
	uint32_t addrs[YS_STACK_MAX_ADDRS]; /* network byte order */
	uint8_t prefix_lens[YS_STACK_MAX_ADDRS];
	uint32_t gateway; /* network byte order, 0 when none */
	/*
	 * IP MTU in bytes: the largest IPv4 datagram (header included,
	 * Ethernet header excluded) sent in one frame; 0 means
	 * YS_STACK_DEFAULT_MTU, otherwise at least 68 (RFC 791 3.2).
	 * Larger datagrams are fragmented when DF is clear, dropped
	 * (ip_frag_df_set) when it is set.
	 */
	uint16_t mtu;
};

/*
 * Hands one frame to the link layer. Consumes m whatever it returns:
 * returns 0 when the frame was queued, -ENOBUFS when it was dropped (the
 * callee freed it). The stack counts the drop as tx_full.
 *
 * m may be a chain of several segments (a reply built over a reassembled
 * request, a fragment larger than one mbuf), and arrives still tagged as
 * ours (conf.owner) on every segment: from then on its tag is the
 * callee's to clear as proto/ys_mbuf.h says, on the way out or when it
 * frees a frame it drops (ys_mbuf_free(), never a bare rte_pktmbuf_free(),
 * which would put a tagged mbuf back in the pool).
 */
typedef int (*ys_stack_tx_fn)(void *tx_ctx, struct rte_mbuf *m);

struct ys_stack_conf {
	uint32_t n_ifaces;
	struct ys_stack_iface ifaces[YS_STACK_MAX_IFACES];
	struct rte_mempool *pool; /* for frames the stack builds */
	ys_stack_tx_fn tx;
	void *tx_ctx;
	struct ys_stack_stats
	        *stats; /* where counters go; may be shared memory */
	/*
	 * Who this stack's mbufs belong to (proto/ys_mbuf.h): every mbuf it
	 * allocates is tagged with it, every mbuf it frees is released
	 * first. Zeroed (YS_OWNER_NONE): no tagging.
	 */
	struct ys_mbuf_owner owner;
};

struct ys_stack {
	struct ys_stack_conf conf;
	struct ys_stack_stats *stats; /* == conf.stats */
};

/*
 * Initialise `st` from `conf` (copied). Returns 0 or -EINVAL when the
 * configuration is unusable (no interface, no stats, no tx callback, an
 * MTU below 68).
 */
int ys_stack_init(struct ys_stack *st, const struct ys_stack_conf *conf);

/*
 * Process one received Ethernet frame that arrived on m->port.
 * Consumes m: it is transmitted (a reply built in place), or freed and
 * counted under exactly one drop reason, or freed after being handled
 * (its reply sent as fresh fragments, for one). `flags` is a set of
 * YS_RX_F_*.
 *
 * m may be a chain (a datagram the primary reassembled): the Ethernet
 * and IPv4 headers, and the first 8 bytes of an ICMP message, must lie in
 * the first segment (a reassembled datagram's first segment is its first
 * fragment, which holds them); the rest may span any number of segments.
 * It is tagged as ours (conf.owner), or untagged with no owner set.
 */
void ys_stack_input(struct ys_stack *st, struct rte_mbuf *m, uint32_t flags);

/* Name of a drop reason, e.g. "ip_bad_checksum". */
const char *ys_stack_drop_str(enum ys_stack_drop_reason r);

#endif /* YS_STACK_H */
