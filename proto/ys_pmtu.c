/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Path MTU estimates (RFC 1191) of one stack instance: a fixed table of
 * YS_PMTU_MAX_ENTRIES destinations inside struct ys_stack, found by a
 * hash of the destination, aged by the hand-ticked clock. No allocation,
 * no per-packet cost beyond one bucket's chain.
 *
 * Replacement takes the least recently updated entry. A lookup does not
 * refresh an entry (ys_stack_pmtu() is const, and a lookup says nothing
 * about whether the estimate is still right), and with one lifetime for
 * all, the least recently updated entry is the one that would expire
 * first anyway.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_random.h>

#include "ys_pmtu.h"
#include "ys_route.h"
#include "ys_stack.h"
#include "ys_stack_pvt.h"

static uint32_t pmtu_bucket(const struct ys_pmtu_table *t, uint32_t dst)
{
	/* Fibonacci hashing of the seeded address: the top bits of a
	 * multiplication mix every byte. */
	return (uint32_t)(((dst ^ t->seed) * UINT32_C(2654435761)) >> 24) &
	       (YS_PMTU_BUCKETS - 1);
}

void ys_pmtu_init(struct ys_pmtu_table *t)
{
	uint16_t i;

	memset(t, 0, sizeof(*t));
	t->seed = (uint32_t)rte_rand();
	t->oldest = YS_PMTU_NIL;
	t->newest = YS_PMTU_NIL;
	for (i = 0; i < YS_PMTU_BUCKETS; i++)
		t->buckets[i] = YS_PMTU_NIL;
	for (i = 0; i < YS_PMTU_MAX_ENTRIES; i++)
		t->e[i].next =
		        i + 1 < YS_PMTU_MAX_ENTRIES ? i + 1 : YS_PMTU_NIL;
	t->free = 0;
}

static uint16_t pmtu_find(const struct ys_pmtu_table *t, uint32_t dst)
{
	uint16_t i;

	for (i = t->buckets[pmtu_bucket(t, dst)]; i != YS_PMTU_NIL;
	     i = t->e[i].hnext)
		if (t->e[i].dst == dst)
			return i;
	return YS_PMTU_NIL;
}

static bool pmtu_expired(const struct ys_pmtu_entry *e, uint64_t now_ms)
{
	return now_ms - e->updated_ms >= YS_PMTU_EXPIRE_MS;
}

uint16_t ys_pmtu_get(const struct ys_pmtu_table *t, uint32_t dst,
                     uint64_t now_ms)
{
	uint16_t i = pmtu_find(t, dst);

	if (i == YS_PMTU_NIL || pmtu_expired(&t->e[i], now_ms))
		return 0;
	return t->e[i].mtu;
}

/* Takes entry i off the age list. */
static void age_unlink(struct ys_pmtu_table *t, uint16_t i)
{
	struct ys_pmtu_entry *e = &t->e[i];

	if (e->prev != YS_PMTU_NIL)
		t->e[e->prev].next = e->next;
	else
		t->oldest = e->next;
	if (e->next != YS_PMTU_NIL)
		t->e[e->next].prev = e->prev;
	else
		t->newest = e->prev;
}

/* Puts entry i at the newest end of the age list. */
static void age_append(struct ys_pmtu_table *t, uint16_t i)
{
	struct ys_pmtu_entry *e = &t->e[i];

	e->prev = t->newest;
	e->next = YS_PMTU_NIL;
	if (t->newest != YS_PMTU_NIL)
		t->e[t->newest].next = i;
	else
		t->oldest = i;
	t->newest = i;
}

/* Removes entry i from its chain and the age list, onto the free list. */
static void pmtu_remove(struct ys_pmtu_table *t, uint16_t i)
{
	uint16_t *link = &t->buckets[pmtu_bucket(t, t->e[i].dst)];

	while (*link != i)
		link = &t->e[*link].hnext;
	*link = t->e[i].hnext;
	age_unlink(t, i);
	t->e[i].next = t->free;
	t->free = i;
	t->n--;
}

/* A free entry for dst, on its chain; the oldest is reused when full. */
static uint16_t pmtu_new(struct ys_pmtu_table *t, uint32_t dst)
{
	uint32_t b = pmtu_bucket(t, dst);
	uint16_t i;

	if (t->free == YS_PMTU_NIL)
		pmtu_remove(t, t->oldest);
	i = t->free;
	t->free = t->e[i].next;
	t->e[i].dst = dst;
	t->e[i].hnext = t->buckets[b];
	t->buckets[b] = i;
	t->n++;
	age_append(t, i);
	return i;
}

void ys_pmtu_set(struct ys_stack *st, uint32_t dst, uint16_t mtu)
{
	struct ys_pmtu_table *t = &st->pmtu;
	uint16_t i = pmtu_find(t, dst);

	if (i == YS_PMTU_NIL) {
		i = pmtu_new(t, dst);
	} else {
		age_unlink(t, i);
		age_append(t, i);
	}
	t->e[i].mtu = mtu;
	t->e[i].updated_ms = st->now_ms;
	st->stats->pmtu_updates++;
	/* A gauge kept on every change, so that a stats reset heals at the
	 * next one. */
	st->stats->pmtu_entries = t->n;
}

void ys_pmtu_tick(struct ys_stack *st)
{
	struct ys_pmtu_table *t = &st->pmtu;
	bool changed = false;

	while (t->oldest != YS_PMTU_NIL &&
	       pmtu_expired(&t->e[t->oldest], st->now_ms)) {
		pmtu_remove(t, t->oldest);
		st->stats->pmtu_expired++;
		changed = true;
	}
	if (changed)
		st->stats->pmtu_entries = t->n;
}

uint16_t ys_stack_pmtu(const struct ys_stack *st, uint32_t dst_be)
{
	const struct ys_route *r =
	        ys_route_lookup(&st->routes, rte_be_to_cpu_32(dst_be));
	uint16_t ifmtu, mtu;

	if (r == NULL)
		return 0;
	ifmtu = st->conf.ifaces[r->iface].mtu != 0
	                ? st->conf.ifaces[r->iface].mtu
	                : YS_STACK_DEFAULT_MTU;
	mtu = ys_pmtu_get(&st->pmtu, dst_be, st->now_ms);
	/* An interface whose MTU a reload lowered below the estimate. */
	return mtu != 0 && mtu < ifmtu ? mtu : ifmtu;
}

void ys_stack_pmtu_foreach(const struct ys_stack *st, ys_pmtu_visit_fn fn,
                           void *ctx)
{
	const struct ys_pmtu_table *t = &st->pmtu;
	uint16_t i;

	for (i = t->oldest; i != YS_PMTU_NIL; i = t->e[i].next) {
		struct ys_pmtu_info info;

		if (pmtu_expired(&t->e[i], st->now_ms))
			continue;
		memset(&info, 0, sizeof(info));
		info.dst = t->e[i].dst;
		info.mtu = t->e[i].mtu;
		info.age_ms = st->now_ms - t->e[i].updated_ms;
		fn(ctx, &info);
	}
}
