/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Path MTU table of one stack instance (RFC 1191): what ICMP
 * "fragmentation needed" messages taught it, per destination. Bounded
 * (YS_PMTU_MAX_ENTRIES), no allocation: the table lives inside struct
 * ys_stack. Time is the stack's hand-ticked clock, as for ARP.
 *
 * Types and the functions the stack's modules use; the public view is
 * ys_stack_pmtu() and ys_stack_pmtu_foreach() in ys_stack.h.
 */
#ifndef YS_PMTU_H
#define YS_PMTU_H

#include <stdbool.h>
#include <stdint.h>

#define YS_PMTU_MAX_ENTRIES 256
#define YS_PMTU_BUCKETS     256 /* a power of two */
/*
 * RFC 1191 6.3: a reduced estimate should be given up ("the timeout
 * SHOULD be set to a value no less than 5 minutes; recommended: 10
 * minutes") so that a path that grew again is used again.
 */
#define YS_PMTU_EXPIRE_MS (10u * 60u * 1000u)

#define YS_PMTU_NIL UINT16_MAX
/* The lowest estimate a "fragmentation needed" can set (ys_icmp.c). */
#define YS_PMTU_FLOOR 552

/*
 * One destination's estimate. On its bucket's chain and on the age list
 * (oldest update first) while in use; on the free list (through `next`)
 * otherwise.
 */
struct ys_pmtu_entry {
	uint32_t dst;        /* network byte order */
	uint64_t updated_ms; /* stack time of the last decrease */
	uint16_t mtu;
	uint16_t hnext; /* bucket chain */
	uint16_t prev;  /* age list */
	uint16_t next;  /* age list, or free list */
};

/*
 * Invariant: n entries in use, each on exactly one bucket chain and on
 * the age list, which runs from `oldest` to `newest` in order of
 * updated_ms (an update moves an entry to the newest end), so that expiry
 * and replacement both take the oldest: with a fixed lifetime the least
 * recently updated entry is also the one closest to expiring.
 */
struct ys_pmtu_table {
	uint32_t seed; /* per table: forged messages cannot aim at a bucket */
	uint16_t n;
	uint16_t oldest, newest;
	uint16_t free;
	uint16_t buckets[YS_PMTU_BUCKETS];
	struct ys_pmtu_entry e[YS_PMTU_MAX_ENTRIES];
};

struct ys_stack;

/* An empty table. */
void ys_pmtu_init(struct ys_pmtu_table *t);

/*
 * The estimate for dst (network order) at `now_ms`, or 0 when there is
 * none (never learned, or expired and not yet swept by a tick).
 */
uint16_t ys_pmtu_get(const struct ys_pmtu_table *t, uint32_t dst,
                     uint64_t now_ms);

/*
 * Records `mtu` for dst at st->now_ms (a new entry replaces the oldest
 * when the table is full), counting pmtu_updates and keeping the
 * pmtu_entries gauge.
 */
void ys_pmtu_set(struct ys_stack *st, uint32_t dst, uint16_t mtu);

/* Removes the entries that expired at st->now_ms. */
void ys_pmtu_tick(struct ys_stack *st);

#endif /* YS_PMTU_H */
