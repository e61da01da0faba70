/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dispatcher: every frame the primary receives goes to exactly one
 * secondary's rx ring (by the Toeplitz hash of its flow, classify.c,
 * through the RETA), or as copies to every secondary (ARP, IPv6 neighbour
 * discovery), or into reassembly (fragments, reasm.c), or is freed and
 * counted under one drop reason. Also the transmit side: what secondaries
 * left on their tx rings goes to the ports.
 */
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf_dyn.h>

#include "classify.h"
#include "primary.h"
#include "reasm.h"

struct staged {
	uint16_t n;
	struct rte_mbuf *pkts[YS_BURST];
};

/* Frees m, counted under `reason`. Consumes m (untagged: ours). */
static inline void drop(struct ys_port_stats *stats, struct rte_mbuf *m,
                        enum ys_port_drop_reason reason)
{
	stats->drops[reason]++;
	rte_pktmbuf_free(m);
}

static inline int secondary_running(const struct ys_dispatch *d, uint16_t k)
{
	return d->slots[k].state >= YS_SEC_RUNNING;
}

/*
 * Consumes m: staged for secondary k, or freed and counted. From here
 * on m belongs to k, so it carries k's owner tag (ys_mbuf.h) before it
 * is on k's ring; flush_staged() takes the tag back if the ring is full.
 */
static void stage(const struct ys_dispatch *d, struct ys_port_stats *stats,
                  struct staged *st, uint16_t k, struct rte_mbuf *m,
                  uint32_t flags)
{
	if (!secondary_running(d, k)) {
		drop(stats, m, YS_PORT_DROP_secondary_dead);
		return;
	}
	ys_mbuf_meta(m, d->meta_offset)->flags = flags;
	ys_mbuf_set_owner(m, d->meta_offset, (uint16_t)(k + 1));
	st[k].pkts[st[k].n++] = m;
}

/*
 * Consumes m. Every live secondary gets its own copy (never a shared
 * reference: each owner frees its own, and owner tags stay per mbuf),
 * and exactly the one that owns the address pair is told to answer. The
 * responder gets the original, so a failed copy never silences a reply.
 */
static void fanout(const struct ys_dispatch *d, struct ys_port_stats *stats,
                   struct staged *st, uint16_t responder, struct rte_mbuf *m)
{
	int last = -1;

	for (uint16_t k = 0; k < d->n_secondaries; k++)
		if (secondary_running(d, k))
			last = k;
	if (last < 0) {
		drop(stats, m, YS_PORT_DROP_secondary_dead);
		return;
	}
	/* The owner is down: a live one answers, or nobody would. */
	if (!secondary_running(d, responder))
		responder = (uint16_t)last;
	for (uint16_t k = 0; k < d->n_secondaries; k++) {
		struct rte_mbuf *c;

		if (k == responder || !secondary_running(d, k))
			continue;
		c = rte_pktmbuf_copy(m, d->pool, 0, UINT32_MAX);
		if (c == NULL) {
			stats->drops[YS_PORT_DROP_arp_copy_failed]++;
			continue;
		}
		stage(d, stats, st, k, c, 0);
	}
	stage(d, stats, st, responder, m, YS_MBUF_F_ARP_RESPONDER);
}

/* Consumes every staged mbuf: enqueued, or freed as rx_ring_full. */
static void flush_staged(const struct ys_dispatch *d,
                         struct ys_port_stats *stats, struct staged *st)
{
	for (uint16_t k = 0; k < d->n_secondaries; k++) {
		unsigned sent;

		if (st[k].n == 0)
			continue;
		sent = rte_ring_sp_enqueue_burst(
		        d->rx_rings[k], (void **)st[k].pkts, st[k].n, NULL);
		stats->dispatched += sent;
		for (unsigned i = sent; i < st[k].n; i++) {
			ys_mbuf_set_owner(st[k].pkts[i], d->meta_offset,
			                  YS_OWNER_NONE);
			drop(stats, st[k].pkts[i], YS_PORT_DROP_rx_ring_full);
		}
		st[k].n = 0;
	}
}

/*
 * The Toeplitz hash of a flow key through the tuple-shaped entry points,
 * which the GFNI implementation serves without a length switch.
 */
static inline uint32_t key_hash(const struct ys_toeplitz *t,
                                const struct ys_flow_key *k)
{
	uint32_t a, b;
	uint16_t p[2];

	switch (k->len) {
	case 8:
	case 12:
		memcpy(&a, k->bytes, 4);
		memcpy(&b, k->bytes + 4, 4);
		if (k->len == 8)
			return ys_toeplitz_ipv4(t, a, b);
		memcpy(p, k->bytes + 8, 4);
		return ys_toeplitz_ipv4_l4(t, a, b, p[0], p[1]);
	case 32:
		return ys_toeplitz_ipv6(t, k->bytes, k->bytes + 16);
	case 36:
		memcpy(p, k->bytes + 32, 4);
		return ys_toeplitz_ipv6_l4(t, k->bytes, k->bytes + 16, p[0],
		                           p[1]);
	default:
		return ys_toeplitz_hash(t, k->bytes, k->len);
	}
}

/*
 * The NIC's RSS hash stands in for ours only where it hashed exactly
 * our tuple: the port was set up with our key and hash types, and the
 * frame is an unfragmented TCP/UDP datagram without IPv6 extension
 * headers that we steer by its own ports.
 */
static inline bool nic_hash_usable(const struct ys_dispatch_port *port,
                                   const struct rte_mbuf *m,
                                   const struct ys_classified *c,
                                   bool reassembled)
{
	return port->nic_hash && !reassembled && c->l4_ports &&
	       c->l2_len <= RTE_ETHER_HDR_LEN + 4 /* QinQ: L2 hash on some */ &&
	       (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) &&
	       (c->key.len == 12 || c->l3_len == sizeof(struct rte_ipv6_hdr));
}

/*
 * Trust, but verify: the first NIC_HASH_CHECKS hashes and one in 1024
 * after are recomputed; one mismatch (a PMD that ignored our key, or
 * hashes symmetrically) turns the NIC's hash off for the port for good,
 * since every other path — ICMP errors, reassembled datagrams, the
 * stack's local ports — uses ours.
 */
#define NIC_HASH_CHECKS 64

static inline uint32_t nic_hash(const struct ys_dispatch *d,
                                struct ys_dispatch_port *port,
                                const struct rte_mbuf *m,
                                const struct ys_classified *c)
{
	uint64_t n = port->stats->nic_hash_used++;

	if (unlikely(n < NIC_HASH_CHECKS || (n & 1023) == 0)) {
		uint32_t ours = key_hash(d->thash, &c->key);

		if (ours != m->hash.rss) {
			port->stats->nic_hash_mismatch++;
			port->nic_hash = false;
			return ours;
		}
	}
	return m->hash.rss;
}

/* The secondary for a classified flow, counting how it was chosen. */
static uint16_t flow_target(const struct ys_dispatch *d,
                            struct ys_dispatch_port *port, struct rte_mbuf *m,
                            const struct ys_classified *c, bool reassembled)
{
	uint32_t hash, idx;

	if (nic_hash_usable(port, m, c, reassembled)) {
		hash = nic_hash(d, port, m, c);
		m->hash.rss = hash;
	} else {
		hash = key_hash(d->thash, &c->key);
		m->hash.rss = hash;
	}
	port->stats->icmp_error_steered += c->icmp_error;
	idx = hash & (d->reta_size - 1);
	port->stats->lent += d->reta[idx] != d->home_reta[idx];
	return d->reta[idx];
}

/*
 * A fragment: reassembled whole, or held (NULL). Consumes m; the
 * datagram returned is classified again into `c`.
 */
static struct rte_mbuf *reassemble(const struct ys_dispatch *d,
                                   struct ys_port_stats *stats,
                                   struct rte_mbuf *m, struct ys_classified *c,
                                   enum ys_class *cls, uint64_t now)
{
	m = ys_reasm_add(d->reasm, stats, m, c, now);
	if (m == NULL)
		return NULL;
	*cls = ys_classify(m, c);
	if (*cls ==
	    YS_CLASS_FRAGMENT) /* cannot happen: the library said whole */
		*cls = ys_class_drop(c, YS_PORT_DROP_reasm_failed);
	return m;
}

/* Consumes m: staged for one or every secondary, held, or dropped. */
static void dispatch_one(const struct ys_dispatch *d,
                         struct ys_dispatch_port *port, struct staged *st,
                         struct rte_mbuf *m, uint64_t now)
{
	struct ys_classified c;
	enum ys_class cls = ys_classify(m, &c);
	bool reassembled = false;

	if (cls == YS_CLASS_FRAGMENT) {
		m = reassemble(d, port->stats, m, &c, &cls, now);
		if (m == NULL)
			return;
		reassembled = true;
	}
	switch (cls) {
	case YS_CLASS_FLOW:
		stage(d, port->stats, st,
		      flow_target(d, port, m, &c, reassembled), m, 0);
		break;
	case YS_CLASS_NEIGHBOUR:
		if (c.key.len == 8)
			port->stats->arp_fanout++;
		else
			port->stats->neighbour_fanout++;
		fanout(d, port->stats, st,
		       d->reta[key_hash(d->thash, &c.key) & (d->reta_size - 1)],
		       m);
		break;
	case YS_CLASS_FRAGMENT:
	case YS_CLASS_DROP:
		drop(port->stats, m, c.drop);
		break;
	}
}

void ys_dispatch_burst(const struct ys_dispatch *d,
                       struct ys_dispatch_port *port, struct rte_mbuf **pkts,
                       uint16_t n, uint64_t now_tsc)
{
	/* n <= YS_BURST, and fan-out adds at most one copy per secondary. */
	struct staged st[YS_MAX_SECONDARIES];
	/*
	 * A local copy: stores through port->stats could alias *port, and
	 * the compiler would reload it for every frame.
	 */
	struct ys_dispatch_port local = *port;

	for (uint16_t k = 0; k < d->n_secondaries; k++)
		st[k].n = 0;
	for (uint16_t i = 0; i < n; i++) {
		local.stats->rx_packets++;
		local.stats->rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
		dispatch_one(d, &local, st, pkts[i], now_tsc);
	}
	flush_staged(d, local.stats, st);
	port->nic_hash = local.nic_hash; /* cleared on a mismatch */
}

void ys_reta_lend(const uint16_t *home, uint32_t size,
                  const struct ys_secondary_slot *slots, uint32_t n,
                  enum ys_failover mode, uint16_t *out)
{
	uint16_t live[YS_MAX_SECONDARIES];
	uint32_t n_live = 0, lent = 0;

	for (uint32_t k = 0; k < n; k++)
		if (slots[k].state >= YS_SEC_RUNNING)
			live[n_live++] = (uint16_t)k;
	for (uint32_t i = 0; i < size; i++) {
		uint16_t owner = home[i];

		if (mode == YS_FAILOVER_REBALANCE && n_live > 0 &&
		    slots[owner].state < YS_SEC_RUNNING)
			owner = live[lent++ % n_live];
		out[i] = owner;
	}
}

/* Index of the port whose DPDK id is `pid`, or -1. */
static int port_index(const struct ys_primary *p, uint16_t pid)
{
	for (uint16_t i = 0; i < p->n_ports; i++)
		if (p->port_ids[i] == pid)
			return i;
	return -1;
}

/*
 * Transmit one burst from a tx ring. Frames for one port are sent
 * together; the PMD takes what it can and the rest is freed and counted.
 */
static void tx_burst_by_port(struct ys_primary *p, struct rte_mbuf **pkts,
                             unsigned n)
{
	unsigned i = 0;

	while (i < n) {
		uint16_t pid = pkts[i]->port;
		int idx = port_index(p, pid);
		unsigned j = i + 1, sent;
		struct ys_port_stats *stats;
		uint64_t bytes;

		while (j < n && pkts[j]->port == pid)
			j++;
		if (idx < 0) {
			/* No port to count it on: charge the first port. */
			stats = &p->shm->port_stats[0];
			for (unsigned k = i; k < j; k++)
				drop(stats, pkts[k], YS_PORT_DROP_tx_bad_port);
			i = j;
			continue;
		}
		stats = &p->shm->port_stats[idx];
		if (unlikely(p->impair[idx] != NULL)) {
			ys_impair_port_tx(p, (uint16_t)idx, pkts + i,
			                  (uint16_t)(j - i));
			i = j;
			continue;
		}
		/*
		 * Lengths are read before the burst: the PMD owns (and may
		 * already have freed) every mbuf it took.
		 */
		bytes = 0;
		for (unsigned k = i; k < j; k++)
			bytes += rte_pktmbuf_pkt_len(pkts[k]);
		sent = rte_eth_tx_burst(pid, 0, pkts + i, (uint16_t)(j - i));
		for (unsigned k = i + sent; k < j; k++) {
			bytes -= rte_pktmbuf_pkt_len(pkts[k]);
			drop(stats, pkts[k], YS_PORT_DROP_tx_failed);
		}
		stats->tx_packets += sent;
		stats->tx_bytes += bytes;
		i = j;
	}
}

unsigned ys_drain_tx_rings(struct ys_primary *p)
{
	unsigned total = 0;

	for (uint32_t k = 0; k < p->cfg.secondaries.count; k++) {
		struct rte_mbuf *pkts[YS_BURST];
		unsigned n = rte_ring_sc_dequeue_burst(
		        p->tx_rings[k], (void **)pkts, YS_BURST, NULL);

		/*
		 * Secondary k tags what it enqueues (ys_mbuf.h): the frames
		 * are ours now, so take the tag before a PMD frees them.
		 */
		for (unsigned i = 0; i < n; i++)
			ys_mbuf_set_owner(pkts[i], p->dispatch.meta_offset,
			                  YS_OWNER_NONE);
		if (n > 0)
			tx_burst_by_port(p, pkts, n);
		total += n;
	}
	return total;
}

/*
 * Free every mbuf left on `r`, clearing owner tags first; returns how
 * many. The caller owns r now.
 */
static unsigned ring_free_all(struct rte_ring *r, int meta_offset)
{
	struct rte_mbuf *pkts[YS_BURST];
	unsigned n, total = 0;

	while ((n = rte_ring_sc_dequeue_burst(r, (void **)pkts, YS_BURST,
	                                      NULL)) > 0) {
		for (unsigned i = 0; i < n; i++)
			ys_mbuf_set_owner(pkts[i], meta_offset, YS_OWNER_NONE);
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	}
	rte_ring_reset(r);
	return total;
}

unsigned ys_secondary_rings_reset(struct ys_primary *p, uint32_t k)
{
	return ring_free_all(p->rx_rings[k], p->dispatch.meta_offset) +
	       ring_free_all(p->tx_rings[k], p->dispatch.meta_offset);
}
