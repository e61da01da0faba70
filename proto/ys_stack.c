/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * yastack host stack: Ethernet demultiplexing with 802.1Q VLAN interfaces
 * (tags removed on input, inserted on output in ys_stack_tx()), the IPv4
 * output path (route lookup in ys_route.c, next-hop resolution in
 * ys_arp.c) with fragmentation to the path MTU (RFC 791 3.2, RFC 1122
 * 3.3.3, RFC 1191; the work is in ys_ipfrag.c, the estimates in
 * ys_pmtu.c), and the instance's life cycle (init, tick, reconfigure,
 * fini). IPv4 input is in ys_ipv4.c, ICMP in ys_icmp.c, ARP in ys_arp.c.
 *
 * Each protocol has its own *_input function taking (stack, interface,
 * mbuf); the frame they get is untagged Ethernet II whatever its VLAN.
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
#include <string.h>

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
#define VLAN_HLEN ((uint32_t)sizeof(struct rte_vlan_hdr)) /* 4 */
#define VID_MASK  0x0fff /* 802.1Q TCI: the VLAN ID bits */

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
 * Inserts an 802.1Q tag of `vid` (priority 0, DEI 0) after the MAC
 * addresses of the frame in m: the stack builds every frame untagged, and
 * the PMD inserts nothing (no VLAN insert offload is enabled), so this is
 * the one place a VLAN interface's frames get their tag. Every frame that
 * reaches it is the stack's own, direct and unshared (built fresh, or made
 * writable before a reply was written in place), and has headroom: fresh
 * mbufs have RTE_PKTMBUF_HEADROOM, and a received frame gained 4 bytes
 * when its own tag was removed. When there is no room, m is dropped
 * (eth_vlan_no_room) rather than sent untagged onto the wrong LAN.
 * Consumes m on failure; returns whether m now carries the tag.
 */
static bool vlan_insert(struct ys_stack *st, uint16_t vid, struct rte_mbuf *m)
{
	struct rte_vlan_hdr *vh;
	uint8_t *p;

	if (m->data_len < ETH_HLEN || rte_pktmbuf_headroom(m) < VLAN_HLEN) {
		ys_stack_drop(st, m, YS_STACK_DROP_eth_vlan_no_room);
		return false;
	}
	p = (uint8_t *)rte_pktmbuf_prepend(m, VLAN_HLEN);
	memmove(p, p + VLAN_HLEN, 2 * RTE_ETHER_ADDR_LEN);
	((struct rte_ether_hdr *)p)->ether_type =
	        rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
	/* The frame's own type stays where it was, now after the tag. */
	vh = (struct rte_vlan_hdr *)(p + ETH_HLEN);
	vh->vlan_tci = rte_cpu_to_be_16(vid);
	return true;
}

/*
 * Sends m out of `ifp`, tagged when ifp is a VLAN interface. Consumes m
 * (the tx callback owns it whatever it returns). Returns true when the
 * link layer queued it.
 */
bool ys_stack_tx(struct ys_stack *st, const struct ys_stack_iface *ifp,
                 struct rte_mbuf *m)
{
	if (ifp->vlan != 0 && !vlan_insert(st, ifp->vlan, m))
		return false;
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
uint16_t ys_mbuf_cksum(const struct rte_mbuf *m, uint32_t off, uint32_t len)
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
 * Sends the datagram in m as fragments of at most `mtu` bytes, the path
 * MTU (RFC 1122 3.3.3: the IP layer "MAY implement a mechanism to
 * fragment outgoing datagrams intentionally", and what it sends must not
 * exceed the interface MTU; RFC 1191 3: nor, once known, the path's). The
 * fragments are fresh copies, so m is freed once they exist; when they
 * cannot all be made, nothing is sent. Consumes m. Returns true when
 * every fragment was queued.
 */
static bool ipv4_fragment_output(struct ys_stack *st,
                                 const struct ys_stack_iface *ifp,
                                 struct rte_mbuf *m, uint32_t mtu)
{
	struct rte_mbuf *frags[YS_IPFRAG_MAX_FRAGS];
	int n;

	n = ys_ipv4_fragment(m, ETH_HLEN, mtu, st->conf.pool, &st->conf.owner,
	                     frags, YS_IPFRAG_MAX_FRAGS);
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
 * The largest datagram to send to dst (network order) out of ifp: the
 * interface MTU, or the path MTU estimate when lower (RFC 1191).
 */
static uint32_t path_mtu(const struct ys_stack *st,
                         const struct ys_stack_iface *ifp, uint32_t dst)
{
	uint32_t est = ys_pmtu_get(&st->pmtu, dst, st->now_ms);

	return est != 0 && est < iface_mtu(ifp) ? est : iface_mtu(ifp);
}

/*
 * Sends the IPv4 datagram in m (Ethernet and IPv4 headers written, in
 * the first segment; the frame ends where the datagram ends) out of
 * `ifp`: as it is when it fits the path MTU, else fragmented. Consumes m.
 * Returns true when every frame was queued.
 */
bool ys_ipv4_eth_output(struct ys_stack *st, const struct ys_stack_iface *ifp,
                        struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod_offset(
	        m, const struct rte_ipv4_hdr *, ETH_HLEN);
	uint32_t mtu = path_mtu(st, ifp, ih->dst_addr);

	if (rte_be_to_cpu_16(ih->total_length) <= mtu)
		return ys_stack_tx(st, ifp, m);
	/* RFC 791 3.2: "If the Don't Fragment flag (DF) bit is set, then
	 * internet fragmentation of this datagram is NOT permitted,
	 * although it may be discarded." */
	if (ih->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) {
		ys_stack_drop(st, m, YS_STACK_DROP_ip_frag_df_set);
		return false;
	}
	return ipv4_fragment_output(st, ifp, m, mtu);
}

/* ---- Ethernet and 802.1Q ----------------------------------------------- */

/*
 * The interface of `port` whose VLAN is `vid` (0: the untagged one), or
 * NULL.
 */
static const struct ys_stack_iface *iface_of_vlan(const struct ys_stack *st,
                                                  uint16_t port, uint16_t vid)
{
	uint32_t i;

	for (i = 0; i < st->conf.n_ifaces; i++) {
		const struct ys_stack_iface *ifp = &st->conf.ifaces[i];

		if (ifp->port_id == port && ifp->vlan == vid)
			return ifp;
	}
	return NULL;
}

/* Whether any interface sits on `port`. */
static bool port_has_iface(const struct ys_stack *st, uint16_t port)
{
	uint32_t i;

	for (i = 0; i < st->conf.n_ifaces; i++)
		if (st->conf.ifaces[i].port_id == port)
			return true;
	return false;
}

/* Whether an EtherType is a VLAN tag's TPID: 802.1Q's C-tag, 802.1ad's
 * S-tag, or the pre-standard QinQ 0x9100. */
static bool is_tpid(uint16_t type)
{
	return type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ ||
	       type == RTE_ETHER_TYPE_QINQ1;
}

/*
 * The VLAN the frame in m belongs to: its 802.1Q VID (in *vid, with
 * *in_data true when the tag is still in the frame), or 0 for an untagged
 * frame. A frame whose only tag is a priority tag (VID 0, 802.1Q 9.6:
 * "the tag header contains only user priority information") belongs to
 * the untagged interface. Returns false for what no interface takes: a
 * QinQ frame (two tags, or an S-tag), or a frame the PMD stripped of an
 * outer tag. The frame holds at least ETH_HLEN bytes. Borrows m.
 */
static bool frame_vlan(const struct rte_mbuf *m, uint16_t *vid, bool *in_data)
{
	const struct rte_ether_hdr *eh =
	        rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint16_t type = rte_be_to_cpu_16(eh->ether_type);
	const struct rte_vlan_hdr *vh;

	*vid = 0;
	*in_data = false;
	if (m->ol_flags & RTE_MBUF_F_RX_QINQ_STRIPPED)
		return false;
	if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
		/* A PMD with VLAN strip on (the primary leaves it off) keeps
		 * the tag in the mbuf; a tag left in the data is a second. */
		*vid = m->vlan_tci & VID_MASK;
		return !is_tpid(type);
	}
	if (type == RTE_ETHER_TYPE_QINQ || type == RTE_ETHER_TYPE_QINQ1)
		return false;
	if (type != RTE_ETHER_TYPE_VLAN)
		return true;
	vh = (const struct rte_vlan_hdr *)(eh + 1);
	*vid = rte_be_to_cpu_16(vh->vlan_tci) & VID_MASK;
	*in_data = true;
	return !is_tpid(rte_be_to_cpu_16(vh->eth_proto));
}

/*
 * Removes the 802.1Q tag after the MAC addresses of the frame in m, so
 * that ARP and IPv4 see an Ethernet II frame (their replies are tagged
 * again on the way out, ys_stack_tx()). The first segment holds the tag.
 * Returns m, a private copy when m was shared, or NULL after counting
 * tx_alloc_failed. Consumes m.
 */
static struct rte_mbuf *vlan_strip(struct ys_stack *st, struct rte_mbuf *m)
{
	uint8_t *p;

	m = ys_stack_writable(st, m);
	if (m == NULL)
		return NULL;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	memmove(p + VLAN_HLEN, p, 2 * RTE_ETHER_ADDR_LEN);
	rte_pktmbuf_adj(m, (uint16_t)VLAN_HLEN);
	return m;
}

/*
 * The interface a frame in m received on m->port belongs to, by its VLAN
 * (the tag removed from the frame when it had one), or NULL after
 * dropping it: eth_runt for a tag cut short, eth_vlan_unknown for a VLAN
 * of no interface (a tagged frame whose VID no interface of the port has,
 * QinQ, an untagged frame on a port with only tagged interfaces). A frame
 * on a port with no interface at all is eth_not_for_us, as it always was.
 * *m may be replaced by a copy. Consumes *m when it returns NULL.
 */
static const struct ys_stack_iface *eth_iface(struct ys_stack *st,
                                              struct rte_mbuf **m)
{
	const struct ys_stack_iface *ifp;
	uint16_t vid;
	bool in_data;

	if (!port_has_iface(st, (*m)->port)) {
		ys_stack_drop(st, *m, YS_STACK_DROP_eth_not_for_us);
		return NULL;
	}
	if (rte_pktmbuf_mtod(*m, const struct rte_ether_hdr *)->ether_type ==
	            rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) &&
	    (*m)->data_len < ETH_HLEN + VLAN_HLEN) {
		ys_stack_drop(st, *m, YS_STACK_DROP_eth_runt);
		return NULL;
	}
	if (!frame_vlan(*m, &vid, &in_data) ||
	    (ifp = iface_of_vlan(st, (*m)->port, vid)) == NULL) {
		ys_stack_drop(st, *m, YS_STACK_DROP_eth_vlan_unknown);
		return NULL;
	}
	if (vid != 0)
		st->stats->eth_vlan_rx++;
	if (in_data)
		*m = vlan_strip(st, *m);
	return *m != NULL ? ifp : NULL;
}

/*
 * Frame in m, received on m->port: Ethernet II, optionally with one
 * 802.1Q tag. It goes to the interface of its VLAN when its destination
 * is that interface's MAC or the broadcast address; any other
 * destination, multicast MACs included (the stack joins no multicast
 * group, and ARP and IPv4 unicast need none), is eth_not_for_us.
 * Consumes m.
 */
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
	ifp = eth_iface(st, &m);
	if (ifp == NULL)
		return;
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (!rte_is_broadcast_ether_addr(&eh->dst_addr) &&
	    !rte_is_same_ether_addr(&eh->dst_addr, &ifp->mac)) {
		ys_stack_drop(st, m, YS_STACK_DROP_eth_not_for_us);
		return;
	}
	/* IEEE 802.3 3.2.3: a source address is an individual one. A group
	 * or all-zero source is forged, and replies built in place would
	 * go to every host on the link. */
	if (!rte_is_valid_assigned_ether_addr(&eh->src_addr)) {
		ys_stack_drop(st, m, YS_STACK_DROP_eth_bad_src);
		return;
	}
	switch (rte_be_to_cpu_16(eh->ether_type)) {
	case RTE_ETHER_TYPE_IPV4:
		ys_ipv4_input(st, ifp, m);
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
	/* The 802.1Q tag goes in front too: refused now, not after ARP
	 * resolution where the caller could no longer be told. */
	if (ifp->vlan != 0 &&
	    rte_pktmbuf_headroom(m) < ETH_HLEN + RTE_VLAN_HLEN) {
		ys_stack_drop(st, m, YS_STACK_DROP_ip_out_malformed);
		return -EINVAL;
	}
	/* RFC 791 3.2 and RFC 1191 3: a DF datagram larger than the path MTU
	 * cannot be sent; the caller learns it now (a transport lowers its
	 * segment size) rather than after ARP resolution. */
	if ((ih->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) &&
	    m->pkt_len > path_mtu(st, ifp, ih->dst_addr)) {
		ys_stack_drop(st, m, YS_STACK_DROP_ip_frag_df_set);
		return -EMSGSIZE;
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

/*
 * 802.1Q: a VID is 1..4094 (0 means untagged here, 4095 is reserved),
 * and interface i's VLAN is no other interface's on the same port, so
 * that a received frame's port and tag name exactly one interface (at
 * most one untagged interface per port).
 */
static int check_vlan(const struct ys_stack_conf *conf, uint32_t i, char *err,
                      size_t err_len)
{
	const struct ys_stack_iface *ifp = &conf->ifaces[i];
	uint32_t j;

	if (ifp->vlan > 4094) {
		ys_conf_err(err, err_len,
		            "interfaces[%u].vlan: must be between 1 and 4094",
		            i);
		return -EINVAL;
	}
	for (j = 0; j < i; j++) {
		if (conf->ifaces[j].port_id != ifp->port_id ||
		    conf->ifaces[j].vlan != ifp->vlan)
			continue;
		if (ifp->vlan == 0)
			ys_conf_err(err, err_len,
			            "interfaces[%u]: port %u already has an "
			            "untagged interface (interfaces[%u])",
			            i, ifp->port_id, j);
		else
			ys_conf_err(err, err_len,
			            "interfaces[%u].vlan: %u is already "
			            "interfaces[%u]'s on port %u",
			            i, ifp->vlan, j, ifp->port_id);
		return -EINVAL;
	}
	return 0;
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
		if (check_vlan(conf, i, err, err_len) != 0)
			return -EINVAL;
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
	if (rc == 0)
		rc = ys_icmp_check_conf(conf, err, err_len);
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
	/* Instances of one host share its addresses: starting each one's
	 * Identification elsewhere keeps their datagrams apart (RFC 791 3.2)
	 * for as long as their counts do not meet. */
	st->ip_id = (uint16_t)(conf->owner.owner << 12);
	ys_icmp_limiter_init(st);
	ys_pmtu_init(&st->pmtu);
	st->stats->pmtu_entries = 0;
	ys_udp_init(st);
	st->diag.udp_echo_port = 0;
	/* Cannot fail: nothing is bound yet. */
	(void)ys_diag_udp_echo_start(st, conf->diag_udp_echo_port);
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
	/* The echo's new port must be free of other bindings. */
	if (ys_diag_udp_echo_check(st, next.diag_udp_echo_port) != 0)
		return -EADDRINUSE;
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
	(void)ys_diag_udp_echo_start(st, next.diag_udp_echo_port); /* checked */
	return 0;
}

void ys_stack_fini(struct ys_stack *st)
{
	if (st == NULL)
		return;
	ys_arp_cache_free(st, st->arp);
	st->arp = NULL;
	ys_diag_udp_echo_stop(st);
}

void ys_stack_tick(struct ys_stack *st, uint64_t now_ms)
{
	if (now_ms > st->now_ms)
		st->now_ms = now_ms;
	ys_arp_tick(st);
	ys_pmtu_tick(st);
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
