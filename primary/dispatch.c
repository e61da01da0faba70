/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dispatcher: every frame the primary receives goes to exactly one
 * secondary's rx ring (IPv4, by the Toeplitz hash of its flow through the
 * RETA), or as copies to every secondary (ARP), or is freed and counted
 * under one drop reason.
 */
#include <rte_arp.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf_dyn.h>

#include "primary.h"

/* What to do with one frame. */
enum dispatch_verdict {
	DISPATCH_TO_SECONDARY, /* *target set */
	DISPATCH_ARP_FANOUT,   /* *target is the one that answers */
	DISPATCH_DROP,         /* *reason set */
};

struct staged {
	uint16_t n;
	struct rte_mbuf *pkts[YS_BURST];
};

static inline struct ys_mbuf_meta *mbuf_meta(const struct ys_dispatch *d,
                                             struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, d->meta_offset, struct ys_mbuf_meta *);
}

static inline void drop(struct ys_port_stats *stats, struct rte_mbuf *m,
                        enum ys_port_drop_reason reason)
{
	stats->drops[reason]++;
	rte_pktmbuf_free(m);
}

/*
 * The flow hash of an IPv4 datagram: the 4-tuple for unfragmented TCP
 * and UDP, the address pair otherwise (every fragment included, until
 * the primary reassembles). Only reads what the lengths say is in the
 * first segment.
 */
static enum dispatch_verdict classify_ipv4(const struct ys_dispatch *d,
                                           struct rte_mbuf *m, uint32_t *hash,
                                           enum ys_port_drop_reason *reason)
{
	const uint32_t l3 = sizeof(struct rte_ether_hdr);
	const struct rte_ipv4_hdr *ip;
	uint32_t ihl;

	if (rte_pktmbuf_data_len(m) < l3 + sizeof(*ip)) {
		*reason = YS_PORT_DROP_runt;
		return DISPATCH_DROP;
	}
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l3);
	ihl = rte_ipv4_hdr_len(ip);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) ||
	    rte_pktmbuf_data_len(m) < l3 + ihl) {
		*reason = YS_PORT_DROP_ip_malformed;
		return DISPATCH_DROP;
	}
	/*
	 * Fragments go by the address pair until the primary reassembles
	 * (a later issue): all fragments of one datagram still meet.
	 */
	if ((ip->next_proto_id == IPPROTO_TCP ||
	     ip->next_proto_id == IPPROTO_UDP) &&
	    (ip->fragment_offset &
	     RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) == 0 &&
	    rte_pktmbuf_data_len(m) >= l3 + ihl + 4) {
		const uint16_t *ports =
		        rte_pktmbuf_mtod_offset(m, const uint16_t *, l3 + ihl);

		*hash = ys_toeplitz_ipv4_l4(d->thash, ip->src_addr,
		                            ip->dst_addr, ports[0], ports[1]);
	} else {
		*hash = ys_toeplitz_ipv4(d->thash, ip->src_addr, ip->dst_addr);
	}
	return DISPATCH_TO_SECONDARY;
}

/*
 * ARP goes to everyone; the one that answers a request is the owner of
 * the address pair (sender, target), so the requester gets one reply.
 */
static enum dispatch_verdict classify_arp(const struct ys_dispatch *d,
                                          struct rte_mbuf *m, uint32_t *hash,
                                          enum ys_port_drop_reason *reason)
{
	const struct rte_arp_hdr *arp;

	if (rte_pktmbuf_data_len(m) <
	    sizeof(struct rte_ether_hdr) + sizeof(*arp)) {
		*reason = YS_PORT_DROP_runt;
		return DISPATCH_DROP;
	}
	arp = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *,
	                              sizeof(struct rte_ether_hdr));
	*hash = ys_toeplitz_ipv4(d->thash, arp->arp_data.arp_sip,
	                         arp->arp_data.arp_tip);
	return DISPATCH_ARP_FANOUT;
}

static enum dispatch_verdict classify(const struct ys_dispatch *d,
                                      struct rte_mbuf *m, uint16_t *target,
                                      enum ys_port_drop_reason *reason)
{
	const struct rte_ether_hdr *eth;
	enum dispatch_verdict v;
	uint32_t hash = 0;

	if (rte_pktmbuf_data_len(m) < sizeof(*eth)) {
		*reason = YS_PORT_DROP_runt;
		return DISPATCH_DROP;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		v = classify_ipv4(d, m, &hash, reason);
	else if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		v = classify_arp(d, m, &hash, reason);
	else {
		*reason = YS_PORT_DROP_unsupported_ethertype;
		return DISPATCH_DROP;
	}
	if (v != DISPATCH_DROP) {
		m->hash.rss = hash;
		*target = ys_reta_lookup(d->reta, d->reta_size, hash);
	}
	return v;
}

static inline int secondary_running(const struct ys_dispatch *d, uint16_t k)
{
	return d->slots[k].state >= YS_SEC_RUNNING;
}

/* Consumes m: staged for secondary k, or freed and counted. */
static void stage(const struct ys_dispatch *d, struct ys_port_stats *stats,
                  struct staged *st, uint16_t k, struct rte_mbuf *m,
                  uint32_t flags)
{
	if (!secondary_running(d, k)) {
		drop(stats, m, YS_PORT_DROP_secondary_dead);
		return;
	}
	mbuf_meta(d, m)->flags = flags;
	st[k].pkts[st[k].n++] = m;
}

/*
 * Consumes m. Every live secondary gets its own copy (never a shared
 * reference: each owner frees its own), and exactly the one that owns
 * the address pair is told to answer.
 */
static void fanout_arp(const struct ys_dispatch *d, struct ys_port_stats *stats,
                       struct staged *st, uint16_t responder,
                       struct rte_mbuf *m)
{
	int last = -1;

	stats->arp_fanout++;
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
	for (uint16_t k = 0; k < (uint16_t)last; k++) {
		struct rte_mbuf *c;

		if (!secondary_running(d, k))
			continue;
		c = rte_pktmbuf_copy(m, d->pool, 0, UINT32_MAX);
		if (c == NULL) {
			stats->drops[YS_PORT_DROP_arp_copy_failed]++;
			continue;
		}
		stage(d, stats, st, k, c,
		      k == responder ? YS_MBUF_F_ARP_RESPONDER : 0);
	}
	stage(d, stats, st, (uint16_t)last, m,
	      last == responder ? YS_MBUF_F_ARP_RESPONDER : 0);
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
		for (unsigned i = sent; i < st[k].n; i++)
			drop(stats, st[k].pkts[i], YS_PORT_DROP_rx_ring_full);
		st[k].n = 0;
	}
}

void ys_dispatch_burst(const struct ys_dispatch *d, struct ys_port_stats *stats,
                       struct rte_mbuf **pkts, uint16_t n)
{
	/* n <= YS_BURST, and ARP adds at most one copy per secondary. */
	struct staged st[YS_MAX_SECONDARIES];

	for (uint16_t k = 0; k < d->n_secondaries; k++)
		st[k].n = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		enum ys_port_drop_reason reason = YS_PORT_DROP_runt;
		uint16_t target = 0;

		stats->rx_packets++;
		stats->rx_bytes += rte_pktmbuf_pkt_len(m);
		switch (classify(d, m, &target, &reason)) {
		case DISPATCH_TO_SECONDARY:
			stage(d, stats, st, target, m, 0);
			break;
		case DISPATCH_ARP_FANOUT:
			fanout_arp(d, stats, st, target, m);
			break;
		case DISPATCH_DROP:
			drop(stats, m, reason);
			break;
		}
	}
	flush_staged(d, stats, st);
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

		if (n > 0)
			tx_burst_by_port(p, pkts, n);
		total += n;
	}
	return total;
}

/* Free every mbuf left on `r`; returns how many. The caller owns r now. */
static unsigned ring_free_all(struct rte_ring *r)
{
	struct rte_mbuf *pkts[YS_BURST];
	unsigned n, total = 0;

	while ((n = rte_ring_sc_dequeue_burst(r, (void **)pkts, YS_BURST,
	                                      NULL)) > 0) {
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	}
	rte_ring_reset(r);
	return total;
}

unsigned ys_secondary_rings_reset(struct ys_primary *p, uint32_t k)
{
	return ring_free_all(p->rx_rings[k]) + ring_free_all(p->tx_rings[k]);
}
