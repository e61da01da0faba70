/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP (RFC 792, RFC 1122 3.2.2) for one stack instance: echo replies
 * (RFC 1122 3.2.2.6), errors received (counted by type; "fragmentation
 * needed" lowers the path MTU estimate, RFC 1191), and errors sent about
 * received datagrams (ys_icmp_send_error()) under the rules of RFC 1122
 * 3.2.2 and a per-instance token bucket (RFC 1812 4.3.2.8).
 *
 * Ownership: every function that takes an mbuf consumes it, unless its
 * comment says "borrows"; ys_icmp_send_error() borrows the frame it is
 * about and sends a fresh one.
 *
 * Segments: the IPv4 header and the 8-byte ICMP header are in the first
 * segment (ys_ipv4_input() and ys_icmp_input() check); everything else
 * (echo data, quoted datagrams) is read across segments.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "ys_icmp.h"
#include "ys_ipfrag.h"
#include "ys_pmtu.h"
#include "ys_stack.h"
#include "ys_stack_pvt.h"

#define ETH_HLEN  YS_ETH_HLEN
#define IPV4_HLEN YS_IPV4_HLEN
#define ICMP_HLEN ((uint32_t)sizeof(struct rte_icmp_hdr)) /* 8 */
#define CKSUM_OK  0xffff /* raw sum of a region whose checksum is right */

/* ---- rate limit --------------------------------------------------------- */

static uint32_t icmp_rate(const struct ys_stack *st)
{
	return st->conf.icmp_rate != 0 ? st->conf.icmp_rate
	                               : YS_ICMP_DEFAULT_RATE;
}

static uint32_t icmp_burst(const struct ys_stack *st)
{
	return st->conf.icmp_burst != 0 ? st->conf.icmp_burst
	                                : YS_ICMP_DEFAULT_BURST;
}

int ys_icmp_check_conf(const struct ys_stack_conf *conf, char *err,
                       size_t err_len)
{
	if (conf->icmp_rate > YS_ICMP_MAX_RATE) {
		ys_conf_err(err, err_len, "icmp.rate_limit: must be at most %u",
		            YS_ICMP_MAX_RATE);
		return -EINVAL;
	}
	if (conf->icmp_burst > YS_ICMP_MAX_BURST) {
		ys_conf_err(err, err_len, "icmp.burst: must be at most %u",
		            YS_ICMP_MAX_BURST);
		return -EINVAL;
	}
	return 0;
}

void ys_icmp_limiter_init(struct ys_stack *st)
{
	st->icmp_limiter.milli_tokens = (uint64_t)icmp_burst(st) * 1000;
	st->icmp_limiter.last_ms = st->now_ms;
}

/*
 * Takes one token when there is one. The bucket is refilled first with
 * the time since the last call: `rate` thousandths of a token per
 * millisecond, up to `burst` tokens (a live reload that lowered the burst
 * takes effect here too).
 */
static bool icmp_take_token(struct ys_stack *st)
{
	struct ys_icmp_limiter *l = &st->icmp_limiter;
	uint64_t cap = (uint64_t)icmp_burst(st) * 1000;
	uint64_t elapsed = st->now_ms - l->last_ms;

	l->last_ms = st->now_ms;
	/* A rate of at least 1 refills the whole bucket in `cap` ms; the
	 * test also keeps elapsed * rate far from overflowing. */
	if (elapsed >= cap)
		l->milli_tokens = cap;
	else
		l->milli_tokens += elapsed * icmp_rate(st);
	if (l->milli_tokens > cap)
		l->milli_tokens = cap;
	if (l->milli_tokens < 1000)
		return false;
	l->milli_tokens -= 1000;
	return true;
}

/* ---- sending errors (RFC 792, RFC 1122 3.2.2) --------------------------- */

/*
 * Whether the ICMP message after the `hlen`-byte header of orig (a
 * datagram of `tlen` bytes) is a query or a query's reply. RFC 1122 3.2.2:
 * "An ICMP error message MUST NOT be sent as the result of receiving: an
 * ICMP error message". A type this list does not know may be an error
 * (RFC 1812 4.3.2.7 reads unknown types that way too), and so may a
 * message too short to have a type. Borrows orig.
 */
static bool icmp_is_query(const struct rte_mbuf *orig, uint32_t hlen,
                          uint32_t tlen)
{
	uint8_t buf, type;
	const uint8_t *p;

	if (tlen < hlen + 1)
		return false;
	p = rte_pktmbuf_read(orig, ETH_HLEN + hlen, 1, &buf);
	if (p == NULL)
		return false;
	type = *p;
	switch (type) {
	case YS_ICMP_ECHO_REPLY:
	case YS_ICMP_ECHO_REQUEST:
	case 13: /* timestamp, RFC 792 */
	case 14: /* timestamp reply */
	case 15: /* information request, RFC 792 */
	case 16: /* information reply */
	case 17: /* address mask request, RFC 950 */
	case 18: /* address mask reply */
		return true;
	default:
		return false;
	}
}

/*
 * RFC 1122 3.2.2: "An ICMP error message MUST NOT be sent as the result
 * of receiving: an ICMP error message, or a datagram destined to an IP
 * broadcast or IP multicast address, or a datagram sent as a link-layer
 * broadcast, or a non-initial fragment, or a datagram whose source address
 * does not define a single host -- e.g., a zero address, a loopback
 * address, a broadcast address, a multicast address, or a Class E
 * address." 0 when orig may have one, else -EPERM, counted. Borrows orig.
 */
static int error_allowed(struct ys_stack *st, const struct rte_mbuf *orig,
                         const struct rte_ipv4_hdr *ih, uint32_t hlen,
                         uint32_t tlen)
{
	const struct rte_ether_hdr *eh =
	        rte_pktmbuf_mtod(orig, const struct rte_ether_hdr *);

	/* Link-layer multicast covers broadcast (the group bit). */
	if (rte_is_multicast_ether_addr(&eh->dst_addr) ||
	    !ys_ipv4_host_addr_ok(st, ih->dst_addr)) {
		st->stats->icmp_errors_about_bcast++;
		return -EPERM;
	}
	if (ih->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)) {
		st->stats->icmp_errors_about_fragment++;
		return -EPERM;
	}
	if (!ys_ipv4_host_addr_ok(st, ih->src_addr)) {
		st->stats->icmp_errors_about_bad_src++;
		return -EPERM;
	}
	if (ih->next_proto_id == IPPROTO_ICMP &&
	    !icmp_is_query(orig, hlen, tlen)) {
		st->stats->icmp_errors_about_error++;
		return -EPERM;
	}
	return 0;
}

/*
 * Fills the 20-byte IPv4 header at `ip` of an error of `len` bytes (IP
 * header included) to `dst` from `src` (0: the route's). DF clear: an
 * error of up to 576 bytes may cross a link of a smaller MTU (RFC 791
 * 3.1: every host accepts 576-byte datagrams, in fragments if need be).
 * TOS 0 (RFC 1349 5.1: ICMP errors use the default TOS).
 */
static void error_ip_header(struct ys_stack *st, struct rte_ipv4_hdr *ip,
                            uint32_t len, uint32_t src, uint32_t dst)
{
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	ip->packet_id = rte_cpu_to_be_16(ys_ipv4_next_id(st));
	ip->fragment_offset = 0;
	ip->time_to_live = YS_IPV4_TTL;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->hdr_checksum = 0; /* ys_stack_ip_output() computes it */
	ip->src_addr = src;
	ip->dst_addr = dst;
}

int ys_icmp_send_error(struct ys_stack *st, const struct rte_mbuf *orig,
                       uint8_t type, uint8_t code, uint16_t next_hop_mtu)
{
	const struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod_offset(
	        orig, const struct rte_ipv4_hdr *, ETH_HLEN);
	uint32_t hlen = (uint32_t)(ih->version_ihl & RTE_IPV4_HDR_IHL_MASK) *
	                RTE_IPV4_IHL_MULTIPLIER;
	uint32_t tlen = RTE_MIN((uint32_t)rte_be_to_cpu_16(ih->total_length),
	                        orig->pkt_len - ETH_HLEN);
	uint32_t quote, len, src;
	struct rte_icmp_hdr *ic;
	struct rte_mbuf *m;
	const void *q;
	uint8_t *p;
	int rc;

	rc = error_allowed(st, orig, ih, hlen, tlen);
	if (rc != 0)
		return rc;
	if (!icmp_take_token(st)) {
		st->stats->icmp_errors_rate_limited++;
		return -EAGAIN;
	}
	/* RFC 1812 4.3.2.3: as much as fits in 576 bytes. */
	quote = RTE_MIN(tlen, YS_ICMP_ERROR_MAX_LEN - IPV4_HLEN - ICMP_HLEN);
	len = IPV4_HLEN + ICMP_HLEN + quote;
	m = ys_stack_alloc(st);
	if (m == NULL)
		return -ENOBUFS;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL || rte_pktmbuf_headroom(m) < ETH_HLEN) {
		ys_stack_drop(st, m, YS_STACK_DROP_tx_alloc_failed);
		return -ENOBUFS;
	}
	/* RFC 1122 3.2.2: the error's source is one of our addresses; the
	 * one the datagram was sent to when it is ours. */
	src = ys_stack_is_local(st, ih->dst_addr) ? ih->dst_addr : 0;
	error_ip_header(st, (struct rte_ipv4_hdr *)p, len, src, ih->src_addr);

	ic = (struct rte_icmp_hdr *)(p + IPV4_HLEN);
	memset(ic, 0, ICMP_HLEN);
	ic->icmp_type = type;
	ic->icmp_code = code;
	/* RFC 1191 4: the next-hop MTU in the low-order 16 bits of the
	 * "unused" word. */
	if (type == YS_ICMP_DEST_UNREACH && code == YS_ICMP_UNREACH_FRAG_NEED)
		ic->icmp_seq_nb = rte_cpu_to_be_16(next_hop_mtu);
	q = rte_pktmbuf_read(orig, ETH_HLEN, quote, p + IPV4_HLEN + ICMP_HLEN);
	if (q != p + IPV4_HLEN + ICMP_HLEN)
		memcpy(p + IPV4_HLEN + ICMP_HLEN, q, quote);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, ICMP_HLEN + quote);

	rc = ys_stack_ip_output(st, m);
	if (rc == 0)
		st->stats->icmp_errors_sent++;
	return rc;
}

/* ---- echo (RFC 792, RFC 1122 3.2.2.6) ----------------------------------- */

/*
 * Turns the echo request in m into its reply in place and sends it.
 * `hlen` is the request's IPv4 header length, `icmp_len` its ICMP message
 * length; both are validated and the frame is exactly 14 + hlen +
 * icmp_len bytes. Consumes m.
 */
static void icmp_echo_input(struct ys_stack *st,
                            const struct ys_stack_iface *ifp,
                            struct rte_mbuf *m, uint32_t hlen,
                            uint32_t icmp_len)
{
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ih;
	struct rte_icmp_hdr *ic;
	struct rte_ether_addr peer;
	uint32_t src, dst;
	uint16_t id, frag;
	uint8_t tos;

	st->stats->icmp_echo_requests++;
	m = ys_stack_writable(st, m);
	if (m == NULL)
		return;

	/* Read all the reply needs before writing: when options are
	 * stripped, the new headers overlap the old ones. */
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ih = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, ETH_HLEN);
	peer = eh->src_addr;
	src = ih->src_addr;
	dst = ih->dst_addr;
	id = ih->packet_id;
	/*
	 * DF comes back as the request had it (RFC 792 and RFC 1122 3.2.2.6
	 * are silent on it). A reassembled request had DF clear, since its
	 * sender fragmented it (RFC 791 3.2), so its reply may be fragmented
	 * too, the same outcome as Linux, whose ICMP replies never set DF.
	 * A DF request whose reply exceeds our MTU (it came over a larger
	 * one) gets none (ip_frag_df_set), as a path MTU probe (`ping -M
	 * do`) expects of a path too narrow. MF and the offset are zero
	 * (fragments were dropped) and the reserved bit MUST be zero.
	 */
	frag = ih->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	tos = ih->type_of_service;

	/*
	 * IP options are stripped from the reply. RFC 1122 3.2.2.6 says a
	 * Record Route or Timestamp option SHOULD be updated and returned,
	 * and a Source Route reversed and used; that needs an options writer
	 * the stack does not have yet (known gap: `ping -R` shows no return
	 * route). A fresh 20-byte header and the Ethernet header are written
	 * just in front of the unchanged ICMP message and the first
	 * hlen - 20 bytes are cut off, so the ICMP data never moves, even
	 * when it spans segments. rte_pktmbuf_adj() cannot fail: the first
	 * segment holds 14 + hlen bytes.
	 */
	if (hlen > IPV4_HLEN)
		rte_pktmbuf_adj(m, (uint16_t)(hlen - IPV4_HLEN));

	/*
	 * The reply goes straight back to the on-link sender's MAC, on the
	 * interface (and VLAN: ys_stack_tx() tags it) the request came in
	 * by, the way the request came rather than by a route lookup.
	 */
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eh->dst_addr = peer;
	eh->src_addr = ifp->mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

	ih = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, ETH_HLEN);
	ih->version_ihl = RTE_IPV4_VHL_DEF;
	ih->type_of_service = tos;
	ih->total_length = rte_cpu_to_be_16((uint16_t)(IPV4_HLEN + icmp_len));
	ih->packet_id = id;
	ih->fragment_offset = frag;
	ih->time_to_live = YS_IPV4_TTL;
	ih->next_proto_id = IPPROTO_ICMP;
	/* RFC 792 Echo: "the source and destination addresses are simply
	 * reversed"; the destination was checked to be ours (RFC 1122
	 * 3.2.2.6: the reply's source is the request's specific
	 * destination). */
	ih->src_addr = dst;
	ih->dst_addr = src;
	ih->hdr_checksum = 0;
	ih->hdr_checksum = rte_ipv4_cksum(ih);

	/* RFC 792 Echo: "the type code changed to 0"; identifier, sequence
	 * number and data stay (RFC 1122 3.2.2.6: all the data MUST be
	 * returned). */
	ic = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *,
	                             ETH_HLEN + IPV4_HLEN);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_code = 0;
	ic->icmp_cksum = 0;
	ic->icmp_cksum =
	        (uint16_t)~ys_mbuf_cksum(m, ETH_HLEN + IPV4_HLEN, icmp_len);

	if (ys_ipv4_eth_output(st, ifp, m))
		st->stats->icmp_echo_replies++;
}

/* ---- errors received (RFC 792, RFC 1122 3.2.2.1-5, RFC 1191) ------------ */

/*
 * RFC 1191 7, "Host specification": the plateaus to try when a router
 * gives no next-hop MTU (an RFC 792 router leaves the field 0).
 */
static const uint16_t pmtu_plateaus[] = {
        65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68,
};

/* The largest plateau below `tlen`, or 0 when there is none. */
static uint16_t plateau_below(uint32_t tlen)
{
	size_t i;

	for (i = 0; i < RTE_DIM(pmtu_plateaus); i++)
		if (pmtu_plateaus[i] < tlen)
			return pmtu_plateaus[i];
	return 0;
}

/*
 * The quoted IPv4 header of the error in m (ICMP message at `off`, of
 * `icmp_len` bytes), copied to `q` (60 bytes): 0, or -EINVAL when the
 * message does not quote an IPv4 header and 8 data bytes (RFC 792: "the
 * internet header plus the first 64 bits of the original datagram's
 * data"). Borrows m.
 */
static int error_quote(const struct rte_mbuf *m, uint32_t off,
                       uint32_t icmp_len, struct rte_ipv4_hdr *q)
{
	const struct rte_ipv4_hdr *p;
	uint32_t qhlen;

	if (icmp_len < ICMP_HLEN + IPV4_HLEN + 8)
		return -EINVAL;
	p = rte_pktmbuf_read(m, off + ICMP_HLEN, IPV4_HLEN, q);
	if (p == NULL)
		return -EINVAL;
	if (p != q)
		memcpy(q, p, IPV4_HLEN);
	qhlen = (uint32_t)(q->version_ihl & RTE_IPV4_HDR_IHL_MASK) *
	        RTE_IPV4_IHL_MULTIPLIER;
	if ((q->version_ihl >> 4) != IPVERSION || qhlen < IPV4_HLEN ||
	    icmp_len < ICMP_HLEN + qhlen + 8)
		return -EINVAL;
	return 0;
}

/*
 * The path MTU a "fragmentation needed" message from a router asks for,
 * or 0 when the message cannot be about a datagram this instance sent:
 * the quoted source must be one of our addresses, the quoted destination
 * a unicast host that is not ours, and DF set in the quote (RFC 1191 3:
 * only a DF datagram draws this message; a router fragments the others).
 * RFC 1191 4: the next-hop MTU is in bytes 6-7; 0 (an RFC 792 router)
 * means "not given" and the next plateau below the quoted Total Length is
 * used (RFC 1191 5, 7); a value below 68 is refused: RFC 1191 3, "a host
 * MUST never reduce its estimate of the Path MTU below 68 octets", and
 * only a forged or broken message claims one.
 */
static uint16_t frag_needed_mtu(const struct ys_stack *st,
                                const struct rte_icmp_hdr *ic,
                                const struct rte_ipv4_hdr *q)
{
	uint16_t mtu = rte_be_to_cpu_16(ic->icmp_seq_nb);

	if (!ys_stack_is_local(st, q->src_addr) ||
	    ys_stack_is_local(st, q->dst_addr) ||
	    !ys_ipv4_host_addr_ok(st, q->dst_addr) ||
	    !(q->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)))
		return 0;
	if (mtu == 0)
		mtu = plateau_below(rte_be_to_cpu_16(q->total_length));
	if (mtu < YS_IPV4_MIN_MTU)
		return 0;
	/* Nothing ties the message to a datagram we really sent, so a
	 * forged one could make every large send to the destination need
	 * more than YS_IPFRAG_MAX_FRAGS fragments: as Linux does
	 * (min_pmtu), the estimate never goes below 552 (576 less the 24
	 * bytes the 1191 plateaus leave for options). */
	return RTE_MAX(mtu, (uint16_t)YS_PMTU_FLOOR);
}

/*
 * Destination unreachable, code 4 (RFC 1191 4): lowers the estimate for
 * the quoted destination when the message is believable and the new value
 * is lower (RFC 1191 6.3: a host "MUST not increase its estimate of the
 * Path MTU in response to the contents of a Datagram Too Big message").
 * Consumes m.
 */
static void frag_needed_input(struct ys_stack *st, struct rte_mbuf *m,
                              const struct rte_icmp_hdr *ic,
                              const struct rte_ipv4_hdr *q)
{
	uint16_t mtu;

	st->stats->icmp_frag_needed_rx++;
	mtu = frag_needed_mtu(st, ic, q);
	if (mtu == 0) {
		ys_stack_drop(st, m, YS_STACK_DROP_icmp_frag_needed_bogus);
		return;
	}
	if (mtu < ys_stack_pmtu(st, q->dst_addr))
		ys_pmtu_set(st, q->dst_addr, mtu);
	ys_stack_free(st, m);
}

/*
 * An ICMP error (type 3, 4, 11 or 12) at `off` in m, `icmp_len` bytes:
 * counted by type. RFC 1122 3.2.2.1-5 has the transport learn of them; no
 * transport here listens yet, so they are counted and freed, but for
 * "fragmentation needed", which the IP layer acts on. Source quench is
 * counted and otherwise ignored (RFC 6633: a host MUST silently ignore
 * it). Consumes m.
 */
static void icmp_error_input(struct ys_stack *st, struct rte_mbuf *m,
                             uint32_t off, uint32_t icmp_len)
{
	const struct rte_icmp_hdr *ic =
	        rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *, off);
	struct rte_ipv4_hdr q[3]; /* room for a 60-byte header */

	if (error_quote(m, off, icmp_len, q) != 0) {
		ys_stack_drop(st, m, YS_STACK_DROP_icmp_malformed);
		return;
	}
	switch (ic->icmp_type) {
	case YS_ICMP_DEST_UNREACH:
		st->stats->icmp_rx_dest_unreach++;
		if (ic->icmp_code == YS_ICMP_UNREACH_FRAG_NEED) {
			frag_needed_input(st, m, ic, q);
			return;
		}
		break;
	case YS_ICMP_SOURCE_QUENCH:
		st->stats->icmp_rx_source_quench++;
		break;
	case YS_ICMP_TIME_EXCEEDED:
		st->stats->icmp_rx_time_exceeded++;
		break;
	default: /* YS_ICMP_PARAM_PROBLEM */
		st->stats->icmp_rx_param_problem++;
		break;
	}
	ys_stack_free(st, m);
}

void ys_icmp_input(struct ys_stack *st, const struct ys_stack_iface *ifp,
                   struct rte_mbuf *m, uint32_t hlen)
{
	const struct rte_icmp_hdr *ic;
	uint32_t off = ETH_HLEN + hlen;
	uint32_t icmp_len = m->pkt_len - off;

	/* The 8-byte header is read and rewritten in place: it must be in
	 * the first segment. */
	if (icmp_len < ICMP_HLEN || m->data_len < off + ICMP_HLEN) {
		ys_stack_drop(st, m, YS_STACK_DROP_icmp_malformed);
		return;
	}
	/* RFC 792: the checksum is over "the ICMP message starting with the
	 * ICMP Type". */
	if (ys_mbuf_cksum(m, off, icmp_len) != CKSUM_OK) {
		ys_stack_drop(st, m, YS_STACK_DROP_icmp_bad_checksum);
		return;
	}
	st->stats->icmp_rx++;

	ic = rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *, off);
	switch (ic->icmp_type) {
	case YS_ICMP_ECHO_REQUEST:
		if (ic->icmp_code != 0)
			break;
		icmp_echo_input(st, ifp, m, hlen, icmp_len);
		return;
	case YS_ICMP_DEST_UNREACH:
	case YS_ICMP_SOURCE_QUENCH:
	case YS_ICMP_TIME_EXCEEDED:
	case YS_ICMP_PARAM_PROBLEM:
		icmp_error_input(st, m, off, icmp_len);
		return;
	default:
		break;
	}
	/* RFC 1122 3.2.2: an ICMP message of unknown type MUST be silently
	 * discarded; so are replies to queries we never send (echo reply,
	 * timestamp reply) and queries we do not answer (timestamp,
	 * information, address mask: RFC 1122 3.2.2.7-9 make them optional). */
	ys_stack_drop(st, m, YS_STACK_DROP_icmp_unsupported_type);
}
