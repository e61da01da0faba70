/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP (RFC 768, RFC 1122 4.1) for one stack instance: input validation
 * and delivery to bound ports, ICMP port unreachable for the others, and
 * the send-to path. The rules are listed in ys_udp.h.
 *
 * Ownership: ys_udp_input() consumes the frame (delivered then freed, or
 * dropped and counted); a receive callback borrows it for the call. The
 * send functions build fresh chains from conf.pool (tagged ours through
 * ys_stack_alloc()) or take the caller's over (ys_udp_sendto_mbuf()), and
 * hand every datagram to ys_stack_ip_output(), which consumes it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "ys_icmp.h"
#include "ys_stack.h"
#include "ys_stack_pvt.h"
#include "ys_udp.h"

#define IPPROTO_UDP_NUM 17     /* RFC 768: "Protocol Number 17" */
#define CKSUM_OK        0xffff /* raw sum of a region whose checksum is right */
#define HDRS_LEN        (YS_IPV4_HLEN + YS_UDP_HLEN)

_Static_assert(sizeof(struct rte_udp_hdr) == YS_UDP_HLEN, "RFC 768 header");
_Static_assert(YS_UDP_TX_HEADROOM == YS_ETH_HLEN + 4 + HDRS_LEN, "headroom");

/* ---- checksum (RFC 768) ------------------------------------------------- */

/* RFC 768: "a pseudo header ... contains the source address, the
 * destination address, the protocol, and the UDP length". */
struct udp_pseudo_hdr {
	uint32_t src; /* network order */
	uint32_t dst;
	uint8_t zero;
	uint8_t proto;
	uint16_t len; /* network order */
} __rte_packed;

/*
 * Raw one's complement sum of the pseudo-header and the `ulen` bytes of
 * the UDP datagram at offset `off` of m (any number of segments). Borrows
 * m.
 */
static uint16_t udp_sum(const struct rte_mbuf *m, uint32_t off, uint32_t ulen,
                        uint32_t src, uint32_t dst)
{
	struct udp_pseudo_hdr ph = {
	        .src = src,
	        .dst = dst,
	        .proto = IPPROTO_UDP_NUM,
	        .len = rte_cpu_to_be_16((uint16_t)ulen),
	};
	uint32_t sum = rte_raw_cksum(&ph, sizeof(ph));

	sum += ys_mbuf_cksum(m, off, ulen);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* ---- the table of bound ports ------------------------------------------- */

void ys_udp_init(struct ys_stack *st)
{
	memset(&st->udp, 0, sizeof(st->udp));
}

int ys_udp_bind_check(const struct ys_stack *st, uint32_t addr_be,
                      uint16_t port)
{
	const struct ys_udp_table *t = &st->udp;
	uint32_t i;

	if (port == 0 || (addr_be != 0 && !ys_stack_is_local(st, addr_be)))
		return -EINVAL;
	for (i = 0; i < YS_UDP_MAX_SOCKETS; i++) {
		const struct ys_udp_sock *s = &t->socks[i];

		if (s->cb == NULL || s->port != port)
			continue;
		/* One owner per (address, port); "any" covers them all. */
		if (s->addr == addr_be || s->addr == 0 || addr_be == 0)
			return -EADDRINUSE;
	}
	return t->n_bound < YS_UDP_MAX_SOCKETS ? 0 : -ENOSPC;
}

int ys_udp_bind(struct ys_stack *st, uint32_t addr_be, uint16_t port,
                ys_udp_recv_fn cb, void *ctx)
{
	struct ys_udp_table *t = &st->udp;
	uint32_t i;
	int rc;

	if (cb == NULL)
		return -EINVAL;
	rc = ys_udp_bind_check(st, addr_be, port);
	if (rc != 0)
		return rc;
	for (i = 0; t->socks[i].cb != NULL; i++)
		; /* a free slot exists: n_bound < YS_UDP_MAX_SOCKETS */
	t->socks[i] = (struct ys_udp_sock){
	        .cb = cb, .ctx = ctx, .addr = addr_be, .port = port};
	t->n_bound++;
	return 0;
}

int ys_udp_unbind(struct ys_stack *st, uint32_t addr_be, uint16_t port)
{
	struct ys_udp_table *t = &st->udp;
	uint32_t i;

	for (i = 0; i < YS_UDP_MAX_SOCKETS; i++) {
		struct ys_udp_sock *s = &t->socks[i];

		if (s->cb != NULL && s->port == port && s->addr == addr_be) {
			memset(s, 0, sizeof(*s));
			t->n_bound--;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * The socket for a datagram to (dst, port): bound to dst itself, else to
 * every local address. Only our unicast addresses match: a datagram to a
 * broadcast or multicast address (should the IPv4 layer pass one up)
 * reaches no socket here.
 */
static const struct ys_udp_sock *udp_lookup(const struct ys_stack *st,
                                            uint32_t dst, uint16_t port)
{
	const struct ys_udp_sock *any = NULL;
	uint32_t i;

	for (i = 0; i < YS_UDP_MAX_SOCKETS; i++) {
		const struct ys_udp_sock *s = &st->udp.socks[i];

		if (s->cb == NULL || s->port != port)
			continue;
		if (s->addr == dst)
			return s;
		if (s->addr == 0)
			any = s;
	}
	return any != NULL && ys_stack_is_local(st, dst) ? any : NULL;
}

/* ---- input -------------------------------------------------------------- */

/*
 * Hands the datagram to sock's callback, then frees the frame. `ulen` is
 * the UDP Length (validated). Consumes m.
 */
static void udp_deliver(struct ys_stack *st, const struct ys_stack_iface *ifp,
                        const struct ys_udp_sock *sock, struct rte_mbuf *m,
                        uint32_t off, uint32_t ulen)
{
	const struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod_offset(
	        m, const struct rte_ipv4_hdr *, YS_ETH_HLEN);
	const struct rte_udp_hdr *uh =
	        rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, off);
	/* Copied: the callback may unbind (or rebind) its own slot. */
	ys_udp_recv_fn cb = sock->cb;
	void *ctx = sock->ctx;
	struct ys_udp_dgram d = {
	        .src_addr = ih->src_addr,
	        .dst_addr = ih->dst_addr,
	        .src_port = rte_be_to_cpu_16(uh->src_port),
	        .dst_port = rte_be_to_cpu_16(uh->dst_port),
	        .iface = ys_iface_index(st, ifp),
	        .m = m,
	        .off = off + YS_UDP_HLEN,
	        .len = ulen - YS_UDP_HLEN,
	};

	st->stats->udp_rx++;
	st->stats->udp_rx_bytes += d.len;
	cb(ctx, &d);
	ys_stack_free(st, m);
}

void ys_udp_input(struct ys_stack *st, const struct ys_stack_iface *ifp,
                  struct rte_mbuf *m, uint32_t hlen)
{
	const struct rte_ipv4_hdr *ih;
	const struct rte_udp_hdr *uh;
	const struct ys_udp_sock *sock;
	uint32_t off = YS_ETH_HLEN + hlen;
	uint32_t plen = m->pkt_len - off; /* the IPv4 payload */
	uint32_t ulen;

	/* The header is read in place: it must be in the first segment (a
	 * reassembled datagram's first segment is its first fragment, which
	 * holds at least 8 data bytes, RFC 791 3.2). */
	if (plen < YS_UDP_HLEN || m->data_len < off + YS_UDP_HLEN) {
		ys_stack_drop(st, m, YS_STACK_DROP_udp_malformed);
		return;
	}
	ih = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
	                             YS_ETH_HLEN);
	uh = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, off);
	/*
	 * RFC 768: Length is "the length in octets of this user datagram
	 * including this header and the data", so at least 8. One beyond
	 * the IPv4 payload claims bytes that never arrived: discarded. One
	 * short of it leaves bytes that are not part of the datagram: they
	 * are ignored (checksum and payload stop at Length).
	 */
	ulen = rte_be_to_cpu_16(uh->dgram_len);
	if (ulen < YS_UDP_HLEN || ulen > plen) {
		ys_stack_drop(st, m, YS_STACK_DROP_udp_bad_length);
		return;
	}
	/* RFC 768: "An all zero transmitted checksum value means that the
	 * transmitter generated no checksum"; RFC 1122 4.1.3.4: a non-zero
	 * invalid one MUST be silently discarded. */
	if (uh->dgram_cksum == 0) {
		st->stats->udp_rx_no_checksum++;
	} else if (udp_sum(m, off, ulen, ih->src_addr, ih->dst_addr) !=
	           CKSUM_OK) {
		ys_stack_drop(st, m, YS_STACK_DROP_udp_bad_checksum);
		return;
	}
	if (ulen < plen)
		st->stats->udp_rx_trimmed++;

	sock = udp_lookup(st, ih->dst_addr, rte_be_to_cpu_16(uh->dst_port));
	if (sock == NULL) {
		/* RFC 1122 4.1.3.1: UDP SHOULD send ICMP Port Unreachable
		 * (3.2.2.1). The rules that forbid it (broadcast, multicast,
		 * non-first fragment) and the rate limit are applied, and
		 * counted, by ys_icmp_send_error(); the quote is taken from
		 * the frame as it arrived. */
		(void)ys_icmp_send_error(st, m, YS_ICMP_DEST_UNREACH,
		                         YS_ICMP_UNREACH_PORT, 0);
		ys_stack_drop(st, m, YS_STACK_DROP_udp_no_port);
		return;
	}
	udp_deliver(st, ifp, sock, m, off, ulen);
}

uint32_t ys_udp_dgram_copy(const struct ys_udp_dgram *d, uint32_t off,
                           void *buf, uint32_t len)
{
	const void *p;

	if (off >= d->len || len == 0)
		return 0;
	len = RTE_MIN(len, d->len - off);
	p = rte_pktmbuf_read(d->m, d->off + off, len, buf);
	if (p != buf)
		memcpy(buf, p, len);
	return len;
}

const void *ys_udp_dgram_read(const struct ys_udp_dgram *d, uint32_t off,
                              uint32_t len, void *buf)
{
	if (off > d->len || len > d->len - off)
		return NULL;
	/* rte_pktmbuf_read() walks past the last segment when asked for 0
	 * bytes at the very end of a chain. */
	if (len == 0)
		return buf;
	return rte_pktmbuf_read(d->m, d->off + off, len, buf);
}

/* ---- output ------------------------------------------------------------- */

/* Where a copied payload comes from: a flat buffer, or a chain's bytes
 * from a cursor (segment, offset in it). */
struct udp_src {
	const uint8_t *flat;
	const struct rte_mbuf *seg;
	uint32_t seg_off;
};

/* Points the cursor at byte `off` of chain m. */
static void src_seek(struct udp_src *s, const struct rte_mbuf *m, uint32_t off)
{
	while (m != NULL && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	s->seg = m;
	s->seg_off = off;
}

/* Copies the next n bytes of the source (which holds them) to dst. */
static void src_copy(struct udp_src *s, uint8_t *dst, uint32_t n)
{
	if (s->flat != NULL) {
		memcpy(dst, s->flat, n);
		s->flat += n;
		return;
	}
	while (n > 0) {
		uint32_t k =
		        RTE_MIN((uint32_t)s->seg->data_len - s->seg_off, n);

		memcpy(dst,
		       rte_pktmbuf_mtod_offset(s->seg, const uint8_t *,
		                               s->seg_off),
		       k);
		dst += k;
		n -= k;
		s->seg_off += k;
		if (s->seg_off == s->seg->data_len) {
			s->seg = s->seg->next;
			s->seg_off = 0;
		}
	}
}

/*
 * A fresh chain holding `len` bytes from s: the first segment keeps its
 * headroom for the headers, later ones use their whole buffer. NULL
 * after counting tx_alloc_failed (nothing left allocated).
 */
static struct rte_mbuf *payload_build(struct ys_stack *st, struct udp_src *s,
                                      uint32_t len)
{
	struct rte_mbuf *head = ys_stack_alloc(st), *tail = head;

	while (head != NULL && len > 0) {
		uint32_t n = RTE_MIN((uint32_t)rte_pktmbuf_tailroom(tail), len);

		if (n == 0) {
			struct rte_mbuf *seg = ys_stack_alloc(st);

			if (seg == NULL) {
				ys_stack_free(st, head); /* counted once */
				return NULL;
			}
			seg->data_off = 0;
			tail->next = seg;
			tail = seg;
			head->nb_segs++;
			continue;
		}
		src_copy(s,
		         rte_pktmbuf_mtod_offset(tail, uint8_t *,
		                                 tail->data_len),
		         n);
		tail->data_len = (uint16_t)(tail->data_len + n);
		head->pkt_len += n;
		len -= n;
	}
	return head;
}

/*
 * The payload with room for the Ethernet, IPv4 and UDP headers in front
 * of it, in a first segment whose header bytes may be written: itself,
 * or a fresh mbuf chained in front. NULL after counting the drop.
 * Consumes payload.
 */
static struct rte_mbuf *payload_headroom(struct ys_stack *st,
                                         struct rte_mbuf *payload)
{
	struct rte_mbuf *hdr;

	if (RTE_MBUF_DIRECT(payload) && rte_mbuf_refcnt_read(payload) == 1 &&
	    rte_pktmbuf_headroom(payload) >= YS_UDP_TX_HEADROOM)
		return payload;
	hdr = ys_stack_alloc(st);
	if (hdr == NULL) {
		ys_stack_free(st, payload); /* counted tx_alloc_failed */
		return NULL;
	}
	if (hdr->buf_len < YS_UDP_TX_HEADROOM) {
		ys_stack_free(st, payload);
		ys_stack_drop(st, hdr, YS_STACK_DROP_tx_alloc_failed);
		return NULL;
	}
	hdr->data_off = RTE_MAX(hdr->data_off, (uint16_t)YS_UDP_TX_HEADROOM);
	if (payload->pkt_len == 0) {
		ys_stack_free(st, payload);
		return hdr;
	}
	if (rte_pktmbuf_chain(hdr, payload) != 0) { /* too many segments */
		ys_stack_free(st, payload);
		ys_stack_drop(st, hdr, YS_STACK_DROP_udp_tx_invalid);
		return NULL;
	}
	return hdr;
}

/*
 * Writes the IPv4 and UDP headers in front of m's payload (`plen`
 * bytes) and the UDP checksum, which is always generated (RFC 1122
 * 4.1.3.4). False when m has no headroom for them (payload_headroom()
 * made sure it has).
 */
static bool udp_headers(struct ys_stack *st, struct rte_mbuf *m, uint32_t src,
                        uint16_t sport, uint32_t dst, uint16_t dport,
                        uint32_t plen)
{
	struct rte_ipv4_hdr *ih =
	        (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, HDRS_LEN);
	struct rte_udp_hdr *uh;
	uint16_t sum;

	if (ih == NULL)
		return false;
	uh = (struct rte_udp_hdr *)(ih + 1);
	memset(ih, 0, YS_IPV4_HLEN);
	ih->version_ihl = RTE_IPV4_VHL_DEF;
	ih->total_length = rte_cpu_to_be_16((uint16_t)(HDRS_LEN + plen));
	ih->packet_id = rte_cpu_to_be_16(ys_ipv4_next_id(st));
	ih->time_to_live = YS_IPV4_TTL;
	ih->next_proto_id = IPPROTO_UDP_NUM;
	ih->src_addr = src;
	ih->dst_addr = dst;
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(YS_UDP_HLEN + plen));
	uh->dgram_cksum = 0;
	sum = (uint16_t)~udp_sum(m, YS_IPV4_HLEN, YS_UDP_HLEN + plen, src, dst);
	/* RFC 768: "If the computed checksum is zero, it is transmitted as
	 * all ones" (zero would mean "no checksum"). */
	uh->dgram_cksum = sum == 0 ? 0xffff : sum;
	return true;
}

/*
 * Sends the payload chain as a UDP datagram; arguments checked. Consumes
 * payload.
 */
static int udp_output(struct ys_stack *st, uint32_t src, uint16_t sport,
                      uint32_t dst, uint16_t dport, struct rte_mbuf *payload)
{
	uint32_t plen = payload->pkt_len;
	struct ys_route_result rr;
	struct rte_mbuf *m;
	int rc;

	/* The pseudo-header needs the source before ys_stack_ip_output()
	 * would choose it (RFC 1122 3.3.4.2: the route's). With no route,
	 * src stays 0 and ys_stack_ip_output() drops the datagram, counted
	 * as ip_no_route like any other. */
	if (src == 0 && ys_stack_route_lookup(st, dst, &rr) == 0)
		src = rr.src;
	m = payload_headroom(st, payload);
	if (m == NULL)
		return -ENOBUFS;
	if (!udp_headers(st, m, src, sport, dst, dport, plen)) {
		ys_stack_drop(st, m, YS_STACK_DROP_ip_out_malformed);
		return -EINVAL;
	}
	rc = ys_stack_ip_output(st, m);
	if (rc == 0) {
		st->stats->udp_tx++;
		st->stats->udp_tx_bytes += plen;
	}
	return rc;
}

/* The checks every send makes before anything is built. */
static int udp_args_check(const struct ys_stack *st, uint32_t src,
                          uint16_t dport, uint32_t len)
{
	/* RFC 768 gives port 0 no meaning as a destination (Linux refuses
	 * it too); RFC 1122 4.1.3.6: the source MUST be one of ours. */
	if (dport == 0 || (src != 0 && !ys_stack_is_local(st, src)))
		return -EINVAL;
	return len > YS_UDP_MAX_PAYLOAD ? -EMSGSIZE : 0;
}

int ys_udp_sendto_mbuf(struct ys_stack *st, uint32_t src_be, uint16_t sport,
                       uint32_t dst_be, uint16_t dport,
                       struct rte_mbuf *payload)
{
	int rc;

	if (payload == NULL)
		return -EINVAL;
	rc = udp_args_check(st, src_be, dport, payload->pkt_len);
	if (rc != 0) {
		ys_stack_drop(st, payload, YS_STACK_DROP_udp_tx_invalid);
		return rc;
	}
	return udp_output(st, src_be, sport, dst_be, dport, payload);
}

/* Builds the payload from s and sends it; arguments not yet checked. */
static int udp_send_copy(struct ys_stack *st, uint32_t src, uint16_t sport,
                         uint32_t dst, uint16_t dport, struct udp_src *s,
                         uint32_t len)
{
	struct rte_mbuf *payload;
	int rc = udp_args_check(st, src, dport, len);

	if (rc != 0)
		return rc;
	payload = payload_build(st, s, len);
	if (payload == NULL)
		return -ENOBUFS;
	return udp_output(st, src, sport, dst, dport, payload);
}

int ys_udp_sendto(struct ys_stack *st, uint32_t src_be, uint16_t sport,
                  uint32_t dst_be, uint16_t dport, const void *data,
                  uint32_t len)
{
	static const uint8_t none[1];
	struct udp_src s = {.flat = data != NULL ? data : none};

	if (data == NULL && len > 0)
		return -EINVAL;
	return udp_send_copy(st, src_be, sport, dst_be, dport, &s, len);
}

int ys_udp_sendto_chain(struct ys_stack *st, uint32_t src_be, uint16_t sport,
                        uint32_t dst_be, uint16_t dport,
                        const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	struct udp_src s = {0};

	if (m == NULL || off > m->pkt_len || len > m->pkt_len - off)
		return -EINVAL;
	src_seek(&s, m, off);
	return udp_send_copy(st, src_be, sport, dst_be, dport, &s, len);
}

void ys_udp_foreach(const struct ys_stack *st, ys_udp_visit_fn fn, void *ctx)
{
	for (uint32_t i = 0; i < YS_UDP_MAX_SOCKETS; i++)
		if (st->udp.socks[i].cb != NULL)
			fn(ctx, st->udp.socks[i].addr, st->udp.socks[i].port);
}
