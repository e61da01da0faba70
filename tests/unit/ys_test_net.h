/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake link and frames built byte by byte for the tests of the stack's
 * ARP cache and routing (test_arp.c, test_route.c): one stack instance per
 * test, owner tags on (the real dynamic field), a capturing tx callback,
 * time ticked by hand. Include after <cmocka.h>; one test program per
 * translation unit (the pool and the field offset are file statics).
 */
#ifndef YS_TEST_NET_H
#define YS_TEST_NET_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ys_mbuf.h"
#include "ys_stack.h"
#include "ys_test_eal.h"
#include "ys_test_stats.h"

#define IP4(a, b, c, d)                                                        \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 |      \
	 (uint32_t)(d))
#define BE(x) rte_cpu_to_be_32(x)

#define NET_MAX_SENT  128
#define NET_FRAME_MAX 2048
#define NET_POOL_SIZE 1023
#define NET_OWNER     3 /* secondary 2 */

static struct rte_mempool *g_pool;
static int g_meta;

static const uint8_t mac0[6] = {0x02, 0, 0, 0, 0, 0x01}; /* iface 0 */
static const uint8_t mac1[6] = {0x02, 0, 0, 0, 0, 0x02}; /* iface 1 */
static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 0x99};
static const uint8_t peer_mac2[6] = {0x02, 0, 0, 0, 0, 0x98};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero6[6];

/* iface 0 (port 0): 10.0.0.1/24 and 10.0.1.1/24; iface 1 (port 1):
 * 192.168.1.1/24. */
#define OUR_IP  IP4(10, 0, 0, 1)
#define OUR_IP2 IP4(10, 0, 1, 1)
#define OUR_IP1 IP4(192, 168, 1, 1)
#define PEER_IP IP4(10, 0, 0, 2)

/* ---- the fake link ------------------------------------------------------ */

struct net_link {
	struct rte_mbuf *sent[NET_MAX_SENT];
	unsigned int n_sent;
	unsigned int cap; /* 0, or frames taken before refusing */
	struct ys_mbuf_owner owner;
	unsigned int bad_tags; /* segments that arrived not tagged ours */
};

/* Like the secondary's callback: checks tags, releases, keeps. */
static inline int net_tx(void *ctx, struct rte_mbuf *m)
{
	struct net_link *l = ctx;
	struct rte_mbuf *seg;

	for (seg = m; seg != NULL; seg = seg->next)
		if (ys_mbuf_meta(seg, g_meta)->owner != l->owner.owner)
			l->bad_tags++;
	if (l->n_sent == NET_MAX_SENT || (l->cap && l->n_sent == l->cap)) {
		ys_mbuf_free(&l->owner, m);
		return -ENOBUFS;
	}
	ys_mbuf_release(&l->owner, m);
	l->sent[l->n_sent++] = m;
	return 0;
}

struct net_fx {
	struct ys_stack st;
	struct ys_stack_stats stats;
	struct net_link link;
	unsigned int pool_start; /* in use when the test began */
};

/* Two interfaces as the comment above OUR_IP says; no gateway, no
 * routes, no static entries, default ARP tunables. */
static inline void net_conf(struct net_fx *fx, struct ys_stack_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->n_ifaces = 2;
	conf->ifaces[0].port_id = 0;
	memcpy(conf->ifaces[0].mac.addr_bytes, mac0, 6);
	conf->ifaces[0].n_addrs = 2;
	conf->ifaces[0].addrs[0] = BE(OUR_IP);
	conf->ifaces[0].prefix_lens[0] = 24;
	conf->ifaces[0].addrs[1] = BE(OUR_IP2);
	conf->ifaces[0].prefix_lens[1] = 24;
	conf->ifaces[1].port_id = 1;
	memcpy(conf->ifaces[1].mac.addr_bytes, mac1, 6);
	conf->ifaces[1].n_addrs = 1;
	conf->ifaces[1].addrs[0] = BE(OUR_IP1);
	conf->ifaces[1].prefix_lens[0] = 24;
	conf->pool = g_pool;
	conf->tx = net_tx;
	conf->tx_ctx = &fx->link;
	conf->stats = &fx->stats;
	conf->owner.offset = g_meta;
	conf->owner.owner = NET_OWNER;
}

static inline void net_init(struct net_fx *fx, const struct ys_stack_conf *conf)
{
	assert_int_equal(ys_stack_init(&fx->st, conf), 0);
}

/* Frees what the link captured. */
static inline void net_flush(struct net_fx *fx)
{
	unsigned int i;

	for (i = 0; i < fx->link.n_sent; i++)
		rte_pktmbuf_free(fx->link.sent[i]);
	fx->link.n_sent = 0;
}

static inline int net_setup(void **state)
{
	struct net_fx *fx = calloc(1, sizeof(*fx));
	struct ys_stack_conf conf;

	if (fx == NULL)
		return -1;
	fx->link.owner.offset = g_meta;
	fx->link.owner.owner = NET_OWNER;
	fx->pool_start = rte_mempool_in_use_count(g_pool);
	net_conf(fx, &conf);
	net_init(fx, &conf);
	*state = fx;
	return 0;
}

/* Every test ends with the pool as it found it, and no frame untagged. */
static inline int net_teardown(void **state)
{
	struct net_fx *fx = *state;

	net_flush(fx);
	ys_stack_fini(&fx->st);
	assert_int_equal(rte_mempool_in_use_count(g_pool), fx->pool_start);
	assert_int_equal(fx->link.bad_tags, 0);
	free(fx);
	return 0;
}

static inline int net_group_setup(const char *name)
{
	if (ys_test_eal_init(name) != 0)
		return -1;
	g_meta = ys_test_register_meta();
	if (g_meta < 0)
		return -1;
	/* No per-lcore cache, so that in-use counts are exact. */
	g_pool = rte_pktmbuf_pool_create(name, NET_POOL_SIZE, 0, 0,
	                                 RTE_MBUF_DEFAULT_BUF_SIZE,
	                                 SOCKET_ID_ANY);
	return g_pool == NULL ? -1 : 0;
}

static inline int net_group_teardown(void **state)
{
	(void)state;
	rte_mempool_free(g_pool);
	ys_test_eal_fini();
	return 0;
}

/* ---- bytes -------------------------------------------------------------- */

/* RFC 1071 checksum, written independently of DPDK's. */
static inline uint16_t net_cksum(const uint8_t *p, size_t n)
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

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* An Ethernet/IPv4 ARP frame of 42 bytes (op 1 request, 2 reply). */
static inline size_t arp_frame(uint8_t *f, uint16_t op, const uint8_t *eth_dst,
                               const uint8_t *eth_src, const uint8_t *sha,
                               uint32_t sip, const uint8_t *tha, uint32_t tip)
{
	memcpy(f, eth_dst, 6);
	memcpy(f + 6, eth_src, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, op);
	memcpy(f + 22, sha, 6);
	put32(f + 28, sip);
	memcpy(f + 32, tha, 6);
	put32(f + 38, tip);
	return 42;
}

/*
 * An IPv4 datagram of `dlen` data bytes (protocol 17, a pattern) from src
 * to dst with identification id and DF as given: from its IPv4 header
 * when eth_dst is NULL, else in an Ethernet frame from eth_src to eth_dst
 * with the header checksum computed (what the link must receive).
 */
static inline size_t ip_frame(uint8_t *f, const uint8_t *eth_dst,
                              const uint8_t *eth_src, uint32_t src,
                              uint32_t dst, uint16_t id, size_t dlen, bool df)
{
	uint8_t *ip = f;
	size_t i;

	if (eth_dst != NULL) {
		memcpy(f, eth_dst, 6);
		memcpy(f + 6, eth_src, 6);
		put16(f + 12, 0x0800);
		ip = f + 14;
	}
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(20 + dlen));
	put16(ip + 4, id);
	put16(ip + 6, df ? 0x4000 : 0);
	ip[8] = 64;
	ip[9] = 17;
	put16(ip + 10, 0);
	put32(ip + 12, src);
	put32(ip + 16, dst);
	if (eth_dst != NULL)
		put16(ip + 10, net_cksum(ip, 20));
	for (i = 0; i < dlen; i++)
		ip[20 + i] = (uint8_t)(i * 7 + id);
	return (size_t)(ip - f) + 20 + dlen;
}

/* ---- mbufs in, frames out ----------------------------------------------- */

/* An mbuf holding f (tagged ours, as the primary hands frames over). */
static inline struct rte_mbuf *net_mbuf(const uint8_t *f, size_t len,
                                        uint16_t port)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g_pool);
	char *d;

	assert_non_null(m);
	d = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(d);
	memcpy(d, f, len);
	m->port = port;
	ys_mbuf_claim(
	        &(struct ys_mbuf_owner){.offset = g_meta, .owner = NET_OWNER},
	        m);
	return m;
}

/* Hands the frame f to the stack as received on `port`. */
static inline void net_rx(struct net_fx *fx, const uint8_t *f, size_t len,
                          uint16_t port, uint32_t flags)
{
	ys_stack_input(&fx->st, net_mbuf(f, len, port), flags);
}

/* ARP from a peer: (op, eth dst, sha == eth src, sip, tip). */
static inline void net_rx_arp(struct net_fx *fx, uint16_t port, uint16_t op,
                              const uint8_t *eth_dst, const uint8_t *sha,
                              uint32_t sip, uint32_t tip, uint32_t flags)
{
	uint8_t f[64];
	size_t len = arp_frame(f, op, eth_dst, sha, sha, sip,
	                       op == 2 ? eth_dst : zero6, tip);

	net_rx(fx, f, len, port, flags);
}

/* A datagram for ys_stack_ip_output() (addresses in host order, src may
 * be 0). Returns its rc. */
static inline int net_send(struct net_fx *fx, uint32_t src, uint32_t dst,
                           uint16_t id, size_t dlen)
{
	static uint8_t f[NET_FRAME_MAX * 8];
	size_t len = ip_frame(f, NULL, NULL, src, dst, id, dlen, false);
	struct rte_mbuf *m;

	if (len <= NET_FRAME_MAX - RTE_PKTMBUF_HEADROOM)
		return ys_stack_ip_output(&fx->st, net_mbuf(f, len, 0));
	/* Larger than one mbuf: the header segment, then the data. */
	m = net_mbuf(f, 20, 0);
	for (size_t off = 20; off < len; off += 1024) {
		size_t n = len - off < 1024 ? len - off : 1024;

		assert_int_equal(rte_pktmbuf_chain(m, net_mbuf(f + off, n, 0)),
		                 0);
	}
	return ys_stack_ip_output(&fx->st, m);
}

/* Frame idx sent is exactly `want` (len bytes), on `port`. */
static inline void net_check_sent(const struct net_fx *fx, unsigned int idx,
                                  const uint8_t *want, size_t len,
                                  uint16_t port)
{
	static uint8_t buf[NET_FRAME_MAX * 8];
	const struct rte_mbuf *m;
	const void *p;

	assert_true(idx < fx->link.n_sent);
	m = fx->link.sent[idx];
	assert_int_equal(rte_pktmbuf_pkt_len(m), len);
	p = rte_pktmbuf_read(m, 0, (uint32_t)len, buf);
	assert_non_null(p);
	assert_memory_equal(p, want, len);
	assert_int_equal(m->port, port);
}

/* Frame idx is the broadcast (or, with `to`, unicast) ARP request from
 * interface mac `from` for tip, asked by sip. */
static inline void net_check_request(const struct net_fx *fx, unsigned int idx,
                                     const uint8_t *from, uint32_t sip,
                                     uint32_t tip, const uint8_t *to,
                                     uint16_t port)
{
	uint8_t want[64];
	size_t len = arp_frame(want, 1, to ? to : bcast, from, from, sip, zero6,
	                       tip);

	net_check_sent(fx, idx, want, len, port);
}

/* Frame idx is the datagram (src, dst, id, dlen) from mac `from` to `to`. */
static inline void net_check_datagram(const struct net_fx *fx, unsigned int idx,
                                      const uint8_t *to, const uint8_t *from,
                                      uint32_t src, uint32_t dst, uint16_t id,
                                      size_t dlen, uint16_t port)
{
	static uint8_t want[NET_FRAME_MAX];
	size_t len = ip_frame(want, to, from, src, dst, id, dlen, false);

	net_check_sent(fx, idx, want, len, port);
}

/* ---- counters ----------------------------------------------------------- */

static inline void net_check_stats(const struct ys_stack_stats *got,
                                   const struct ys_stack_stats *want)
{
	ys_test_check_stack_stats(got, want);
}

/* ---- the ARP cache as an operator sees it ------------------------------- */

struct arp_dump {
	unsigned int n;
	struct ys_arp_entry_info e[256];
};

static inline void dump_one(void *ctx, const struct ys_arp_entry_info *e)
{
	struct arp_dump *d = ctx;

	assert_true(d->n < RTE_DIM(d->e));
	d->e[d->n++] = *e;
}

static inline void arp_dump(const struct net_fx *fx, struct arp_dump *d)
{
	memset(d, 0, sizeof(*d));
	ys_stack_arp_foreach(&fx->st, dump_one, d);
}

/* The entry for ip (host order) on port, or NULL. */
static inline const struct ys_arp_entry_info *
arp_get(const struct net_fx *fx, uint32_t ip, uint16_t port)
{
	static struct arp_dump d;
	unsigned int i;

	arp_dump(fx, &d);
	for (i = 0; i < d.n; i++)
		if (d.e[i].ip == BE(ip) && d.e[i].port_id == port)
			return &d.e[i];
	return NULL;
}

/* Checks the entry for ip on port: state, MAC (NULL: none), age, queue. */
static inline void arp_expect(const struct net_fx *fx, uint32_t ip,
                              uint16_t port, enum ys_arp_state state,
                              const uint8_t *mac, uint64_t age_ms,
                              uint32_t queued)
{
	const struct ys_arp_entry_info *e = arp_get(fx, ip, port);

	assert_non_null(e);
	assert_string_equal(ys_arp_state_str(e->state),
	                    ys_arp_state_str(state));
	assert_int_equal(e->has_mac, mac != NULL);
	if (mac != NULL)
		assert_memory_equal(e->mac.addr_bytes, mac, 6);
	assert_int_equal(e->age_ms, age_ms);
	assert_int_equal(e->queued, queued);
}

static inline unsigned int arp_count(const struct net_fx *fx)
{
	static struct arp_dump d;

	arp_dump(fx, &d);
	return d.n;
}

#endif /* YS_TEST_NET_H */
