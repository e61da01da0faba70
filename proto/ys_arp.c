/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP (RFC 826; RFC 1122 2.3.2) for one stack instance.
 *
 * The cache is a fixed array of entries (cache_size dynamic ones plus the
 * static ones) found through an open-addressing hash keyed by (interface,
 * address): linear probing over a power-of-two bucket array at most half
 * full, backward-shift deletion (no tombstones), a per-cache random seed
 * so that a peer choosing addresses cannot choose collisions. Everything
 * is allocated when the cache is made; nothing on the packet path.
 *
 * Each entry but a static one is on exactly one list, by state (ys_arp.h
 * says which): the timer list (incomplete entries, and stale ones being
 * probed), ordered by the time of their next retry because every retry is
 * scheduled retry_ms after "now" and the clock never goes back; the
 * reachable list, ordered by confirmation time for the same reason; the
 * stale list, in the order entries went stale. So a tick only looks at
 * list heads, and eviction (when every dynamic entry is taken) takes the
 * head of the stale list, else of the reachable list: the least recently
 * confirmed entry. Incomplete entries are never evicted; a datagram that
 * finds no room is dropped (arp_cache_full) and they fail on their own
 * within (retries + 1) * retry_ms.
 *
 * Datagrams waiting for resolution sit in a fixed pool of queue_total
 * slots, at most queue_per_entry per entry. RFC 1122 2.3.2.2: the link
 * layer "SHOULD save (rather than discard) at least one (the latest)
 * packet of each set of packets destined to the same unresolved IP
 * address": a full queue drops its oldest datagram for the new one.
 *
 * Learning follows RFC 826's merge rule (Packet Reception): the sender of
 * any ARP packet updates its entry when there is one; an entry is created
 * only when the packet's target is one of our addresses. Every secondary
 * gets a copy of every ARP frame (the primary fans them out) and learns;
 * only the one given YS_RX_F_ARP_RESPONDER answers.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_random.h>

#include "ys_arp.h"
#include "ys_route.h"
#include "ys_stack.h"
#include "ys_stack_pvt.h"

#define NIL UINT32_MAX

/* Which list an entry is on; see the file comment. */
enum arp_list {
	LIST_NONE = 0, /* static, or free */
	LIST_TIMER,
	LIST_REACHABLE,
	LIST_STALE,
	LIST_MAX
};

struct arp_entry {
	uint32_t ip;               /* network order; the key, with iface */
	struct rte_ether_addr mac; /* unless incomplete */
	uint16_t iface;            /* index into st->conf.ifaces */
	uint8_t state;             /* enum ys_arp_state */
	uint8_t list;              /* enum arp_list */
	bool in_use;
	uint8_t sent;            /* requests or probes sent in this round */
	uint64_t stamp_ms;       /* incomplete: first request; else confirmed */
	uint64_t due_ms;         /* on the timer list: next retry, or failure */
	uint32_t prev, next;     /* list links; `next` chains free entries */
	uint32_t q_head, q_tail; /* queue slots, NIL when empty */
	uint32_t q_len;
	uint32_t scratch; /* ys_arp_migrate() only */
};

struct arp_slot {
	struct rte_mbuf *m;
	uint32_t next; /* in the entry's queue, or the free chain */
};

struct arp_list_head {
	uint32_t head, tail;
};

struct ys_arp_cache {
	struct ys_arp_conf conf; /* defaults applied */
	uint32_t n_entries;      /* cache_size + static entries */
	uint32_t n_dynamic;      /* dynamic entries in use */
	uint32_t bucket_mask;
	uint64_t seed;
	uint32_t free_entry; /* chain through arp_entry.next */
	uint32_t free_slot;  /* chain through arp_slot.next */
	uint32_t queued;     /* datagrams in all queues */
	struct arp_list_head lists[LIST_MAX];
	uint32_t *buckets; /* entry index + 1; 0: empty */
	struct arp_entry *entries;
	struct arp_slot *slots;
};

static const struct rte_ether_addr bcast_mac = {
        .addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const struct rte_ether_addr zero_mac;

/* ---- configuration ------------------------------------------------------ */

static struct ys_arp_conf conf_resolved(const struct ys_arp_conf *in)
{
	struct ys_arp_conf c = *in;

#define YS_DEF(field, def) c.field = c.field ? c.field : (def)
	YS_DEF(cache_size, YS_ARP_DEFAULT_CACHE_SIZE);
	YS_DEF(reachable_ms, YS_ARP_DEFAULT_REACHABLE_MS);
	YS_DEF(retries, YS_ARP_DEFAULT_RETRIES);
	YS_DEF(retry_ms, YS_ARP_DEFAULT_RETRY_MS);
	YS_DEF(queue_per_entry, YS_ARP_DEFAULT_QUEUE_PER_ENTRY);
	YS_DEF(queue_total, YS_ARP_DEFAULT_QUEUE_TOTAL);
#undef YS_DEF
	return c;
}

static const char *ip_str(uint32_t ip, char *buf)
{
	inet_ntop(AF_INET, &ip, buf, INET_ADDRSTRLEN);
	return buf;
}

/* One static entry: interface, address, MAC, not a duplicate. */
static int check_static(const struct ys_stack_conf *conf, uint32_t i, char *err,
                        size_t err_len)
{
	const struct ys_arp_static *s = &conf->static_arp[i];
	char a[INET_ADDRSTRLEN];
	uint32_t k;

	if (s->iface >= conf->n_ifaces) {
		ys_conf_err(err, err_len,
		            "arp.entries[%u].interface: no interface %u", i,
		            s->iface);
		return -EINVAL;
	}
	for (k = 0; k < conf->n_ifaces; k++) {
		if (ys_iface_owns(&conf->ifaces[k], s->ip)) {
			ys_conf_err(err, err_len,
			            "arp.entries[%u].ip: %s is one of our "
			            "addresses",
			            i, ip_str(s->ip, a));
			return -EINVAL;
		}
	}
	if (!ys_ipv4_unicast_ok(&conf->ifaces[s->iface], s->ip) ||
	    !ys_route_on_link(conf, s->iface, s->ip, NULL, NULL)) {
		ys_conf_err(err, err_len,
		            "arp.entries[%u].ip: %s is not a host on the "
		            "prefixes of interfaces[%u]",
		            i, ip_str(s->ip, a), s->iface);
		return -EINVAL;
	}
	if (!rte_is_valid_assigned_ether_addr(&s->mac)) {
		ys_conf_err(err, err_len,
		            "arp.entries[%u].mac: must be a unicast address, "
		            "not all zeros",
		            i);
		return -EINVAL;
	}
	for (k = 0; k < i; k++) {
		if (conf->static_arp[k].ip == s->ip &&
		    conf->static_arp[k].iface == s->iface) {
			ys_conf_err(err, err_len,
			            "arp.entries[%u].ip: duplicates "
			            "arp.entries[%u]",
			            i, k);
			return -EINVAL;
		}
	}
	return 0;
}

/* The tunables' upper limits (0 takes the default). */
static int check_tunables(const struct ys_arp_conf *a, char *err,
                          size_t err_len)
{
	static const struct {
		const char *key;
		size_t offset;
		uint32_t max;
	} limits[] = {
	        {"cache_size", offsetof(struct ys_arp_conf, cache_size),
	         YS_ARP_MAX_CACHE_SIZE},
	        {"retries", offsetof(struct ys_arp_conf, retries),
	         YS_ARP_MAX_RETRIES},
	        {"queue_per_entry",
	         offsetof(struct ys_arp_conf, queue_per_entry),
	         YS_ARP_MAX_QUEUE_PER_ENTRY},
	        {"queue_total", offsetof(struct ys_arp_conf, queue_total),
	         YS_ARP_MAX_QUEUE_TOTAL},
	};
	size_t i;

	for (i = 0; i < RTE_DIM(limits); i++) {
		uint32_t v;

		memcpy(&v, (const char *)a + limits[i].offset, sizeof(v));
		if (v > limits[i].max) {
			ys_conf_err(err, err_len, "arp.%s: must be at most %u",
			            limits[i].key, limits[i].max);
			return -EINVAL;
		}
	}
	return 0;
}

int ys_arp_check_conf(const struct ys_stack_conf *conf, char *err,
                      size_t err_len)
{
	uint32_t i;
	int rc = check_tunables(&conf->arp, err, err_len);

	if (rc)
		return rc;
	if (conf->n_static_arp > YS_STACK_MAX_STATIC_ARP) {
		ys_conf_err(err, err_len,
		            "arp.entries: must have at most %u entries",
		            YS_STACK_MAX_STATIC_ARP);
		return -EINVAL;
	}
	for (i = 0; i < conf->n_static_arp; i++) {
		rc = check_static(conf, i, err, err_len);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- hash --------------------------------------------------------------- */

/* MurmurHash3's 64-bit finaliser over the seeded key. */
static uint32_t bucket_of(const struct ys_arp_cache *c, uint32_t iface,
                          uint32_t ip)
{
	uint64_t k = ((uint64_t)iface << 32 | ip) ^ c->seed;

	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	k *= UINT64_C(0xc4ceb9fe1a85ec53);
	k ^= k >> 33;
	return (uint32_t)k & c->bucket_mask;
}

/* The entry for (iface, ip), or NIL. */
static uint32_t arp_find(const struct ys_arp_cache *c, uint32_t iface,
                         uint32_t ip)
{
	uint32_t b = bucket_of(c, iface, ip);

	for (; c->buckets[b] != 0; b = (b + 1) & c->bucket_mask) {
		const struct arp_entry *e = &c->entries[c->buckets[b] - 1];

		if (e->ip == ip && e->iface == iface)
			return c->buckets[b] - 1;
	}
	return NIL;
}

static void hash_insert(struct ys_arp_cache *c, uint32_t idx)
{
	const struct arp_entry *e = &c->entries[idx];
	uint32_t b = bucket_of(c, e->iface, e->ip);

	while (c->buckets[b] != 0)
		b = (b + 1) & c->bucket_mask;
	c->buckets[b] = idx + 1;
}

/*
 * Removes idx and shifts back every later entry of its probe run that
 * may move (its home bucket is not cyclically inside (hole, position]),
 * so that lookups never need tombstones.
 */
static void hash_remove(struct ys_arp_cache *c, uint32_t idx)
{
	const struct arp_entry *e = &c->entries[idx];
	uint32_t hole = bucket_of(c, e->iface, e->ip), j, home;

	while (c->buckets[hole] != idx + 1)
		hole = (hole + 1) & c->bucket_mask;
	for (j = (hole + 1) & c->bucket_mask; c->buckets[j] != 0;
	     j = (j + 1) & c->bucket_mask) {
		e = &c->entries[c->buckets[j] - 1];
		home = bucket_of(c, e->iface, e->ip);
		if (hole <= j ? (hole < home && home <= j)
		              : (hole < home || home <= j))
			continue;
		c->buckets[hole] = c->buckets[j];
		hole = j;
	}
	c->buckets[hole] = 0;
}

/* ---- lists -------------------------------------------------------------- */

static void list_unlink(struct ys_arp_cache *c, uint32_t idx)
{
	struct arp_entry *e = &c->entries[idx];
	struct arp_list_head *l = &c->lists[e->list];

	if (e->list == LIST_NONE)
		return;
	if (e->prev != NIL)
		c->entries[e->prev].next = e->next;
	else
		l->head = e->next;
	if (e->next != NIL)
		c->entries[e->next].prev = e->prev;
	else
		l->tail = e->prev;
	e->list = LIST_NONE;
	e->prev = e->next = NIL;
}

/* Moves idx to the tail of list `to` (LIST_NONE: off every list). */
static void list_move(struct ys_arp_cache *c, uint32_t idx, enum arp_list to)
{
	struct arp_entry *e = &c->entries[idx];
	struct arp_list_head *l = &c->lists[to];

	list_unlink(c, idx);
	if (to == LIST_NONE)
		return;
	e->list = (uint8_t)to;
	e->prev = l->tail;
	e->next = NIL;
	if (l->tail != NIL)
		c->entries[l->tail].next = idx;
	else
		l->head = idx;
	l->tail = idx;
}

/* ---- wait queues -------------------------------------------------------- */

/* The oldest datagram waiting on idx, or NULL. */
static struct rte_mbuf *queue_pop(struct ys_arp_cache *c, uint32_t idx)
{
	struct arp_entry *e = &c->entries[idx];
	struct arp_slot *s;
	struct rte_mbuf *m;
	uint32_t slot = e->q_head;

	if (slot == NIL)
		return NULL;
	s = &c->slots[slot];
	m = s->m;
	e->q_head = s->next;
	if (e->q_head == NIL)
		e->q_tail = NIL;
	e->q_len--;
	c->queued--;
	s->m = NULL;
	s->next = c->free_slot;
	c->free_slot = slot;
	return m;
}

/* Drops every datagram waiting on idx of c, counted under `why`. */
static void queue_drop_all(struct ys_stack *st, struct ys_arp_cache *c,
                           uint32_t idx, enum ys_stack_drop_reason why)
{
	struct rte_mbuf *m;

	while ((m = queue_pop(c, idx)) != NULL)
		ys_stack_drop(st, m, why);
}

/*
 * Queues m on idx of st->arp. When the entry's queue (or every slot) is
 * full, its oldest datagram makes room (RFC 1122 2.3.2.2: keep the
 * latest); an entry with nothing queued while every slot is taken drops
 * m itself. Consumes m. 0 when m was queued, -ENOBUFS when dropped.
 */
static int queue_add(struct ys_stack *st, uint32_t idx, struct rte_mbuf *m)
{
	struct ys_arp_cache *c = st->arp;
	struct arp_entry *e = &c->entries[idx];
	uint32_t slot;

	if (e->q_len >= c->conf.queue_per_entry ||
	    (c->queued >= c->conf.queue_total && e->q_len > 0))
		ys_stack_drop(st, queue_pop(c, idx),
		              YS_STACK_DROP_arp_queue_dropped);
	if (c->queued >= c->conf.queue_total) {
		ys_stack_drop(st, m, YS_STACK_DROP_arp_queue_dropped);
		return -ENOBUFS;
	}
	slot = c->free_slot;
	c->free_slot = c->slots[slot].next;
	c->slots[slot].m = m;
	c->slots[slot].next = NIL;
	if (e->q_tail != NIL)
		c->slots[e->q_tail].next = slot;
	else
		e->q_head = slot;
	e->q_tail = slot;
	e->q_len++;
	c->queued++;
	return 0;
}

/* queue_add(), counting a datagram that starts waiting. Consumes m. */
static int queue_push(struct ys_stack *st, uint32_t idx, struct rte_mbuf *m)
{
	int rc = queue_add(st, idx, m);

	if (rc == 0)
		st->stats->arp_queued++;
	return rc;
}

/* ---- entries ------------------------------------------------------------ */

/* Takes a free entry of c for (iface, ip) in `state`, off every list. */
static uint32_t entry_take(struct ys_arp_cache *c, uint32_t iface, uint32_t ip,
                           enum ys_arp_state state)
{
	uint32_t idx = c->free_entry;
	struct arp_entry *e = &c->entries[idx];

	c->free_entry = e->next;
	memset(e, 0, sizeof(*e));
	e->ip = ip;
	e->iface = (uint16_t)iface;
	e->state = (uint8_t)state;
	e->in_use = true;
	e->prev = e->next = NIL;
	e->q_head = e->q_tail = NIL;
	hash_insert(c, idx);
	if (state != YS_ARP_STATIC)
		c->n_dynamic++;
	return idx;
}

/* Removes idx from c, dropping what waits on it under `why`. */
static void entry_remove(struct ys_stack *st, struct ys_arp_cache *c,
                         uint32_t idx, enum ys_stack_drop_reason why)
{
	struct arp_entry *e = &c->entries[idx];

	queue_drop_all(st, c, idx, why);
	list_unlink(c, idx);
	hash_remove(c, idx);
	if (e->state != YS_ARP_STATIC)
		c->n_dynamic--;
	e->in_use = false;
	e->next = c->free_entry;
	c->free_entry = idx;
}

/* Evicts the least recently confirmed idle entry; false when none. */
static bool entry_evict(struct ys_stack *st)
{
	struct ys_arp_cache *c = st->arp;
	uint32_t idx = c->lists[LIST_STALE].head;

	if (idx == NIL)
		idx = c->lists[LIST_REACHABLE].head;
	if (idx == NIL)
		return false;
	/* Stale and reachable entries have empty queues. */
	entry_remove(st, c, idx, YS_STACK_DROP_arp_queue_dropped);
	st->stats->arp_entries_evicted++;
	return true;
}

/* A new dynamic entry of st->arp, evicting one if needed; NIL if full. */
static uint32_t entry_new(struct ys_stack *st, uint32_t iface, uint32_t ip,
                          enum ys_arp_state state)
{
	struct ys_arp_cache *c = st->arp;

	if (c->n_dynamic >= c->conf.cache_size && !entry_evict(st))
		return NIL;
	return entry_take(c, iface, ip, state);
}

/* ---- frames ------------------------------------------------------------- */

/*
 * A fresh 42-byte ARP frame from ifp (RFC 826 packet format; the link
 * layer pads it to 60 bytes), or NULL after counting tx_alloc_failed.
 */
static struct rte_mbuf *
arp_build(struct ys_stack *st, const struct ys_stack_iface *ifp, uint16_t op,
          const struct rte_ether_addr *eth_dst, uint32_t sip,
          const struct rte_ether_addr *tha, uint32_t tip)
{
	struct rte_mbuf *m = ys_stack_alloc(st);
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;

	if (m == NULL)
		return NULL;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(
	        m, (uint16_t)(YS_ETH_HLEN + YS_ARP_LEN));
	if (eh == NULL) { /* a pool of mbufs smaller than 42 bytes */
		ys_stack_drop(st, m, YS_STACK_DROP_tx_alloc_failed);
		return NULL;
	}
	eh->dst_addr = *eth_dst;
	eh->src_addr = ifp->mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	ah = (struct rte_arp_hdr *)(eh + 1);
	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = sizeof(uint32_t);
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = ifp->mac;
	ah->arp_data.arp_sip = sip;
	ah->arp_data.arp_tha = *tha;
	ah->arp_data.arp_tip = tip;
	return m;
}

/*
 * Sends a request for idx: broadcast while incomplete, unicast to the
 * known MAC while stale (RFC 1122 2.3.2.1, "Unicast Poll": it asks only
 * the neighbour, not every host of the link, and an answer proves the
 * MAC we use still reaches it; if it stays silent the entry is removed
 * and the next datagram asks by broadcast). Schedules the next retry.
 */
static void arp_solicit(struct ys_stack *st, uint32_t idx)
{
	struct ys_arp_cache *c = st->arp;
	struct arp_entry *e = &c->entries[idx];
	const struct ys_stack_iface *ifp = &st->conf.ifaces[e->iface];
	bool unicast = e->state == YS_ARP_STALE;
	uint32_t sip = ifp->addrs[0];
	struct rte_mbuf *m;

	/* RFC 826: the sender protocol address is ours, the one on the
	 * target's prefix. */
	ys_route_on_link(&st->conf, e->iface, e->ip, NULL, &sip);
	m = arp_build(st, ifp, RTE_ARP_OP_REQUEST,
	              unicast ? &e->mac : &bcast_mac, sip, &zero_mac, e->ip);
	if (m != NULL && ys_stack_tx(st, ifp, m))
		st->stats->arp_requests_sent++;
	e->sent++;
	e->due_ms = st->now_ms + c->conf.retry_ms;
	list_move(c, idx, LIST_TIMER);
}

/* Sends the datagram m (Ethernet header in front) to `mac`. Consumes m. */
static int send_to(struct ys_stack *st, const struct ys_stack_iface *ifp,
                   const struct rte_ether_addr *mac, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	eh->dst_addr = *mac;
	eh->src_addr = ifp->mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	return ys_ipv4_eth_output(st, ifp, m) ? 0 : -ENOBUFS;
}

/* Sends what waits on idx of c to `mac` out of iface, oldest first. */
static void queue_flush(struct ys_stack *st, struct ys_arp_cache *c,
                        uint32_t idx, uint32_t iface,
                        const struct rte_ether_addr *mac)
{
	struct rte_mbuf *m;

	while ((m = queue_pop(c, idx)) != NULL)
		send_to(st, &st->conf.ifaces[iface], mac, m);
}

/* ---- learning (RFC 826 Packet Reception) ------------------------------- */

/*
 * Whether the sender of an ARP packet on ifp is one to learn: not our
 * own frame coming back, not a claim on one of our addresses (counted:
 * RFC 5227 2.4 calls it a conflict), not a probe's 0.0.0.0 (RFC 5227
 * 2.1.1), a unicast address and a unicast MAC (RFC 1812 3.3.2: a
 * broadcast or multicast link address in an ARP reply must be ignored).
 */
static bool sender_ok(struct ys_stack *st, const struct ys_stack_iface *ifp,
                      uint32_t sip, const struct rte_ether_addr *sha)
{
	if (rte_is_same_ether_addr(sha, &ifp->mac))
		return false;
	if (ys_stack_is_local(st, sip)) {
		st->stats->arp_address_conflicts++;
		return false;
	}
	return rte_is_valid_assigned_ether_addr(sha) &&
	       ys_ipv4_unicast_ok(ifp, sip);
}

/* The merge step: idx now maps to sha, confirmed now. A static entry is
 * never overwritten by learning. */
static void entry_update(struct ys_stack *st, uint32_t idx,
                         const struct rte_ether_addr *sha)
{
	struct ys_arp_cache *c = st->arp;
	struct arp_entry *e = &c->entries[idx];
	bool was_incomplete = e->state == YS_ARP_INCOMPLETE;

	if (e->state == YS_ARP_STATIC)
		return;
	e->mac = *sha;
	e->state = YS_ARP_REACHABLE;
	e->stamp_ms = st->now_ms;
	e->sent = 0;
	list_move(c, idx, LIST_REACHABLE);
	if (!was_incomplete) {
		st->stats->arp_entries_updated++;
		return;
	}
	st->stats->arp_entries_learned++;
	queue_flush(st, c, idx, e->iface, &e->mac);
}

/*
 * RFC 826: "If the pair <protocol type, sender protocol address> is
 * already in my translation table, update the sender hardware address
 * field of the entry [...]. ?Am I the target protocol address? Yes: If
 * Merge_flag is false, add the triplet". Entries are only made for
 * senders on ifp's connected prefixes: no route could use another one.
 * Returns true when the packet matched an entry or made one.
 */
static bool arp_merge(struct ys_stack *st, const struct ys_stack_iface *ifp,
                      uint32_t sip, const struct rte_ether_addr *sha,
                      bool for_us)
{
	uint32_t iface = ys_iface_index(st, ifp), idx;
	struct arp_entry *e;

	if (!sender_ok(st, ifp, sip, sha))
		return false;
	idx = arp_find(st->arp, iface, sip);
	if (idx != NIL) {
		entry_update(st, idx, sha);
		return true;
	}
	if (!for_us || !ys_route_on_link(&st->conf, iface, sip, NULL, NULL))
		return false;
	idx = entry_new(st, iface, sip, YS_ARP_REACHABLE);
	if (idx == NIL)
		return false;
	e = &st->arp->entries[idx];
	e->mac = *sha;
	e->stamp_ms = st->now_ms;
	list_move(st->arp, idx, LIST_REACHABLE);
	st->stats->arp_entries_learned++;
	return true;
}

/* ---- input -------------------------------------------------------------- */

/*
 * ARP request for one of our addresses (`tip`, network order), in m:
 * the responder answers it in place, the other instances leave it to
 * that one. Consumes m.
 */
static void arp_request_input(struct ys_stack *st,
                              const struct ys_stack_iface *ifp,
                              struct rte_mbuf *m, uint32_t tip, uint32_t flags)
{
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;
	struct rte_ether_addr sha;

	/* Every instance sees ARP (and learns from it); one answers. */
	if (!(flags & YS_RX_F_ARP_RESPONDER)) {
		st->stats->arp_requests_left_to_peer++;
		ys_stack_free(st, m);
		return;
	}
	m = ys_stack_writable(st, m);
	if (m == NULL)
		return;

	/* RFC 826 Packet Reception: "Swap hardware and protocol fields,
	 * putting the local hardware and protocol addresses in the sender
	 * fields. Set the ar$op field to ares_op$REPLY. Send the packet to
	 * the (new) target hardware address on the same hardware on which
	 * the request was received." */
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ah = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, YS_ETH_HLEN);
	sha = ah->arp_data.arp_sha;
	ah->arp_data.arp_tha = sha;
	ah->arp_data.arp_tip = ah->arp_data.arp_sip;
	ah->arp_data.arp_sha = ifp->mac;
	ah->arp_data.arp_sip = tip;
	ah->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	eh->dst_addr = sha;
	eh->src_addr = ifp->mac;
	/* The request's Ethernet padding is not ours to echo; the link layer
	 * pads the reply. */
	ys_stack_trim(st, m, YS_ETH_HLEN + YS_ARP_LEN);

	if (ys_stack_tx(st, ifp, m))
		st->stats->arp_requests_answered++;
}

/* Whether the ARP header in m is one this stack speaks. Borrows m. */
static bool arp_header_ok(const struct rte_mbuf *m)
{
	const struct rte_arp_hdr *ah;

	/* RFC 826 Packet Reception: only Ethernet (ar$hrd 1, ar$hln 6)
	 * resolving IPv4 (ar$pro 0x0800, ar$pln 4) is spoken here. */
	if (m->data_len < YS_ETH_HLEN + YS_ARP_LEN)
		return false;
	ah = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *,
	                             YS_ETH_HLEN);
	return rte_be_to_cpu_16(ah->arp_hardware) == RTE_ARP_HRD_ETHER &&
	       rte_be_to_cpu_16(ah->arp_protocol) == RTE_ETHER_TYPE_IPV4 &&
	       ah->arp_hlen == RTE_ETHER_ADDR_LEN &&
	       ah->arp_plen == sizeof(uint32_t);
}

void ys_arp_input(struct ys_stack *st, const struct ys_stack_iface *ifp,
                  struct rte_mbuf *m, uint32_t flags)
{
	const struct rte_arp_hdr *ah;
	struct rte_ether_addr sha;
	uint32_t sip, tip;
	uint16_t op;
	bool for_us, known;

	if (!arp_header_ok(m)) {
		ys_stack_drop(st, m, YS_STACK_DROP_arp_malformed);
		return;
	}
	st->stats->arp_rx++;
	ah = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *,
	                             YS_ETH_HLEN);
	op = rte_be_to_cpu_16(ah->arp_opcode);
	/* RFC 826 merges before it looks at the opcode; other opcodes (RARP,
	 * RFC 903; InARP, RFC 2390) give the sender fields other meanings,
	 * so only requests and replies are learnt from. */
	if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) {
		ys_stack_drop(st, m, YS_STACK_DROP_arp_unsupported_op);
		return;
	}
	if (op == RTE_ARP_OP_REPLY)
		st->stats->arp_replies_received++;
	sha = ah->arp_data.arp_sha;
	sip = ah->arp_data.arp_sip;
	tip = ah->arp_data.arp_tip;
	for_us = ys_iface_owns(ifp, tip);
	known = arp_merge(st, ifp, sip, &sha, for_us);
	if (for_us && op == RTE_ARP_OP_REQUEST)
		arp_request_input(st, ifp, m, tip, flags);
	else if (for_us || known)
		ys_stack_free(st, m); /* handled: learnt from */
	else
		ys_stack_drop(st, m, YS_STACK_DROP_arp_not_for_us);
}

/* ---- output ------------------------------------------------------------- */

/* No entry for (iface, next_hop) yet: make an incomplete one, queue m,
 * ask by broadcast. Consumes m. */
static int resolve_new(struct ys_stack *st, uint32_t iface, uint32_t next_hop,
                       struct rte_mbuf *m)
{
	uint32_t idx = entry_new(st, iface, next_hop, YS_ARP_INCOMPLETE);
	int rc;

	if (idx == NIL) {
		ys_stack_drop(st, m, YS_STACK_DROP_arp_cache_full);
		return -ENOBUFS;
	}
	st->arp->entries[idx].stamp_ms = st->now_ms;
	rc = queue_push(st, idx, m);
	arp_solicit(st, idx);
	return rc;
}

int ys_arp_output(struct ys_stack *st, uint32_t iface, uint32_t next_hop,
                  struct rte_mbuf *m)
{
	const struct ys_stack_iface *ifp = &st->conf.ifaces[iface];
	uint32_t idx = arp_find(st->arp, iface, next_hop);
	struct arp_entry *e;
	int rc;

	if (idx == NIL)
		return resolve_new(st, iface, next_hop, m);
	e = &st->arp->entries[idx];
	switch (e->state) {
	case YS_ARP_INCOMPLETE:
		return queue_push(st, idx, m);
	case YS_ARP_STALE:
		/* Used while stale: send at once, and probe unless a probe
		 * is already out. */
		rc = send_to(st, ifp, &e->mac, m);
		if (e->list != LIST_TIMER)
			arp_solicit(st, idx);
		return rc;
	default:
		return send_to(st, ifp, &e->mac, m);
	}
}

/* ---- time --------------------------------------------------------------- */

void ys_arp_tick(struct ys_stack *st)
{
	struct ys_arp_cache *c = st->arp;
	uint32_t idx;

	if (c == NULL)
		return;
	/* RFC 1122 2.3.2.1: a translation is trusted for a while after it
	 * was confirmed, then revalidated when used. */
	while ((idx = c->lists[LIST_REACHABLE].head) != NIL &&
	       c->entries[idx].stamp_ms + c->conf.reachable_ms <= st->now_ms) {
		c->entries[idx].state = YS_ARP_STALE;
		list_move(c, idx, LIST_STALE);
	}
	/* Each retry moves the entry to the tail with a later due time, so
	 * the loop ends; a late tick retries once, not once per period. */
	while ((idx = c->lists[LIST_TIMER].head) != NIL &&
	       c->entries[idx].due_ms <= st->now_ms) {
		if (c->entries[idx].sent <= c->conf.retries) {
			arp_solicit(st, idx);
			continue;
		}
		st->stats->arp_entries_failed++;
		entry_remove(st, c, idx, YS_STACK_DROP_arp_resolve_failed);
	}
}

/* ---- announce, dump ----------------------------------------------------- */

int ys_arp_announce(struct ys_stack *st)
{
	int rc = 0;
	uint32_t i, j;

	for (i = 0; i < st->conf.n_ifaces; i++) {
		const struct ys_stack_iface *ifp = &st->conf.ifaces[i];

		for (j = 0; j < ifp->n_addrs; j++) {
			uint32_t a = ifp->addrs[j];
			struct rte_mbuf *m =
			        arp_build(st, ifp, RTE_ARP_OP_REQUEST,
			                  &bcast_mac, a, &zero_mac, a);

			if (m != NULL && ys_stack_tx(st, ifp, m))
				st->stats->arp_gratuitous_sent++;
			else
				rc = -ENOBUFS;
		}
	}
	return rc;
}

void ys_arp_foreach(const struct ys_stack *st,
                    void (*fn)(void *ctx, const struct ys_arp_entry_info *e),
                    void *ctx)
{
	const struct ys_arp_cache *c = st->arp;
	uint32_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_entries; i++) {
		const struct arp_entry *e = &c->entries[i];
		struct ys_arp_entry_info info;

		if (!e->in_use)
			continue;
		memset(&info, 0, sizeof(info));
		info.ip = e->ip;
		info.has_mac = e->state != YS_ARP_INCOMPLETE;
		if (info.has_mac)
			info.mac = e->mac;
		info.port_id = st->conf.ifaces[e->iface].port_id;
		info.state = (enum ys_arp_state)e->state;
		if (e->state != YS_ARP_STATIC)
			info.age_ms = st->now_ms - e->stamp_ms;
		info.queued = e->q_len;
		fn(ctx, &info);
	}
}

/* ---- life cycle --------------------------------------------------------- */

static void cache_release(struct ys_arp_cache *c)
{
	free(c->buckets);
	free(c->entries);
	free(c->slots);
	free(c);
}

/* Chains every entry and slot on the free lists; every list empty. */
static void cache_reset(struct ys_arp_cache *c)
{
	uint32_t i;

	for (i = 0; i < c->n_entries; i++)
		c->entries[i].next = i + 1 < c->n_entries ? i + 1 : NIL;
	for (i = 0; i < c->conf.queue_total; i++)
		c->slots[i].next = i + 1 < c->conf.queue_total ? i + 1 : NIL;
	c->free_entry = c->n_entries ? 0 : NIL;
	c->free_slot = c->conf.queue_total ? 0 : NIL;
	for (i = 0; i < LIST_MAX; i++)
		c->lists[i].head = c->lists[i].tail = NIL;
}

struct ys_arp_cache *ys_arp_cache_create(const struct ys_stack_conf *conf)
{
	struct ys_arp_cache *c = calloc(1, sizeof(*c));
	uint32_t i, n_buckets;

	if (c == NULL)
		goto nomem;
	c->conf = conf_resolved(&conf->arp);
	c->n_entries = c->conf.cache_size + conf->n_static_arp;
	/* At most half full: probe runs stay short. */
	n_buckets = rte_align32pow2(2 * c->n_entries);
	c->bucket_mask = n_buckets - 1;
	c->seed = rte_rand();
	c->buckets = calloc(n_buckets, sizeof(*c->buckets));
	c->entries = calloc(c->n_entries, sizeof(*c->entries));
	c->slots = calloc(c->conf.queue_total, sizeof(*c->slots));
	if (c->buckets == NULL || c->entries == NULL || c->slots == NULL) {
		cache_release(c);
		goto nomem;
	}
	cache_reset(c);
	for (i = 0; i < conf->n_static_arp; i++) {
		const struct ys_arp_static *s = &conf->static_arp[i];
		uint32_t idx = entry_take(c, s->iface, s->ip, YS_ARP_STATIC);

		c->entries[idx].mac = s->mac;
	}
	return c;
nomem:
	errno = ENOMEM;
	return NULL;
}

void ys_arp_cache_free(struct ys_stack *st, struct ys_arp_cache *c)
{
	uint32_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_entries; i++)
		if (c->entries[i].in_use)
			queue_drop_all(st, c, i,
			               YS_STACK_DROP_arp_queue_dropped);
	cache_release(c);
}

/* ---- reconfiguration ---------------------------------------------------- */

#define MIGRATE_DROP   NIL        /* removed, queue dropped */
#define MIGRATE_STATIC (1u << 31) /* | new iface: now a static address */

/* What happens to old entry e: MIGRATE_DROP, MIGRATE_STATIC | iface, or
 * the new interface it moves to. */
static uint32_t migrate_target(const struct ys_stack *st,
                               const struct arp_entry *e,
                               const struct ys_stack_conf *old_conf)
{
	uint16_t port = old_conf->ifaces[e->iface].port_id;
	uint16_t vlan = old_conf->ifaces[e->iface].vlan; /* same LAN only */
	uint32_t k;

	for (k = 0; k < st->conf.n_ifaces; k++) {
		if (st->conf.ifaces[k].port_id != port ||
		    st->conf.ifaces[k].vlan != vlan ||
		    !ys_route_on_link(&st->conf, k, e->ip, NULL, NULL))
			continue;
		if (arp_find(st->arp, k, e->ip) != NIL)
			return MIGRATE_STATIC | k;
		return k;
	}
	return MIGRATE_DROP;
}

/*
 * Marks every dynamic entry of old with its target; when more would stay
 * than the new cache holds, the least recently confirmed go (stale list
 * first, then reachable, then timer, each from its head).
 */
static void migrate_plan(struct ys_stack *st, struct ys_arp_cache *old,
                         const struct ys_stack_conf *old_conf)
{
	static const enum arp_list order[] = {LIST_STALE, LIST_REACHABLE,
	                                      LIST_TIMER};
	uint32_t keep = 0, excess, idx;
	size_t l;

	for (l = 0; l < RTE_DIM(order); l++) {
		for (idx = old->lists[order[l]].head; idx != NIL;
		     idx = old->entries[idx].next) {
			struct arp_entry *e = &old->entries[idx];

			e->scratch = migrate_target(st, e, old_conf);
			keep += e->scratch < MIGRATE_STATIC;
		}
	}
	excess = keep > st->arp->conf.cache_size
	                 ? keep - st->arp->conf.cache_size
	                 : 0;
	for (l = 0; l < RTE_DIM(order) && excess > 0; l++) {
		for (idx = old->lists[order[l]].head; idx != NIL && excess > 0;
		     idx = old->entries[idx].next) {
			struct arp_entry *e = &old->entries[idx];

			if (e->scratch < MIGRATE_STATIC) {
				e->scratch = MIGRATE_DROP;
				st->stats->arp_entries_evicted++;
				excess--;
			}
		}
	}
}

/* Copies old entry `from` into the new cache on interface `iface`. */
static void migrate_entry(struct ys_stack *st, struct ys_arp_cache *old,
                          uint32_t from, uint32_t iface)
{
	struct arp_entry *o = &old->entries[from], *e;
	uint32_t idx =
	        entry_take(st->arp, iface, o->ip, (enum ys_arp_state)o->state);
	struct rte_mbuf *m;

	e = &st->arp->entries[idx];
	e->mac = o->mac;
	e->sent = o->sent;
	e->stamp_ms = o->stamp_ms;
	/* The tick reads the timer list as sorted by due time, which new
	 * entries (due now + the new retry_ms) assume: a migrated one is
	 * due no later than the new interval would make it. */
	e->due_ms = RTE_MIN(o->due_ms, st->now_ms + st->arp->conf.retry_ms);
	list_move(st->arp, idx, (enum arp_list)o->list);
	/* Still waiting, not newly: moved without counting (the new limits
	 * apply). */
	while ((m = queue_pop(old, from)) != NULL)
		queue_add(st, idx, m);
}

/* Sends what waits on old entry `from` to the static entry its address
 * now has on `iface`. */
static void migrate_to_static(struct ys_stack *st, struct ys_arp_cache *old,
                              uint32_t from, uint32_t iface)
{
	uint32_t idx = arp_find(st->arp, iface, old->entries[from].ip);

	queue_flush(st, old, from, iface, &st->arp->entries[idx].mac);
}

void ys_arp_migrate(struct ys_stack *st, struct ys_arp_cache *old,
                    const struct ys_stack_conf *old_conf)
{
	static const enum arp_list order[] = {LIST_TIMER, LIST_REACHABLE,
	                                      LIST_STALE};
	uint32_t idx, t;
	size_t l;

	if (old == NULL)
		return;
	migrate_plan(st, old, old_conf);
	/* Lists are walked from their heads, so each keeps its order. */
	for (l = 0; l < RTE_DIM(order); l++) {
		for (idx = old->lists[order[l]].head; idx != NIL;
		     idx = old->entries[idx].next) {
			t = old->entries[idx].scratch;
			if (t == MIGRATE_DROP)
				queue_drop_all(
				        st, old, idx,
				        YS_STACK_DROP_arp_resolve_failed);
			else if (t & MIGRATE_STATIC)
				migrate_to_static(st, old, idx,
				                  t & ~MIGRATE_STATIC);
			else
				migrate_entry(st, old, idx, t);
		}
	}
	cache_release(old);
}
