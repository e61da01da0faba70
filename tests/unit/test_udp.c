/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of UDP (proto/ys_udp.c) and the diagnostic echo service
 * (proto/ys_diag.c) through the stack's API: UDP frames built byte by
 * byte here (checksums by net_cksum(), written independently of the
 * stack's and DPDK's) go into ys_stack_input(), and every frame the fake
 * link receives is compared byte for byte with one built here, fragment
 * by fragment when it exceeds the MTU (RFC 791 3.2). Large datagrams
 * arrive as the primary's reassembly hands them over: a chain whose
 * first segment is the first fragment and then one segment per fragment,
 * or segments of odd sizes that split the header, the checksum field and
 * 16-bit words. Every test checks every counter it moves and ends with
 * the pool's in-use count where it started and every frame tagged ours
 * (ys_test_net.h).
 *
 * The peer's MAC is a static ARP entry, so replies leave at once.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ys_test_net.h"

#include "ys_diag.h"
#include "ys_udp.h"

#define ECHO_PORT 7
#define PEER_PORT 40000
#define PEER_IP1  IP4(192, 168, 1, 2) /* a neighbour on iface 1 */
#define MTU       1500
#define BIG       (65535 + 14)

/* ---- frames ------------------------------------------------------------- */

/* Payload byte i of a datagram seeded `seed`. */
static uint8_t pay(uint32_t i, uint8_t seed)
{
	return (uint8_t)(i * 31u + seed + (i >> 8));
}

static void fill_payload(uint8_t *p, uint32_t len, uint8_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = pay(i, seed);
}

enum ck_mode {
	CK_GOOD,  /* computed over the pseudo-header and Length bytes */
	CK_ZERO,  /* 0: "no checksum" (RFC 768) */
	CK_BAD,   /* computed, plus one */
	CK_VALUE, /* ck_value as given */
};

/* What udp_frame() builds. Addresses in host order. */
struct udp_spec {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint16_t id;
	uint16_t frag;                    /* IPv4 flags and offset field */
	const uint8_t *eth_dst, *eth_src; /* NULL: mac0, peer_mac */
	uint32_t plen;                    /* payload bytes, pay(i, seed) */
	uint8_t seed;
	int ulen;       /* UDP Length; -1: 8 + plen */
	uint32_t extra; /* IPv4 payload bytes after the datagram (0xee) */
	enum ck_mode ck;
	uint16_t ck_value;
};

/* The UDP checksum field for the `len` bytes at udp (RFC 768: over the
 * pseudo-header too; 0 sent as 0xffff). */
static uint16_t ref_udp_cksum(uint32_t src, uint32_t dst, const uint8_t *udp,
                              size_t len)
{
	static uint8_t buf[12 + 65536];
	uint16_t c;

	put32(buf, src);
	put32(buf + 4, dst);
	buf[8] = 0;
	buf[9] = 17;
	put16(buf + 10, (uint16_t)len);
	memcpy(buf + 12, udp, len);
	c = net_cksum(buf, 12 + len);
	return c == 0 ? 0xffff : c;
}

/* An Ethernet/IPv4/UDP frame as s says into f; returns its length. */
static size_t udp_frame(uint8_t *f, const struct udp_spec *s)
{
	uint8_t *ip = f + 14, *u = ip + 20;
	uint32_t dlen = 8 + s->plen;
	uint32_t ulen = s->ulen >= 0 ? (uint32_t)s->ulen : dlen;
	uint32_t avail = dlen + s->extra;
	uint16_t c = 0;

	memcpy(f, s->eth_dst ? s->eth_dst : mac0, 6);
	memcpy(f + 6, s->eth_src ? s->eth_src : peer_mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(20 + avail));
	put16(ip + 4, s->id);
	put16(ip + 6, s->frag);
	ip[8] = 64;
	ip[9] = 17;
	put16(ip + 10, 0);
	put32(ip + 12, s->src);
	put32(ip + 16, s->dst);
	put16(ip + 10, net_cksum(ip, 20));
	put16(u, s->sport);
	put16(u + 2, s->dport);
	put16(u + 4, (uint16_t)ulen);
	put16(u + 6, 0);
	fill_payload(u + 8, s->plen, s->seed);
	memset(u + dlen, 0xee, s->extra);
	switch (s->ck) {
	case CK_GOOD:
	case CK_BAD:
		c = ref_udp_cksum(s->src, s->dst, u,
		                  ulen < avail ? ulen : avail);
		if (s->ck == CK_BAD)
			c = (uint16_t)(c + 1) == 0 ? 1 : (uint16_t)(c + 1);
		break;
	case CK_ZERO:
		c = 0;
		break;
	case CK_VALUE:
		c = s->ck_value;
		break;
	}
	put16(u + 6, c);
	return 14 + 20 + avail;
}

/* A datagram from the peer (PEER_IP:PEER_PORT) to OUR_IP:dport. */
static struct udp_spec from_peer(uint16_t dport, uint32_t plen, uint8_t seed)
{
	return (struct udp_spec){
	        .src = PEER_IP,
	        .dst = OUR_IP,
	        .sport = PEER_PORT,
	        .dport = dport,
	        .id = 0x1234,
	        .plen = plen,
	        .seed = seed,
	        .ulen = -1,
	};
}

/* The echo's reply to `req`, with Identification id. */
static struct udp_spec reply_to(const struct udp_spec *req, uint16_t id)
{
	struct udp_spec r = *req;

	r.src = req->dst;
	r.dst = req->src;
	r.sport = req->dport;
	r.dport = req->sport;
	r.eth_dst = req->eth_src ? req->eth_src : peer_mac;
	r.eth_src = req->eth_dst ? req->eth_dst : mac0;
	r.id = id;
	r.frag = 0;
	r.ulen = -1;
	r.extra = 0;
	r.ck = CK_GOOD;
	return r;
}

/*
 * A chain holding f: segments of seglens[0], seglens[1]... bytes, the
 * last length repeated until the frame is used up (tagged ours).
 */
static struct rte_mbuf *rx_chain(const uint8_t *f, size_t len,
                                 const uint32_t *seglens, unsigned int n)
{
	struct rte_mbuf *head = NULL;
	size_t off = 0;
	unsigned int i = 0;

	while (off < len) {
		size_t k = seglens[i < n ? i : n - 1];
		struct rte_mbuf *seg;

		k = k < len - off ? k : len - off;
		seg = net_mbuf(f + off, k, 0);
		if (head == NULL)
			head = seg;
		else
			assert_int_equal(rte_pktmbuf_chain(head, seg), 0);
		off += k;
		i++;
	}
	return head;
}

/* As the primary's reassembly hands a datagram over: the first
 * fragment's segment (headers and 1480 data bytes), then one per
 * fragment. */
static struct rte_mbuf *reassembled(const uint8_t *f, size_t len)
{
	static const uint32_t segs[] = {14 + 1500, 1480};

	return rx_chain(f, len, segs, 2);
}

/*
 * The frames from `first` on are the datagram in `want` (a whole frame
 * of len bytes) as sent over an IP MTU of `mtu` from `port`: the frame
 * itself, or its fragments (RFC 791 3.2: 8-byte multiples, MF on all but
 * the last, offsets, header checksums), and nothing after. Returns the
 * number of frames.
 */
static unsigned int check_datagram_sent(const struct net_fx *fx,
                                        unsigned int first, const uint8_t *want,
                                        size_t len, uint32_t mtu, uint16_t port)
{
	static uint8_t frag[NET_FRAME_MAX];
	size_t dlen = len - 34, off = 0, chunk = (mtu - 20) & ~(size_t)7;
	unsigned int n = 0;

	if (len - 14 <= mtu) {
		net_check_sent(fx, first, want, len, port);
		assert_int_equal(fx->link.n_sent, first + 1);
		return 1;
	}
	while (off < dlen) {
		size_t k = dlen - off < chunk ? dlen - off : chunk;
		bool more = off + k < dlen;

		memcpy(frag, want, 34);
		put16(frag + 16, (uint16_t)(20 + k));
		put16(frag + 20, (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
		put16(frag + 24, 0);
		put16(frag + 24, net_cksum(frag + 14, 20));
		memcpy(frag + 34, want + 34 + off, k);
		net_check_sent(fx, first + n, frag, 34 + k, port);
		off += k;
		n++;
	}
	assert_int_equal(fx->link.n_sent, first + n);
	return n;
}

/* Frames an IP datagram of `dlen` bytes (header included) becomes. */
static unsigned int n_frames(uint32_t dlen, uint32_t mtu)
{
	uint32_t chunk = (mtu - 20) & ~7u;

	return dlen <= mtu ? 1 : (dlen - 20 + chunk - 1) / chunk;
}

/* The ICMP port unreachable (RFC 792) about the frame orig (len bytes)
 * into f, with Identification id; returns its length. */
static size_t port_unreach(uint8_t *f, const uint8_t *orig, size_t len,
                           uint16_t id)
{
	size_t quote = len - 14 < 548 ? len - 14 : 548;
	uint8_t *ip = f + 14, *ic = ip + 20;

	memcpy(f, orig + 6, 6);
	memcpy(f + 6, orig, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(28 + quote));
	put16(ip + 4, id);
	put16(ip + 6, 0);
	ip[8] = 64;
	ip[9] = 1;
	put16(ip + 10, 0);
	memcpy(ip + 12, orig + 14 + 16, 4); /* from the address it was for */
	memcpy(ip + 16, orig + 14 + 12, 4);
	put16(ip + 10, net_cksum(ip, 20));
	ic[0] = 3;
	ic[1] = 3;
	put16(ic + 2, 0);
	put32(ic + 4, 0);
	memcpy(ic + 8, orig + 14, quote);
	put16(ic + 2, net_cksum(ic, 8 + quote));
	return 14 + 28 + quote;
}

/* ---- fixture: two interfaces, the peers' MACs static, echo on 7 --------- */

static void udp_conf(struct net_fx *fx, struct ys_stack_conf *conf,
                     uint16_t echo_port)
{
	net_conf(fx, conf);
	conf->n_static_arp = 2;
	conf->static_arp[0].ip = BE(PEER_IP);
	memcpy(conf->static_arp[0].mac.addr_bytes, peer_mac, 6);
	conf->static_arp[0].iface = 0;
	conf->static_arp[1].ip = BE(PEER_IP1);
	memcpy(conf->static_arp[1].mac.addr_bytes, peer_mac2, 6);
	conf->static_arp[1].iface = 1;
	conf->diag_udp_echo_port = echo_port;
}

static int udp_setup(void **state)
{
	struct net_fx *fx = calloc(1, sizeof(*fx));
	struct ys_stack_conf conf;

	if (fx == NULL)
		return -1;
	fx->link.owner.offset = g_meta;
	fx->link.owner.owner = NET_OWNER;
	fx->pool_start = rte_mempool_in_use_count(g_pool);
	udp_conf(fx, &conf, ECHO_PORT);
	net_init(fx, &conf);
	*state = fx;
	return 0;
}

/* Counters of one datagram received and delivered (plen payload bytes). */
static void want_rx(struct ys_stack_stats *w, uint32_t plen)
{
	w->eth_rx++;
	w->ip_rx++;
	w->udp_rx++;
	w->udp_rx_bytes += plen;
}

/* ... and of one datagram sent as `frames` frames. */
static void want_tx(struct ys_stack_stats *w, uint32_t plen,
                    unsigned int frames)
{
	w->udp_tx++;
	w->udp_tx_bytes += plen;
	w->ip_out_requests++;
	w->eth_tx += frames;
	if (frames > 1) {
		w->ip_frag_out_datagrams++;
		w->ip_frag_created += frames;
	}
}

/* ... and of one echo of it. */
static void want_echo(struct ys_stack_stats *w, uint32_t plen,
                      unsigned int frames)
{
	want_rx(w, plen);
	w->diag_udp_echo_rx++;
	w->diag_udp_echo_tx++;
	want_tx(w, plen, frames);
}

/*
 * Sends req in as m (NULL: one segment) and checks the link received
 * exactly its echo (fragmented over the MTU). Returns the frames sent.
 */
static unsigned int echo_once(struct net_fx *fx, const struct udp_spec *req,
                              struct rte_mbuf *m)
{
	static uint8_t f[BIG], want[BIG];
	size_t len = udp_frame(f, req);
	struct udp_spec rep = reply_to(req, fx->st.ip_id);
	size_t wlen = udp_frame(want, &rep);
	unsigned int first = fx->link.n_sent;

	ys_stack_input(&fx->st, m != NULL ? m : net_mbuf(f, len, 0), 0);
	return check_datagram_sent(fx, first, want, wlen, MTU, 0);
}

/* ---- echo --------------------------------------------------------------- */

/* One-segment datagrams of every size around the boundaries: the reply
 * is the same payload from OUR_IP:7, byte for byte. */
static void test_echo_sizes(void **state)
{
	static const uint32_t sizes[] = {0, 1, 2, 3, 17, 100, 1000, 1471, 1472};
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};

	for (size_t i = 0; i < RTE_DIM(sizes); i++) {
		struct udp_spec req =
		        from_peer(ECHO_PORT, sizes[i], (uint8_t)i);

		assert_int_equal(echo_once(fx, &req, NULL), 1);
		want_echo(&w, sizes[i], 1);
		net_check_stats(&fx->stats, &w);
		net_flush(fx);
	}
}

/* From the address and port it arrived on, on the interface it came in
 * by: the second address of iface 0, and iface 1's. */
static void test_echo_other_addresses(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};
	struct udp_spec req = from_peer(ECHO_PORT, 64, 9);
	static uint8_t f[2048], want[2048];
	struct udp_spec rep;
	size_t len, wlen;

	req.dst = OUR_IP2;
	assert_int_equal(echo_once(fx, &req, NULL), 1);
	want_echo(&w, 64, 1);

	req = from_peer(ECHO_PORT, 65, 10);
	req.src = PEER_IP1;
	req.dst = OUR_IP1;
	req.eth_dst = mac1;
	req.eth_src = peer_mac2;
	len = udp_frame(f, &req);
	rep = reply_to(&req, fx->st.ip_id);
	wlen = udp_frame(want, &rep);
	net_rx(fx, f, len, 1, 0);
	net_check_sent(fx, 1, want, wlen, 1);
	want_echo(&w, 65, 1);
	net_check_stats(&fx->stats, &w);
}

/* Frame f (len bytes) with an 802.1Q tag of `vid` inserted; returns the
 * new length. */
static size_t vlan_tag(uint8_t *f, size_t len, uint16_t vid)
{
	memmove(f + 16, f + 12, len - 12);
	put16(f + 12, 0x8100);
	put16(f + 14, vid);
	return len + 4;
}

/* On a VLAN interface: the tagged request is answered tagged, 8000 bytes
 * included (every fragment carries the tag). */
static void test_echo_vlan(void **state)
{
	static uint8_t f[BIG], want[BIG], frag[NET_FRAME_MAX];
	static const uint32_t sizes[] = {1, 8000};
	/* As reassembly hands it over, the tag still in front. */
	static const uint32_t segs[] = {18 + 1500, 1480};
	struct net_fx *fx = *state;
	struct rte_mbuf *m;
	struct ys_stack_conf conf;
	struct ys_stack_stats w = {0};

	udp_conf(fx, &conf, ECHO_PORT);
	conf.ifaces[1].vlan = 100;
	assert_int_equal(ys_stack_reconfigure(&fx->st, &conf), 0);
	for (size_t i = 0; i < RTE_DIM(sizes); i++) {
		struct udp_spec req = from_peer(ECHO_PORT, sizes[i], 6), rep;
		unsigned int frames = n_frames(28 + sizes[i], MTU), n;
		size_t len, wlen;

		req.src = PEER_IP1;
		req.dst = OUR_IP1;
		req.eth_dst = mac1;
		req.eth_src = peer_mac2;
		len = vlan_tag(f, udp_frame(f, &req), 100);
		rep = reply_to(&req, fx->st.ip_id);
		wlen = udp_frame(want, &rep);
		m = rx_chain(f, len, segs, RTE_DIM(segs));
		m->port = 1;
		ys_stack_input(&fx->st, m, 0);
		assert_int_equal(fx->link.n_sent, frames);
		/* Each frame sent, tag removed, is the untagged fragment. */
		for (n = 0; n < frames; n++) {
			uint32_t flen = rte_pktmbuf_pkt_len(fx->link.sent[n]);
			const uint8_t *p = rte_pktmbuf_read(fx->link.sent[n], 0,
			                                    flen, frag);

			assert_non_null(p);
			assert_int_equal(p[12], 0x81);
			assert_int_equal(p[13], 0x00);
			assert_int_equal(p[14] << 8 | p[15], 100);
			memmove(frag, p, 12);
			memmove(frag + 12, p + 16, flen - 16);
			assert_int_equal(fx->link.sent[n]->port, 1);
			rte_pktmbuf_free(fx->link.sent[n]);
			fx->link.sent[n] = net_mbuf(frag, flen - 4, 1);
		}
		check_datagram_sent(fx, 0, want, wlen, MTU, 1);
		want_echo(&w, sizes[i], frames);
		w.eth_vlan_rx++;
		net_flush(fx);
	}
	net_check_stats(&fx->stats, &w);
}

/* A zero checksum means "none" (RFC 768): accepted and counted; the
 * reply carries one. A datagram whose sum computes to 0 goes out as
 * 0xffff, and 0xffff is accepted coming in. */
static void test_echo_checksums(void **state)
{
	static uint8_t f[256], want[256];
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};
	struct udp_spec req = from_peer(ECHO_PORT, 10, 1), rep;
	uint16_t word;
	size_t len, wlen;

	req.ck = CK_ZERO;
	assert_int_equal(echo_once(fx, &req, NULL), 1);
	want_echo(&w, 10, 1);
	w.udp_rx_no_checksum = 1;
	net_check_stats(&fx->stats, &w);
	net_flush(fx);

	/* A 2-byte payload that makes the one's complement sum 0xffff: the
	 * checksum computes to 0 and is sent as 0xffff. Swapping addresses
	 * and ports keeps the sum, so the reply's is 0xffff too. */
	req = from_peer(ECHO_PORT, 2, 0);
	req.ck = CK_ZERO;
	len = udp_frame(f, &req);
	put16(f + 42, 0);
	word = ref_udp_cksum(PEER_IP, OUR_IP, f + 34, 10);
	assert_int_not_equal(word, 0xffff); /* the sum was not 0 already */
	put16(f + 42, word);
	assert_int_equal(ref_udp_cksum(PEER_IP, OUR_IP, f + 34, 10), 0xffff);
	put16(f + 40, 0xffff);
	rep = reply_to(&req, fx->st.ip_id);
	wlen = udp_frame(want, &rep);
	put16(want + 42, word);
	put16(want + 40, 0);
	assert_int_equal(ref_udp_cksum(OUR_IP, PEER_IP, want + 34, 10), 0xffff);
	put16(want + 40, 0xffff);
	net_rx(fx, f, len, 0, 0);
	net_check_sent(fx, 0, want, wlen, 0);
	want_echo(&w, 2, 1);
	net_check_stats(&fx->stats, &w);
}

/* Every size from 1 to 8000 bytes, as reassembly delivers them (one
 * segment per fragment): the reply is byte-exact, fragmented at 1500. */
static void test_echo_reassembled_1_to_8000(void **state)
{
	static uint8_t f[BIG];
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};

	for (uint32_t n = 1; n <= 8000; n++) {
		struct udp_spec req = from_peer(ECHO_PORT, n, (uint8_t)n);
		unsigned int frames = n_frames(28 + n, MTU);
		size_t len;

		req.id = (uint16_t)n;
		len = udp_frame(f, &req);
		assert_int_equal(echo_once(fx, &req, reassembled(f, len)),
		                 frames);
		want_echo(&w, n, frames);
		net_flush(fx);
	}
	net_check_stats(&fx->stats, &w);
	assert_int_equal(rte_mempool_in_use_count(g_pool), fx->pool_start);
}

/* Segments that split the UDP header after it (the first segment ends
 * right after it), the checksum across odd boundaries (1- and 3-byte
 * segments), and a last segment of 1 byte. */
static void test_echo_odd_segments(void **state)
{
	static const uint32_t odd[] = {14 + 20 + 8, 1, 3, 1, 999, 7, 1400};
	static const uint32_t hdr_plus_1[] = {14 + 20 + 9, 2, 1, 1480};
	static uint8_t f[BIG];
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};
	static const uint32_t sizes[] = {1, 2, 1472, 3001, 8000};

	for (size_t i = 0; i < RTE_DIM(sizes); i++) {
		struct udp_spec req = from_peer(ECHO_PORT, sizes[i], 3);
		size_t len = udp_frame(f, &req);
		unsigned int frames = n_frames(28 + sizes[i], MTU);

		assert_int_equal(echo_once(fx, &req,
		                           rx_chain(f, len, odd, RTE_DIM(odd))),
		                 frames);
		want_echo(&w, sizes[i], frames);
		net_flush(fx);
		assert_int_equal(echo_once(fx, &req,
		                           rx_chain(f, len, hdr_plus_1,
		                                    RTE_DIM(hdr_plus_1))),
		                 frames);
		want_echo(&w, sizes[i], frames);
		net_flush(fx);
	}
	net_check_stats(&fx->stats, &w);
}

/* The echo does not answer source ports that could make it loop or that
 * expect no reply (ys_diag.h). */
static void test_echo_refused_ports(void **state)
{
	static const uint16_t ports[] = {0, 7, 13, 17, 19};
	static uint8_t f[256];
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};

	for (size_t i = 0; i < RTE_DIM(ports); i++) {
		struct udp_spec req = from_peer(ECHO_PORT, 4, 0);

		req.sport = ports[i];
		net_rx(fx, f, udp_frame(f, &req), 0, 0);
		want_rx(&w, 4);
		/* Refused: its drop reason only, not counted as echoed. */
		w.drops[YS_STACK_DROP_diag_udp_echo_refused]++;
	}
	assert_int_equal(fx->link.n_sent, 0);
	net_check_stats(&fx->stats, &w);
	/* 8 and 20 are ordinary ports. */
	for (uint16_t p = 8; p <= 20; p += 12) {
		struct udp_spec req = from_peer(ECHO_PORT, 4, 0);

		req.sport = p;
		assert_int_equal(echo_once(fx, &req, NULL), 1);
		want_echo(&w, 4, 1);
		net_flush(fx);
	}
	net_check_stats(&fx->stats, &w);
}

/* ---- what is dropped ---------------------------------------------------- */

/* The frame in, then nothing sent and exactly `want` counted. */
static void expect_drop(struct net_fx *fx, const uint8_t *f, size_t len,
                        const struct ys_stack_stats *before,
                        enum ys_stack_drop_reason r)
{
	struct ys_stack_stats w = *before;

	memset(&fx->stats, 0, sizeof(fx->stats));
	net_rx(fx, f, len, 0, 0);
	assert_int_equal(fx->link.n_sent, 0);
	w.drops[r]++;
	net_check_stats(&fx->stats, &w);
}

static const struct ys_stack_stats at_ip = {.eth_rx = 1, .ip_rx = 1};

/* An IPv4 payload of 0..7 bytes (Total Length says so) is no UDP
 * datagram; the same frames cut short of Total Length are malformed IP. */
static void test_truncated_header(void **state)
{
	static uint8_t f[256];
	struct net_fx *fx = *state;

	for (uint32_t k = 0; k < 8; k++) {
		struct udp_spec req = from_peer(ECHO_PORT, 0, 0);
		size_t len = udp_frame(f, &req);

		/* Total Length covers k bytes of UDP header. */
		put16(f + 16, (uint16_t)(20 + k));
		put16(f + 24, 0);
		put16(f + 24, net_cksum(f + 14, 20));
		expect_drop(fx, f, 34 + k, &at_ip, YS_STACK_DROP_udp_malformed);
		/* Ethernet padding after it changes nothing. */
		expect_drop(fx, f, 60, &at_ip, YS_STACK_DROP_udp_malformed);
		/* Total Length 28, frame cut at byte k of the header. */
		len = udp_frame(f, &req);
		expect_drop(fx, f, len - 8 + k, &at_ip,
		            YS_STACK_DROP_ip_malformed);
	}
}

/* Length below 8 or beyond the IPv4 payload: dropped. Shorter than the
 * payload: the datagram is Length bytes, the rest ignored (counted). */
static void test_lengths(void **state)
{
	static const int bad[] = {0, 1, 7, 8 + 20 + 1, 0xffff};
	static uint8_t f[256];
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};

	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		struct udp_spec req = from_peer(ECHO_PORT, 20, 0);

		req.ulen = bad[i];
		expect_drop(fx, f, udp_frame(f, &req), &at_ip,
		            YS_STACK_DROP_udp_bad_length);
	}
	/* 8 + 20 payload bytes in the IP payload, Length says 8 + 13: the
	 * checksum covers 21 bytes and the echo returns 13. */
	memset(&fx->stats, 0, sizeof(fx->stats));
	for (uint32_t extra = 1; extra <= 7; extra += 6) {
		struct udp_spec req = from_peer(ECHO_PORT, 13, 5);

		req.extra = extra;
		assert_int_equal(echo_once(fx, &req, NULL), 1);
		want_echo(&w, 13, 1);
		w.udp_rx_trimmed++;
		net_flush(fx);
	}
	net_check_stats(&fx->stats, &w);
}

/* A wrong checksum anywhere (header, first and last payload byte, in a
 * chain's last segment) is dropped silently (RFC 1122 4.1.3.4). */
static void test_bad_checksum(void **state)
{
	static uint8_t f[BIG];
	struct net_fx *fx = *state;
	struct udp_spec req = from_peer(ECHO_PORT, 100, 0);
	size_t len;
	struct ys_stack_stats w = at_ip;

	req.ck = CK_BAD;
	expect_drop(fx, f, udp_frame(f, &req), &at_ip,
	            YS_STACK_DROP_udp_bad_checksum);
	req.ck = CK_GOOD;
	len = udp_frame(f, &req);
	f[len - 1] ^= 0x01;
	expect_drop(fx, f, len, &at_ip, YS_STACK_DROP_udp_bad_checksum);
	f[len - 1] ^= 0x01;
	f[34 + 8] ^= 0x80;
	expect_drop(fx, f, len, &at_ip, YS_STACK_DROP_udp_bad_checksum);
	f[34 + 8] ^= 0x80;
	f[34 + 3] ^= 0x01; /* the destination port: 7 -> 6 */
	expect_drop(fx, f, len, &at_ip, YS_STACK_DROP_udp_bad_checksum);

	/* Reassembled, the error in the last fragment's segment. */
	req = from_peer(ECHO_PORT, 8000, 1);
	len = udp_frame(f, &req);
	f[len - 2] ^= 0x10;
	memset(&fx->stats, 0, sizeof(fx->stats));
	ys_stack_input(&fx->st, reassembled(f, len), 0);
	assert_int_equal(fx->link.n_sent, 0);
	w.drops[YS_STACK_DROP_udp_bad_checksum] = 1;
	net_check_stats(&fx->stats, &w);
}

/* Nobody on the port: ICMP port unreachable quoting the datagram (all of
 * a small one, 548 bytes of a large one), from the address it was sent
 * to; the datagram is counted as udp_no_port. */
static void test_port_unreachable(void **state)
{
	static uint8_t f[BIG], want[1024];
	static const uint32_t sizes[] = {0, 10, 520, 521, 8000};
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};

	for (size_t i = 0; i < RTE_DIM(sizes); i++) {
		struct udp_spec req = from_peer(9, sizes[i], 2);
		size_t len, wlen;

		req.dst = i & 1 ? OUR_IP2 : OUR_IP;
		len = udp_frame(f, &req);
		wlen = port_unreach(want, f, len, fx->st.ip_id);
		ys_stack_input(&fx->st, reassembled(f, len), 0);
		net_check_sent(fx, 0, want, wlen, 0);
		assert_int_equal(fx->link.n_sent, 1);
		net_flush(fx);
		w.eth_rx++;
		w.ip_rx++;
		w.icmp_errors_sent++;
		w.ip_out_requests++;
		w.eth_tx++;
		w.drops[YS_STACK_DROP_udp_no_port]++;
		net_check_stats(&fx->stats, &w);
	}
}

/* ICMP errors about UDP are rate-limited (ys_icmp.h): with the default
 * burst of 50, the 51st datagram in the same millisecond gets none. */
static void test_port_unreachable_rate_limited(void **state)
{
	static uint8_t f[256];
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};
	struct udp_spec req = from_peer(9, 1, 0);
	size_t len = udp_frame(f, &req);

	for (unsigned int i = 0; i < YS_ICMP_DEFAULT_BURST + 1; i++)
		net_rx(fx, f, len, 0, 0);
	assert_int_equal(fx->link.n_sent, YS_ICMP_DEFAULT_BURST);
	w.eth_rx = w.ip_rx = YS_ICMP_DEFAULT_BURST + 1;
	w.icmp_errors_sent = w.ip_out_requests = w.eth_tx =
	        YS_ICMP_DEFAULT_BURST;
	w.icmp_errors_rate_limited = 1;
	w.drops[YS_STACK_DROP_udp_no_port] = YS_ICMP_DEFAULT_BURST + 1;
	net_check_stats(&fx->stats, &w);
}

/* ---- the socket API ----------------------------------------------------- */

struct rec {
	struct ys_stack *st;
	unsigned int calls;
	struct ys_udp_dgram d; /* d.m is stale after the call */
	uint8_t data[9000];
	uint32_t copied;
	bool unbind_self;
};

static void rec_cb(void *ctx, const struct ys_udp_dgram *d)
{
	struct rec *r = ctx;
	uint8_t tmp[16];
	const uint8_t *p;

	r->calls++;
	r->d = *d;
	r->copied = ys_udp_dgram_copy(d, 0, r->data, sizeof(r->data));
	/* Past the end: nothing; a read crossing the end: NULL. */
	assert_int_equal(ys_udp_dgram_copy(d, d->len, tmp, 1), 0);
	assert_null(ys_udp_dgram_read(d, d->len, 1, tmp));
	assert_non_null(ys_udp_dgram_read(d, d->len, 0, tmp));
	if (d->len >= 16) {
		p = ys_udp_dgram_read(d, d->len - 16, 16, tmp);
		assert_non_null(p);
		assert_memory_equal(p, r->data + d->len - 16, 16);
	}
	if (r->unbind_self)
		assert_int_equal(ys_udp_unbind(r->st,
		                               d->dst_addr == BE(OUR_IP)
		                                       ? BE(OUR_IP)
		                                       : 0,
		                               d->dst_port),
		                 0);
}

/* bind's rules: ports 1..65535, a callback, our addresses or any;
 * specific and any exclude each other on one port; the table is
 * bounded; unbind is exact. */
static void test_bind_rules(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack *st = &fx->st;
	struct rec r = {.st = st};
	uint16_t p;

	assert_int_equal(ys_udp_bind(st, 0, 0, rec_cb, &r), -EINVAL);
	assert_int_equal(ys_udp_bind(st, 0, 53, NULL, &r), -EINVAL);
	assert_int_equal(ys_udp_bind(st, BE(PEER_IP), 53, rec_cb, &r), -EINVAL);
	assert_int_equal(
	        ys_udp_bind(st, BE(IP4(10, 0, 0, 255)), 53, rec_cb, &r),
	        -EINVAL);
	/* The echo holds 7 on any address. */
	assert_int_equal(ys_udp_bind(st, 0, ECHO_PORT, rec_cb, &r),
	                 -EADDRINUSE);
	assert_int_equal(ys_udp_bind(st, BE(OUR_IP), ECHO_PORT, rec_cb, &r),
	                 -EADDRINUSE);

	assert_int_equal(ys_udp_bind(st, BE(OUR_IP), 53, rec_cb, &r), 0);
	assert_int_equal(ys_udp_bind(st, BE(OUR_IP), 53, rec_cb, &r),
	                 -EADDRINUSE);
	assert_int_equal(ys_udp_bind(st, 0, 53, rec_cb, &r), -EADDRINUSE);
	assert_int_equal(ys_udp_bind(st, BE(OUR_IP2), 53, rec_cb, &r), 0);
	assert_int_equal(ys_udp_bind(st, BE(OUR_IP1), 53, rec_cb, &r), 0);
	assert_int_equal(ys_udp_unbind(st, 0, 53), -ENOENT);
	assert_int_equal(ys_udp_unbind(st, BE(OUR_IP), 54), -ENOENT);
	assert_int_equal(ys_udp_unbind(st, BE(OUR_IP), 53), 0);
	assert_int_equal(ys_udp_unbind(st, BE(OUR_IP), 53), -ENOENT);
	assert_int_equal(ys_udp_unbind(st, BE(OUR_IP2), 53), 0);
	assert_int_equal(ys_udp_unbind(st, BE(OUR_IP1), 53), 0);
	assert_int_equal(ys_udp_bind(st, 0, 53, rec_cb, &r), 0);
	assert_int_equal(ys_udp_bind(st, BE(OUR_IP1), 53, rec_cb, &r),
	                 -EADDRINUSE);
	assert_int_equal(ys_udp_bind_check(st, 0, 53), -EADDRINUSE);
	assert_int_equal(ys_udp_unbind(st, 0, 53), 0);

	/* 64 in all, the echo's included. */
	for (p = 1000; p < 1000 + YS_UDP_MAX_SOCKETS - 1; p++)
		assert_int_equal(ys_udp_bind(st, 0, p, rec_cb, &r), 0);
	assert_int_equal(ys_udp_bind(st, 0, p, rec_cb, &r), -ENOSPC);
	assert_int_equal(ys_udp_bind_check(st, BE(OUR_IP), p), -ENOSPC);
	/* A conflict is reported before a full table. */
	assert_int_equal(ys_udp_bind(st, 0, 1000, rec_cb, &r), -EADDRINUSE);
	assert_int_equal(ys_udp_unbind(st, 0, 1030), 0);
	assert_int_equal(ys_udp_bind(st, 0, p, rec_cb, &r), 0);
	assert_int_equal(ys_udp_bind(st, 0, 1030, rec_cb, &r), -ENOSPC);
	assert_int_equal(fx->stats.eth_tx, 0);
}

/* Delivery: what the callback sees (addresses, ports, interface, the
 * payload through the helpers), the exact socket first, any second; a
 * port bound on one address only is unreachable on the others. */
static void test_delivery(void **state)
{
	static uint8_t f[BIG], want[1024], expect[9000];
	struct net_fx *fx = *state;
	struct ys_stack *st = &fx->st;
	struct rec exact = {.st = st}, any = {.st = st};
	struct ys_stack_stats w = {0};
	struct udp_spec req;
	size_t len, wlen;

	assert_int_equal(ys_udp_bind(st, BE(OUR_IP), 5000, rec_cb, &exact), 0);
	assert_int_equal(ys_udp_bind(st, 0, 6000, rec_cb, &any), 0);

	/* 5000 on OUR_IP, chained, 3000 bytes. */
	req = from_peer(5000, 3000, 4);
	len = udp_frame(f, &req);
	ys_stack_input(&fx->st, reassembled(f, len), 0);
	assert_int_equal(exact.calls, 1);
	assert_int_equal(exact.d.src_addr, BE(PEER_IP));
	assert_int_equal(exact.d.dst_addr, BE(OUR_IP));
	assert_int_equal(exact.d.src_port, PEER_PORT);
	assert_int_equal(exact.d.dst_port, 5000);
	assert_int_equal(exact.d.iface, 0);
	assert_int_equal(exact.d.off, 14 + 20 + 8);
	assert_int_equal(exact.d.len, 3000);
	assert_int_equal(exact.copied, 3000);
	fill_payload(expect, 3000, 4);
	assert_memory_equal(exact.data, expect, 3000);
	want_rx(&w, 3000);

	/* 5000 on OUR_IP2: nobody. */
	req.dst = OUR_IP2;
	req.plen = 5;
	len = udp_frame(f, &req);
	wlen = port_unreach(want, f, len, st->ip_id);
	net_rx(fx, f, len, 0, 0);
	net_check_sent(fx, 0, want, wlen, 0);
	w.eth_rx++;
	w.ip_rx++;
	w.icmp_errors_sent++;
	w.ip_out_requests++;
	w.eth_tx++;
	w.drops[YS_STACK_DROP_udp_no_port]++;

	/* 6000 on any: iface 1's address, with a trimmed tail and no
	 * checksum; the callback unbinds itself. */
	req = from_peer(6000, 0, 0);
	req.src = PEER_IP1;
	req.dst = OUR_IP1;
	req.eth_dst = mac1;
	req.eth_src = peer_mac2;
	req.extra = 3;
	req.ck = CK_ZERO;
	any.unbind_self = true;
	net_rx(fx, f, udp_frame(f, &req), 1, 0);
	assert_int_equal(any.calls, 1);
	assert_int_equal(any.d.dst_addr, BE(OUR_IP1));
	assert_int_equal(any.d.iface, 1);
	assert_int_equal(any.d.len, 0);
	assert_int_equal(any.copied, 0);
	want_rx(&w, 0);
	w.udp_rx_no_checksum++;
	w.udp_rx_trimmed++;
	net_check_stats(&fx->stats, &w);
	assert_int_equal(ys_udp_bind_check(st, 0, 6000), 0);
	assert_int_equal(ys_udp_unbind(st, BE(OUR_IP), 5000), 0);
}

/* ---- sending ------------------------------------------------------------ */

/* Frames from `first` on are the datagram (src:sport -> PEER_IP:dport,
 * plen bytes seeded `seed`, Identification id) from iface 0. */
static unsigned int check_sendto(const struct net_fx *fx, unsigned int first,
                                 uint32_t src, uint16_t sport, uint16_t dport,
                                 uint32_t plen, uint8_t seed, uint16_t id)
{
	static uint8_t want[BIG];
	struct udp_spec s = {
	        .src = src,
	        .dst = PEER_IP,
	        .sport = sport,
	        .dport = dport,
	        .id = id,
	        .eth_dst = peer_mac,
	        .eth_src = mac0,
	        .plen = plen,
	        .seed = seed,
	        .ulen = -1,
	};
	size_t len = udp_frame(want, &s);

	return check_datagram_sent(fx, first, want, len, MTU, 0);
}

/* 1, 1472 (one full frame), 1473 (two fragments), 8000 and 65507 bytes:
 * exact fragments; the source is the route's when 0, or the one given;
 * source port 0 is allowed (RFC 768). */
static void test_sendto_sizes(void **state)
{
	static const uint32_t sizes[] = {0, 1, 1472, 1473, 8000, 65507};
	static uint8_t data[65507];
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};

	for (size_t i = 0; i < RTE_DIM(sizes); i++) {
		uint16_t id = fx->st.ip_id;
		unsigned int frames = n_frames(28 + sizes[i], MTU);

		fill_payload(data, sizes[i], (uint8_t)(i + 1));
		assert_int_equal(ys_udp_sendto(&fx->st, 0, 1234, BE(PEER_IP),
		                               53, data, sizes[i]),
		                 0);
		assert_int_equal(check_sendto(fx, 0, OUR_IP, 1234, 53, sizes[i],
		                              (uint8_t)(i + 1), id),
		                 frames);
		want_tx(&w, sizes[i], frames);
		net_check_stats(&fx->stats, &w);
		net_flush(fx);
	}
	fill_payload(data, 100, 7);
	assert_int_equal(ys_udp_sendto(&fx->st, BE(OUR_IP2), 0, BE(PEER_IP), 9,
	                               data, 100),
	                 0);
	check_sendto(fx, 0, OUR_IP2, 0, 9, 100, 7,
	             (uint16_t)(fx->st.ip_id - 1));
	want_tx(&w, 100, 1);
	net_check_stats(&fx->stats, &w);
}

/* Refused before anything is built (nothing counted): port 0, a source
 * that is not ours, too long, no data. Dropped on the way (counted): no
 * route, a broadcast destination. */
static void test_sendto_errors(void **state)
{
	static uint8_t data[65508];
	struct net_fx *fx = *state;
	struct ys_stack *st = &fx->st;
	struct ys_stack_stats w = {0};

	assert_int_equal(ys_udp_sendto(st, 0, 1, BE(PEER_IP), 0, data, 1),
	                 -EINVAL);
	assert_int_equal(
	        ys_udp_sendto(st, BE(PEER_IP), 1, BE(PEER_IP), 9, data, 1),
	        -EINVAL);
	assert_int_equal(ys_udp_sendto(st, 0, 1, BE(PEER_IP), 9, data, 65508),
	                 -EMSGSIZE);
	assert_int_equal(ys_udp_sendto(st, 0, 1, BE(PEER_IP), 9, NULL, 1),
	                 -EINVAL);
	assert_int_equal(
	        ys_udp_sendto_chain(st, 0, 1, BE(PEER_IP), 9, NULL, 0, 0),
	        -EINVAL);
	assert_int_equal(ys_udp_sendto_mbuf(st, 0, 1, BE(PEER_IP), 9, NULL),
	                 -EINVAL);
	net_check_stats(&fx->stats, &w);

	/* No interface on 172.16/12 and no gateway. */
	assert_int_equal(
	        ys_udp_sendto(st, 0, 1, BE(IP4(172, 16, 0, 1)), 9, data, 10),
	        -ENETUNREACH);
	w.ip_out_requests++;
	w.drops[YS_STACK_DROP_ip_no_route]++;
	assert_int_equal(
	        ys_udp_sendto(st, 0, 1, BE(IP4(10, 0, 0, 255)), 9, data, 10),
	        -EINVAL);
	w.ip_out_requests++;
	w.drops[YS_STACK_DROP_ip_out_bad_dst]++;
	assert_int_equal(fx->link.n_sent, 0);
	net_check_stats(&fx->stats, &w);
	/* NULL data is fine for an empty datagram. */
	assert_int_equal(ys_udp_sendto(st, 0, 1, BE(PEER_IP), 9, NULL, 0), 0);
	want_tx(&w, 0, 1);
	net_check_stats(&fx->stats, &w);
}

/* Out of mbufs: nothing sent, tx_alloc_failed once, nothing leaked;
 * with room for a part of the chain only, the same. */
static void test_sendto_pool_exhausted(void **state)
{
	static struct rte_mbuf *held[NET_POOL_SIZE + 1];
	static uint8_t data[8000];
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};
	unsigned int n = 0;

	while ((held[n] = rte_pktmbuf_alloc(g_pool)) != NULL)
		n++;
	assert_int_equal(ys_udp_sendto(&fx->st, 0, 1, BE(PEER_IP), 9, data, 10),
	                 -ENOBUFS);
	w.drops[YS_STACK_DROP_tx_alloc_failed]++;
	net_check_stats(&fx->stats, &w);
	/* Two free: 8000 bytes need five. */
	rte_pktmbuf_free(held[--n]);
	rte_pktmbuf_free(held[--n]);
	assert_int_equal(
	        ys_udp_sendto(&fx->st, 0, 1, BE(PEER_IP), 9, data, 8000),
	        -ENOBUFS);
	w.drops[YS_STACK_DROP_tx_alloc_failed]++;
	net_check_stats(&fx->stats, &w);
	assert_int_equal(rte_mempool_avail_count(g_pool), 2);
	/* The echo finds no mbuf either (the one left carries the request):
	 * counted, not answered. */
	{
		static uint8_t f[256];
		struct udp_spec req = from_peer(ECHO_PORT, 100, 0);

		held[n++] = rte_pktmbuf_alloc(g_pool);
		assert_non_null(held[n - 1]);
		net_rx(fx, f, udp_frame(f, &req), 0, 0);
		assert_int_equal(fx->link.n_sent, 0);
		want_rx(&w, 100);
		w.diag_udp_echo_rx++;
		w.drops[YS_STACK_DROP_tx_alloc_failed]++;
		net_check_stats(&fx->stats, &w);
	}
	while (n > 0)
		rte_pktmbuf_free(held[--n]);
	assert_int_equal(fx->link.n_sent, 0);
}

/* The payload as a chain handed over: headers written in its headroom,
 * or in an mbuf put in front when it has none or is shared; an empty
 * one; refused ones freed and counted. */
static void test_sendto_mbuf(void **state)
{
	static uint8_t data[4000];
	struct net_fx *fx = *state;
	struct ys_stack *st = &fx->st;
	struct ys_stack_stats w = {0};
	struct rte_mbuf *m, *shared;
	uint16_t id;

	fill_payload(data, sizeof(data), 11);
	/* In place, a 3-segment chain. */
	id = st->ip_id;
	m = net_mbuf(data, 1000, 0);
	assert_int_equal(rte_pktmbuf_chain(m, net_mbuf(data + 1000, 1000, 0)),
	                 0);
	assert_int_equal(rte_pktmbuf_chain(m, net_mbuf(data + 2000, 1, 0)), 0);
	assert_int_equal(ys_udp_sendto_mbuf(st, 0, 77, BE(PEER_IP), 88, m), 0);
	assert_int_equal(check_sendto(fx, 0, OUR_IP, 77, 88, 2001, 11, id), 2);
	want_tx(&w, 2001, 2);
	net_flush(fx);

	/* No headroom. */
	id = st->ip_id;
	m = rte_pktmbuf_alloc(g_pool);
	assert_non_null(m);
	m->data_off = 0;
	memcpy(rte_pktmbuf_append(m, 500), data, 500);
	ys_mbuf_claim(&fx->link.owner, m);
	assert_int_equal(ys_udp_sendto_mbuf(st, 0, 77, BE(PEER_IP), 88, m), 0);
	check_sendto(fx, 0, OUR_IP, 77, 88, 500, 11, id);
	assert_int_equal(fx->link.sent[0]->nb_segs, 2);
	want_tx(&w, 500, 1);
	net_flush(fx);

	/* Headroom for Ethernet, 802.1Q, IPv4 and UDP: in place; a byte
	 * less: an mbuf in front. */
	for (uint16_t room = YS_UDP_TX_HEADROOM - 1; room <= YS_UDP_TX_HEADROOM;
	     room++) {
		id = st->ip_id;
		m = rte_pktmbuf_alloc(g_pool);
		assert_non_null(m);
		m->data_off = room;
		memcpy(rte_pktmbuf_append(m, 700), data, 700);
		ys_mbuf_claim(&fx->link.owner, m);
		assert_int_equal(
		        ys_udp_sendto_mbuf(st, 0, 77, BE(PEER_IP), 88, m), 0);
		check_sendto(fx, 0, OUR_IP, 77, 88, 700, 11, id);
		assert_int_equal(fx->link.sent[0]->nb_segs,
		                 room < YS_UDP_TX_HEADROOM ? 2 : 1);
		want_tx(&w, 700, 1);
		net_flush(fx);
	}

	/* Shared: the caller keeps its reference, the bytes are not
	 * written. */
	id = st->ip_id;
	shared = net_mbuf(data, 300, 0);
	rte_mbuf_refcnt_update(shared, 1);
	assert_int_equal(ys_udp_sendto_mbuf(st, 0, 77, BE(PEER_IP), 88, shared),
	                 0);
	check_sendto(fx, 0, OUR_IP, 77, 88, 300, 11, id);
	want_tx(&w, 300, 1);
	net_flush(fx);
	assert_int_equal(rte_mbuf_refcnt_read(shared), 1);
	assert_memory_equal(rte_pktmbuf_mtod(shared, void *), data, 300);
	ys_mbuf_free(&fx->link.owner, shared);

	/* Empty. */
	id = st->ip_id;
	assert_int_equal(ys_udp_sendto_mbuf(st, 0, 77, BE(PEER_IP), 88,
	                                    net_mbuf(data, 0, 0)),
	                 0);
	check_sendto(fx, 0, OUR_IP, 77, 88, 0, 11, id);
	want_tx(&w, 0, 1);
	net_flush(fx);
	net_check_stats(&fx->stats, &w);

	/* Refused: freed and counted. */
	assert_int_equal(ys_udp_sendto_mbuf(st, 0, 77, BE(PEER_IP), 0,
	                                    net_mbuf(data, 10, 0)),
	                 -EINVAL);
	assert_int_equal(ys_udp_sendto_mbuf(st, BE(PEER_IP), 77, BE(PEER_IP), 9,
	                                    net_mbuf(data, 10, 0)),
	                 -EINVAL);
	w.drops[YS_STACK_DROP_udp_tx_invalid] += 2;
	net_check_stats(&fx->stats, &w);
}

/* Copied from a borrowed chain at an offset, across segments. */
static void test_sendto_chain(void **state)
{
	static uint8_t data[5000];
	static const uint32_t segs[] = {7, 1000, 3, 1500};
	struct net_fx *fx = *state;
	struct ys_stack *st = &fx->st;
	struct ys_stack_stats w = {0};
	struct rte_mbuf *m;
	uint16_t id = st->ip_id;

	/* pay(i, 12) at offset 5 of the chain. */
	memset(data, 0xaa, 5);
	fill_payload(data + 5, 4000, 12);
	m = rx_chain(data, 4005, segs, 4);
	assert_int_equal(
	        ys_udp_sendto_chain(st, 0, 1, BE(PEER_IP), 2, m, 5, 4000), 0);
	assert_int_equal(check_sendto(fx, 0, OUR_IP, 1, 2, 4000, 12, id), 3);
	want_tx(&w, 4000, 3);
	assert_int_equal(
	        ys_udp_sendto_chain(st, 0, 1, BE(PEER_IP), 2, m, 5, 4001),
	        -EINVAL);
	assert_int_equal(
	        ys_udp_sendto_chain(st, 0, 1, BE(PEER_IP), 2, m, 4006, 0),
	        -EINVAL);
	net_check_stats(&fx->stats, &w);
	ys_mbuf_free(&fx->link.owner, m);
}

/* A datagram to a neighbour not yet resolved waits for ARP, then goes. */
static void test_sendto_waits_for_arp(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};
	static uint8_t data[3000], want[BIG];
	const uint32_t dst = IP4(10, 0, 0, 3);
	struct udp_spec s = {
	        .src = OUR_IP,
	        .dst = dst,
	        .sport = 5,
	        .dport = 6,
	        .id = fx->st.ip_id,
	        .eth_dst = peer_mac,
	        .eth_src = mac0,
	        .plen = 3000,
	        .seed = 1,
	        .ulen = -1,
	};

	fill_payload(data, 3000, 1);
	assert_int_equal(ys_udp_sendto(&fx->st, 0, 5, BE(dst), 6, data, 3000),
	                 0);
	net_check_request(fx, 0, mac0, OUR_IP, dst, NULL, 0);
	net_rx_arp(fx, 0, 2, mac0, peer_mac, dst, OUR_IP, 0);
	assert_int_equal(
	        check_datagram_sent(fx, 1, want, udp_frame(want, &s), MTU, 0),
	        3);
	want_tx(&w, 3000, 3);
	w.eth_tx++; /* the request */
	w.arp_queued = 1;
	w.arp_requests_sent = 1;
	w.eth_rx = 1;
	w.arp_rx = 1;
	w.arp_replies_received = 1;
	w.arp_entries_learned = 1;
	net_check_stats(&fx->stats, &w);
}

/* ---- the echo service's life cycle -------------------------------------- */

/* Echo on `port` answers; off (port 0 or another) it is unreachable. */
static void expect_echo_on(struct net_fx *fx, uint16_t port, bool on)
{
	static uint8_t f[256];
	struct udp_spec req = from_peer(port, 5, 1);
	struct ys_stack_stats before = fx->stats;

	net_flush(fx);
	if (on) {
		assert_int_equal(echo_once(fx, &req, NULL), 1);
		assert_int_equal(fx->stats.diag_udp_echo_tx,
		                 before.diag_udp_echo_tx + 1);
	} else {
		net_rx(fx, f, udp_frame(f, &req), 0, 0);
		assert_int_equal(fx->stats.drops[YS_STACK_DROP_udp_no_port],
		                 before.drops[YS_STACK_DROP_udp_no_port] + 1);
	}
	net_flush(fx);
}

/* Reconfigure moves the echo (7 -> 9 -> off -> 7), refuses a port
 * another binding holds (nothing changed), and keeps other bindings. */
static void test_echo_reconfigure(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_conf conf;
	struct rec r = {.st = &fx->st};

	assert_int_equal(fx->st.diag.udp_echo_port, ECHO_PORT);
	expect_echo_on(fx, ECHO_PORT, true);
	assert_int_equal(ys_udp_bind(&fx->st, BE(OUR_IP), 5353, rec_cb, &r), 0);

	udp_conf(fx, &conf, 9);
	assert_int_equal(ys_stack_reconfigure(&fx->st, &conf), 0);
	expect_echo_on(fx, 9, true);
	expect_echo_on(fx, ECHO_PORT, false);

	udp_conf(fx, &conf, 5353);
	assert_int_equal(ys_stack_reconfigure(&fx->st, &conf), -EADDRINUSE);
	assert_int_equal(fx->st.diag.udp_echo_port, 9);
	expect_echo_on(fx, 9, true);

	udp_conf(fx, &conf, 0);
	assert_int_equal(ys_stack_reconfigure(&fx->st, &conf), 0);
	expect_echo_on(fx, 9, false);
	assert_int_equal(ys_diag_udp_echo_start(&fx->st, 0), 0);

	udp_conf(fx, &conf, ECHO_PORT);
	assert_int_equal(ys_stack_reconfigure(&fx->st, &conf), 0);
	expect_echo_on(fx, ECHO_PORT, true);
	/* The same port again: nothing moves. */
	assert_int_equal(ys_stack_reconfigure(&fx->st, &conf), 0);
	expect_echo_on(fx, ECHO_PORT, true);

	/* The user's binding survived every reload. */
	assert_int_equal(ys_udp_bind_check(&fx->st, BE(OUR_IP), 5353),
	                 -EADDRINUSE);
	assert_int_equal(ys_udp_unbind(&fx->st, BE(OUR_IP), 5353), 0);
}

/* A full table: the echo can still move (its own slot is reused), but
 * cannot start from off. */
static void test_echo_table_full(void **state)
{
	struct net_fx *fx = *state;
	struct rec r = {.st = &fx->st};
	uint16_t p;

	for (p = 2000; p < 2000 + YS_UDP_MAX_SOCKETS - 1; p++)
		assert_int_equal(ys_udp_bind(&fx->st, 0, p, rec_cb, &r), 0);
	assert_int_equal(ys_diag_udp_echo_check(&fx->st, 9), 0);
	assert_int_equal(ys_diag_udp_echo_start(&fx->st, 9), 0);
	expect_echo_on(fx, 9, true);
	assert_int_equal(ys_diag_udp_echo_start(&fx->st, 2000), -EADDRINUSE);
	ys_diag_udp_echo_stop(&fx->st);
	ys_diag_udp_echo_stop(&fx->st); /* twice: a no-op */
	assert_int_equal(ys_udp_bind(&fx->st, 0, 3000, rec_cb, &r), 0);
	assert_int_equal(ys_diag_udp_echo_check(&fx->st, 9), -ENOSPC);
	assert_int_equal(ys_diag_udp_echo_start(&fx->st, 9), -ENOSPC);
	assert_int_equal(fx->st.diag.udp_echo_port, 0);
}

/* Two instances in one process: bindings and echo ports are each
 * instance's own. */
static void test_two_instances(void **state)
{
	struct net_fx *fx = *state;
	struct net_fx *b = calloc(1, sizeof(*b));
	struct ys_stack_conf conf;
	struct rec r = {.st = &fx->st};

	assert_non_null(b);
	b->link.owner = fx->link.owner;
	udp_conf(b, &conf, 9);
	net_init(b, &conf);
	assert_int_equal(ys_udp_bind(&fx->st, 0, 9, rec_cb, &r), 0);
	expect_echo_on(b, 9, true);
	expect_echo_on(fx, ECHO_PORT, true);
	expect_echo_on(b, ECHO_PORT, false);
	assert_int_equal(b->stats.diag_udp_echo_rx, 1);
	assert_int_equal(fx->stats.diag_udp_echo_rx, 1);
	net_flush(b);
	ys_stack_fini(&b->st);
	free(b);
	assert_int_equal(ys_udp_unbind(&fx->st, 0, 9), 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_udp_malformed),
	                    "udp_malformed");
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_udp_bad_length),
	                    "udp_bad_length");
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_udp_bad_checksum),
	                    "udp_bad_checksum");
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_udp_no_port),
	                    "udp_no_port");
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_udp_tx_invalid),
	                    "udp_tx_invalid");
	assert_string_equal(
	        ys_stack_drop_str(YS_STACK_DROP_diag_udp_echo_refused),
	        "diag_udp_echo_refused");
}

#define T(f) cmocka_unit_test_setup_teardown(f, udp_setup, net_teardown)

static int group_setup(void **state)
{
	(void)state;
	return net_group_setup("test_udp");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_echo_sizes),
	        T(test_echo_other_addresses),
	        T(test_echo_checksums),
	        T(test_echo_vlan),
	        T(test_echo_reassembled_1_to_8000),
	        T(test_echo_odd_segments),
	        T(test_echo_refused_ports),
	        T(test_truncated_header),
	        T(test_lengths),
	        T(test_bad_checksum),
	        T(test_port_unreachable),
	        T(test_port_unreachable_rate_limited),
	        T(test_bind_rules),
	        T(test_delivery),
	        T(test_sendto_sizes),
	        T(test_sendto_errors),
	        T(test_sendto_pool_exhausted),
	        T(test_sendto_mbuf),
	        T(test_sendto_chain),
	        T(test_sendto_waits_for_arp),
	        T(test_echo_reconfigure),
	        T(test_echo_table_full),
	        T(test_two_instances),
	        T(test_names),
	};

	return cmocka_run_group_tests(tests, group_setup, net_group_teardown);
}
