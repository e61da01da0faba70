/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One instance of yastack's host stack. Each secondary runs exactly one;
 * a unit test may run several in one process. Everything the stack needs
 * is in `struct ys_stack`: no globals, no process assumptions, no
 * hugepages required (a --no-huge EAL mempool is enough).
 *
 * Today the stack answers ARP requests for its interface addresses
 * (RFC 826) and keeps an ARP cache (proto/ys_arp.h), answers ICMP echo
 * requests addressed to them (RFC 792), including reassembled (chained,
 * multi-segment) requests, routes what it originates by longest prefix
 * match (proto/ys_route.h) and fragments what it sends when a datagram
 * exceeds the path MTU (RFC 791 3.2, RFC 1191: proto/ys_pmtu.h). It
 * validates IPv4 input fully (proto/ys_ipv4.c), sends ICMP errors under
 * a rate limit (proto/ys_icmp.h) and serves 802.1Q VLAN interfaces
 * (docs/network.md). Later issues grow it into a
 * full IPv4/TCP host stack behind the same entry points: ys_stack_input()
 * for every received frame, ys_stack_tick() for time, the tx callback for
 * every frame it sends.
 *
 * Life cycle: ys_stack_init(), then ys_stack_tick() from the poll loop
 * with a monotonic millisecond clock (before the first input, and every
 * loop turn), ys_stack_announce() once the instance may speak on the
 * link, ys_stack_reconfigure() on a live reload, ys_stack_fini() at the
 * end (it frees what the instance holds: queued datagrams, the cache).
 */
#ifndef YS_STACK_H
#define YS_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ys_arp.h"
#include "ys_diag.h"
#include "ys_icmp.h"
#include "ys_mbuf.h"
#include "ys_pmtu.h"
#include "ys_route.h"
#include "ys_stack_stats.h"
#include "ys_udp.h"

#define YS_STACK_MAX_IFACES     8
#define YS_STACK_MAX_ADDRS      8  /* per interface */
#define YS_STACK_MAX_ROUTES     64 /* static routes */
#define YS_STACK_MAX_STATIC_ARP 64
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
	/*
	 * 802.1Q VLAN ID, 1..4094, or 0 for an untagged interface. Frames
	 * received on port_id with one tag of this VID are this interface's
	 * (the tag is removed before ARP and IPv4 see them); everything the
	 * stack sends from it carries the tag. Interfaces on one port need
	 * distinct VIDs, and at most one of them is untagged.
	 */
	uint16_t vlan;
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

/* A static route (config `static_routes`); network byte order. */
struct ys_stack_route {
	uint32_t prefix; /* host bits clear */
	uint8_t prefix_len;
	uint32_t via; /* on a connected prefix, not one of our addresses */
};

struct ys_stack_conf {
	uint32_t n_ifaces;
	struct ys_stack_iface ifaces[YS_STACK_MAX_IFACES];
	uint32_t n_routes;
	struct ys_stack_route routes[YS_STACK_MAX_ROUTES];
	uint32_t n_static_arp;
	struct ys_arp_static static_arp[YS_STACK_MAX_STATIC_ARP];
	struct ys_arp_conf arp; /* tunables; 0 fields take the defaults */
	/* ICMP errors sent per second and bucket size (ys_icmp.h); 0 takes
	 * YS_ICMP_DEFAULT_RATE, YS_ICMP_DEFAULT_BURST. */
	uint32_t icmp_rate;
	uint32_t icmp_burst;
	/* The diagnostic UDP echo service (proto/ys_diag.h) on this port
	 * of every local address; 0: off. Host order. */
	uint16_t diag_udp_echo_port;
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
	uint64_t now_ms;              /* the last time ys_stack_tick() gave */
	struct ys_route_table routes;
	struct ys_arp_cache *arp;
	uint16_t ip_id; /* next IPv4 Identification we originate */
	struct ys_icmp_limiter icmp_limiter; /* ICMP errors sent */
	struct ys_pmtu_table pmtu;           /* RFC 1191 estimates */
	struct ys_udp_table udp;             /* bound UDP ports */
	struct ys_diag diag;                 /* diagnostic services */
};

/*
 * Initialise `st` from `conf` (copied). Returns 0, -EINVAL when the
 * configuration is unusable (ys_stack_validate_conf() says why), or
 * -ENOMEM when the ARP cache cannot be allocated. The clock starts at 0.
 * A stack that was initialised must be given to ys_stack_fini() before it
 * is initialised again.
 */
int ys_stack_init(struct ys_stack *st, const struct ys_stack_conf *conf);

/*
 * The checks ys_stack_init() and ys_stack_reconfigure() make: 0, or
 * -EINVAL with a one-line reason naming the field the way the config file
 * does (`static_routes[1].via: 198.18.9.1 is not on a connected prefix`)
 * in err (NUL terminated; err may be NULL).
 */
int ys_stack_validate_conf(const struct ys_stack_conf *conf, char *err,
                           size_t err_len);

/*
 * Live reload: interfaces, addresses, gateways, MTUs, static routes,
 * static ARP entries and ARP tunables from `conf`. pool, tx, tx_ctx,
 * stats and owner are the instance's for life and are not taken from
 * conf. Everything is validated and allocated first: on -EINVAL (invalid)
 * or -ENOMEM nothing changed. Then it cannot fail: routes are rebuilt;
 * static entries come from conf; a dynamic ARP entry is kept when its
 * address is still on a connected prefix of an interface on the same
 * port and VLAN (datagrams waiting for it keep waiting; those for an address
 * now static are sent), and removed otherwise (its waiting datagrams dropped as
 * arp_resolve_failed). The diagnostic UDP echo moves to conf.diag_udp_echo_port
 * (-EADDRINUSE, nothing changed, when another binding holds that port); other
 * UDP bindings stay.
 */
int ys_stack_reconfigure(struct ys_stack *st, const struct ys_stack_conf *conf);

/* Frees what st holds (queued datagrams, dropped and counted as
 * arp_queue_dropped; the ARP cache). NULL-safe; st may be initialised
 * again afterwards. */
void ys_stack_fini(struct ys_stack *st);

/*
 * Sets the stack's clock to `now_ms` (monotonic milliseconds; a value
 * below the last one is ignored) and runs what is due: reachable ARP
 * entries turn stale, requests are retried, entries whose requests went
 * unanswered fail. ys_stack_input() and ys_stack_ip_output() use the time
 * of the last tick.
 */
void ys_stack_tick(struct ys_stack *st, uint64_t now_ms);

/*
 * Gratuitous ARP (RFC 5227 3, an ARP Announcement: a broadcast request
 * whose sender and target protocol addresses are both ours) for every
 * address of every interface, counted as arp_gratuitous_sent, so that
 * neighbours update their caches. The instances of one host share its
 * addresses and MACs: one of them is enough. 0, or -ENOBUFS when one could
 * not be sent (counted as tx_alloc_failed or tx_full).
 */
int ys_stack_announce(struct ys_stack *st);

/*
 * Process one received Ethernet frame that arrived on m->port.
 * Consumes m: it is transmitted (a reply built in place), or freed and
 * counted under exactly one drop reason, or freed after being handled
 * (its reply sent as fresh fragments, for one). `flags` is a set of
 * YS_RX_F_*.
 *
 * m may be a chain (a datagram the primary reassembled): the Ethernet
 * header (with its 802.1Q tag, if any) and IPv4 header, and the first 8
 * bytes of an ICMP message, must lie in
 * the first segment (a reassembled datagram's first segment is its first
 * fragment, which holds them); the rest may span any number of segments.
 * It is tagged as ours (conf.owner), or untagged with no owner set.
 */
void ys_stack_input(struct ys_stack *st, struct rte_mbuf *m, uint32_t flags);

/*
 * Sends an IPv4 datagram the stack built (ICMP errors, UDP, TCP later)
 * to its destination: route lookup (ip_no_route), next hop, ARP
 * resolution (the datagram waits while it is incomplete), Ethernet header,
 * transmit, fragmented when larger than the path MTU (ys_stack_pmtu())
 * and DF is clear (RFC 791 3.2). Consumes m.
 *
 * m holds the datagram from its IPv4 header (in the first segment, with
 * at least 14 bytes of headroom in front of it, 18 when the route leaves
 * by a VLAN interface: else -EINVAL at once) to its end (pkt_len ==
 * Total Length); it is direct and unshared. The header is complete but for
 * its checksum, which is computed here, and the source address, which is
 * the route's when 0 (a transport checksum over a pseudo-header needs the
 * source first: take it from ys_stack_route_lookup()). A destination that
 * is one of our addresses, a broadcast, multicast, 0/8 or loopback
 * address is refused (ip_out_bad_dst).
 *
 * Returns 0 when the datagram was sent or is waiting for ARP,
 * -ENETUNREACH (no route), -EINVAL (m unusable, or a bad destination),
 * -EMSGSIZE (DF set and larger than the path MTU: ip_frag_df_set) or
 * -ENOBUFS (dropped on the way: queue or cache full, no mbuf, link full);
 * every drop is counted.
 */
int ys_stack_ip_output(struct ys_stack *st, struct rte_mbuf *m);

/* A route lookup's answer; addresses in network byte order. */
struct ys_route_result {
	uint32_t iface;    /* index into conf.ifaces */
	uint16_t port_id;  /* that interface's port */
	uint32_t next_hop; /* the destination itself when on link */
	uint32_t src;      /* our address on the next hop's prefix */
	enum ys_route_source source;
};

/* The longest-prefix route to `dst` (network order): 0, or -ENETUNREACH. */
int ys_stack_route_lookup(const struct ys_stack *st, uint32_t dst,
                          struct ys_route_result *out);

/* ---- what an operator sees (ysctl arp, ysctl route) --------------------- */

struct ys_arp_entry_info {
	uint32_t ip; /* network byte order */
	struct rte_ether_addr mac;
	bool has_mac; /* false while incomplete */
	uint16_t port_id;
	enum ys_arp_state state;
	/* Since the last confirmation (reachable, stale), since the first
	 * request (incomplete); 0 for static entries. */
	uint64_t age_ms;
	uint32_t queued; /* datagrams waiting for resolution */
};

typedef void (*ys_arp_visit_fn)(void *ctx, const struct ys_arp_entry_info *e);

/* Calls fn for every ARP cache entry of st. fn must not change st. */
void ys_stack_arp_foreach(const struct ys_stack *st, ys_arp_visit_fn fn,
                          void *ctx);

/* "incomplete", "reachable", "stale", "static"; "unknown" otherwise. */
const char *ys_arp_state_str(enum ys_arp_state s);

struct ys_route_info {
	uint32_t prefix; /* network byte order */
	uint8_t prefix_len;
	uint32_t via; /* network byte order; 0: directly connected */
	uint16_t port_id;
	uint32_t src; /* network byte order */
	enum ys_route_source source;
};

typedef void (*ys_route_visit_fn)(void *ctx, const struct ys_route_info *r);

/*
 * Calls fn for every route of st: connected (in interface and address
 * order), static (in config order), default (in interface order). Of two
 * routes with the same prefix, the first listed is the one used.
 */
void ys_stack_route_foreach(const struct ys_stack *st, ys_route_visit_fn fn,
                            void *ctx);

/* "connected", "static", "default"; "unknown" otherwise. */
const char *ys_route_source_str(enum ys_route_source s);

/* ---- path MTU (RFC 1191) ------------------------------------------------ */

/*
 * The largest datagram (IPv4 header included) to send to dst (network
 * order) unfragmented: the estimate an ICMP "fragmentation needed" gave
 * (while it has not expired) when smaller than the MTU of the interface
 * the route to dst leaves by, else that MTU; 0 when there is no route.
 * ys_stack_ip_output() fragments DF-clear datagrams to it and refuses
 * DF-set ones larger than it.
 */
uint16_t ys_stack_pmtu(const struct ys_stack *st, uint32_t dst_be);

struct ys_pmtu_info {
	uint32_t dst; /* network byte order */
	uint16_t mtu;
	uint64_t age_ms; /* since the estimate was last lowered */
};

typedef void (*ys_pmtu_visit_fn)(void *ctx, const struct ys_pmtu_info *p);

/* Calls fn for every live path MTU estimate, oldest first. fn must not
 * change st. */
void ys_stack_pmtu_foreach(const struct ys_stack *st, ys_pmtu_visit_fn fn,
                           void *ctx);

/* Name of a drop reason, e.g. "ip_bad_checksum". */
const char *ys_stack_drop_str(enum ys_stack_drop_reason r);

#endif /* YS_STACK_H */
