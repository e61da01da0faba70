/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * yastack host stack: Ethernet demultiplexing, IPv4 input checks (RFC 791,
 * RFC 1122 3.2.1), ICMP echo (RFC 792, RFC 1122 3.2.2.6), the IPv4 output
 * path (route lookup in ys_route.c, next-hop resolution in ys_arp.c) with
 * fragmentation (RFC 791 3.2, RFC 1122 3.3.3; the work is in ys_ipfrag.c),
 * and the instance's life cycle (init, tick, reconfigure, fini). ARP input
 * is in ys_arp.c.
 *
 * Each protocol has its own *_input function taking (stack, interface,
 * mbuf) so that later ys_ipv4.c and ys_icmp.c can take them over without
 * changing their contracts.
 *
 * Ownership: every function below that takes an mbuf consumes it, unless
 * its comment says "borrows". A frame ends in exactly one of four ways:
 * ys_stack_tx() (the tx callback owns it), ys_stack_drop() (counted under
 * one reason and freed), ys_stack_free() after it was fully handled (ARP
 * replies, ARP requests another instance answers, a reply sent as fresh
 * fragments), or an ARP wait queue (ys_arp.c), which later ends it in one
 * of the other three.
 *
 * Owner tags (ys_mbuf.h): every allocation, copy and free goes through
 * the ys_mbuf_* helpers with conf.owner, so that what the stack allocates
 * is tagged as ours and what it frees is untagged before it reaches the
 * pool. Frames go to the tx callback still tagged: their tag is the
 * callback's from then on (ys_stack.h).
 *
 * Segments: the headers a function parses or rewrites must lie in the
 * first segment; a frame that splits them is dropped as malformed (a PMD
 * with scatter enabled only splits frames longer than its buffers, and
 * those are never headers-only; a datagram the primary reassembled starts
 * with its first fragment, which holds the IPv4 header and at least 8
 * data bytes, RFC 791 3.2, and a first fragment too small for the ICMP
 * header is the "tiny fragment" of RFC 1858 3.1, dropped anyway). Payload
 * may span segments: the ICMP checksum covers every segment, the echo
 * reply reuses the chain in place, Ethernet padding is trimmed across
 * segments, and the fragmenter copies from any segment.
 *
 * The IPv4 header checksum of a received frame is trusted to the NIC when
 * it says GOOD or BAD (RTE_MBUF_F_RX_IP_CKSUM_*, on ports whose rx
 * checksum offload the primary enabled) and computed otherwise; all
 * other checksums are computed in software.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "ys_arp.h"
#include "ys_ipfrag.h"
#include "ys_mbuf.h"
#include "ys_route.h"
#include "ys_stack.h"
#include "ys_stack_pvt.h"

#define ETH_HLEN  YS_ETH_HLEN
#define IPV4_HLEN YS_IPV4_HLEN
#define ICMP_HLEN ((uint32_t)sizeof(struct rte_icmp_hdr)) /* 8 */
#define CKSUM_OK  0xffff /* raw sum of a region whose checksum is right */

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

/* RFC 1122 3.2.1.7: TTL of datagrams the host originates ("Assigned
 * Numbers" default, 64 since RFC 1700). */
#define YS_IPV4_TTL 64

static const char *const drop_names[YS_STACK_DROP_MAX] = {
#define YS_X_NAME(name, help) [YS_STACK_DROP_##name] = #name,
        YS_STACK_DROPS(YS_X_NAME)
#undef YS_X_NAME
};

const char *ys_stack_drop_str(enum ys_stack_drop_reason r)
{
	if ((unsigned int)r >= YS_STACK_DROP_MAX)
		return "unknown";
	return drop_names[r];
}

/* ---- helpers: counting, transmitting, mbuf surgery ---------------------- */

/* Counts one frame lost for `reason`. ys_stack_drop() is the way to drop
 * a frame; this half alone is for a frame someone else already freed. */
void ys_stack_count_drop(struct ys_stack *st, enum ys_stack_drop_reason reason)
{
	st->stats->drops[reason]++;
}

/* Counts m under `reason` and frees it. Consumes m. */
void ys_stack_drop(struct ys_stack *st, struct rte_mbuf *m,
                   enum ys_stack_drop_reason reason)
{
	ys_stack_count_drop(st, reason);
	ys_mbuf_free(&st->conf.owner, m);
}

/* Frees m, fully handled. Consumes m. */
void ys_stack_free(struct ys_stack *st, struct rte_mbuf *m)
{
	ys_mbuf_free(&st->conf.owner, m);
}

/* A fresh tagged mbuf, or NULL after counting tx_alloc_failed (no pool,
 * or the pool ran dry). */
struct rte_mbuf *ys_stack_alloc(struct ys_stack *st)
{
	struct rte_mbuf *m = NULL;

	if (st->conf.pool != NULL)
		m = ys_mbuf_alloc(&st->conf.owner, st->conf.pool);
	if (m == NULL)
		ys_stack_count_drop(st, YS_STACK_DROP_tx_alloc_failed);
	return m;
}

/*
 * Sends m out of `ifp`. Consumes m (the tx callback owns it whatever it
 * returns). Returns true when the link layer queued it.
 */
bool ys_stack_tx(struct ys_stack *st, const struct ys_stack_iface *ifp,
                 struct rte_mbuf *m)
{
	m->port = ifp->port_id;
	/* The contract allows 0 or -ENOBUFS; any failure is a frame not sent,
	 * already freed by the callee: counted, not freed again. */
	if (st->conf.tx(st->conf.tx_ctx, m) != 0) {
		ys_stack_count_drop(st, YS_STACK_DROP_tx_full);
		return false;
	}
	st->stats->eth_tx++;
	return true;
}

/*
 * Returns an mbuf holding the same frame whose first segment may be
 * written: m itself, or a private copy from conf.pool when m's data is
 * shared (a clone, or an external buffer), in which case m is freed.
 * Returns NULL after counting tx_alloc_failed when no copy can be made.
 * Consumes m.
 */
struct rte_mbuf *ys_stack_writable(struct ys_stack *st, struct rte_mbuf *m)
{
	struct rte_mbuf *copy;

	if (RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1)
		return m;
	copy = NULL;
	if (st->conf.pool != NULL)
		copy = ys_mbuf_copy(&st->conf.owner, m, st->conf.pool);
	if (copy == NULL) {
		ys_stack_drop(st, m, YS_STACK_DROP_tx_alloc_failed);
		return NULL;
	}
	ys_mbuf_free(&st->conf.owner, m);
	return copy;
}

/*
 * Cuts m to its first `len` bytes (0 < len <= pkt_len), freeing segments
 * that no longer hold any. Unlike rte_pktmbuf_trim() it works when the
 * bytes to cut span more than the last segment. Borrows m.
 */
void ys_stack_trim(const struct ys_stack *st, struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *seg = m, *rest;
	uint32_t left = len;
	uint16_t nb_segs = 1;

	while (left > seg->data_len) {
		left -= seg->data_len;
		seg = seg->next;
		nb_segs++;
	}
	seg->data_len = (uint16_t)left;
	rest = seg->next;
	seg->next = NULL;
	m->nb_segs = nb_segs;
	m->pkt_len = len;
	ys_mbuf_free(&st->conf.owner, rest); /* NULL-safe */
}

/*
 * Raw (not complemented) one's complement sum of `len` bytes of m from
 * `off`, across segments; off + len <= pkt_len. Borrows m.
 *
 * Not rte_raw_cksum_mbuf(): in DPDK 22.11 it truncates a segment's 32-bit
 * partial sum to 16 bits before byte-swapping it (segments that start at
 * an odd position of the range), losing the carries. Here each piece is
 * folded first; a piece that starts at an odd position has its bytes in
 * the other half of every 16-bit word, which swapping the folded sum
 * corrects (RFC 1071 2(B), byte order independence).
 */
static uint16_t mbuf_cksum(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	const struct rte_mbuf *seg = m;
	uint32_t sum = 0, done = 0;

	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	for (; seg != NULL && done < len; seg = seg->next) {
		uint32_t n = RTE_MIN((uint32_t)seg->data_len - off, len - done);
		uint16_t part = rte_raw_cksum(
		        rte_pktmbuf_mtod_offset(seg, const void *, off), n);

		if (done & 1)
			part = rte_bswap16(part);
		sum += part;
		done += n;
		off = 0;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* ---- addresses ---------------------------------------------------------- */

/*
 * The interface m arrived on that the frame is for: the one on `port`
 * whose MAC is `dst`, or for a broadcast the first one on `port` (one
 * interface per port today).
 */
static const struct ys_stack_iface *
iface_for_frame(const struct ys_stack *st, uint16_t port,
                const struct rte_ether_addr *dst)
{
	bool bcast = rte_is_broadcast_ether_addr(dst);
	uint32_t i;

	for (i = 0; i < st->conf.n_ifaces; i++) {
		const struct ys_stack_iface *ifp = &st->conf.ifaces[i];

		if (ifp->port_id != port)
			continue;
		if (bcast || rte_is_same_ether_addr(dst, &ifp->mac))
			return ifp;
	}
	return NULL;
}

/* Whether `addr` (network order) is one of the interface's addresses. */
bool ys_iface_owns(const struct ys_stack_iface *ifp, uint32_t addr)
{
	uint32_t i;

	for (i = 0; i < ifp->n_addrs; i++)
		if (ifp->addrs[i] == addr)
			return true;
	return false;
}

/* Whether `addr` (network order) is one of any interface's addresses. */
bool ys_stack_is_local(const struct ys_stack *st, uint32_t addr)
{
	uint32_t i;

	for (i = 0; i < st->conf.n_ifaces; i++)
		if (ys_iface_owns(&st->conf.ifaces[i], addr))
			return true;
	return false;
}

/*
 * RFC 1122 3.2.1.3: "A host MUST silently discard an incoming datagram
 * containing an IP source address that is invalid by the rules of this
 * section": broadcast ({-1, -1}, (c); {<Net>, -1}, (d)), multicast (class
 * D, RFC 1112), class E, loopback ({127, any}, (g)), and "this network"
 * ({0, 0} and {0, <Host>}, (a) and (b)), which only a host initialising
 * itself sends and which no reply could reach. `src` is network order.
 */
bool ys_ipv4_unicast_ok(const struct ys_stack_iface *ifp, uint32_t src)
{
	uint32_t a = rte_be_to_cpu_32(src);
	uint32_t i;

	if ((a >> 28) >= 0xe) /* 224/4 multicast, 240/4 incl. 255.255.255.255 */
		return false;
	if ((a >> 24) == 127 || (a >> 24) == 0)
		return false;
	for (i = 0; i < ifp->n_addrs; i++) {
		uint8_t plen = ifp->prefix_lens[i];
		uint32_t mask, net;

		/* /31 (RFC 3021) and /32 have no broadcast address. */
		if (plen == 0 || plen > 30)
			continue;
		mask = ~UINT32_C(0) << (32 - plen);
		net = rte_be_to_cpu_32(ifp->addrs[i]) & mask;
		if (a == (net | ~mask))
			return false;
	}
	return true;
}

/* ---- IPv4 output (RFC 791 3.2, RFC 1122 3.3.3) ------------------------- */

/* The interface's IP MTU: the largest datagram one frame carries. */
static uint32_t iface_mtu(const struct ys_stack_iface *ifp)
{
	return ifp->mtu != 0 ? ifp->mtu : YS_STACK_DEFAULT_MTU;
}

/*
 * Sends n frames out of `ifp`, in order. Once the link layer refuses
 * one, the rest are dropped unsent and counted as tx_full too: the
 * datagram they belong to can never be reassembled without it (RFC 791
 * 3.2: reassembly needs every fragment). Consumes every frames[i].
 * Returns true when all were queued.
 */
static bool stack_tx_all(struct ys_stack *st, const struct ys_stack_iface *ifp,
                         struct rte_mbuf **frames, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (!ys_stack_tx(st, ifp, frames[i])) {
			st->stats->drops[YS_STACK_DROP_tx_full] += n - i - 1;
			ys_mbuf_free_bulk(&st->conf.owner, frames + i + 1,
			                  n - i - 1);
			return false;
		}
	}
	return true;
}

/*
 * Sends the datagram in m as fragments of at most the interface MTU
 * (RFC 1122 3.3.3: the IP layer "MAY implement a mechanism to fragment
 * outgoing datagrams intentionally", and what it sends must not exceed
 * the interface MTU). The fragments are fresh copies, so m is freed once
 * they exist; when they cannot all be made, nothing is sent. Consumes m.
 * Returns true when every fragment was queued.
 */
static bool ipv4_fragment_output(struct ys_stack *st,
                                 const struct ys_stack_iface *ifp,
                                 struct rte_mbuf *m)
{
	struct rte_mbuf *frags[YS_IPFRAG_MAX_FRAGS];
	int n;

	n = ys_ipv4_fragment(m, ETH_HLEN, iface_mtu(ifp), st->conf.pool,
	                     &st->conf.owner, frags, YS_IPFRAG_MAX_FRAGS);
	if (n == -ENOBUFS) {
		ys_stack_drop(st, m, YS_STACK_DROP_ip_frag_alloc_failed);
		return false;
	}
	/* -EMSGSIZE: more than 64 fragments. (-EINVAL, a header the stack
	 * built itself being unusable, cannot happen; it is counted here
	 * rather than leaked if it ever does.) */
	if (n < 0) {
		ys_stack_drop(st, m, YS_STACK_DROP_ip_frag_too_many);
		return false;
	}
	ys_mbuf_free(&st->conf.owner, m);
	st->stats->ip_frag_out_datagrams++;
	st->stats->ip_frag_created += (uint64_t)n;
	return stack_tx_all(st, ifp, frags, (uint32_t)n);
}

/*
 * Sends the IPv4 datagram in m (Ethernet and IPv4 headers written, in
 * the first segment; the frame ends where the datagram ends) out of
 * `ifp`: as it is when it fits the MTU, else fragmented. Consumes m.
 * Returns true when every frame was queued.
 */
bool ys_ipv4_eth_output(struct ys_stack *st, const struct ys_stack_iface *ifp,
                        struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod_offset(
	        m, const struct rte_ipv4_hdr *, ETH_HLEN);

	if (rte_be_to_cpu_16(ih->total_length) <= iface_mtu(ifp))
		return ys_stack_tx(st, ifp, m);
	/* RFC 791 3.2: "If the Don't Fragment flag (DF) bit is set, then
	 * internet fragmentation of this datagram is NOT permitted,
	 * although it may be discarded." */
	if (ih->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) {
		ys_stack_drop(st, m, YS_STACK_DROP_ip_frag_df_set);
		return false;
	}
	return ipv4_fragment_output(st, ifp, m);
}

/* ---- ICMP (RFC 792) ----------------------------------------------------- */

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
	 * The reply goes straight back to the on-link sender's MAC. Routing
	 * (an off-link peer's reply goes to its gateway) and ARP resolution
	 * come with the IPv4 output path.
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
	        (uint16_t)~mbuf_cksum(m, ETH_HLEN + IPV4_HLEN, icmp_len);

	if (ys_ipv4_eth_output(st, ifp, m))
		st->stats->icmp_echo_replies++;
}

/*
 * ICMP message in m after an IPv4 header of `hlen` bytes; the frame ends
 * where the datagram ends. Consumes m.
 */
static void icmp_input(struct ys_stack *st, const struct ys_stack_iface *ifp,
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
	if (mbuf_cksum(m, off, icmp_len) != CKSUM_OK) {
		ys_stack_drop(st, m, YS_STACK_DROP_icmp_bad_checksum);
		return;
	}
	st->stats->icmp_rx++;

	ic = rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *, off);
	if (ic->icmp_type == RTE_IP_ICMP_ECHO_REQUEST && ic->icmp_code == 0) {
		icmp_echo_input(st, ifp, m, hlen, icmp_len);
		return;
	}
	/* RFC 1122 3.2.2: an ICMP message of unknown type MUST be silently
	 * discarded; the known ones (errors, replies) come later. */
	ys_stack_drop(st, m, YS_STACK_DROP_icmp_unsupported_type);
}

/* ---- IPv4 (RFC 791, RFC 1122 3.2.1) ------------------------------------- */

/*
 * IPv4 datagram in m after the Ethernet header. Every field is validated
 * before anything past it is read. Consumes m.
 */
static void ipv4_input(struct ys_stack *st, const struct ys_stack_iface *ifp,
                       struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh;
	const struct rte_ipv4_hdr *ih;
	uint32_t hlen, tlen, avail;
	uint16_t frag;

	st->stats->ip_rx++;

	/* The whole header, options included, must be in the first segment. */
	if (m->data_len < ETH_HLEN + IPV4_HLEN)
		goto malformed;
	ih = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, ETH_HLEN);
	/* RFC 1122 3.2.1.1: a datagram whose version is not 4 MUST be
	 * silently discarded. */
	if ((ih->version_ihl >> 4) != IPVERSION)
		goto malformed;
	/* RFC 791: IHL counts 32-bit words, "the minimum value for a correct
	 * header is 5". */
	hlen = (uint32_t)(ih->version_ihl & RTE_IPV4_HDR_IHL_MASK) *
	       RTE_IPV4_IHL_MULTIPLIER;
	if (hlen < IPV4_HLEN || hlen > m->data_len - ETH_HLEN)
		goto malformed;
	/* RFC 791 Total Length: header and data; the frame may be longer
	 * (Ethernet pads to 60 bytes), never shorter. */
	tlen = rte_be_to_cpu_16(ih->total_length);
	avail = m->pkt_len - ETH_HLEN;
	if (tlen < hlen || tlen > avail)
		goto malformed;
	/* RFC 1122 3.2.1.2: a host MUST verify the header checksum and
	 * silently discard a datagram whose checksum is bad. */
	if (!ipv4_hdr_cksum_ok(st, m, ih, hlen)) {
		ys_stack_drop(st, m, YS_STACK_DROP_ip_bad_checksum);
		return;
	}
	if (!ys_ipv4_unicast_ok(ifp, ih->src_addr))
		goto malformed;
	/* A host, not a router: only its own unicast addresses. Broadcast
	 * and multicast destinations end here too (an echo request sent to
	 * them MAY be discarded, RFC 1122 3.2.2.6). */
	if (!ys_iface_owns(ifp, ih->dst_addr)) {
		ys_stack_drop(st, m, YS_STACK_DROP_ip_not_for_us);
		return;
	}
	/* RFC 1122 3.3.6: a host SHOULD silently discard a datagram received
	 * as a link-layer broadcast whose destination is not an IP broadcast
	 * or multicast address. */
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (rte_is_broadcast_ether_addr(&eh->dst_addr)) {
		ys_stack_drop(st, m, YS_STACK_DROP_ip_link_broadcast);
		return;
	}
	/* RFC 791: MF or a non-zero offset marks a fragment. The primary
	 * reassembles before dispatching, so one here is not ours to take. */
	frag = rte_be_to_cpu_16(ih->fragment_offset);
	if (frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
		ys_stack_drop(st, m, YS_STACK_DROP_ip_fragment);
		return;
	}
	/* From here on the frame ends where the datagram ends. */
	if (tlen < avail)
		ys_stack_trim(st, m, ETH_HLEN + tlen);

	switch (ih->next_proto_id) {
	case IPPROTO_ICMP:
		icmp_input(st, ifp, m, hlen);
		return;
	default:
		/* RFC 1122 3.2.2.1: a Protocol Unreachable SHOULD be sent;
		 * ICMP errors come with the ICMP output path. */
		ys_stack_drop(st, m, YS_STACK_DROP_ip_unsupported_proto);
		return;
	}

malformed:
	ys_stack_drop(st, m, YS_STACK_DROP_ip_malformed);
}

/* ---- Ethernet ----------------------------------------------------------- */

/* Ethernet II frame in m, received on m->port. Consumes m. */
static void eth_input(struct ys_stack *st, struct rte_mbuf *m, uint32_t flags)
{
	const struct rte_ether_hdr *eh;
	const struct ys_stack_iface *ifp;

	/* A header split across segments counts as a runt too: nothing
	 * useful sends one. */
	if (m->data_len < ETH_HLEN) {
		ys_stack_drop(st, m, YS_STACK_DROP_eth_runt);
		return;
	}
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	ifp = iface_for_frame(st, m->port, &eh->dst_addr);
	if (ifp == NULL) {
		ys_stack_drop(st, m, YS_STACK_DROP_eth_not_for_us);
		return;
	}
	/* No 802.1Q yet: a VLAN tag is just another unsupported type. */
	switch (rte_be_to_cpu_16(eh->ether_type)) {
	case RTE_ETHER_TYPE_IPV4:
		ipv4_input(st, ifp, m);
		return;
	case RTE_ETHER_TYPE_ARP:
		ys_arp_input(st, ifp, m, flags);
		return;
	default:
		ys_stack_drop(st, m, YS_STACK_DROP_eth_unsupported_type);
		return;
	}
}

/* ---- IPv4 output path: route, resolve, send ----------------------------- */

/*
 * Whether m is a datagram ys_stack_ip_output() can send: direct and
 * unshared (its header is written in place), the IPv4 header in the first
 * segment, the frame ending where the datagram ends, room for the
 * Ethernet header in front. Borrows m.
 */
static bool ip_out_usable(const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ih;
	uint32_t hlen;

	if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1 ||
	    rte_pktmbuf_headroom(m) < ETH_HLEN || m->data_len < IPV4_HLEN)
		return false;
	ih = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	hlen = (uint32_t)(ih->version_ihl & RTE_IPV4_HDR_IHL_MASK) *
	       RTE_IPV4_IHL_MULTIPLIER;
	return (ih->version_ihl >> 4) == IPVERSION && hlen >= IPV4_HLEN &&
	       hlen <= m->data_len &&
	       rte_be_to_cpu_16(ih->total_length) == m->pkt_len &&
	       m->pkt_len >= hlen;
}

/*
 * RFC 1122 3.3.1 is about unicast next hops: our own addresses (no
 * loopback interface), broadcasts and multicast (no mapping to a link
 * address here yet), 0/8 and 127/8 (RFC 1122 3.2.1.3: never sent) are
 * refused rather than resolved with ARP. `dst` is network order.
 */
static bool ip_out_dst_ok(const struct ys_stack *st,
                          const struct ys_stack_iface *ifp, uint32_t dst)
{
	return ys_ipv4_unicast_ok(ifp, dst) && !ys_stack_is_local(st, dst);
}

int ys_stack_ip_output(struct ys_stack *st, struct rte_mbuf *m)
{
	const struct ys_stack_iface *ifp;
	const struct ys_route *r;
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ih;
	uint32_t next_hop;

	st->stats->ip_out_requests++;
	if (!ip_out_usable(m)) {
		ys_stack_drop(st, m, YS_STACK_DROP_ip_out_malformed);
		return -EINVAL;
	}
	ih = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	r = ys_route_lookup(&st->routes, rte_be_to_cpu_32(ih->dst_addr));
	if (r == NULL) {
		ys_stack_drop(st, m, YS_STACK_DROP_ip_no_route);
		return -ENETUNREACH;
	}
	ifp = &st->conf.ifaces[r->iface];
	if (!ip_out_dst_ok(st, ifp, ih->dst_addr)) {
		ys_stack_drop(st, m, YS_STACK_DROP_ip_out_bad_dst);
		return -EINVAL;
	}
	/* RFC 1122 3.3.4.2: the source is the address of the interface the
	 * datagram leaves by, on the next hop's prefix. */
	if (ih->src_addr == 0)
		ih->src_addr = rte_cpu_to_be_32(r->src);
	ih->hdr_checksum = 0;
	ih->hdr_checksum = rte_ipv4_cksum(ih);
	/* RFC 1122 3.3.1.2: on link, the destination itself is the next
	 * hop; otherwise the route's gateway. */
	next_hop = r->via != 0 ? rte_cpu_to_be_32(r->via) : ih->dst_addr;
	/* Cannot fail: the headroom was checked. */
	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, ETH_HLEN);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	return ys_arp_output(st, r->iface, next_hop, m);
}

int ys_stack_route_lookup(const struct ys_stack *st, uint32_t dst,
                          struct ys_route_result *out)
{
	const struct ys_route *r =
	        ys_route_lookup(&st->routes, rte_be_to_cpu_32(dst));

	if (r == NULL)
		return -ENETUNREACH;
	out->iface = r->iface;
	out->port_id = st->conf.ifaces[r->iface].port_id;
	out->next_hop = r->via != 0 ? rte_cpu_to_be_32(r->via) : dst;
	out->src = rte_cpu_to_be_32(r->src);
	out->source = (enum ys_route_source)r->source;
	return 0;
}

/* ---- configuration ------------------------------------------------------ */

void ys_conf_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* The interface checks of ys_stack_validate_conf(). */
static int check_ifaces(const struct ys_stack_conf *conf, char *err,
                        size_t err_len)
{
	uint32_t i, j;

	if (conf->n_ifaces < 1 || conf->n_ifaces > YS_STACK_MAX_IFACES) {
		ys_conf_err(err, err_len,
		            "interfaces: must have between 1 and %u entries",
		            YS_STACK_MAX_IFACES);
		return -EINVAL;
	}
	for (i = 0; i < conf->n_ifaces; i++) {
		const struct ys_stack_iface *ifp = &conf->ifaces[i];

		if (ifp->n_addrs < 1 || ifp->n_addrs > YS_STACK_MAX_ADDRS) {
			ys_conf_err(
			        err, err_len,
			        "interfaces[%u].address: must have between 1 "
			        "and %u entries",
			        i, YS_STACK_MAX_ADDRS);
			return -EINVAL;
		}
		for (j = 0; j < ifp->n_addrs; j++) {
			if (ifp->prefix_lens[j] > 32) {
				ys_conf_err(
				        err, err_len,
				        "interfaces[%u].address[%u]: prefix "
				        "length must be at most 32",
				        i, j);
				return -EINVAL;
			}
		}
		/* RFC 791 3.2: 68 is the smallest MTU; 0 means 1500. */
		if (ifp->mtu != 0 && ifp->mtu < YS_IPV4_MIN_MTU) {
			ys_conf_err(
			        err, err_len,
			        "interfaces[%u].mtu: must be 0 or at least %u",
			        i, YS_IPV4_MIN_MTU);
			return -EINVAL;
		}
	}
	return 0;
}

_Static_assert(YS_STACK_MAX_IFACES *YS_STACK_MAX_ADDRS + YS_STACK_MAX_ROUTES +
                               YS_STACK_MAX_IFACES <=
                       YS_ROUTE_MAX,
               "the route table must hold every route a conf can give");

int ys_stack_validate_conf(const struct ys_stack_conf *conf, char *err,
                           size_t err_len)
{
	int rc;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (conf == NULL) {
		ys_conf_err(err, err_len, "no configuration");
		return -EINVAL;
	}
	if (conf->stats == NULL || conf->tx == NULL) {
		ys_conf_err(err, err_len, "%s: required",
		            conf->stats == NULL ? "stats" : "tx");
		return -EINVAL;
	}
	rc = check_ifaces(conf, err, err_len);
	if (rc == 0)
		rc = ys_route_check_conf(conf, err, err_len);
	if (rc == 0)
		rc = ys_arp_check_conf(conf, err, err_len);
	return rc;
}

/* ---- API ---------------------------------------------------------------- */

int ys_stack_init(struct ys_stack *st, const struct ys_stack_conf *conf)
{
	struct ys_arp_cache *arp;

	if (st == NULL || ys_stack_validate_conf(conf, NULL, 0) != 0)
		return -EINVAL;
	arp = ys_arp_cache_create(conf);
	if (arp == NULL)
		return -ENOMEM;
	/* conf->pool may be NULL: replies are built in the request's mbuf,
	 * and only a shared (cloned) request needs a copy, or a reply larger
	 * than the MTU fresh fragments (without a pool both are dropped as
	 * allocation failures, and so are ARP requests and announcements). */
	st->conf = *conf;
	st->stats = conf->stats;
	st->now_ms = 0;
	ys_route_build(&st->routes, conf);
	st->arp = arp;
	return 0;
}

int ys_stack_reconfigure(struct ys_stack *st, const struct ys_stack_conf *conf)
{
	struct ys_stack_conf next, prev;
	struct ys_route_table routes;
	struct ys_arp_cache *arp, *old;

	if (st == NULL || conf == NULL)
		return -EINVAL;
	/* The instance's for life: the owner tags its queued mbufs carry, the
	 * counters the operator reads, the link it sends on. */
	next = *conf;
	next.pool = st->conf.pool;
	next.tx = st->conf.tx;
	next.tx_ctx = st->conf.tx_ctx;
	next.stats = st->conf.stats;
	next.owner = st->conf.owner;
	if (ys_stack_validate_conf(&next, NULL, 0) != 0)
		return -EINVAL;
	arp = ys_arp_cache_create(&next);
	if (arp == NULL)
		return -ENOMEM;
	/* Nothing can fail from here on. */
	ys_route_build(&routes, &next);
	prev = st->conf;
	old = st->arp;
	st->conf = next;
	st->routes = routes;
	st->arp = arp;
	ys_arp_migrate(st, old, &prev);
	return 0;
}

void ys_stack_fini(struct ys_stack *st)
{
	if (st == NULL)
		return;
	ys_arp_cache_free(st, st->arp);
	st->arp = NULL;
}

void ys_stack_tick(struct ys_stack *st, uint64_t now_ms)
{
	if (now_ms > st->now_ms)
		st->now_ms = now_ms;
	ys_arp_tick(st);
}

int ys_stack_announce(struct ys_stack *st)
{
	return ys_arp_announce(st);
}

void ys_stack_input(struct ys_stack *st, struct rte_mbuf *m, uint32_t flags)
{
	st->stats->eth_rx++;
	eth_input(st, m, flags);
}

void ys_stack_arp_foreach(const struct ys_stack *st, ys_arp_visit_fn fn,
                          void *ctx)
{
	ys_arp_foreach(st, fn, ctx);
}

void ys_stack_route_foreach(const struct ys_stack *st, ys_route_visit_fn fn,
                            void *ctx)
{
	uint32_t i;

	for (i = 0; i < st->routes.n; i++) {
		const struct ys_route *r = &st->routes.routes[i];
		struct ys_route_info info;

		/* Padding zeroed too: visitors may copy or compare it. */
		memset(&info, 0, sizeof(info));
		info.prefix = rte_cpu_to_be_32(r->prefix);
		info.prefix_len = r->len;
		info.via = rte_cpu_to_be_32(r->via);
		info.port_id = st->conf.ifaces[r->iface].port_id;
		info.src = rte_cpu_to_be_32(r->src);
		info.source = (enum ys_route_source)r->source;
		fn(ctx, &info);
	}
}

const char *ys_route_source_str(enum ys_route_source s)
{
	static const char *const names[YS_ROUTE_SOURCE_MAX] = {
	        [YS_ROUTE_CONNECTED] = "connected",
	        [YS_ROUTE_STATIC] = "static",
	        [YS_ROUTE_DEFAULT] = "default",
	};

	if ((unsigned int)s >= YS_ROUTE_SOURCE_MAX)
		return "unknown";
	return names[s];
}

const char *ys_arp_state_str(enum ys_arp_state s)
{
	static const char *const names[YS_ARP_STATE_MAX] = {
	        [YS_ARP_INCOMPLETE] = "incomplete",
	        [YS_ARP_REACHABLE] = "reachable",
	        [YS_ARP_STALE] = "stale",
	        [YS_ARP_STATIC] = "static",
	};

	if ((unsigned int)s >= YS_ARP_STATE_MAX)
		return "unknown";
	return names[s];
}
