/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame classification for the dispatcher: which flow a frame belongs to,
 * as the Toeplitz input tuple in wire order, or why it has none.
 *
 *   - IPv4/IPv6 TCP and UDP: (source, destination, source port,
 *     destination port) — what a NIC hashes for RSS;
 *   - ICMP/ICMPv6 errors: the flow of the datagram they quote, turned
 *     around: that datagram was sent by us, so its flow arrives at us as
 *     (its destination, its source, its destination port, its source
 *     port). "Fragmentation needed" (RFC 1191) and "port unreachable"
 *     (RFC 792) thus reach the secondary that owns the connection;
 *   - everything else on IP (ICMP echo, other protocols): the address
 *     pair;
 *   - ARP and IPv6 neighbour discovery: to every secondary, the one that
 *     answers chosen by the address pair;
 *   - IP fragments: reassembled first (reasm.c), then classified whole.
 *
 * Reads only bytes the frame has (rte_pktmbuf_read for anything past the
 * first segment's headers), never writes.
 */
#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "classify.h"

#define ICMP6_DEST_UNREACH      1
#define ICMP6_PACKET_TOO_BIG    2
#define ICMP6_TIME_EXCEEDED     3
#define ICMP6_PARAM_PROBLEM     4
#define ICMP6_ND_ROUTER_SOLICIT 133
#define ICMP6_ND_REDIRECT       137
#define IPV6_MAX_EXT_HDRS       4 /* walked before giving up: a bounded parse */

/* IPv6 extension headers with the common (next, length) layout. */
static bool ipv6_is_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_DSTOPTS;
}

static void key_l3(struct ys_flow_key *k, const void *src, const void *dst,
                   size_t alen)
{
	memcpy(k->bytes, src, alen);
	memcpy(k->bytes + alen, dst, alen);
	k->len = (uint8_t)(2 * alen);
}

/*
 * `ports` points into the frame (rte_pktmbuf_read), at any alignment:
 * bytes are copied, never loaded as uint16_t.
 */
static void key_ports(struct ys_flow_key *k, const void *ports)
{
	memcpy(k->bytes + k->len, ports, 4);
	k->len += 4;
}

/* The same with source and destination port swapped. */
static void key_ports_swapped(struct ys_flow_key *k, const void *ports)
{
	const uint8_t *p = ports;

	memcpy(k->bytes + k->len, p + 2, 2);
	memcpy(k->bytes + k->len + 2, p, 2);
	k->len += 4;
}

/*
 * The flow a quoted (inner) IPv4 header at `off` belongs to, seen from
 * the outside: addresses and ports swapped. Returns false when the quote
 * is too short to say (the caller falls back to the outer address pair).
 */
static bool quoted_ipv4_flow(const struct rte_mbuf *m, uint32_t off,
                             struct ys_flow_key *k)
{
	struct rte_ipv4_hdr ibuf;
	const struct rte_ipv4_hdr *in;
	uint16_t pbuf[2];
	const void *ports;
	uint32_t ihl;

	in = rte_pktmbuf_read(m, off, sizeof(ibuf), &ibuf);
	if (in == NULL || (in->version_ihl >> 4) != 4)
		return false;
	ihl = rte_ipv4_hdr_len(in);
	if (ihl < sizeof(*in))
		return false;
	key_l3(k, &in->dst_addr, &in->src_addr, 4);
	/* A first fragment (offset 0, MF or not) carries the ports. */
	if ((in->next_proto_id != IPPROTO_TCP &&
	     in->next_proto_id != IPPROTO_UDP) ||
	    (in->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) != 0)
		return true;
	ports = rte_pktmbuf_read(m, off + ihl, sizeof(pbuf), pbuf);
	if (ports != NULL) {
		key_ports_swapped(k, ports);
	}
	return true;
}

/* Same for a quoted IPv6 header (RFC 4443 section 3: as much as fits). */
static bool quoted_ipv6_flow(const struct rte_mbuf *m, uint32_t off,
                             struct ys_flow_key *k)
{
	struct rte_ipv6_hdr ibuf;
	const struct rte_ipv6_hdr *in;
	uint16_t pbuf[2];
	const void *ports;

	in = rte_pktmbuf_read(m, off, sizeof(ibuf), &ibuf);
	if (in == NULL || (rte_be_to_cpu_32(in->vtc_flow) >> 28) != 6)
		return false;
	key_l3(k, in->dst_addr, in->src_addr, 16);
	if (in->proto != IPPROTO_TCP && in->proto != IPPROTO_UDP)
		return true;
	ports = rte_pktmbuf_read(m, off + sizeof(*in), sizeof(pbuf), pbuf);
	if (ports != NULL) {
		key_ports_swapped(k, ports);
	}
	return true;
}

/* RFC 792 / RFC 1122 3.2.2: the error messages that quote a datagram. */
static bool icmp4_is_error(uint8_t type)
{
	return type == 3 /* destination unreachable */ ||
	       type == 4 /* quench */ || type == 5 /* redirect */ ||
	       type == 11 /* time exceeded */ ||
	       type == 12 /* parameter problem */;
}

static enum ys_class classify_l4(const struct rte_mbuf *m, uint8_t proto,
                                 uint32_t l4, bool is_v6,
                                 struct ys_classified *c)
{
	uint8_t tbuf[2];
	const uint8_t *type;
	uint16_t pbuf[2];
	const void *ports;

	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		ports = rte_pktmbuf_read(m, l4, sizeof(pbuf), pbuf);
		if (ports == NULL)
			return ys_class_drop(c, YS_PORT_DROP_runt);
		key_ports(&c->key, ports);
		c->l4_ports = true;
		return YS_CLASS_FLOW;
	}
	if (proto != (is_v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP))
		return YS_CLASS_FLOW; /* the address pair */
	type = rte_pktmbuf_read(m, l4, sizeof(tbuf), tbuf);
	if (type == NULL)
		return ys_class_drop(c, YS_PORT_DROP_runt);
	if (is_v6 && type[0] >= ICMP6_ND_ROUTER_SOLICIT &&
	    type[0] <= ICMP6_ND_REDIRECT)
		return YS_CLASS_NEIGHBOUR; /* RFC 4861: everyone learns */
	if (is_v6 ? type[0] >= ICMP6_DEST_UNREACH &&
	                    type[0] <= ICMP6_PARAM_PROBLEM
	          : icmp4_is_error(type[0])) {
		struct ys_flow_key inner;

		/* 8 bytes of ICMP header, then the quoted datagram. */
		if (is_v6 ? quoted_ipv6_flow(m, l4 + 8, &inner)
		          : quoted_ipv4_flow(m, l4 + 8, &inner)) {
			c->key = inner;
			c->icmp_error = true;
		}
	}
	return YS_CLASS_FLOW;
}

static enum ys_class classify_ipv4(const struct rte_mbuf *m, uint32_t l3,
                                   struct ys_classified *c)
{
	const struct rte_ipv4_hdr *ip;
	uint32_t ihl, tot;

	if (rte_pktmbuf_data_len(m) < l3 + sizeof(*ip))
		return ys_class_drop(c, YS_PORT_DROP_runt);
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l3);
	ihl = rte_ipv4_hdr_len(ip);
	tot = rte_be_to_cpu_16(ip->total_length);
	/* RFC 791 3.1 / RFC 1122 3.2.1.2: a header we can trust to parse. */
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) ||
	    rte_pktmbuf_data_len(m) < l3 + ihl || tot < ihl ||
	    tot > rte_pktmbuf_pkt_len(m) - l3)
		return ys_class_drop(c, YS_PORT_DROP_ip_malformed);
	c->l3_offset = l3;
	c->l3_len = ihl;
	c->ip_len = tot;
	key_l3(&c->key, &ip->src_addr, &ip->dst_addr, 4);
	if (rte_ipv4_frag_pkt_is_fragmented(ip))
		return YS_CLASS_FRAGMENT;
	return classify_l4(m, ip->next_proto_id, l3 + ihl, false, c);
}

/*
 * Walk at most IPV6_MAX_EXT_HDRS extension headers (RFC 8200 4.1) to
 * the upper-layer header. A fragment header is reported as a fragment
 * only directly after the fixed header, the one place rte_ip_frag
 * reassembles from.
 */
static enum ys_class classify_ipv6(const struct rte_mbuf *m, uint32_t l3,
                                   struct ys_classified *c)
{
	const struct rte_ipv6_hdr *ip;
	uint32_t off = l3 + sizeof(*ip);
	uint8_t nh;

	if (rte_pktmbuf_data_len(m) < l3 + sizeof(*ip))
		return ys_class_drop(c, YS_PORT_DROP_runt);
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, l3);
	if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 ||
	    rte_be_to_cpu_16(ip->payload_len) >
	            rte_pktmbuf_pkt_len(m) - l3 - sizeof(*ip))
		return ys_class_drop(c, YS_PORT_DROP_ip_malformed);
	c->l3_offset = l3;
	c->ip_len = sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len);
	key_l3(&c->key, ip->src_addr, ip->dst_addr, 16);
	nh = ip->proto;
	if (nh == IPPROTO_FRAGMENT) {
		struct rte_ipv6_fragment_ext fbuf;
		const struct rte_ipv6_fragment_ext *fh =
		        rte_pktmbuf_read(m, off, sizeof(fbuf), &fbuf);

		if (fh == NULL)
			return ys_class_drop(c, YS_PORT_DROP_runt);
		c->l3_len = sizeof(*ip) + sizeof(*fh);
		/*
		 * RFC 6946: an "atomic" fragment (offset 0, M clear) is a
		 * whole datagram; only real fragments need reassembly.
		 */
		if ((fh->frag_data & RTE_BE16(0xfff9)) != 0)
			return YS_CLASS_FRAGMENT;
		nh = fh->next_header;
		off += sizeof(*fh);
	}
	for (int i = 0; ipv6_is_ext(nh); i++) {
		uint8_t ebuf[2];
		const uint8_t *ext = rte_pktmbuf_read(m, off, 2, ebuf);

		if (ext == NULL || i == IPV6_MAX_EXT_HDRS)
			return ys_class_drop(c,
			                     YS_PORT_DROP_ipv6_ext_unsupported);
		nh = ext[0];
		off += 8u * (ext[1] + 1u);
	}
	if (nh == IPPROTO_FRAGMENT)
		return ys_class_drop(c, YS_PORT_DROP_ipv6_ext_unsupported);
	c->l3_len = off - l3;
	return classify_l4(m, nh, off, true, c);
}

/* ARP (RFC 826): the responder is the owner of (sender, target). */
static enum ys_class classify_arp(const struct rte_mbuf *m, uint32_t l3,
                                  struct ys_classified *c)
{
	const struct rte_arp_hdr *arp;

	if (rte_pktmbuf_data_len(m) < l3 + sizeof(*arp))
		return ys_class_drop(c, YS_PORT_DROP_runt);
	arp = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, l3);
	key_l3(&c->key, &arp->arp_data.arp_sip, &arp->arp_data.arp_tip, 4);
	return YS_CLASS_NEIGHBOUR;
}

enum ys_class ys_classify(const struct rte_mbuf *m, struct ys_classified *c)
{
	const struct rte_ether_hdr *eth;
	uint32_t l3 = sizeof(*eth);
	uint16_t type;

	memset(c, 0, offsetof(struct ys_classified, key.bytes));
	if (rte_pktmbuf_data_len(m) < sizeof(*eth))
		return ys_class_drop(c, YS_PORT_DROP_runt);
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	type = eth->ether_type;
	/* IEEE 802.1Q / 802.1ad: at most two tags (QinQ). */
	for (int tags = 0; type == RTE_BE16(RTE_ETHER_TYPE_VLAN) ||
	                   type == RTE_BE16(RTE_ETHER_TYPE_QINQ);
	     tags++) {
		const struct rte_vlan_hdr *vh;

		if (tags == 2)
			return ys_class_drop(c, YS_PORT_DROP_vlan_too_many);
		if (rte_pktmbuf_data_len(m) < l3 + sizeof(*vh))
			return ys_class_drop(c, YS_PORT_DROP_runt);
		vh = rte_pktmbuf_mtod_offset(m, const struct rte_vlan_hdr *,
		                             l3);
		type = vh->eth_proto;
		l3 += sizeof(*vh);
	}
	c->l2_len = l3;
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return classify_ipv4(m, l3, c);
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6))
		return classify_ipv6(m, l3, c);
	if (type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		return classify_arp(m, l3, c);
	return ys_class_drop(c, YS_PORT_DROP_unsupported_ethertype);
}
