/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 input of one stack instance (RFC 791, RFC 1122 3.2.1): the header
 * is validated completely before anything past it is read, options are
 * walked and skipped, and the datagram goes to its protocol (ICMP in
 * ys_icmp.c; a protocol nobody handles draws an ICMP protocol
 * unreachable). Also the address tests and the Identification counter
 * the IP layer's other parts share.
 *
 * Ownership: every function that takes an mbuf consumes it, unless its
 * comment says "borrows". A datagram ends in its protocol's handler or in
 * exactly one drop reason.
 *
 * The order of the checks is the order of the header: a frame is dropped
 * for the first rule it breaks, so that a malformed header is never read
 * past (ip_malformed), then the checksum (ip_bad_checksum), the source
 * (ip_bad_source), the options (ip_bad_options), the destination
 * (ip_not_for_us, ip_link_broadcast) and fragments (ip_fragment).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "ys_icmp.h"
#include "ys_stack.h"
#include "ys_stack_pvt.h"

#define ETH_HLEN  YS_ETH_HLEN
#define IPV4_HLEN YS_IPV4_HLEN
#define CKSUM_OK  0xffff /* raw sum of a region whose checksum is right */

/* RFC 791 3.1 option types that are a single octet. */
#define YS_IPOPT_EOL 0 /* End of Option List */
#define YS_IPOPT_NOP 1 /* No Operation */

uint16_t ys_ipv4_next_id(struct ys_stack *st)
{
	return st->ip_id++;
}

bool ys_ipv4_host_addr_ok(const struct ys_stack *st, uint32_t a_be)
{
	uint32_t a = rte_be_to_cpu_32(a_be);
	uint32_t i, j;

	if ((a >> 28) >= 0xe) /* 224/4 multicast, 240/4 incl. 255.255.255.255 */
		return false;
	if ((a >> 24) == 127 || (a >> 24) == 0)
		return false;
	for (i = 0; i < st->conf.n_ifaces; i++) {
		const struct ys_stack_iface *ifp = &st->conf.ifaces[i];

		for (j = 0; j < ifp->n_addrs; j++) {
			uint8_t plen = ifp->prefix_lens[j];
			uint32_t mask;

			/* /31 (RFC 3021) and /32 have no broadcast address. */
			if (plen == 0 || plen > 30)
				continue;
			mask = ys_prefix_mask(plen);
			if (a ==
			    ((rte_be_to_cpu_32(ifp->addrs[j]) & mask) | ~mask))
				return false;
		}
	}
	return true;
}

/* The NIC's verdict on the IPv4 header checksum when it gave one. */
static bool ipv4_hdr_cksum_ok(struct ys_stack *st, const struct rte_mbuf *m,
                              const void *ih, uint32_t hlen)
{
	switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
		st->stats->ip_rx_cksum_offloaded++;
		return true;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD:
		st->stats->ip_rx_cksum_offloaded++;
		return false;
	default:
		return rte_raw_cksum(ih, hlen) == CKSUM_OK;
	}
}

/*
 * Whether the `len` option bytes at `opt` are well formed (RFC 791 3.1):
 * End of Option List and No Operation are single octets; every other
 * option is a type octet, a length octet counting both and its data, so
 * the length is at least 2 and the option ends within the header. Bytes
 * after End of Option List are padding and not read. Options are only
 * skipped, never acted on: a host that does not forward has no use for a
 * source route, and the echo reply strips them (ys_icmp.c).
 */
static bool ipv4_options_ok(const uint8_t *opt, uint32_t len)
{
	uint32_t i = 0;

	while (i < len) {
		uint8_t olen;

		if (opt[i] == YS_IPOPT_EOL)
			return true;
		if (opt[i] == YS_IPOPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return false;
		olen = opt[i + 1];
		if (olen < 2 || olen > len - i)
			return false;
		i += olen;
	}
	return true;
}

/*
 * The header checks that must pass before anything else is read: the
 * header in the first segment, version 4, IHL at least 5 and within the
 * segment, Total Length at least the header and within the frame. The
 * header length and Total Length on success, false otherwise. Borrows m.
 */
static bool ipv4_header_ok(const struct rte_mbuf *m, uint32_t *hlen_out,
                           uint32_t *tlen_out)
{
	const struct rte_ipv4_hdr *ih;
	uint32_t hlen, tlen;

	/* The whole header, options included, must be in the first segment. */
	if (m->data_len < ETH_HLEN + IPV4_HLEN)
		return false;
	ih = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, ETH_HLEN);
	/* RFC 1122 3.2.1.1: a datagram whose version is not 4 MUST be
	 * silently discarded. */
	if ((ih->version_ihl >> 4) != IPVERSION)
		return false;
	/* RFC 791: IHL counts 32-bit words, "the minimum value for a correct
	 * header is 5". */
	hlen = (uint32_t)(ih->version_ihl & RTE_IPV4_HDR_IHL_MASK) *
	       RTE_IPV4_IHL_MULTIPLIER;
	if (hlen < IPV4_HLEN || hlen > m->data_len - ETH_HLEN)
		return false;
	/* RFC 791 Total Length: header and data; the frame may be longer
	 * (Ethernet pads to 60 bytes), never shorter. */
	tlen = rte_be_to_cpu_16(ih->total_length);
	if (tlen < hlen || tlen > m->pkt_len - ETH_HLEN)
		return false;
	*hlen_out = hlen;
	*tlen_out = tlen;
	return true;
}

/*
 * The checks of a header ipv4_header_ok() passed, in order: checksum,
 * source, options, destination. YS_STACK_DROP_MAX when the datagram is
 * ours to take, else the reason to drop it for. Borrows m.
 */
static enum ys_stack_drop_reason ipv4_accept(struct ys_stack *st,
                                             const struct ys_stack_iface *ifp,
                                             const struct rte_mbuf *m,
                                             uint32_t hlen)
{
	const struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod_offset(
	        m, const struct rte_ipv4_hdr *, ETH_HLEN);
	const struct rte_ether_hdr *eh =
	        rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	/* RFC 1122 3.2.1.2: a host MUST verify the header checksum and
	 * silently discard a datagram whose checksum is bad. */
	if (!ipv4_hdr_cksum_ok(st, m, ih, hlen))
		return YS_STACK_DROP_ip_bad_checksum;
	/* RFC 1122 3.2.1.3: "A host MUST silently discard an incoming
	 * datagram containing an IP source address that is invalid". */
	if (!ys_ipv4_unicast_ok(ifp, ih->src_addr))
		return YS_STACK_DROP_ip_bad_source;
	/* Nor one of our own: we never hear ourselves on the link, so such
	 * a datagram is spoofed (and a reply would go to ourselves). */
	if (ys_stack_is_local(st, ih->src_addr))
		return YS_STACK_DROP_ip_bad_source;
	if (hlen > IPV4_HLEN) {
		if (!ipv4_options_ok((const uint8_t *)(ih + 1),
		                     hlen - IPV4_HLEN))
			return YS_STACK_DROP_ip_bad_options;
		st->stats->ip_options_seen++;
	}
	/* A host, not a router: only its own unicast addresses. Broadcast
	 * and multicast destinations end here too (an echo request sent to
	 * them MAY be discarded, RFC 1122 3.2.2.6). */
	if (!ys_iface_owns(ifp, ih->dst_addr))
		return YS_STACK_DROP_ip_not_for_us;
	/* RFC 1122 3.3.6: a host SHOULD silently discard a datagram received
	 * as a link-layer broadcast whose destination is not an IP broadcast
	 * or multicast address. */
	if (rte_is_broadcast_ether_addr(&eh->dst_addr))
		return YS_STACK_DROP_ip_link_broadcast;
	/* RFC 791: MF or a non-zero offset marks a fragment. The primary
	 * reassembles before dispatching, so one here is not ours to take. */
	if (ih->fragment_offset &
	    rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return YS_STACK_DROP_ip_fragment;
	/*
	 * TTL is not checked. RFC 1122 3.2.1.7 says a host MUST NOT send a
	 * datagram with TTL 0 and that a datagram whose TTL reaches 0 is not
	 * forwarded; both are about sending and forwarding. This host
	 * forwards nothing, and a datagram that reached it with TTL 0 or 1
	 * has arrived (RFC 791 3.2: the TTL bounds the datagram's time in
	 * the internet, which ends here), so it is taken like any other, as
	 * Linux does.
	 */
	return YS_STACK_DROP_MAX;
}

/*
 * A datagram for a protocol no one here handles. RFC 1122 3.2.2.1: a
 * host SHOULD send a Protocol Unreachable; ys_icmp_send_error() applies
 * the rules on when not to (and counts each). The datagram itself is
 * dropped as ip_unsupported_proto either way. Consumes m.
 */
static void ipv4_unknown_proto(struct ys_stack *st, struct rte_mbuf *m)
{
	(void)ys_icmp_send_error(st, m, YS_ICMP_DEST_UNREACH,
	                         YS_ICMP_UNREACH_PROTOCOL, 0);
	ys_stack_drop(st, m, YS_STACK_DROP_ip_unsupported_proto);
}

void ys_ipv4_input(struct ys_stack *st, const struct ys_stack_iface *ifp,
                   struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ih;
	enum ys_stack_drop_reason why;
	uint32_t hlen, tlen;

	st->stats->ip_rx++;
	if (!ipv4_header_ok(m, &hlen, &tlen)) {
		ys_stack_drop(st, m, YS_STACK_DROP_ip_malformed);
		return;
	}
	why = ipv4_accept(st, ifp, m, hlen);
	if (why != YS_STACK_DROP_MAX) {
		ys_stack_drop(st, m, why);
		return;
	}
	/* From here on the frame ends where the datagram ends. */
	if (tlen < m->pkt_len - ETH_HLEN)
		ys_stack_trim(st, m, ETH_HLEN + tlen);

	ih = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, ETH_HLEN);
	switch (ih->next_proto_id) {
	case IPPROTO_ICMP:
		ys_icmp_input(st, ifp, m, hlen);
		return;
	case IPPROTO_UDP:
		ys_udp_input(st, ifp, m, hlen);
		return;
	default:
		ipv4_unknown_proto(st, m);
		return;
	}
}
