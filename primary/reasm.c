/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reassembly with DPDK's rte_ip_frag (RFC 791 3.2 and RFC 815 for IPv4,
 * RFC 8200 4.5 for IPv6): one table for both families, owned by the
 * primary's single thread. Fragments the library refuses (overlaps,
 * too many fragments, a full table, a timed-out datagram) go to its
 * death row; we count them there and free them once per loop turn.
 */
/* rte_ip_frag_table_del_expired_entries() is experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>

#include "reasm.h"

#define BUCKET_ENTRIES 4 /* associativity: power of two */

struct ys_reasm {
	struct rte_ip_frag_tbl *tbl;
	struct rte_ip_frag_death_row dr;
	uint32_t held; /* mbuf segments in the table */
};

struct ys_reasm *ys_reasm_create(const struct ys_cfg_reassembly *cfg,
                                 uint64_t tsc_hz, int socket)
{
	uint64_t max_cycles = tsc_hz * cfg->timeout_ms / 1000;
	struct ys_reasm *r;

	r = rte_zmalloc_socket("ys_reasm", sizeof(*r), RTE_CACHE_LINE_SIZE,
	                       socket);
	if (r == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	r->tbl = rte_ip_frag_table_create(rte_align32pow2(cfg->max_flows),
	                                  BUCKET_ENTRIES, cfg->max_flows,
	                                  max_cycles, socket);
	if (r->tbl == NULL) {
		rte_free(r);
		rte_errno = ENOMEM;
		return NULL;
	}
	return r;
}

void ys_reasm_free(struct ys_reasm *r)
{
	if (r == NULL)
		return;
	/* Destroying the table frees every fragment still held. */
	rte_ip_frag_table_destroy(r->tbl);
	rte_ip_frag_free_death_row(&r->dr, 0);
	rte_free(r);
}

uint32_t ys_reasm_held(const struct ys_reasm *r)
{
	return r->held;
}

/* Count and free what the library put on the death row. */
static void bury(struct ys_reasm *r, uint64_t *counter)
{
	uint32_t segs = 0;

	if (r->dr.cnt == 0)
		return;
	*counter += r->dr.cnt;
	for (uint32_t i = 0; i < r->dr.cnt; i++)
		segs += r->dr.row[i]->nb_segs;
	r->held -= RTE_MIN(r->held, segs);
	rte_ip_frag_free_death_row(&r->dr, 0);
}

/*
 * The library reads mbuf lengths, not IP lengths: cut Ethernet padding
 * off short fragments, or it would become part of the datagram.
 */
static int trim_padding(struct rte_mbuf *m, const struct ys_classified *c)
{
	uint32_t want = c->l3_offset + c->ip_len;

	if (rte_pktmbuf_pkt_len(m) <= want)
		return 0;
	/* Fails when the padding spans segments: not worth a special case. */
	return rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - want));
}

/*
 * The library checks neither the 65535-byte limit (RFC 791 3.1, RFC 8200
 * 4.5) nor that the length it writes matches what it chained: a datagram
 * whose IP length is not exactly the frame's is refused here.
 */
static bool whole_consistent(const struct rte_mbuf *m, bool v6)
{
	uint32_t ip_len;

	if (v6) {
		const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(
		        m, const struct rte_ipv6_hdr *, m->l2_len);

		ip_len = sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len);
	} else {
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(
		        m, const struct rte_ipv4_hdr *, m->l2_len);

		ip_len = rte_be_to_cpu_16(ip->total_length);
	}
	return rte_pktmbuf_pkt_len(m) == m->l2_len + ip_len &&
	       rte_pktmbuf_pkt_len(m) - m->l2_len <=
	               UINT16_MAX + (v6 ? 40u : 0u);
}

static struct rte_mbuf *add_ipv4(struct ys_reasm *r, struct rte_mbuf *m,
                                 uint64_t now)
{
	struct rte_ipv4_hdr *ip =
	        rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	struct rte_mbuf *whole;

	whole = rte_ipv4_frag_reassemble_packet(r->tbl, &r->dr, m, now, ip);
	if (whole == NULL)
		return NULL;
	/* The library zeroes the checksum of the header it rewrites. */
	ip = rte_pktmbuf_mtod_offset(whole, struct rte_ipv4_hdr *,
	                             whole->l2_len);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return whole;
}

static struct rte_mbuf *add_ipv6(struct ys_reasm *r, struct rte_mbuf *m,
                                 uint64_t now)
{
	struct rte_ipv6_hdr *ip =
	        rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, m->l2_len);
	struct rte_ipv6_fragment_ext *fh =
	        (struct rte_ipv6_fragment_ext *)(ip + 1);

	return rte_ipv6_frag_reassemble_packet(r->tbl, &r->dr, m, now, ip, fh);
}

struct rte_mbuf *ys_reasm_add(struct ys_reasm *r, struct ys_port_stats *stats,
                              struct rte_mbuf *m, const struct ys_classified *c,
                              uint64_t now_tsc)
{
	const bool v6 = c->key.len >= 32;
	struct rte_mbuf *whole;

	/* Both headers must sit in the first segment for the library. */
	if (rte_pktmbuf_data_len(m) < c->l3_offset + c->l3_len ||
	    trim_padding(m, c) != 0) {
		stats->drops[YS_PORT_DROP_reasm_bad_fragment]++;
		rte_pktmbuf_free(m);
		return NULL;
	}
	m->l2_len = c->l2_len;
	m->l3_len = c->l3_len;
	stats->reasm_fragments++;
	r->held += m->nb_segs;
	whole = v6 ? add_ipv6(r, m, now_tsc) : add_ipv4(r, m, now_tsc);
	bury(r, &stats->drops[YS_PORT_DROP_reasm_failed]);
	if (whole == NULL)
		return NULL;
	r->held -= RTE_MIN(r->held, (uint32_t)whole->nb_segs);
	if (!whole_consistent(whole, v6)) {
		stats->drops[YS_PORT_DROP_reasm_oversize]++;
		rte_pktmbuf_free(whole);
		return NULL;
	}
	/* Any checksum verdict was about a fragment, not this datagram. */
	whole->ol_flags &=
	        ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
	stats->reasm_datagrams++;
	return whole;
}

void ys_reasm_tick(struct ys_reasm *r, uint64_t *timed_out, uint64_t now_tsc)
{
	if (r->held == 0)
		return;
	rte_ip_frag_table_del_expired_entries(r->tbl, &r->dr, now_tsc);
	bury(r, timed_out);
}
