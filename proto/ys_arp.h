/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP (RFC 826) for one stack instance: the responder, the cache, address
 * resolution for the IPv4 output path with a bounded wait queue, and
 * gratuitous announcements.
 *
 * Time is the stack's hand-ticked clock (ys_stack_tick(), lwIP style):
 * entries age and requests are retried only when the stack is ticked, so
 * tests drive every transition by hand.
 *
 * Types first, then the functions ys_stack.c uses; the operator's view
 * (ys_stack_arp_foreach, ys_arp_state_str) is in ys_stack.h.
 */
#ifndef YS_ARP_H
#define YS_ARP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

/* ---- types ---------------------------------------------------------------
 */

/*
 * State of a cache entry, in the order an entry normally goes through
 * them (static apart). Each state's invariant:
 */
enum ys_arp_state {
	/*
	 * Resolution in progress: no MAC yet. At least one broadcast request
	 * was sent; the entry is on the timer list with the time of the next
	 * retry (or of failure). Datagrams to this next hop wait in its queue.
	 */
	YS_ARP_INCOMPLETE = 0,
	/*
	 * MAC confirmed by an ARP packet from the neighbour less than
	 * reachable_ms ago (RFC 1122 2.3.2.1). Queue empty; on the reachable
	 * list, ordered by confirmation time.
	 */
	YS_ARP_REACHABLE,
	/*
	 * MAC known but not confirmed for reachable_ms or more. Still used
	 * (no added latency); the first use sends a unicast probe (RFC 1122
	 * 2.3.2.1, "Unicast Poll") and puts the entry on the timer list until
	 * a reply makes it reachable or the probes run out (then it is
	 * removed). Idle, it is on the stale list, the first to be evicted.
	 * Queue empty.
	 */
	YS_ARP_STALE,
	/*
	 * From the configuration: MAC fixed, never ages, never overwritten by
	 * learning, never evicted. Queue empty; on no list.
	 */
	YS_ARP_STATIC,
	YS_ARP_STATE_MAX
};

/* Tunables of ys_stack_conf.arp; 0 takes the default. */
#define YS_ARP_DEFAULT_CACHE_SIZE      1024
#define YS_ARP_DEFAULT_REACHABLE_MS    30000 /* Linux's base_reachable_time */
#define YS_ARP_DEFAULT_RETRIES         3
#define YS_ARP_DEFAULT_RETRY_MS        1000 /* RFC 1122 2.3.2.1: 1 per second */
#define YS_ARP_DEFAULT_QUEUE_PER_ENTRY 8
#define YS_ARP_DEFAULT_QUEUE_TOTAL     256

/* Upper limits the stack accepts (the config's are narrower). */
#define YS_ARP_MAX_CACHE_SIZE      (1u << 20)
#define YS_ARP_MAX_RETRIES         100
#define YS_ARP_MAX_QUEUE_PER_ENTRY 1024
#define YS_ARP_MAX_QUEUE_TOTAL     (1u << 20)

struct ys_arp_conf {
	uint32_t cache_size;   /* dynamic entries (static ones come on top) */
	uint32_t reachable_ms; /* reachable -> stale after this long */
	/*
	 * Requests sent after the first before an incomplete entry fails
	 * (and, the same way, unicast probes after the first before a stale
	 * entry in use is removed). With 3 and retry_ms 1000: requests at 0,
	 * 1, 2 and 3 s, failure at 4 s.
	 */
	uint32_t retries;
	uint32_t retry_ms;        /* between two requests, and after the last */
	uint32_t queue_per_entry; /* datagrams waiting for one next hop */
	uint32_t queue_total;     /* datagrams waiting, all entries */
};

/* A static entry (config `arp.entries`). */
struct ys_arp_static {
	uint32_t ip; /* network order, on a connected prefix of iface */
	struct rte_ether_addr mac;
	uint32_t iface; /* index into ys_stack_conf.ifaces */
};

struct ys_arp_cache; /* private to ys_arp.c */

/* ---- functions ----------------------------------------------------------
 */

struct ys_stack;
struct ys_stack_conf;
struct ys_stack_iface;
struct ys_arp_entry_info;

/*
 * The ARP checks of ys_stack_validate_conf(): tunables in range, static
 * entries (interface, an address on its connected prefixes that is not
 * ours, a unicast MAC, no duplicate). 0, or -EINVAL with the reason in err
 * (may be NULL).
 */
int ys_arp_check_conf(const struct ys_stack_conf *conf, char *err,
                      size_t err_len);

/*
 * A new cache for a configuration that passed ys_arp_check_conf(), its
 * static entries installed. NULL with errno ENOMEM when out of memory.
 */
struct ys_arp_cache *ys_arp_cache_create(const struct ys_stack_conf *conf);

/* Frees c, dropping (counted) the datagrams it holds. NULL-safe. */
void ys_arp_cache_free(struct ys_stack *st, struct ys_arp_cache *c);

/*
 * After a reconfiguration (st->conf and st->arp are the new ones): moves
 * the dynamic entries of `old`, built for `old_conf`, that are still on a
 * connected prefix of an interface on the same port into st->arp, sends
 * the datagrams waiting for an address that is now static, drops
 * (counted) the rest, and frees `old`. Cannot fail.
 */
void ys_arp_migrate(struct ys_stack *st, struct ys_arp_cache *old,
                    const struct ys_stack_conf *old_conf);

/* An ARP frame received on ifp (Ethernet header first). Consumes m. */
void ys_arp_input(struct ys_stack *st, const struct ys_stack_iface *ifp,
                  struct rte_mbuf *m, uint32_t flags);

/*
 * Sends the IPv4 datagram in m, which starts with 14 bytes for the
 * Ethernet header (written here, source and type included), to
 * `next_hop` (network order, on a connected prefix of interface `iface`):
 * at once when its MAC is known, else after resolution. Consumes m.
 * Returns 0 when sent or queued, -ENOBUFS when dropped (counted).
 */
int ys_arp_output(struct ys_stack *st, uint32_t iface, uint32_t next_hop,
                  struct rte_mbuf *m);

/* Ages entries and retries or fails requests due at st->now_ms. */
void ys_arp_tick(struct ys_stack *st);

/*
 * A gratuitous ARP request (RFC 5227 3, "ARP Announcement") for every
 * address of every interface. 0, or -ENOBUFS when one could not be sent
 * (counted as tx_alloc_failed or tx_full).
 */
int ys_arp_announce(struct ys_stack *st);

/* Calls fn for every entry, in cache order. */
void ys_arp_foreach(const struct ys_stack *st,
                    void (*fn)(void *ctx, const struct ys_arp_entry_info *e),
                    void *ctx);

#endif /* YS_ARP_H */
