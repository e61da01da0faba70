/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Owner tags: which process holds an mbuf of the shared pool.
 *
 * Every mbuf the primary hands to secondary K, and every mbuf secondary K
 * allocates, carries owner K + 1 in a dynamic field. Every path that gives
 * an mbuf back (freeing it, or handing it to a PMD's tx queue) clears the
 * tag first, on every segment. So, once K is dead, an mbuf still tagged
 * K + 1 is one that K held when it died, and the primary can free it
 * (primary/pool.c) without ever freeing an mbuf twice. The rings between
 * the processes are the one exception, so that no mbuf is ever untagged
 * and unowned: the primary tags a frame before it enqueues it on K's rx
 * ring, and K's frames stay tagged on K's tx ring until the primary
 * dequeues them. After K's death the primary empties both rings (clearing
 * tags) before it walks the pool. The invariants that make this sound:
 *
 *  - tags are cleared before the mbuf leaves the owner (never after), and
 *    only the primary clears them for frames on a ring;
 *  - yastack never shares an mbuf between processes by reference count:
 *    ARP fan-out and fragmentation copy, nothing makes indirect mbufs,
 *    and a queue that must keep what it transmits (a TCP retransmission
 *    queue) keeps a deep copy, never a second reference;
 *  - a free mbuf in the pool (or in a mempool cache) has owner 0.
 *
 * A struct ys_mbuf_owner whose owner is YS_OWNER_NONE (the primary, or a
 * unit test with no dynamic field; also a zero-initialised one) does no
 * tagging at all: its helpers are plain alloc/free.
 */
#ifndef YS_MBUF_H
#define YS_MBUF_H

#include <stdint.h>

#include <rte_atomic.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#define YS_MBUF_META_DYNFIELD "ys_mbuf_meta"
#define YS_OWNER_NONE         0 /* the primary, a PMD, a ring, or free */

/*
 * Per-mbuf metadata in a DPDK dynamic field, registered by the primary
 * and looked up by name in every secondary.
 */
struct ys_mbuf_meta {
	uint32_t flags; /* YS_MBUF_F_* (ys_contract.h), set by the dispatcher */
	uint16_t owner; /* YS_OWNER_NONE, or secondary K + 1 */
	uint16_t reserved;
};

/*
 * Who tags: the dynamic field's offset and this process's owner value.
 *
 * `in_pool`, when set, points at a flag in shared memory that is 1 while
 * this process is inside the mempool (allocating or freeing, tags
 * included). A process killed there may leave its mempool cache
 * inconsistent: DPDK bumps a cache's length before it copies the pointers
 * in, so flushing it could free stale pointers — mbufs in use elsewhere.
 * The primary reads the flag of a dead secondary and, when set, abandons
 * that cache instead of flushing it (primary/registry.c). Stores of a
 * process that died are all visible to the others; a compiler barrier
 * keeps them in program order.
 */
struct ys_mbuf_owner {
	int offset;     /* of struct ys_mbuf_meta; used when owner != NONE */
	uint16_t owner; /* this process's tag; YS_OWNER_NONE: tagging off */
	volatile uint32_t *in_pool; /* NULL: not tracked */
};

/* Entering and leaving the mempool (see `in_pool` above). */
static inline void ys_mbuf_pool_enter(const struct ys_mbuf_owner *o)
{
	if (o->in_pool != NULL) {
		*o->in_pool = 1;
		rte_compiler_barrier();
	}
}

static inline void ys_mbuf_pool_leave(const struct ys_mbuf_owner *o)
{
	if (o->in_pool != NULL) {
		rte_compiler_barrier();
		*o->in_pool = 0;
	}
}

static inline struct ys_mbuf_meta *ys_mbuf_meta(struct rte_mbuf *m, int offset)
{
	return RTE_MBUF_DYNFIELD(m, offset, struct ys_mbuf_meta *);
}

/* Tag every segment of m with `owner`. Borrows m. */
static inline void ys_mbuf_set_owner(struct rte_mbuf *m, int offset,
                                     uint16_t owner)
{
	for (; m != NULL; m = m->next)
		ys_mbuf_meta(m, offset)->owner = owner;
}

/* Tag every segment of m as ours. Borrows m. */
static inline void ys_mbuf_claim(const struct ys_mbuf_owner *o,
                                 struct rte_mbuf *m)
{
	if (o->owner != YS_OWNER_NONE)
		ys_mbuf_set_owner(m, o->offset, o->owner);
}

/*
 * Clear the tag on every segment of m before it leaves this process's
 * hands (a ring, a PMD's tx queue, the pool). Borrows m.
 */
static inline void ys_mbuf_release(const struct ys_mbuf_owner *o,
                                   struct rte_mbuf *m)
{
	if (o->owner != YS_OWNER_NONE)
		ys_mbuf_set_owner(m, o->offset, YS_OWNER_NONE);
}

/* Free m (every segment), clearing its tags first. Consumes m. */
static inline void ys_mbuf_free(const struct ys_mbuf_owner *o,
                                struct rte_mbuf *m)
{
	if (m == NULL)
		return;
	ys_mbuf_pool_enter(o);
	ys_mbuf_release(o, m);
	rte_pktmbuf_free(m);
	ys_mbuf_pool_leave(o);
}

/* Free n mbufs. Consumes every pkts[i]. */
static inline void ys_mbuf_free_bulk(const struct ys_mbuf_owner *o,
                                     struct rte_mbuf **pkts, unsigned n)
{
	ys_mbuf_pool_enter(o);
	for (unsigned i = 0; i < n; i++)
		ys_mbuf_release(o, pkts[i]);
	rte_pktmbuf_free_bulk(pkts, n);
	ys_mbuf_pool_leave(o);
}

/* Allocate one mbuf from `mp`, tagged as ours; NULL when empty. */
static inline struct rte_mbuf *ys_mbuf_alloc(const struct ys_mbuf_owner *o,
                                             struct rte_mempool *mp)
{
	struct rte_mbuf *m;

	ys_mbuf_pool_enter(o);
	m = rte_pktmbuf_alloc(mp);
	if (m != NULL)
		ys_mbuf_claim(o, m);
	ys_mbuf_pool_leave(o);
	return m;
}

/* A deep copy of m (rte_pktmbuf_copy), tagged as ours; NULL when empty. */
static inline struct rte_mbuf *ys_mbuf_copy(const struct ys_mbuf_owner *o,
                                            const struct rte_mbuf *m,
                                            struct rte_mempool *mp)
{
	struct rte_mbuf *c;

	ys_mbuf_pool_enter(o);
	c = rte_pktmbuf_copy(m, mp, 0, UINT32_MAX);
	if (c != NULL)
		ys_mbuf_claim(o, c);
	ys_mbuf_pool_leave(o);
	return c;
}

#endif /* YS_MBUF_H */
