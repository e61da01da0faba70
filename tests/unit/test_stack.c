/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the stack instance (proto/ys_stack.c): frames are built
 * byte by byte here, handed to ys_stack_input(), and what comes out of a
 * fake link is compared byte for byte with a reply built independently
 * (checksums from ref_cksum() below, not DPDK's). Every test checks every
 * counter and ends with no mbuf in use.
 *
 * Large echo requests arrive as the primary's IPv4 reassembly hands them
 * over (a chain: the first fragment's segment, then one per fragment) and
 * their replies are checked fragment by fragment (RFC 791 3.2) and put
 * back together byte for byte. Owner tags (proto/ys_mbuf.h) are checked
 * with the real dynamic field: every frame the link receives is tagged on
 * every segment, and nothing the stack freed is still tagged in the pool.
 *
 * EAL runs with --no-huge --no-pci --no-shconf and a per-pid file prefix:
 * no hugepages, no shared config, seconds to run. (--in-memory is refused
 * by DPDK 22.11 together with --no-huge, which implies --legacy-mem; the
 * empty runtime folder is removed at the end.)
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ys_test_eal.h"

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>

#include "ys_mbuf.h"
#include "ys_stack.h"
#include "ys_test_stats.h"

#define IP4(a, b, c, d)                                                        \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 |      \
	 (uint32_t)(d))

#define MAX_SENT  64 /* YS_IPFRAG_MAX_FRAGS */
#define FRAME_MAX 2048
#define BIG_MAX   16384 /* a reassembled request: up to 11874 bytes */
#define POOL_SIZE 511
#define OWNER     3 /* the owner tag of secondary 2 */

/* The EAL and the pool live as long as the process: tests share them. */
static struct rte_mempool *g_pool;
static int g_meta; /* offset of struct ys_mbuf_meta */

static const uint8_t our_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t our_mac1[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};
static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero_mac[6] = {0};
static const uint8_t other_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x77};

#define OUR_IP  IP4(10, 0, 0, 1)    /* iface 0, port 0, /24 */
#define OUR_IP2 IP4(10, 0, 1, 1)    /* iface 0, port 0, /24 */
#define OUR_IP1 IP4(192, 168, 1, 1) /* iface 1, port 1, /24 */
#define PEER_IP IP4(10, 0, 0, 2)

/* ---- the fake link ------------------------------------------------------ */

struct fake_link {
	struct rte_mbuf *sent[MAX_SENT];
	unsigned int n_sent;
	int rc;           /* what tx returns; on -ENOBUFS it frees the frame */
	unsigned int cap; /* 0, or how many frames it takes before refusing */
	/* Like the secondary's callback: frames arrive tagged `owner` on
	 * every segment and are released before they leave. */
	struct ys_mbuf_owner owner;
	unsigned int tagged_frames; /* frames seen while owner was set */
	unsigned int bad_tags;      /* segments not tagged owner */
};

static int fake_tx(void *ctx, struct rte_mbuf *m)
{
	struct fake_link *l = ctx;
	struct rte_mbuf *seg;

	if (l->owner.owner != YS_OWNER_NONE) {
		l->tagged_frames++;
		for (seg = m; seg != NULL; seg = seg->next)
			if (ys_mbuf_meta(seg, g_meta)->owner != l->owner.owner)
				l->bad_tags++;
	}
	if (l->rc != 0 || l->n_sent == MAX_SENT ||
	    (l->cap != 0 && l->n_sent == l->cap)) {
		ys_mbuf_free(&l->owner, m);
		return -ENOBUFS;
	}
	ys_mbuf_release(&l->owner, m);
	l->sent[l->n_sent++] = m;
	return 0;
}

struct fixture {
	struct ys_stack st;
	struct ys_stack_stats stats;
	struct fake_link link;
};

static void fixture_conf(struct fixture *fx, struct ys_stack_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->n_ifaces = 2;
	conf->ifaces[0].port_id = 0;
	memcpy(conf->ifaces[0].mac.addr_bytes, our_mac, 6);
	conf->ifaces[0].n_addrs = 2;
	conf->ifaces[0].addrs[0] = rte_cpu_to_be_32(OUR_IP);
	conf->ifaces[0].prefix_lens[0] = 24;
	conf->ifaces[0].addrs[1] = rte_cpu_to_be_32(OUR_IP2);
	conf->ifaces[0].prefix_lens[1] = 24;
	conf->ifaces[1].port_id = 1;
	memcpy(conf->ifaces[1].mac.addr_bytes, our_mac1, 6);
	conf->ifaces[1].n_addrs = 1;
	conf->ifaces[1].addrs[0] = rte_cpu_to_be_32(OUR_IP1);
	conf->ifaces[1].prefix_lens[0] = 24;
	conf->pool = g_pool;
	conf->tx = fake_tx;
	conf->tx_ctx = &fx->link;
	conf->stats = &fx->stats;
}

static void fixture_init(struct fixture *fx)
{
	struct ys_stack_conf conf;

	memset(fx, 0, sizeof(*fx));
	fixture_conf(fx, &conf);
	assert_int_equal(ys_stack_init(&fx->st, &conf), 0);
}

/* Frees what the link captured, so that the pool can be checked. */
static void fixture_flush(struct fixture *fx)
{
	unsigned int i;

	for (i = 0; i < fx->link.n_sent; i++)
		rte_pktmbuf_free(fx->link.sent[i]);
	fx->link.n_sent = 0;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	fixture_init(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	fixture_flush(fx);
	ys_stack_fini(&fx->st);
	free(fx);
	/* Every test ends with every mbuf back in the pool. */
	assert_int_equal(rte_mempool_in_use_count(g_pool), 0);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	if (ys_test_eal_init("test_stack") != 0)
		return -1;
	/* As the primary registers it; tests with no owner ignore it. */
	g_meta = ys_test_register_meta();
	if (g_meta < 0)
		return -1;
	/* No per-lcore cache, so that in-use counts are exact. */
	g_pool = rte_pktmbuf_pool_create("ys_test_stack", POOL_SIZE, 0, 0,
	                                 RTE_MBUF_DEFAULT_BUF_SIZE,
	                                 SOCKET_ID_ANY);
	return g_pool == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rte_mempool_free(g_pool);
	/* With --no-shconf the EAL's runtime folder stays empty; remove it
	 * so that runs leave nothing behind. */
	ys_test_eal_fini();
	return 0;
}

/* ---- frames, built byte by byte ------------------------------------------ */

/* RFC 1071 checksum, written independently of DPDK's: big-endian words. */
static uint16_t ref_cksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static size_t put_eth(uint8_t *p, const uint8_t *dst, const uint8_t *src,
                      uint16_t type)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	put16(p + 12, type);
	return 14;
}

struct arp_spec {
	const uint8_t *eth_dst, *eth_src;
	uint16_t htype, ptype, op;
	uint8_t hlen, plen;
	const uint8_t *sha, *tha;
	uint32_t sip, tip;
	size_t pad; /* Ethernet padding after the 28 ARP bytes */
};

static struct arp_spec arp_request(uint32_t tip)
{
	struct arp_spec s = {
	        .eth_dst = bcast_mac,
	        .eth_src = peer_mac,
	        .htype = 1,
	        .ptype = 0x0800,
	        .op = 1,
	        .hlen = 6,
	        .plen = 4,
	        .sha = peer_mac,
	        .tha = zero_mac,
	        .sip = PEER_IP,
	        .tip = tip,
	        .pad = 18, /* to 60 bytes, as on the wire */
	};
	return s;
}

static size_t build_arp(uint8_t *f, const struct arp_spec *s)
{
	uint8_t *a = f + put_eth(f, s->eth_dst, s->eth_src, 0x0806);

	put16(a, s->htype);
	put16(a + 2, s->ptype);
	a[4] = s->hlen;
	a[5] = s->plen;
	put16(a + 6, s->op);
	memcpy(a + 8, s->sha, 6);
	put32(a + 14, s->sip);
	memcpy(a + 18, s->tha, 6);
	put32(a + 24, s->tip);
	memset(a + 28, 0xa5, s->pad); /* padding that must not come back */
	return 14 + 28 + s->pad;
}

/* An IPv4 datagram carrying an ICMP message, in an Ethernet frame. */
struct ip_spec {
	const uint8_t *eth_dst, *eth_src;
	uint16_t ether_type;
	uint8_t version;
	int ihl; /* 32-bit words; -1: 5 + optlen / 4 */
	const uint8_t *opts;
	size_t optlen; /* multiple of 4 */
	uint8_t tos, ttl, proto;
	uint16_t id, frag;
	int tlen; /* -1: the right one */
	bool bad_ip_cksum;
	uint32_t src, dst;
	uint8_t icmp_type, icmp_code;
	uint16_t ident, seq;
	size_t dlen;  /* echo data bytes */
	uint8_t fill; /* 0: a pattern, else every data byte */
	bool bad_icmp_cksum;
	size_t pad; /* Ethernet padding after the datagram */
};

static struct ip_spec echo_request(size_t dlen)
{
	struct ip_spec s = {
	        .eth_dst = our_mac,
	        .eth_src = peer_mac,
	        .ether_type = 0x0800,
	        .version = 4,
	        .ihl = -1,
	        .tos = 0,
	        .ttl = 63,
	        .proto = 1,
	        .id = 0x1234,
	        .frag = 0,
	        .tlen = -1,
	        .src = PEER_IP,
	        .dst = OUR_IP,
	        .icmp_type = 8,
	        .icmp_code = 0,
	        .ident = 0xbeef,
	        .seq = 7,
	        .dlen = dlen,
	};
	return s;
}

/* What the stack must send for `req`: the reply, built from scratch. */
static struct ip_spec echo_reply_of(const struct ip_spec *req,
                                    const uint8_t *mac)
{
	struct ip_spec s = *req;

	s.eth_dst = req->eth_src;
	s.eth_src = mac;
	s.ihl = -1;
	s.opts = NULL;
	s.optlen = 0;
	s.ttl = 64;
	s.src = req->dst;
	s.dst = req->src;
	s.icmp_type = 0;
	s.pad = 0;
	return s;
}

static size_t build_ip(uint8_t *f, const struct ip_spec *s)
{
	uint8_t *ip = f + put_eth(f, s->eth_dst, s->eth_src, s->ether_type);
	size_t hl = 20 + s->optlen;
	size_t icmp_len = 8 + s->dlen;
	int ihl = s->ihl >= 0 ? s->ihl : (int)(hl / 4);
	uint8_t *ic = ip + hl;
	size_t i;

	ip[0] = (uint8_t)(s->version << 4 | (ihl & 0xf));
	ip[1] = s->tos;
	put16(ip + 2,
	      (uint16_t)(s->tlen >= 0 ? (size_t)s->tlen : hl + icmp_len));
	put16(ip + 4, s->id);
	put16(ip + 6, s->frag);
	ip[8] = s->ttl;
	ip[9] = s->proto;
	put16(ip + 10, 0);
	put32(ip + 12, s->src);
	put32(ip + 16, s->dst);
	if (s->optlen)
		memcpy(ip + 20, s->opts, s->optlen);
	put16(ip + 10,
	      (uint16_t)(ref_cksum(ip, hl) ^ (s->bad_ip_cksum ? 1 : 0)));

	ic[0] = s->icmp_type;
	ic[1] = s->icmp_code;
	put16(ic + 2, 0);
	put16(ic + 4, s->ident);
	put16(ic + 6, s->seq);
	for (i = 0; i < s->dlen; i++)
		ic[8 + i] = s->fill ? s->fill : (uint8_t)(i * 7 + 3);
	put16(ic + 2, (uint16_t)(ref_cksum(ic, icmp_len) ^
	                         (s->bad_icmp_cksum ? 0x100 : 0)));
	memset(ic + icmp_len, 0x5a, s->pad);
	return 14 + hl + icmp_len + s->pad;
}

/* ---- mbufs -------------------------------------------------------------- */

static struct rte_mbuf *mk_mbuf(const uint8_t *p, size_t len, uint16_t port)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g_pool);
	char *d;

	assert_non_null(m);
	if (len > 0) {
		d = rte_pktmbuf_append(m, (uint16_t)len);
		assert_non_null(d);
		memcpy(d, p, len);
	}
	m->port = port;
	return m;
}

/* A chain whose segments hold seglens[0], seglens[1]... bytes of p; the
 * last segment holds the rest. */
static struct rte_mbuf *mk_chain(const uint8_t *p, size_t len,
                                 const size_t *seglens, size_t n_seglens,
                                 uint16_t port)
{
	struct rte_mbuf *head = NULL;
	size_t off = 0, i;

	for (i = 0; i <= n_seglens && off < len; i++) {
		size_t n = i < n_seglens ? seglens[i] : len - off;
		struct rte_mbuf *seg = mk_mbuf(p + off, n, port);

		if (head == NULL)
			head = seg;
		else
			assert_int_equal(rte_pktmbuf_chain(head, seg), 0);
		off += n;
	}
	assert_int_equal(rte_pktmbuf_pkt_len(head), len);
	return head;
}

static void rx(struct fixture *fx, const uint8_t *f, size_t len, uint16_t port,
               uint32_t flags)
{
	ys_stack_input(&fx->st, mk_mbuf(f, len, port), flags);
}

/* ---- checks ------------------------------------------------------------- */

static void check_stats(const struct ys_stack_stats *got,
                        const struct ys_stack_stats *want)
{
	ys_test_check_stack_stats(got, want);
}

/* Checks that frame `idx` sent is exactly `want` and on `port`, with a
 * consistent segment chain. */
static void check_sent(const struct fixture *fx, unsigned int idx,
                       const uint8_t *want, size_t len, uint16_t port)
{
	const struct rte_mbuf *m, *seg;
	static uint8_t buf[BIG_MAX];
	const void *p;
	uint32_t total = 0;
	uint16_t nb = 0;

	assert_true(idx < fx->link.n_sent);
	m = fx->link.sent[idx];
	assert_int_equal(rte_pktmbuf_pkt_len(m), len);
	for (seg = m; seg != NULL; seg = seg->next) {
		total += seg->data_len;
		nb++;
	}
	assert_int_equal(total, len);
	assert_int_equal(nb, m->nb_segs);
	p = rte_pktmbuf_read(m, 0, (uint32_t)len, buf);
	assert_non_null(p);
	assert_memory_equal(p, want, len);
	assert_int_equal(m->port, port);
	assert_int_equal(m->ol_flags, 0);
}

static void check_pool_empty(void)
{
	assert_int_equal(rte_mempool_in_use_count(g_pool), 0);
}

/* Feeds a frame that must be dropped for `reason` and nothing else. */
static void expect_drop(struct fixture *fx, const uint8_t *f, size_t len,
                        uint16_t port, uint32_t flags,
                        const struct ys_stack_stats *before_drop,
                        enum ys_stack_drop_reason reason)
{
	struct ys_stack_stats want = *before_drop;

	memset(&fx->stats, 0, sizeof(fx->stats));
	rx(fx, f, len, port, flags);
	want.drops[reason]++;
	check_stats(&fx->stats, &want);
	assert_int_equal(fx->link.n_sent, 0);
	check_pool_empty();
}

/* Counters of an IPv4 frame that got as far as the ICMP layer. */
static const struct ys_stack_stats at_eth = {.eth_rx = 1};
static const struct ys_stack_stats at_ip = {.eth_rx = 1, .ip_rx = 1};
static const struct ys_stack_stats at_icmp = {
        .eth_rx = 1, .ip_rx = 1, .icmp_rx = 1};
static const struct ys_stack_stats at_arp = {.eth_rx = 1, .arp_rx = 1};

/* Sends the echo request `req` and checks the exact reply. */
static void expect_echo(struct fixture *fx, const struct ip_spec *req,
                        uint16_t port, const uint8_t *mac)
{
	static uint8_t f[FRAME_MAX], want[FRAME_MAX];
	struct ip_spec rep = echo_reply_of(req, mac);
	struct ys_stack_stats w = {.eth_rx = 1,
	                           .eth_tx = 1,
	                           .ip_rx = 1,
	                           .icmp_rx = 1,
	                           .icmp_echo_requests = 1,
	                           .icmp_echo_replies = 1,
	                           .ip_options_seen = req->optlen != 0};
	size_t len = build_ip(f, req), wlen = build_ip(want, &rep);

	memset(&fx->stats, 0, sizeof(fx->stats));
	rx(fx, f, len, port, 0);
	check_stats(&fx->stats, &w);
	assert_int_equal(fx->link.n_sent, 1);
	check_sent(fx, 0, want, wlen, port);
	fixture_flush(fx);
	check_pool_empty();
}

/* ---- ARP ---------------------------------------------------------------- */

static void test_arp_request_responder(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[128], want[64];
	struct arp_spec req = arp_request(OUR_IP), rep;
	/* RFC 826 merge: the requester, on our prefix, is learnt too. */
	struct ys_stack_stats w = {.eth_rx = 1,
	                           .eth_tx = 1,
	                           .arp_rx = 1,
	                           .arp_requests_answered = 1,
	                           .arp_entries_learned = 1};
	size_t len = build_arp(f, &req), wlen;

	/* RFC 826: fields swapped, our addresses as sender, op reply, sent
	 * to the requester; no padding. */
	rep = (struct arp_spec){.eth_dst = peer_mac,
	                        .eth_src = our_mac,
	                        .htype = 1,
	                        .ptype = 0x0800,
	                        .op = 2,
	                        .hlen = 6,
	                        .plen = 4,
	                        .sha = our_mac,
	                        .sip = OUR_IP,
	                        .tha = peer_mac,
	                        .tip = PEER_IP};
	wlen = build_arp(want, &rep);
	assert_int_equal(wlen, 42);

	rx(fx, f, len, 0, YS_RX_F_ARP_RESPONDER);
	check_stats(&fx->stats, &w);
	assert_int_equal(fx->link.n_sent, 1);
	check_sent(fx, 0, want, wlen, 0);
}

static void test_arp_request_unpadded_unicast(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[128], want[64];
	struct arp_spec req = arp_request(OUR_IP), rep;
	/* RFC 826 merge: the requester, on our prefix, is learnt too. */
	struct ys_stack_stats w = {.eth_rx = 1,
	                           .eth_tx = 1,
	                           .arp_rx = 1,
	                           .arp_requests_answered = 1,
	                           .arp_entries_learned = 1};
	size_t len, wlen;

	/* A unicast refresh (as Linux sends), unpadded. */
	req.eth_dst = our_mac;
	req.pad = 0;
	len = build_arp(f, &req);
	rep = (struct arp_spec){.eth_dst = peer_mac,
	                        .eth_src = our_mac,
	                        .htype = 1,
	                        .ptype = 0x0800,
	                        .op = 2,
	                        .hlen = 6,
	                        .plen = 4,
	                        .sha = our_mac,
	                        .sip = OUR_IP,
	                        .tha = peer_mac,
	                        .tip = PEER_IP};
	wlen = build_arp(want, &rep);

	rx(fx, f, len, 0, YS_RX_F_ARP_RESPONDER);
	check_stats(&fx->stats, &w);
	check_sent(fx, 0, want, wlen, 0);
}

static void test_arp_request_second_addr_and_iface(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[128], want[64];
	struct arp_spec req, rep;
	/* The requester is learnt on port 0 only: 10.0.0.2 is not on
	 * port 1's prefix. */
	struct ys_stack_stats w = {.eth_rx = 2,
	                           .eth_tx = 2,
	                           .arp_rx = 2,
	                           .arp_requests_answered = 2,
	                           .arp_entries_learned = 1};
	size_t len, wlen;

	/* The interface's second address. */
	req = arp_request(OUR_IP2);
	len = build_arp(f, &req);
	rx(fx, f, len, 0, YS_RX_F_ARP_RESPONDER);
	rep = (struct arp_spec){.eth_dst = peer_mac,
	                        .eth_src = our_mac,
	                        .htype = 1,
	                        .ptype = 0x0800,
	                        .op = 2,
	                        .hlen = 6,
	                        .plen = 4,
	                        .sha = our_mac,
	                        .sip = OUR_IP2,
	                        .tha = peer_mac,
	                        .tip = PEER_IP};
	wlen = build_arp(want, &rep);
	check_sent(fx, 0, want, wlen, 0);

	/* The second interface, on port 1, with its own MAC. The reply goes
	 * to the ARP sender address even when the Ethernet source differs. */
	req = arp_request(OUR_IP1);
	req.eth_src = other_mac;
	len = build_arp(f, &req);
	rx(fx, f, len, 1, YS_RX_F_ARP_RESPONDER);
	rep.eth_src = our_mac1;
	rep.sha = our_mac1;
	rep.sip = OUR_IP1;
	wlen = build_arp(want, &rep);
	check_sent(fx, 1, want, wlen, 1);
	check_stats(&fx->stats, &w);
}

static void test_arp_request_not_responder(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[128];
	struct arp_spec req = arp_request(OUR_IP);
	/* Not answered here, but learnt from (every instance learns). */
	struct ys_stack_stats w = {.eth_rx = 1,
	                           .arp_rx = 1,
	                           .arp_requests_left_to_peer = 1,
	                           .arp_entries_learned = 1};

	rx(fx, f, build_arp(f, &req), 0, 0);
	check_stats(&fx->stats, &w);
	assert_int_equal(fx->link.n_sent, 0);
	check_pool_empty();
}

static void test_arp_request_other_address(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[128];
	struct arp_spec req = arp_request(IP4(10, 0, 0, 3));

	expect_drop(fx, f, build_arp(f, &req), 0, YS_RX_F_ARP_RESPONDER,
	            &at_arp, YS_STACK_DROP_arp_not_for_us);
	/* Gratuitous ARP from a peer: not a request for us either. */
	req = arp_request(PEER_IP);
	expect_drop(fx, f, build_arp(f, &req), 0, YS_RX_F_ARP_RESPONDER,
	            &at_arp, YS_STACK_DROP_arp_not_for_us);
	/* The other interface's address, asked on port 0. */
	req = arp_request(OUR_IP1);
	expect_drop(fx, f, build_arp(f, &req), 0, YS_RX_F_ARP_RESPONDER,
	            &at_arp, YS_STACK_DROP_arp_not_for_us);
}

/* IEEE 802.3 3.2.3: a group or all-zero Ethernet source is forged; a
 * reply built in place would go to every host on the link. */
static void test_eth_bad_src(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t mcast_src[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
	const uint8_t *bad[] = {bcast_mac, zero_mac, mcast_src};
	uint8_t f[256];

	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		struct ip_spec req = echo_request(56);
		struct arp_spec areq = arp_request(OUR_IP);

		req.eth_src = bad[i];
		expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_eth,
		            YS_STACK_DROP_eth_bad_src);
		areq.eth_src = bad[i];
		expect_drop(fx, f, build_arp(f, &areq), 0,
		            YS_RX_F_ARP_RESPONDER, &at_eth,
		            YS_STACK_DROP_eth_bad_src);
	}
}

static void test_arp_malformed(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[128];
	struct arp_spec req;
	size_t len;

	req = arp_request(OUR_IP);
	req.htype = 6; /* IEEE 802 */
	expect_drop(fx, f, build_arp(f, &req), 0, YS_RX_F_ARP_RESPONDER,
	            &at_eth, YS_STACK_DROP_arp_malformed);
	req = arp_request(OUR_IP);
	req.ptype = 0x86dd;
	expect_drop(fx, f, build_arp(f, &req), 0, YS_RX_F_ARP_RESPONDER,
	            &at_eth, YS_STACK_DROP_arp_malformed);
	req = arp_request(OUR_IP);
	req.hlen = 8;
	expect_drop(fx, f, build_arp(f, &req), 0, YS_RX_F_ARP_RESPONDER,
	            &at_eth, YS_STACK_DROP_arp_malformed);
	req = arp_request(OUR_IP);
	req.plen = 16;
	expect_drop(fx, f, build_arp(f, &req), 0, YS_RX_F_ARP_RESPONDER,
	            &at_eth, YS_STACK_DROP_arp_malformed);

	/* Truncated anywhere inside the 28 ARP bytes. */
	req = arp_request(OUR_IP);
	req.pad = 0;
	build_arp(f, &req);
	for (len = 14; len < 42; len++)
		expect_drop(fx, f, len, 0, YS_RX_F_ARP_RESPONDER, &at_eth,
		            YS_STACK_DROP_arp_malformed);
}

static void test_arp_reply_and_unsupported_op(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[128];
	struct arp_spec s = arp_request(OUR_IP);
	struct ys_stack_stats w = at_arp;

	/* A reply to us is handled (its sender learnt), not dropped. */
	s.op = 2;
	s.eth_dst = our_mac;
	s.tha = our_mac;
	rx(fx, f, build_arp(f, &s), 0, YS_RX_F_ARP_RESPONDER);
	w.arp_replies_received = 1;
	w.arp_entries_learned = 1;
	check_stats(&fx->stats, &w);
	assert_int_equal(fx->link.n_sent, 0);
	check_pool_empty();

	s.op = 3; /* RARP request */
	expect_drop(fx, f, build_arp(f, &s), 0, YS_RX_F_ARP_RESPONDER, &at_arp,
	            YS_STACK_DROP_arp_unsupported_op);
}

/* A request whose data is shared (a clone) is answered from a copy, and
 * the original is left untouched; without a pool it cannot be. */
static void test_arp_request_shared_mbuf(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[128], want[64];
	struct arp_spec req = arp_request(OUR_IP), rep;
	/* RFC 826 merge: the requester, on our prefix, is learnt too. */
	struct ys_stack_stats w = {.eth_rx = 1,
	                           .eth_tx = 1,
	                           .arp_rx = 1,
	                           .arp_requests_answered = 1,
	                           .arp_entries_learned = 1};
	struct ys_stack_conf conf;
	struct rte_mbuf *orig, *clone;
	size_t len = build_arp(f, &req), wlen;

	rep = (struct arp_spec){.eth_dst = peer_mac,
	                        .eth_src = our_mac,
	                        .htype = 1,
	                        .ptype = 0x0800,
	                        .op = 2,
	                        .hlen = 6,
	                        .plen = 4,
	                        .sha = our_mac,
	                        .sip = OUR_IP,
	                        .tha = peer_mac,
	                        .tip = PEER_IP};
	wlen = build_arp(want, &rep);

	orig = mk_mbuf(f, len, 0);
	clone = rte_pktmbuf_clone(orig, g_pool);
	assert_non_null(clone);
	ys_stack_input(&fx->st, clone, YS_RX_F_ARP_RESPONDER);
	check_stats(&fx->stats, &w);
	check_sent(fx, 0, want, wlen, 0);
	assert_int_equal(rte_pktmbuf_pkt_len(orig), len);
	assert_memory_equal(rte_pktmbuf_mtod(orig, void *), f, len);
	assert_int_equal(rte_mbuf_refcnt_read(orig), 1);
	fixture_flush(fx);

	/* No pool: counted, nothing sent, original still intact. */
	fixture_conf(fx, &conf);
	conf.pool = NULL;
	ys_stack_fini(&fx->st);
	assert_int_equal(ys_stack_init(&fx->st, &conf), 0);
	memset(&fx->stats, 0, sizeof(fx->stats));
	clone = rte_pktmbuf_clone(orig, g_pool);
	assert_non_null(clone);
	ys_stack_input(&fx->st, clone, YS_RX_F_ARP_RESPONDER);
	w = at_arp;
	w.arp_entries_learned = 1;
	w.drops[YS_STACK_DROP_tx_alloc_failed] = 1;
	check_stats(&fx->stats, &w);
	assert_int_equal(fx->link.n_sent, 0);
	assert_memory_equal(rte_pktmbuf_mtod(orig, void *), f, len);
	rte_pktmbuf_free(orig);
}

/* ---- ICMP echo ---------------------------------------------------------- */

static void test_echo_sizes(void **state)
{
	struct fixture *fx = *state;
	static const size_t sizes[] = {0, 1, 56, 57, 1472};
	size_t i;

	for (i = 0; i < RTE_DIM(sizes); i++) {
		struct ip_spec req = echo_request(sizes[i]);

		expect_echo(fx, &req, 0, our_mac);
	}
}

static void test_echo_fields_kept(void **state)
{
	struct fixture *fx = *state;
	struct ip_spec req = echo_request(56);

	/* TOS, DF and the IP ID come back; the TTL is ours (64). */
	req.tos = 0x10;
	req.frag = 0x4000;
	req.id = 0xfffe;
	req.ttl = 1;
	req.ident = 0;
	req.seq = 0xffff;
	expect_echo(fx, &req, 0, our_mac);

	/* Sent to the second address: answered from it. */
	req = echo_request(56);
	req.dst = OUR_IP2;
	expect_echo(fx, &req, 0, our_mac);

	/* On the second interface. */
	req = echo_request(56);
	req.dst = OUR_IP1;
	req.src = IP4(192, 168, 1, 20);
	req.eth_dst = our_mac1;
	expect_echo(fx, &req, 1, our_mac1);
}

static void test_echo_with_ip_options(void **state)
{
	struct fixture *fx = *state;
	/* NOP NOP NOP EOL */
	static const uint8_t nops[4] = {1, 1, 1, 0};
	/* Record Route (RFC 791): type 7, length 39, pointer 4, 9 empty
	 * slots, then EOL: the largest header, IHL 15. */
	uint8_t rr[40] = {7, 39, 4};
	struct ip_spec req;

	req = echo_request(56);
	req.opts = nops;
	req.optlen = sizeof(nops);
	expect_echo(fx, &req, 0, our_mac);

	req = echo_request(1);
	req.opts = rr;
	req.optlen = sizeof(rr);
	expect_echo(fx, &req, 0, our_mac);

	req = echo_request(1440);
	req.opts = rr;
	req.optlen = sizeof(rr);
	req.pad = 3;
	expect_echo(fx, &req, 0, our_mac);
}

static void test_echo_ethernet_padding(void **state)
{
	struct fixture *fx = *state;
	struct ip_spec req = echo_request(0);

	/* 42 bytes padded to 60 (RFC 894 minimum): the reply is 42. */
	req.pad = 18;
	expect_echo(fx, &req, 0, our_mac);
	req = echo_request(5);
	req.pad = 13;
	expect_echo(fx, &req, 0, our_mac);
	/* Padding and a trailing FCS-like tail. */
	req = echo_request(100);
	req.pad = 4;
	expect_echo(fx, &req, 0, our_mac);
}

static void test_echo_shared_mbuf(void **state)
{
	struct fixture *fx = *state;
	static uint8_t f[FRAME_MAX], want[FRAME_MAX];
	static const uint8_t nops[8] = {1, 1, 1, 1, 1, 1, 1, 0};
	struct ip_spec req = echo_request(300), rep;
	struct ys_stack_stats w = {.eth_rx = 1,
	                           .eth_tx = 1,
	                           .ip_rx = 1,
	                           .icmp_rx = 1,
	                           .icmp_echo_requests = 1,
	                           .icmp_echo_replies = 1,
	                           .ip_options_seen = 1};
	struct rte_mbuf *orig, *clone;
	size_t len, wlen;

	req.opts = nops;
	req.optlen = sizeof(nops);
	req.pad = 6;
	len = build_ip(f, &req);
	rep = echo_reply_of(&req, our_mac);
	wlen = build_ip(want, &rep);

	orig = mk_mbuf(f, len, 0);
	clone = rte_pktmbuf_clone(orig, g_pool);
	assert_non_null(clone);
	ys_stack_input(&fx->st, clone, 0);
	check_stats(&fx->stats, &w);
	check_sent(fx, 0, want, wlen, 0);
	assert_memory_equal(rte_pktmbuf_mtod(orig, void *), f, len);
	rte_pktmbuf_free(orig);
}

/* ---- multi-segment frames ---------------------------------------------- */

static void expect_echo_chain(struct fixture *fx, const struct ip_spec *req,
                              const size_t *seglens, size_t n_seglens)
{
	static uint8_t f[FRAME_MAX], want[FRAME_MAX];
	struct ip_spec rep = echo_reply_of(req, our_mac);
	struct ys_stack_stats w = {.eth_rx = 1,
	                           .eth_tx = 1,
	                           .ip_rx = 1,
	                           .icmp_rx = 1,
	                           .icmp_echo_requests = 1,
	                           .icmp_echo_replies = 1,
	                           .ip_options_seen = req->optlen != 0};
	size_t len = build_ip(f, req), wlen = build_ip(want, &rep);

	memset(&fx->stats, 0, sizeof(fx->stats));
	ys_stack_input(&fx->st, mk_chain(f, len, seglens, n_seglens, 0), 0);
	check_stats(&fx->stats, &w);
	assert_int_equal(fx->link.n_sent, 1);
	check_sent(fx, 0, want, wlen, 0);
	fixture_flush(fx);
	check_pool_empty();
}

static void test_echo_multi_segment(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t nops[4] = {1, 1, 1, 0};
	/* Odd segment lengths put data at odd offsets of the ICMP message;
	 * 0xff data makes every partial sum carry. */
	static const size_t odd[] = {47, 333, 1, 700};
	static const size_t even[] = {42, 500, 500};
	static const size_t hdr_only[] = {42};
	static const size_t with_opts[] = {51, 3};
	/* Padding spread over segments: 47 + 13 bytes as 43 | 2 | 15. */
	static const size_t pad_split[] = {43, 2};
	/* Padding in segments of its own: 42 | 10 | 8. */
	static const size_t pad_segs[] = {42, 10};
	struct ip_spec req;

	req = echo_request(1472);
	req.fill = 0xff;
	expect_echo_chain(fx, &req, odd, RTE_DIM(odd));
	req.fill = 0;
	expect_echo_chain(fx, &req, odd, RTE_DIM(odd));
	expect_echo_chain(fx, &req, even, RTE_DIM(even));
	expect_echo_chain(fx, &req, hdr_only, RTE_DIM(hdr_only));

	req = echo_request(200);
	req.fill = 0xff;
	req.opts = nops;
	req.optlen = sizeof(nops);
	expect_echo_chain(fx, &req, with_opts, RTE_DIM(with_opts));

	req = echo_request(5);
	req.pad = 13;
	expect_echo_chain(fx, &req, pad_split, RTE_DIM(pad_split));
	req = echo_request(0);
	req.pad = 18;
	expect_echo_chain(fx, &req, pad_segs, RTE_DIM(pad_segs));
}

/* Headers split across segments are dropped as malformed. */
static void test_split_headers(void **state)
{
	struct fixture *fx = *state;
	static uint8_t f[FRAME_MAX];
	static const uint8_t nops[4] = {1, 1, 1, 0};
	struct ip_spec req = echo_request(56);
	struct arp_spec areq = arp_request(OUR_IP);
	size_t cut, len;

	len = build_ip(f, &req);
	for (cut = 1; cut < 42; cut++) {
		enum ys_stack_drop_reason r;
		const struct ys_stack_stats *before;

		if (cut < 14) {
			r = YS_STACK_DROP_eth_runt;
			before = &at_eth;
		} else if (cut < 34) {
			r = YS_STACK_DROP_ip_malformed;
			before = &at_ip;
		} else {
			r = YS_STACK_DROP_icmp_malformed;
			before = &at_ip;
		}
		memset(&fx->stats, 0, sizeof(fx->stats));
		ys_stack_input(&fx->st, mk_chain(f, len, &cut, 1, 0), 0);
		{
			struct ys_stack_stats w = *before;

			w.drops[r] = 1;
			check_stats(&fx->stats, &w);
		}
		assert_int_equal(fx->link.n_sent, 0);
		check_pool_empty();
	}

	/* Options split from the fixed header. */
	req.opts = nops;
	req.optlen = sizeof(nops);
	len = build_ip(f, &req);
	cut = 36;
	memset(&fx->stats, 0, sizeof(fx->stats));
	ys_stack_input(&fx->st, mk_chain(f, len, &cut, 1, 0), 0);
	{
		struct ys_stack_stats w = at_ip;

		w.drops[YS_STACK_DROP_ip_malformed] = 1;
		check_stats(&fx->stats, &w);
	}

	len = build_arp(f, &areq);
	cut = 30;
	memset(&fx->stats, 0, sizeof(fx->stats));
	ys_stack_input(&fx->st, mk_chain(f, len, &cut, 1, 0),
	               YS_RX_F_ARP_RESPONDER);
	{
		struct ys_stack_stats w = at_eth;

		w.drops[YS_STACK_DROP_arp_malformed] = 1;
		check_stats(&fx->stats, &w);
	}
	assert_int_equal(fx->link.n_sent, 0);
}

/* ---- IPv4 and ICMP validation ------------------------------------------ */

static void test_truncated_frames(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[64];
	struct ip_spec req = echo_request(0);
	size_t len, full = build_ip(f, &req);

	assert_int_equal(full, 14 + 20 + 8);
	for (len = 0; len < full; len++) {
		if (len < 14)
			expect_drop(fx, f, len, 0, 0, &at_eth,
			            YS_STACK_DROP_eth_runt);
		else
			expect_drop(fx, f, len, 0, 0, &at_ip,
			            YS_STACK_DROP_ip_malformed);
	}
	/* The whole frame is answered. */
	expect_echo(fx, &req, 0, our_mac);
}

/* A datagram whose Total Length leaves fewer than 8 ICMP bytes. */
static void test_icmp_too_short(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[64];
	struct ip_spec req;
	int k;

	for (k = 0; k < 8; k++) {
		req = echo_request(0);
		req.tlen = 20 + k;
		expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_ip,
		            YS_STACK_DROP_icmp_malformed);
	}
}

static void test_bad_checksums(void **state)
{
	struct fixture *fx = *state;
	static uint8_t f[FRAME_MAX];
	struct ip_spec req;

	req = echo_request(56);
	req.bad_ip_cksum = true;
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_ip,
	            YS_STACK_DROP_ip_bad_checksum);

	req = echo_request(56);
	req.bad_icmp_cksum = true;
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_ip,
	            YS_STACK_DROP_icmp_bad_checksum);

	/* A corrupted byte in a later segment is caught too. */
	req = echo_request(1000);
	build_ip(f, &req);
	f[900] ^= 0x40;
	{
		size_t seg = 100;
		struct ys_stack_stats w = at_ip;

		memset(&fx->stats, 0, sizeof(fx->stats));
		ys_stack_input(&fx->st,
		               mk_chain(f, 14 + 20 + 8 + 1000, &seg, 1, 0), 0);
		w.drops[YS_STACK_DROP_icmp_bad_checksum] = 1;
		check_stats(&fx->stats, &w);
	}
}

/*
 * The NIC's verdict on the IPv4 header checksum is trusted: GOOD on a
 * header whose checksum is wrong is answered, BAD on a right one is
 * dropped; with no verdict the stack checks (test_bad_checksums).
 */
static void test_rx_cksum_offload_flags(void **state)
{
	struct fixture *fx = *state;
	static uint8_t f[FRAME_MAX];
	struct ip_spec req = echo_request(56);
	size_t len, seg;
	struct rte_mbuf *m;

	req.bad_ip_cksum = true;
	len = build_ip(f, &req);
	seg = len;
	memset(&fx->stats, 0, sizeof(fx->stats));
	m = mk_chain(f, len, &seg, 1, 0);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	ys_stack_input(&fx->st, m, 0);
	assert_int_equal(fx->link.n_sent, 1);
	assert_int_equal(fx->stats.icmp_echo_replies, 1);
	assert_int_equal(fx->stats.ip_rx_cksum_offloaded, 1);
	assert_int_equal(fx->stats.drops[YS_STACK_DROP_ip_bad_checksum], 0);

	req = echo_request(56);
	len = build_ip(f, &req);
	seg = len;
	m = mk_chain(f, len, &seg, 1, 0);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
	ys_stack_input(&fx->st, m, 0);
	assert_int_equal(fx->link.n_sent, 1);
	assert_int_equal(fx->stats.drops[YS_STACK_DROP_ip_bad_checksum], 1);
	assert_int_equal(fx->stats.ip_rx_cksum_offloaded, 2);
}

static void test_bad_ip_header(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256];
	struct ip_spec req;
	int ihl;

	/* IHL below the minimum of 5 (RFC 791). */
	for (ihl = 0; ihl < 5; ihl++) {
		req = echo_request(56);
		req.ihl = ihl;
		expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_ip,
		            YS_STACK_DROP_ip_malformed);
	}
	/* IHL beyond the frame: 60 header bytes claimed, 28 there. */
	req = echo_request(0);
	req.ihl = 15;
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_ip,
	            YS_STACK_DROP_ip_malformed);
	/* Version 6 under the IPv4 EtherType. */
	req = echo_request(56);
	req.version = 6;
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_ip,
	            YS_STACK_DROP_ip_malformed);
	/* Total Length beyond the frame. */
	req = echo_request(56);
	req.tlen = 20 + 8 + 56 + 1;
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_ip,
	            YS_STACK_DROP_ip_malformed);
	/* Total Length shorter than the header. */
	req = echo_request(56);
	req.tlen = 19;
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_ip,
	            YS_STACK_DROP_ip_malformed);
	req.tlen = 0;
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_ip,
	            YS_STACK_DROP_ip_malformed);
}

static void test_bad_sources(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256];
	static const uint32_t bad[] = {
	        IP4(224, 0, 0, 1),
	        IP4(239, 255, 255, 250),
	        IP4(255, 255, 255, 255),
	        IP4(240, 0, 0, 1),
	        IP4(127, 0, 0, 1),
	        IP4(0, 0, 0, 0),
	        IP4(0, 1, 2, 3),
	        IP4(10, 0, 0, 255),
	        IP4(10, 0, 1, 255),
	        OUR_IP, /* ours: spoofed, we never hear ourselves */
	        OUR_IP1,
	};
	size_t i;

	for (i = 0; i < RTE_DIM(bad); i++) {
		struct ip_spec req = echo_request(56);

		req.src = bad[i];
		expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_ip,
		            YS_STACK_DROP_ip_bad_source);
	}
	/* The network address and an off-link host are fine. */
	{
		struct ip_spec req = echo_request(56);

		req.src = IP4(10, 0, 0, 0);
		expect_echo(fx, &req, 0, our_mac);
		req.src = IP4(8, 8, 8, 8);
		expect_echo(fx, &req, 0, our_mac);
	}
}

static void test_fragments(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256];
	static const uint16_t frags[] = {0x2000, 0x0001, 0x2001,
	                                 0x1fff, 0x6000, 0x4001};
	size_t i;

	for (i = 0; i < RTE_DIM(frags); i++) {
		struct ip_spec req = echo_request(56);

		req.frag = frags[i];
		expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_ip,
		            YS_STACK_DROP_ip_fragment);
	}
}

static void test_unsupported_proto(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256];
	struct ip_spec req = echo_request(56);

	struct ys_stack_stats w = at_ip;
	size_t len;

	/* RFC 1122 3.2.2.1: a protocol unreachable goes back (the exact
	 * frames are in test_icmp.c); here it waits for the peer's MAC. */
	req.proto = 6; /* TCP */
	len = build_ip(f, &req);
	memset(&fx->stats, 0, sizeof(fx->stats));
	rx(fx, f, len, 0, 0);
	w.drops[YS_STACK_DROP_ip_unsupported_proto] = 1;
	w.icmp_errors_sent = 1;
	w.ip_out_requests = 1;
	w.arp_requests_sent = 1;
	w.arp_queued = 1;
	w.eth_tx = 1;
	check_stats(&fx->stats, &w);
	assert_int_equal(fx->link.n_sent, 1); /* the ARP request */
}

static void test_unsupported_icmp(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256];
	struct ip_spec req;

	req = echo_request(56);
	req.icmp_type = 0; /* an echo reply */
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_icmp,
	            YS_STACK_DROP_icmp_unsupported_type);
	req.icmp_type = 13; /* timestamp */
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_icmp,
	            YS_STACK_DROP_icmp_unsupported_type);
	req.icmp_type = 8;
	req.icmp_code = 1;
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_icmp,
	            YS_STACK_DROP_icmp_unsupported_type);
}

static void test_unsupported_ethertype(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256];
	struct ip_spec req = echo_request(56);

	req.ether_type = 0x86dd; /* IPv6 */
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_eth,
	            YS_STACK_DROP_eth_unsupported_type);
	req.ether_type = 0x8100; /* 802.1Q, TCI 0x4500: VID 1280, none */
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_eth,
	            YS_STACK_DROP_eth_vlan_unknown);
	/* A bare header with a type nobody uses. */
	req.ether_type = 0x0000;
	build_ip(f, &req);
	expect_drop(fx, f, 14, 0, 0, &at_eth,
	            YS_STACK_DROP_eth_unsupported_type);
}

static void test_not_our_mac(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256];
	static const uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x77};
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
	struct ip_spec req = echo_request(56);
	struct arp_spec areq = arp_request(OUR_IP);

	req.eth_dst = other;
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_eth,
	            YS_STACK_DROP_eth_not_for_us);
	req.eth_dst = mcast;
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_eth,
	            YS_STACK_DROP_eth_not_for_us);
	/* Port 1's MAC arriving on port 0, and a port with no interface. */
	req.eth_dst = our_mac1;
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_eth,
	            YS_STACK_DROP_eth_not_for_us);
	req.eth_dst = our_mac;
	expect_drop(fx, f, build_ip(f, &req), 5, 0, &at_eth,
	            YS_STACK_DROP_eth_not_for_us);
	expect_drop(fx, f, build_arp(f, &areq), 5, YS_RX_F_ARP_RESPONDER,
	            &at_eth, YS_STACK_DROP_eth_not_for_us);
}

static void test_not_our_ip(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256];
	static const uint32_t dsts[] = {IP4(10, 0, 0, 3), IP4(10, 0, 0, 255),
	                                IP4(255, 255, 255, 255),
	                                IP4(224, 0, 0, 1), OUR_IP1};
	size_t i;

	for (i = 0; i < RTE_DIM(dsts); i++) {
		struct ip_spec req = echo_request(56);

		req.dst = dsts[i];
		expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_ip,
		            YS_STACK_DROP_ip_not_for_us);
	}
}

/* RFC 1122 3.3.6: unicast IP in a link-layer broadcast. */
static void test_link_broadcast(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256];
	struct ip_spec req = echo_request(56);

	req.eth_dst = bcast_mac;
	expect_drop(fx, f, build_ip(f, &req), 0, 0, &at_ip,
	            YS_STACK_DROP_ip_link_broadcast);
}

/* ---- reassembled requests, fragmented replies (RFC 791 3.2) ------------- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Re-initialises fx's stack: interface 0's MTU, the pool, the owner. */
static void fixture_set(struct fixture *fx, uint16_t mtu,
                        struct rte_mempool *pool, uint16_t owner)
{
	struct ys_stack_conf conf;

	fixture_conf(fx, &conf);
	conf.ifaces[0].mtu = mtu;
	conf.pool = pool;
	conf.owner.offset = g_meta;
	conf.owner.owner = owner;
	fx->link.owner = conf.owner;
	ys_stack_fini(&fx->st);
	assert_int_equal(ys_stack_init(&fx->st, &conf), 0);
}

/* The frame f as a chain: `first` bytes in the first segment, `rest` in
 * each later one. (1514, 1480) is what the primary's reassembly hands
 * over for fragments of a 1500-byte MTU: the first fragment's frame,
 * then the data of each later one. */
static struct rte_mbuf *mk_layout(const uint8_t *f, size_t len, size_t first,
                                  size_t rest)
{
	size_t segs[64], n = 0, off;

	first = RTE_MIN(first, len);
	off = first;
	segs[n++] = first;
	while (off + rest < len) {
		assert_true(n < RTE_DIM(segs));
		segs[n++] = rest;
		off += rest;
	}
	return mk_chain(f, len, segs, n, 0);
}

/* Each segment direct and unshared, the chain consistent: what a frame
 * built from fresh mbufs must be (ys_mbuf.h: no indirect mbufs). */
static void check_direct_chain(const struct rte_mbuf *m)
{
	const struct rte_mbuf *seg;
	uint32_t total = 0;
	uint16_t nb = 0;

	for (seg = m; seg != NULL; seg = seg->next) {
		assert_true(RTE_MBUF_DIRECT(seg));
		assert_int_equal(rte_mbuf_refcnt_read(seg), 1);
		total += seg->data_len;
		nb++;
	}
	assert_int_equal(total, m->pkt_len);
	assert_int_equal(nb, m->nb_segs);
	assert_int_equal(m->ol_flags, 0);
	assert_int_equal(m->port, 0);
}

/* Fragment i of n of the reply `want`, carrying its data from `pos`:
 * checks it and returns its data length. */
static size_t check_fragment(const struct fixture *fx, unsigned int i,
                             unsigned int n, const uint8_t *want, size_t dlen,
                             uint32_t mtu, size_t pos)
{
	static uint8_t buf[BIG_MAX];
	const struct rte_mbuf *m = fx->link.sent[i];
	const uint8_t *ip = buf + 14;
	size_t chunk = (mtu - 20) / 8 * 8;
	size_t len = i + 1 < n ? chunk : dlen - pos;
	const void *p;

	check_direct_chain(m);
	assert_int_equal(m->pkt_len, 14 + 20 + len);
	p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
	assert_non_null(p);
	if (p != buf)
		memcpy(buf, p, m->pkt_len);
	/* Ethernet, version/IHL and TOS, ID, TTL and protocol, addresses
	 * as in the whole reply; Total Length within the MTU. */
	assert_memory_equal(buf, want, 14 + 2);
	assert_int_equal(get16(ip + 2), 20 + len);
	assert_true(get16(ip + 2) <= mtu);
	assert_memory_equal(ip + 4, want + 14 + 4, 2);
	assert_memory_equal(ip + 8, want + 14 + 8, 2);
	assert_memory_equal(ip + 12, want + 14 + 12, 8);
	/* MF on all but the last, DF clear, offset in 8-octet units; the
	 * header checksum right. */
	assert_int_equal(get16(ip + 6),
	                 (i + 1 < n ? 0x2000 : 0) | (uint16_t)(pos / 8));
	assert_int_equal(ref_cksum(ip, 20), 0);
	assert_memory_equal(ip + 20, want + 34 + pos, len);
	return len;
}

/*
 * Checks that what was sent is the reply `want` (wlen bytes as one
 * unfragmented frame): that frame itself when it fits `mtu`, else its
 * fragments, each full but the last, whose data put back together is
 * the reply's byte for byte. Returns the number of frames.
 */
static unsigned int check_reply(const struct fixture *fx, const uint8_t *want,
                                size_t wlen, uint32_t mtu)
{
	size_t dlen = wlen - 34, chunk = (mtu - 20) / 8 * 8, pos = 0;
	unsigned int n = (unsigned int)((dlen + chunk - 1) / chunk), i;

	if (wlen - 14 <= mtu) {
		assert_int_equal(fx->link.n_sent, 1);
		check_sent(fx, 0, want, wlen, 0);
		return 1;
	}
	assert_int_equal(fx->link.n_sent, n);
	for (i = 0; i < n; i++)
		pos += check_fragment(fx, i, n, want, dlen, mtu, pos);
	assert_int_equal(pos, dlen);
	return n;
}

/* Sends `req` laid out as (first, rest) and checks the reply for `mtu`. */
static void expect_echo_big(struct fixture *fx, const struct ip_spec *req,
                            uint32_t mtu, size_t first, size_t rest)
{
	static uint8_t f[BIG_MAX], want[BIG_MAX];
	struct ip_spec rep = echo_reply_of(req, our_mac);
	size_t len = build_ip(f, req), wlen = build_ip(want, &rep);
	struct ys_stack_stats w = {.eth_rx = 1,
	                           .ip_rx = 1,
	                           .icmp_rx = 1,
	                           .icmp_echo_requests = 1,
	                           .icmp_echo_replies = 1};
	struct rte_mbuf *m = mk_layout(f, len, first, rest);
	unsigned int n;

	if (fx->link.owner.owner != YS_OWNER_NONE)
		ys_mbuf_claim(&fx->link.owner, m); /* as the primary hands it */
	memset(&fx->stats, 0, sizeof(fx->stats));
	ys_stack_input(&fx->st, m, 0);
	n = check_reply(fx, want, wlen, mtu);
	w.eth_tx = n;
	if (n > 1) {
		w.ip_frag_out_datagrams = 1;
		w.ip_frag_created = n;
	}
	check_stats(&fx->stats, &w);
	fixture_flush(fx);
	check_pool_empty();
}

/* A 4000- and 8000-byte ping, and the largest 8 fragments reassemble to
 * (11840 ICMP bytes at MTU 1500), answered for MTUs 576 to 9000. */
static void test_echo_reassembled(void **state)
{
	struct fixture *fx = *state;
	static const uint16_t mtus[] = {0, 576, 1500, 9000};
	static const size_t dlens[] = {4000, 8000, 11832, 1473, 2999};
	/* As reassembled; odd segments (odd data offsets); full mbufs. */
	static const size_t layouts[][2] = {
	        {1514, 1480}, {43, 333}, {2048, 2048}};
	size_t m, d, l;

	for (m = 0; m < RTE_DIM(mtus); m++) {
		fixture_set(fx, mtus[m], g_pool, YS_OWNER_NONE);
		for (d = 0; d < RTE_DIM(dlens); d++) {
			for (l = 0; l < RTE_DIM(layouts); l++) {
				struct ip_spec req = echo_request(dlens[d]);

				req.id =
				        (uint16_t)(0x4000 + m * 64 + d * 4 + l);
				req.fill = l == 1 ? 0xff : 0;
				expect_echo_big(fx, &req,
				                mtus[m] ? mtus[m] : 1500,
				                layouts[l][0], layouts[l][1]);
			}
		}
	}
	/* A last fragment of 1 byte comes padded to 60 bytes on Ethernet;
	 * reassembly leaves the padding at the end of the chain. */
	{
		struct ip_spec req = echo_request(2953);

		req.pad = 25;
		fixture_set(fx, 0, g_pool, YS_OWNER_NONE);
		expect_echo_big(fx, &req, 1500, 1514, 1480);
	}
}

/* DF is copied from the request: one whose reply would need fragmenting
 * is not answered (RFC 791 3.2), one whose reply fits is. */
static void test_echo_df_too_big(void **state)
{
	struct fixture *fx = *state;
	static uint8_t f[BIG_MAX];
	struct ip_spec req = echo_request(4000);
	struct ys_stack_stats w = {
	        .eth_rx = 1, .ip_rx = 1, .icmp_rx = 1, .icmp_echo_requests = 1};
	size_t len;

	req.frag = 0x4000;
	len = build_ip(f, &req);
	ys_stack_input(&fx->st, mk_layout(f, len, 1514, 1480), 0);
	w.drops[YS_STACK_DROP_ip_frag_df_set] = 1;
	check_stats(&fx->stats, &w);
	assert_int_equal(fx->link.n_sent, 0);
	check_pool_empty();

	/* Exactly the MTU goes out whole, with DF. */
	req = echo_request(1472);
	req.frag = 0x4000;
	expect_echo_big(fx, &req, 1500, 1514, 1480);
	fixture_set(fx, 9000, g_pool, YS_OWNER_NONE);
	req = echo_request(8000);
	req.frag = 0x4000;
	expect_echo_big(fx, &req, 9000, 1514, 1480);
}

/* More than 64 fragments: refused and counted; exactly 64 is fine. */
static void test_echo_frag_too_many(void **state)
{
	struct fixture *fx = *state;
	static uint8_t f[BIG_MAX];
	struct ip_spec req = echo_request(4000);
	struct ys_stack_stats w = {
	        .eth_rx = 1, .ip_rx = 1, .icmp_rx = 1, .icmp_echo_requests = 1};
	size_t len;

	/* MTU 68: 48 data bytes per fragment, 4008 need 84. */
	fixture_set(fx, 68, g_pool, YS_OWNER_NONE);
	len = build_ip(f, &req);
	ys_stack_input(&fx->st, mk_layout(f, len, 1514, 1480), 0);
	w.drops[YS_STACK_DROP_ip_frag_too_many] = 1;
	check_stats(&fx->stats, &w);
	assert_int_equal(fx->link.n_sent, 0);
	check_pool_empty();

	req = echo_request(64 * 48 - 8);
	expect_echo_big(fx, &req, 68, 1514, 1480);
}

/*
 * The pool runs dry while fragmenting: nothing is sent, what was taken
 * is back, the request is freed, and the drop is counted. MTU 9000 makes
 * the 11840-byte reply two fragments over 7 mbufs (2048-byte buffers).
 */
static void test_echo_frag_pool_exhaustion(void **state)
{
	struct fixture *fx = *state;
	static uint8_t f[BIG_MAX];
	static const struct {
		uint16_t mtu;
		size_t dlen;
		unsigned int mbufs;
	} cases[] = {{1500, 4000, 3}, {9000, 11832, 7}, {576, 8000, 15}};
	size_t c;
	unsigned int k;

	for (c = 0; c < RTE_DIM(cases); c++) {
		for (k = 1; k <= cases[c].mbufs; k++) {
			struct rte_mempool *mp = rte_pktmbuf_pool_create(
			        "ys_test_stack_tiny", k, 0, 0,
			        RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
			struct ip_spec req = echo_request(cases[c].dlen);
			struct ys_stack_stats w = {.eth_rx = 1,
			                           .ip_rx = 1,
			                           .icmp_rx = 1,
			                           .icmp_echo_requests = 1};
			size_t len = build_ip(f, &req);

			assert_non_null(mp);
			fixture_set(fx, cases[c].mtu, mp, OWNER);
			memset(&fx->stats, 0, sizeof(fx->stats));
			ys_stack_input(&fx->st, mk_layout(f, len, 1514, 1480),
			               0);
			if (k < cases[c].mbufs) {
				w.drops[YS_STACK_DROP_ip_frag_alloc_failed] = 1;
				check_stats(&fx->stats, &w);
				assert_int_equal(fx->link.n_sent, 0);
			} else {
				assert_int_equal(fx->link.n_sent,
				                 fx->stats.ip_frag_created);
				assert_int_equal(fx->stats.icmp_echo_replies,
				                 1);
				assert_int_equal(fx->link.bad_tags, 0);
				fixture_flush(fx);
			}
			assert_int_equal(rte_mempool_in_use_count(mp), 0);
			check_pool_empty();
			rte_mempool_free(mp);
		}
	}
	/* No pool at all. */
	{
		struct ip_spec req = echo_request(4000);
		struct ys_stack_stats w = {.eth_rx = 1,
		                           .ip_rx = 1,
		                           .icmp_rx = 1,
		                           .icmp_echo_requests = 1};
		size_t len = build_ip(f, &req);

		fixture_set(fx, 0, NULL, YS_OWNER_NONE);
		memset(&fx->stats, 0, sizeof(fx->stats));
		ys_stack_input(&fx->st, mk_layout(f, len, 1514, 1480), 0);
		w.drops[YS_STACK_DROP_ip_frag_alloc_failed] = 1;
		check_stats(&fx->stats, &w);
		check_pool_empty();
	}
}

/* The link refuses the second fragment: the third is not even tried,
 * both count as tx_full, and no reply is counted. */
static void test_echo_frag_tx_full(void **state)
{
	struct fixture *fx = *state;
	static uint8_t f[BIG_MAX];
	struct ip_spec req = echo_request(4000);
	struct ys_stack_stats w = {.eth_rx = 1,
	                           .eth_tx = 1,
	                           .ip_rx = 1,
	                           .icmp_rx = 1,
	                           .icmp_echo_requests = 1,
	                           .ip_frag_out_datagrams = 1,
	                           .ip_frag_created = 3};
	size_t len = build_ip(f, &req);

	fx->link.cap = 1;
	ys_stack_input(&fx->st, mk_layout(f, len, 1514, 1480), 0);
	w.drops[YS_STACK_DROP_tx_full] = 2;
	check_stats(&fx->stats, &w);
	assert_int_equal(fx->link.n_sent, 1);
	fixture_flush(fx);
	check_pool_empty();
}

/* ---- owner tags (proto/ys_mbuf.h) --------------------------------------- */

struct tag_count {
	uint16_t owner;
	unsigned int n;
};

static void count_tag(struct rte_mempool *mp, void *arg, void *obj,
                      unsigned int idx)
{
	struct tag_count *tc = arg;

	(void)mp;
	(void)idx;
	if (ys_mbuf_meta(obj, g_meta)->owner == tc->owner)
		tc->n++;
}

/* How many objects of the pool, free or not, are tagged `owner`. */
static unsigned int pool_tagged(uint16_t owner)
{
	struct tag_count tc = {.owner = owner};

	rte_mempool_obj_iter(g_pool, count_tag, &tc);
	return tc.n;
}

/* Hands f to the stack tagged as ours, as the primary would. */
static void rx_tagged(struct fixture *fx, const uint8_t *f, size_t len,
                      size_t first, size_t rest, uint32_t flags)
{
	struct rte_mbuf *m = mk_layout(f, len, first, rest);

	ys_mbuf_claim(&fx->link.owner, m);
	ys_stack_input(&fx->st, m, flags);
}

/* After one step: every frame sent was tagged on every segment, and once
 * the link gave them back nothing in the pool is still ours except the
 * `held` mbufs the test keeps. */
static void check_tags(struct fixture *fx, unsigned int frames,
                       unsigned int held)
{
	assert_int_equal(fx->link.tagged_frames, frames);
	assert_int_equal(fx->link.bad_tags, 0);
	fixture_flush(fx);
	fx->link.tagged_frames = 0;
	assert_int_equal(pool_tagged(OWNER), held);
}

/*
 * With the real dynamic field and owner 3, every way a frame leaves the
 * stack: replies in place (chained too), fragments, ARP, copies of shared
 * mbufs, every kind of drop and free, a refused frame.
 */
static void test_owner_tags(void **state)
{
	struct fixture *fx = *state;
	static uint8_t f[BIG_MAX];
	static const uint8_t nops[4] = {1, 1, 1, 0};
	struct ip_spec req;
	struct arp_spec areq = arp_request(OUR_IP);
	struct rte_mbuf *orig, *clone;
	size_t len;

	fixture_set(fx, 0, g_pool, OWNER);
	assert_int_equal(pool_tagged(OWNER), 0);

	/* In place, one segment and a chain with options cut and padding
	 * trimmed: the datagram ends at a segment's end (46 + 4 * 300), so
	 * the last segment (40 bytes of padding) is freed. */
	req = echo_request(56);
	rx_tagged(fx, f, build_ip(f, &req), BIG_MAX, 0, 0);
	check_tags(fx, 1, 0);
	req = echo_request(1200);
	req.opts = nops;
	req.optlen = sizeof(nops);
	req.pad = 40;
	rx_tagged(fx, f, build_ip(f, &req), 46, 300, 0);
	check_tags(fx, 1, 0);

	/* Fragmented: the request chain is freed, the fragments are new. */
	req = echo_request(8000);
	rx_tagged(fx, f, build_ip(f, &req), 1514, 1480, 0);
	check_tags(fx, 6, 0);

	/* ARP answered, left to a peer, a reply (freed). */
	len = build_arp(f, &areq);
	rx_tagged(fx, f, len, BIG_MAX, 0, YS_RX_F_ARP_RESPONDER);
	rx_tagged(fx, f, len, BIG_MAX, 0, 0);
	areq.op = 2;
	rx_tagged(fx, f, build_arp(f, &areq), BIG_MAX, 0, 0);
	check_tags(fx, 1, 0);

	/* Drops: a bad ICMP checksum in a chain, DF too big, not for us. */
	req = echo_request(3000);
	req.bad_icmp_cksum = true;
	rx_tagged(fx, f, build_ip(f, &req), 1514, 1480, 0);
	req = echo_request(3000);
	req.frag = 0x4000;
	rx_tagged(fx, f, build_ip(f, &req), 1514, 1480, 0);
	req = echo_request(56);
	req.dst = IP4(10, 0, 0, 3);
	rx_tagged(fx, f, build_ip(f, &req), BIG_MAX, 0, 0);
	check_tags(fx, 0, 0);
	assert_int_equal(fx->stats.drops[YS_STACK_DROP_icmp_bad_checksum], 1);
	assert_int_equal(fx->stats.drops[YS_STACK_DROP_ip_frag_df_set], 1);
	assert_int_equal(fx->stats.drops[YS_STACK_DROP_ip_not_for_us], 1);

	/* A shared request is answered from a tagged copy; the original,
	 * which the test holds, keeps its tag. */
	req = echo_request(300);
	len = build_ip(f, &req);
	orig = mk_mbuf(f, len, 0);
	ys_mbuf_claim(&fx->link.owner, orig);
	clone = rte_pktmbuf_clone(orig, g_pool);
	assert_non_null(clone);
	ys_mbuf_claim(&fx->link.owner, clone);
	ys_stack_input(&fx->st, clone, 0);
	check_tags(fx, 1, 1);
	ys_mbuf_free(&fx->link.owner, orig);
	assert_int_equal(pool_tagged(OWNER), 0);

	/* Refused by the link (freed by the callback, released first), in
	 * the middle of a fragmented reply. */
	fx->link.cap = 2;
	req = echo_request(8000);
	rx_tagged(fx, f, build_ip(f, &req), 1514, 1480, 0);
	check_tags(fx, 3, 0);
	fx->link.cap = 0;
}

static void test_mtu_validation(void **state)
{
	struct fixture *fx = *state;
	struct ys_stack st;
	struct ys_stack_conf conf;

	/* RFC 791 3.2: 68 is the smallest MTU; 0 means 1500. */
	fixture_conf(fx, &conf);
	conf.ifaces[1].mtu = 67;
	assert_int_equal(ys_stack_init(&st, &conf), -EINVAL);
	conf.ifaces[1].mtu = 68;
	assert_int_equal(ys_stack_init(&st, &conf), 0);
	ys_stack_fini(&st);
	conf.ifaces[1].mtu = 65535;
	assert_int_equal(ys_stack_init(&st, &conf), 0);
	ys_stack_fini(&st);
}

/* ---- transmit, instances, API ------------------------------------------- */

static void test_tx_full(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256];
	struct ip_spec req = echo_request(56);
	struct arp_spec areq = arp_request(OUR_IP);
	struct ys_stack_stats w = {
	        .eth_rx = 1, .ip_rx = 1, .icmp_rx = 1, .icmp_echo_requests = 1};

	fx->link.rc = -ENOBUFS;
	rx(fx, f, build_ip(f, &req), 0, 0);
	w.drops[YS_STACK_DROP_tx_full] = 1;
	check_stats(&fx->stats, &w);
	assert_int_equal(fx->link.n_sent, 0);
	check_pool_empty();

	memset(&fx->stats, 0, sizeof(fx->stats));
	rx(fx, f, build_arp(f, &areq), 0, YS_RX_F_ARP_RESPONDER);
	w = at_arp;
	w.arp_entries_learned = 1;
	w.drops[YS_STACK_DROP_tx_full] = 1;
	check_stats(&fx->stats, &w);
	check_pool_empty();
}

static void test_two_instances(void **state)
{
	struct fixture *a = *state;
	struct fixture b;
	struct ys_stack_conf conf;
	static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0xb0};
	uint8_t f[256], want[256];
	struct ip_spec req, rep;
	struct ys_stack_stats wa = {.eth_rx = 2,
	                            .eth_tx = 1,
	                            .ip_rx = 1,
	                            .icmp_rx = 1,
	                            .icmp_echo_requests = 1,
	                            .icmp_echo_replies = 1};
	struct ys_stack_stats wb = {.eth_rx = 2,
	                            .eth_tx = 1,
	                            .ip_rx = 1,
	                            .icmp_rx = 1,
	                            .icmp_echo_requests = 1,
	                            .icmp_echo_replies = 1};
	size_t len, wlen;

	/* B: one interface on port 0 with its own MAC and address. */
	memset(&b, 0, sizeof(b));
	fixture_conf(&b, &conf);
	conf.n_ifaces = 1;
	memcpy(conf.ifaces[0].mac.addr_bytes, mac_b, 6);
	conf.ifaces[0].n_addrs = 1;
	conf.ifaces[0].addrs[0] = rte_cpu_to_be_32(IP4(10, 0, 0, 50));
	assert_int_equal(ys_stack_init(&b.st, &conf), 0);

	/* A's request to A and to B. */
	req = echo_request(56);
	len = build_ip(f, &req);
	ys_stack_input(&a->st, mk_mbuf(f, len, 0), 0);
	ys_stack_input(&b.st, mk_mbuf(f, len, 0), 0);
	rep = echo_reply_of(&req, our_mac);
	wlen = build_ip(want, &rep);
	check_sent(a, 0, want, wlen, 0);

	/* B's request to B and to A. */
	req.eth_dst = mac_b;
	req.dst = IP4(10, 0, 0, 50);
	len = build_ip(f, &req);
	ys_stack_input(&b.st, mk_mbuf(f, len, 0), 0);
	ys_stack_input(&a->st, mk_mbuf(f, len, 0), 0);
	rep = echo_reply_of(&req, mac_b);
	wlen = build_ip(want, &rep);
	check_sent(&b, 0, want, wlen, 0);

	wa.drops[YS_STACK_DROP_eth_not_for_us] = 1;
	wb.drops[YS_STACK_DROP_eth_not_for_us] = 1;
	check_stats(&a->stats, &wa);
	check_stats(&b.stats, &wb);
	assert_int_equal(a->link.n_sent, 1);
	assert_int_equal(b.link.n_sent, 1);
	fixture_flush(&b);
	ys_stack_fini(&b.st);
}

static void test_init_validation(void **state)
{
	struct fixture *fx = *state;
	struct ys_stack st;
	struct ys_stack_conf conf;

	fixture_conf(fx, &conf);
	assert_int_equal(ys_stack_init(NULL, &conf), -EINVAL);
	assert_int_equal(ys_stack_init(&st, NULL), -EINVAL);

	fixture_conf(fx, &conf);
	conf.n_ifaces = 0;
	assert_int_equal(ys_stack_init(&st, &conf), -EINVAL);
	conf.n_ifaces = YS_STACK_MAX_IFACES + 1;
	assert_int_equal(ys_stack_init(&st, &conf), -EINVAL);

	fixture_conf(fx, &conf);
	conf.ifaces[1].n_addrs = 0;
	assert_int_equal(ys_stack_init(&st, &conf), -EINVAL);
	conf.ifaces[1].n_addrs = YS_STACK_MAX_ADDRS + 1;
	assert_int_equal(ys_stack_init(&st, &conf), -EINVAL);

	fixture_conf(fx, &conf);
	conf.ifaces[0].prefix_lens[1] = 33;
	assert_int_equal(ys_stack_init(&st, &conf), -EINVAL);

	fixture_conf(fx, &conf);
	conf.stats = NULL;
	assert_int_equal(ys_stack_init(&st, &conf), -EINVAL);

	fixture_conf(fx, &conf);
	conf.tx = NULL;
	assert_int_equal(ys_stack_init(&st, &conf), -EINVAL);

	/* The limits themselves, and no pool, are fine. */
	fixture_conf(fx, &conf);
	conf.n_ifaces = YS_STACK_MAX_IFACES;
	for (unsigned int i = 0; i < YS_STACK_MAX_IFACES; i++) {
		conf.ifaces[i].n_addrs = (i == 0) ? YS_STACK_MAX_ADDRS : 1;
		conf.ifaces[i].port_id = (uint16_t)i; /* one untagged each */
	}
	conf.pool = NULL;
	assert_int_equal(ys_stack_init(&st, &conf), 0);
	assert_ptr_equal(st.stats, &fx->stats);
	assert_int_equal(st.conf.n_ifaces, YS_STACK_MAX_IFACES);
	ys_stack_fini(&st);
}

static void test_drop_str(void **state)
{
	int r, q;

	(void)state;
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_ip_bad_checksum),
	                    "ip_bad_checksum");
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_eth_runt),
	                    "eth_runt");
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_tx_full),
	                    "tx_full");
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_MAX), "unknown");
	for (r = 0; r < YS_STACK_DROP_MAX; r++) {
		assert_non_null(ys_stack_drop_str(r));
		assert_true(strlen(ys_stack_drop_str(r)) > 0);
		for (q = 0; q < r; q++)
			assert_string_not_equal(ys_stack_drop_str(q),
			                        ys_stack_drop_str(r));
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_arp_request_responder),
	        T(test_arp_request_unpadded_unicast),
	        T(test_arp_request_second_addr_and_iface),
	        T(test_eth_bad_src),
	        T(test_arp_request_not_responder),
	        T(test_arp_request_other_address),
	        T(test_arp_malformed),
	        T(test_arp_reply_and_unsupported_op),
	        T(test_arp_request_shared_mbuf),
	        T(test_echo_sizes),
	        T(test_echo_fields_kept),
	        T(test_echo_with_ip_options),
	        T(test_echo_ethernet_padding),
	        T(test_echo_shared_mbuf),
	        T(test_echo_multi_segment),
	        T(test_split_headers),
	        T(test_truncated_frames),
	        T(test_icmp_too_short),
	        T(test_bad_checksums),
	        T(test_rx_cksum_offload_flags),
	        T(test_bad_ip_header),
	        T(test_bad_sources),
	        T(test_fragments),
	        T(test_unsupported_proto),
	        T(test_unsupported_icmp),
	        T(test_unsupported_ethertype),
	        T(test_not_our_mac),
	        T(test_not_our_ip),
	        T(test_link_broadcast),
	        T(test_tx_full),
	        T(test_two_instances),
	        T(test_init_validation),
	        T(test_drop_str),
	        T(test_echo_reassembled),
	        T(test_echo_df_too_big),
	        T(test_echo_frag_too_many),
	        T(test_echo_frag_pool_exhaustion),
	        T(test_echo_frag_tx_full),
	        T(test_owner_tags),
	        T(test_mtu_validation),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
