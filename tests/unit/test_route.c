/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the routing table (proto/ys_route.c) and the IPv4 output
 * path (ys_stack_ip_output): connected, static and default routes, the
 * longest prefix winning, next hops resolved with ARP, every refusal
 * counted, the configuration checks with their exact messages, and a
 * live reconfiguration that changes everything or nothing. Frames are
 * compared byte for byte (ys_test_net.h); every test ends with the pool
 * as it found it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ys_test_net.h"

#define GW0  IP4(10, 0, 0, 254)
#define GW1  IP4(192, 168, 1, 254)
#define VIA1 IP4(10, 0, 1, 9)     /* 198.18.4.0/24 */
#define VIA2 IP4(192, 168, 1, 20) /* 198.18.0.0/16 */
#define VIA3 IP4(10, 0, 0, 7)     /* 198.18.4.128/25, 192.168.1.0/24 */
#define NET4 IP4(198, 18, 4, 0)

static const uint8_t gw_mac[6] = {0x02, 0, 0, 0, 0, 0x77};

static void add_route(struct ys_stack_conf *conf, uint32_t prefix, uint8_t len,
                      uint32_t via)
{
	struct ys_stack_route *r = &conf->routes[conf->n_routes++];

	r->prefix = BE(prefix);
	r->prefix_len = len;
	r->via = BE(via);
}

/* net_conf() with a gateway on each interface and four static routes,
 * one of them shadowed by a connected prefix. */
static void route_conf(struct net_fx *fx, struct ys_stack_conf *conf)
{
	net_conf(fx, conf);
	conf->ifaces[0].gateway = BE(GW0);
	conf->ifaces[1].gateway = BE(GW1);
	add_route(conf, NET4, 24, VIA1);
	add_route(conf, IP4(198, 18, 0, 0), 16, VIA2);
	add_route(conf, IP4(198, 18, 4, 128), 25, VIA3);
	add_route(conf, IP4(192, 168, 1, 0), 24, VIA3);
}

static void reinit(struct net_fx *fx, const struct ys_stack_conf *conf)
{
	net_flush(fx);
	ys_stack_fini(&fx->st);
	memset(&fx->stats, 0, sizeof(fx->stats));
	net_init(fx, conf);
}

static int route_setup(void **state)
{
	struct net_fx *fx;
	struct ys_stack_conf conf;

	if (net_setup(state) != 0)
		return -1;
	fx = *state;
	route_conf(fx, &conf);
	reinit(fx, &conf);
	return 0;
}

/* ---- the table ---------------------------------------------------------- */

struct route_dump {
	unsigned int n;
	struct ys_route_info r[64];
};

static void route_one(void *ctx, const struct ys_route_info *r)
{
	struct route_dump *d = ctx;

	assert_true(d->n < RTE_DIM(d->r));
	d->r[d->n++] = *r;
}

static void route_dump(const struct net_fx *fx, struct route_dump *d)
{
	memset(d, 0, sizeof(*d));
	ys_stack_route_foreach(&fx->st, route_one, d);
}

static void expect_route(const struct route_dump *d, unsigned int i,
                         enum ys_route_source source, uint32_t prefix,
                         uint8_t len, uint32_t via, uint16_t port, uint32_t src)
{
	assert_true(i < d->n);
	assert_string_equal(ys_route_source_str(d->r[i].source),
	                    ys_route_source_str(source));
	assert_int_equal(d->r[i].prefix, BE(prefix));
	assert_int_equal(d->r[i].prefix_len, len);
	assert_int_equal(d->r[i].via, BE(via));
	assert_int_equal(d->r[i].port_id, port);
	assert_int_equal(d->r[i].src, BE(src));
}

static void test_dump(void **state)
{
	struct net_fx *fx = *state;
	struct route_dump d;

	route_dump(fx, &d);
	assert_int_equal(d.n, 9);
	expect_route(&d, 0, YS_ROUTE_CONNECTED, IP4(10, 0, 0, 0), 24, 0, 0,
	             OUR_IP);
	expect_route(&d, 1, YS_ROUTE_CONNECTED, IP4(10, 0, 1, 0), 24, 0, 0,
	             OUR_IP2);
	expect_route(&d, 2, YS_ROUTE_CONNECTED, IP4(192, 168, 1, 0), 24, 0, 1,
	             OUR_IP1);
	expect_route(&d, 3, YS_ROUTE_STATIC, NET4, 24, VIA1, 0, OUR_IP2);
	expect_route(&d, 4, YS_ROUTE_STATIC, IP4(198, 18, 0, 0), 16, VIA2, 1,
	             OUR_IP1);
	expect_route(&d, 5, YS_ROUTE_STATIC, IP4(198, 18, 4, 128), 25, VIA3, 0,
	             OUR_IP);
	expect_route(&d, 6, YS_ROUTE_STATIC, IP4(192, 168, 1, 0), 24, VIA3, 0,
	             OUR_IP);
	expect_route(&d, 7, YS_ROUTE_DEFAULT, 0, 0, GW0, 0, OUR_IP);
	expect_route(&d, 8, YS_ROUTE_DEFAULT, 0, 0, GW1, 1, OUR_IP1);
}

static void expect_lookup(const struct net_fx *fx, uint32_t dst,
                          enum ys_route_source source, uint32_t next_hop,
                          uint16_t port, uint32_t src)
{
	struct ys_route_result r;

	assert_int_equal(ys_stack_route_lookup(&fx->st, BE(dst), &r), 0);
	assert_string_equal(ys_route_source_str(r.source),
	                    ys_route_source_str(source));
	assert_int_equal(r.next_hop, BE(next_hop));
	assert_int_equal(r.port_id, port);
	assert_int_equal(r.iface, port); /* interface i is on port i here */
	assert_int_equal(r.src, BE(src));
}

/* RFC 1812 5.2.4.3: the longest matching prefix wins; of equal ones, the
 * first listed (connected before static before default). */
static void test_longest_prefix(void **state)
{
	struct net_fx *fx = *state;
	struct ys_route_result r;

	expect_lookup(fx, IP4(198, 18, 4, 200), YS_ROUTE_STATIC, VIA3, 0,
	              OUR_IP);
	expect_lookup(fx, IP4(198, 18, 4, 128), YS_ROUTE_STATIC, VIA3, 0,
	              OUR_IP);
	expect_lookup(fx, IP4(198, 18, 4, 127), YS_ROUTE_STATIC, VIA1, 0,
	              OUR_IP2);
	expect_lookup(fx, IP4(198, 18, 4, 0), YS_ROUTE_STATIC, VIA1, 0,
	              OUR_IP2);
	expect_lookup(fx, IP4(198, 18, 5, 0), YS_ROUTE_STATIC, VIA2, 1,
	              OUR_IP1);
	expect_lookup(fx, IP4(198, 18, 255, 255), YS_ROUTE_STATIC, VIA2, 1,
	              OUR_IP1);
	expect_lookup(fx, IP4(198, 19, 0, 1), YS_ROUTE_DEFAULT, GW0, 0, OUR_IP);
	expect_lookup(fx, IP4(10, 0, 1, 77), YS_ROUTE_CONNECTED,
	              IP4(10, 0, 1, 77), 0, OUR_IP2);
	expect_lookup(fx, IP4(10, 0, 0, 2), YS_ROUTE_CONNECTED,
	              IP4(10, 0, 0, 2), 0, OUR_IP);
	expect_lookup(fx, IP4(192, 168, 1, 50), YS_ROUTE_CONNECTED,
	              IP4(192, 168, 1, 50), 1, OUR_IP1);
	expect_lookup(fx, IP4(8, 8, 8, 8), YS_ROUTE_DEFAULT, GW0, 0, OUR_IP);
	expect_lookup(fx, IP4(255, 255, 255, 255), YS_ROUTE_DEFAULT, GW0, 0,
	              OUR_IP);

	/* No default: off-link destinations have no route. */
	{
		struct ys_stack_conf conf;

		net_conf(fx, &conf);
		reinit(fx, &conf);
		assert_int_equal(
		        ys_stack_route_lookup(&fx->st, BE(IP4(8, 8, 8, 8)), &r),
		        -ENETUNREACH);
		expect_lookup(fx, IP4(10, 0, 0, 99), YS_ROUTE_CONNECTED,
		              IP4(10, 0, 0, 99), 0, OUR_IP);
	}
}

/* /32 and /0 prefixes, and host routes next to their network. */
static void test_prefix_edges(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_conf conf;

	net_conf(fx, &conf);
	add_route(&conf, IP4(198, 18, 7, 7), 32, VIA3);
	add_route(&conf, IP4(198, 18, 7, 0), 24, VIA1);
	add_route(&conf, 0, 0, IP4(192, 168, 1, 30));
	reinit(fx, &conf);
	expect_lookup(fx, IP4(198, 18, 7, 7), YS_ROUTE_STATIC, VIA3, 0, OUR_IP);
	expect_lookup(fx, IP4(198, 18, 7, 6), YS_ROUTE_STATIC, VIA1, 0,
	              OUR_IP2);
	expect_lookup(fx, IP4(198, 18, 7, 8), YS_ROUTE_STATIC, VIA1, 0,
	              OUR_IP2);
	expect_lookup(fx, IP4(1, 2, 3, 4), YS_ROUTE_STATIC,
	              IP4(192, 168, 1, 30), 1, OUR_IP1);
}

/* ---- output through routes ---------------------------------------------- */

/* Resolves the next hop with ARP, then sends the datagram to its MAC. */
static void send_via(struct net_fx *fx, uint32_t dst, uint32_t hop,
                     const uint8_t *hop_mac, const uint8_t *ifmac, uint32_t src,
                     uint16_t port)
{
	net_flush(fx);
	assert_int_equal(net_send(fx, 0, dst, 9, 33), 0);
	assert_int_equal(fx->link.n_sent, 1);
	net_check_request(fx, 0, ifmac, src, hop, NULL, port);
	net_rx_arp(fx, port, 2, ifmac, hop_mac, hop, src, 0);
	assert_int_equal(fx->link.n_sent, 2);
	net_check_datagram(fx, 1, hop_mac, ifmac, src, dst, 9, 33, port);
}

static void test_output_via(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};

	/* Static: ARP asks for the gateway, never the destination. */
	send_via(fx, IP4(198, 18, 4, 5), VIA1, peer_mac, mac0, OUR_IP2, 0);
	/* Static on the other port. */
	send_via(fx, IP4(198, 18, 200, 1), VIA2, peer_mac2, mac1, OUR_IP1, 1);
	/* Default route. */
	send_via(fx, IP4(8, 8, 8, 8), GW0, gw_mac, mac0, OUR_IP, 0);
	/* On link: the destination itself. */
	send_via(fx, PEER_IP, PEER_IP, peer_mac, mac0, OUR_IP, 0);
	w.ip_out_requests = 4;
	w.arp_queued = 4;
	w.arp_requests_sent = 4;
	w.eth_tx = 8;
	w.eth_rx = 4;
	w.arp_rx = 4;
	w.arp_replies_received = 4;
	w.arp_entries_learned = 4;
	net_check_stats(&fx->stats, &w);

	/* The gateway resolved once serves every destination behind it. */
	net_flush(fx);
	assert_int_equal(net_send(fx, 0, IP4(9, 9, 9, 9), 10, 5), 0);
	net_check_datagram(fx, 0, gw_mac, mac0, OUR_IP, IP4(9, 9, 9, 9), 10, 5,
	                   0);
}

static void test_no_route(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_conf conf;
	struct ys_stack_stats w = {0};

	net_conf(fx, &conf);
	reinit(fx, &conf);
	assert_int_equal(net_send(fx, 0, IP4(8, 8, 8, 8), 1, 10), -ENETUNREACH);
	assert_int_equal(net_send(fx, 0, IP4(198, 18, 4, 5), 2, 10),
	                 -ENETUNREACH);
	assert_int_equal(fx->link.n_sent, 0);
	assert_int_equal(arp_count(fx), 0);
	w.ip_out_requests = 2;
	w.drops[YS_STACK_DROP_ip_no_route] = 2;
	net_check_stats(&fx->stats, &w);
}

/* Our own addresses, broadcasts, multicast, 0/8, 127/8: refused before
 * any ARP request could ask for them. */
static void test_bad_destinations(void **state)
{
	struct net_fx *fx = *state;
	static const uint32_t bad[] = {
	        OUR_IP,
	        OUR_IP2,
	        OUR_IP1,
	        IP4(255, 255, 255, 255),
	        IP4(10, 0, 0, 255),
	        IP4(10, 0, 1, 255),
	        IP4(224, 0, 0, 1),
	        IP4(240, 0, 0, 1),
	        IP4(127, 0, 0, 1),
	        IP4(0, 1, 2, 3),
	};
	struct ys_stack_stats w = {0};

	for (size_t i = 0; i < RTE_DIM(bad); i++)
		assert_int_equal(net_send(fx, 0, bad[i], 1, 10), -EINVAL);
	assert_int_equal(fx->link.n_sent, 0);
	assert_int_equal(arp_count(fx), 0);
	w.ip_out_requests = RTE_DIM(bad);
	w.drops[YS_STACK_DROP_ip_out_bad_dst] = RTE_DIM(bad);
	net_check_stats(&fx->stats, &w);
}

/* An mbuf for ys_stack_ip_output() with `headroom` bytes in front. */
static struct rte_mbuf *raw_mbuf(const uint8_t *f, size_t len,
                                 uint16_t headroom)
{
	struct rte_mbuf *m = net_mbuf(f, 0, 0);

	m->data_off = headroom;
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), f, len);
	return m;
}

static void test_output_malformed(void **state)
{
	struct net_fx *fx = *state;
	uint8_t f[128];
	size_t len;
	struct rte_mbuf *m, *clone;
	unsigned int n = 0;

	len = ip_frame(f, NULL, NULL, 0, PEER_IP, 1, 40, false);
	/* No room for the Ethernet header. */
	m = raw_mbuf(f, len, 13);
	assert_int_equal(ys_stack_ip_output(&fx->st, m), -EINVAL);
	n++;
	/* Shared data. */
	m = net_mbuf(f, len, 0);
	clone = rte_pktmbuf_clone(m, g_pool);
	assert_non_null(clone);
	assert_int_equal(ys_stack_ip_output(&fx->st, clone), -EINVAL);
	n++;
	assert_int_equal(rte_mbuf_refcnt_read(m), 1);
	rte_pktmbuf_free(m);
	/* Version 6, IHL 4, Total Length off by one either way. */
	f[0] = 0x65;
	assert_int_equal(ys_stack_ip_output(&fx->st, net_mbuf(f, len, 0)),
	                 -EINVAL);
	f[0] = 0x44;
	assert_int_equal(ys_stack_ip_output(&fx->st, net_mbuf(f, len, 0)),
	                 -EINVAL);
	f[0] = 0x45;
	put16(f + 2, (uint16_t)(len + 1));
	assert_int_equal(ys_stack_ip_output(&fx->st, net_mbuf(f, len, 0)),
	                 -EINVAL);
	put16(f + 2, (uint16_t)(len - 1));
	assert_int_equal(ys_stack_ip_output(&fx->st, net_mbuf(f, len, 0)),
	                 -EINVAL);
	n += 4;
	/* The header split across segments. */
	put16(f + 2, (uint16_t)len);
	m = net_mbuf(f, 10, 0);
	assert_int_equal(rte_pktmbuf_chain(m, net_mbuf(f + 10, len - 10, 0)),
	                 0);
	assert_int_equal(ys_stack_ip_output(&fx->st, m), -EINVAL);
	n++;
	/* Exactly 14 bytes of headroom is enough. */
	assert_int_equal(ys_stack_ip_output(&fx->st, raw_mbuf(f, len, 14)), 0);
	assert_int_equal(fx->stats.drops[YS_STACK_DROP_ip_out_malformed], n);
	assert_int_equal(fx->stats.ip_out_requests, n + 1);
	assert_int_equal(fx->link.n_sent, 1); /* the ARP request */
}

/* A datagram over the MTU waits whole and leaves in fragments (RFC 791
 * 3.2); with DF set it is dropped once it can be sent. */
static void test_output_fragmented(void **state)
{
	struct net_fx *fx = *state;
	static uint8_t f[2048], buf[2048];
	struct ys_stack_conf conf;
	size_t len, pos = 0;
	unsigned int i;

	route_conf(fx, &conf);
	conf.ifaces[0].mtu = 576;
	reinit(fx, &conf);
	assert_int_equal(net_send(fx, 0, PEER_IP, 0x42, 1400), 0);
	net_rx_arp(fx, 0, 2, mac0, peer_mac, PEER_IP, OUR_IP, 0);
	/* (576 - 20) / 8 * 8 = 552 bytes a fragment: 552 + 552 + 296. */
	assert_int_equal(fx->link.n_sent, 4);
	assert_int_equal(fx->stats.ip_frag_out_datagrams, 1);
	assert_int_equal(fx->stats.ip_frag_created, 3);
	len = ip_frame(f, peer_mac, mac0, OUR_IP, PEER_IP, 0x42, 1400, false);
	for (i = 1; i < 4; i++) {
		const struct rte_mbuf *m = fx->link.sent[i];
		const uint8_t *p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
		size_t dlen = i < 3 ? 552 : 296;

		assert_int_equal(m->pkt_len, 14 + 20 + dlen);
		assert_memory_equal(p, f, 14); /* to the resolved MAC */
		assert_int_equal(p[14 + 6] << 8 | p[14 + 7],
		                 (i < 3 ? 0x2000 : 0) | pos / 8);
		assert_int_equal(net_cksum(p + 14, 20), 0);
		assert_memory_equal(p + 34, f + 34 + pos, dlen);
		pos += dlen;
	}
	assert_int_equal(pos, len - 34);

	/* DF: refused before resolution, the path MTU being known. */
	net_flush(fx);
	len = ip_frame(f, NULL, NULL, OUR_IP, PEER_IP, 0x43, 1000, true);
	assert_int_equal(ys_stack_ip_output(&fx->st, net_mbuf(f, len, 0)),
	                 -EMSGSIZE);
	assert_int_equal(fx->stats.drops[YS_STACK_DROP_ip_frag_df_set], 1);
	assert_int_equal(fx->link.n_sent, 0);
}

/* ---- configuration checks ----------------------------------------------- */

/* conf must be refused by the validator with exactly `msg`, and by init. */
static void expect_invalid(struct net_fx *fx, const struct ys_stack_conf *conf,
                           const char *msg)
{
	struct ys_stack st;
	char err[256];

	memset(err, 'x', sizeof(err));
	assert_int_equal(ys_stack_validate_conf(conf, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, msg);
	assert_int_equal(ys_stack_validate_conf(conf, NULL, 0), -EINVAL);
	assert_int_equal(ys_stack_init(&st, conf), -EINVAL);
	(void)fx;
}

static void test_validate_routes(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_conf conf;
	char err[256];

	route_conf(fx, &conf);
	assert_int_equal(ys_stack_validate_conf(&conf, err, sizeof(err)), 0);
	assert_string_equal(err, "");

	route_conf(fx, &conf);
	conf.routes[1].via = BE(IP4(172, 16, 0, 1));
	expect_invalid(fx, &conf,
	               "static_routes[1].via: 172.16.0.1 is not on a "
	               "connected prefix");
	route_conf(fx, &conf);
	conf.routes[0].via = BE(OUR_IP1);
	expect_invalid(fx, &conf,
	               "static_routes[0].via: 192.168.1.1 is one of our "
	               "addresses");
	route_conf(fx, &conf);
	conf.routes[0].prefix = BE(IP4(198, 18, 4, 1));
	expect_invalid(fx, &conf,
	               "static_routes[0].prefix: 198.18.4.1/24 has host bits "
	               "set");
	route_conf(fx, &conf);
	conf.routes[2].prefix_len = 33;
	expect_invalid(fx, &conf,
	               "static_routes[2].prefix: length must be at most 32");
	route_conf(fx, &conf);
	conf.routes[3] = conf.routes[0];
	conf.routes[3].via = BE(VIA3);
	expect_invalid(fx, &conf,
	               "static_routes[3].prefix: duplicates static_routes[0]");
	route_conf(fx, &conf);
	conf.routes[0].via = 0;
	expect_invalid(fx, &conf, "static_routes[0].via: required");
	route_conf(fx, &conf);
	conf.n_routes = YS_STACK_MAX_ROUTES + 1;
	expect_invalid(fx, &conf,
	               "static_routes: must have at most 64 entries");
	route_conf(fx, &conf);
	conf.ifaces[1].gateway = BE(GW0);
	expect_invalid(fx, &conf,
	               "interfaces[1].gateway: 10.0.0.254 is not on the "
	               "interface's prefixes");
	route_conf(fx, &conf);
	conf.ifaces[0].gateway = BE(OUR_IP2);
	expect_invalid(fx, &conf,
	               "interfaces[0].gateway: 10.0.1.1 is one of our "
	               "addresses");

	/* The limits themselves. */
	net_conf(fx, &conf);
	conf.ifaces[0].prefix_lens[0] = 8;
	for (uint32_t i = 0; i < YS_STACK_MAX_ROUTES; i++)
		add_route(&conf, IP4(198, 18, i, 0), 24, VIA3);
	assert_int_equal(ys_stack_validate_conf(&conf, NULL, 0), 0);
}

static void test_validate_arp_and_ifaces(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_conf conf, base;
	static const uint8_t smac[6] = {0x02, 0, 0, 0, 0, 0x55};

	net_conf(fx, &base);
	base.n_static_arp = 1;
	base.static_arp[0].ip = BE(IP4(10, 0, 0, 9));
	memcpy(base.static_arp[0].mac.addr_bytes, smac, 6);
	assert_int_equal(ys_stack_validate_conf(&base, NULL, 0), 0);

	conf = base;
	conf.static_arp[0].iface = 2;
	expect_invalid(fx, &conf, "arp.entries[0].interface: no interface 2");
	conf = base;
	conf.static_arp[0].iface = 1;
	expect_invalid(fx, &conf,
	               "arp.entries[0].ip: 10.0.0.9 is not a host on the "
	               "prefixes of interfaces[1]");
	conf = base;
	conf.static_arp[0].ip = BE(IP4(10, 0, 0, 255));
	expect_invalid(fx, &conf,
	               "arp.entries[0].ip: 10.0.0.255 is not a host on the "
	               "prefixes of interfaces[0]");
	conf = base;
	conf.static_arp[0].ip = BE(OUR_IP2);
	expect_invalid(fx, &conf,
	               "arp.entries[0].ip: 10.0.1.1 is one of our addresses");
	conf = base;
	memset(conf.static_arp[0].mac.addr_bytes, 0, 6);
	expect_invalid(fx, &conf,
	               "arp.entries[0].mac: must be a unicast address, not "
	               "all zeros");
	conf.static_arp[0].mac.addr_bytes[0] = 0x01;
	expect_invalid(fx, &conf,
	               "arp.entries[0].mac: must be a unicast address, not "
	               "all zeros");
	conf = base;
	conf.n_static_arp = 2;
	conf.static_arp[1] = conf.static_arp[0];
	expect_invalid(fx, &conf,
	               "arp.entries[1].ip: duplicates arp.entries[0]");
	conf = base;
	conf.n_static_arp = YS_STACK_MAX_STATIC_ARP + 1;
	expect_invalid(fx, &conf, "arp.entries: must have at most 64 entries");
	conf = base;
	conf.arp.cache_size = YS_ARP_MAX_CACHE_SIZE + 1;
	expect_invalid(fx, &conf, "arp.cache_size: must be at most 1048576");
	conf = base;
	conf.arp.retries = 101;
	expect_invalid(fx, &conf, "arp.retries: must be at most 100");
	conf = base;
	conf.arp.queue_per_entry = 1025;
	expect_invalid(fx, &conf, "arp.queue_per_entry: must be at most 1024");
	conf = base;
	conf.arp.queue_total = YS_ARP_MAX_QUEUE_TOTAL + 1;
	expect_invalid(fx, &conf, "arp.queue_total: must be at most 1048576");

	conf = base;
	conf.n_ifaces = 0;
	expect_invalid(fx, &conf,
	               "interfaces: must have between 1 and 8 entries");
	conf = base;
	conf.ifaces[1].n_addrs = 0;
	expect_invalid(fx, &conf,
	               "interfaces[1].address: must have between 1 and 8 "
	               "entries");
	conf = base;
	conf.ifaces[0].prefix_lens[1] = 33;
	expect_invalid(fx, &conf,
	               "interfaces[0].address[1]: prefix length must be at "
	               "most 32");
	conf = base;
	conf.ifaces[1].mtu = 67;
	expect_invalid(fx, &conf,
	               "interfaces[1].mtu: must be 0 or at least 68");
	conf = base;
	conf.stats = NULL;
	expect_invalid(fx, &conf, "stats: required");
	conf = base;
	conf.tx = NULL;
	expect_invalid(fx, &conf, "tx: required");
	{
		char err[64];

		assert_int_equal(ys_stack_validate_conf(NULL, err, sizeof(err)),
		                 -EINVAL);
		assert_string_equal(err, "no configuration");
	}
}

/* ---- reconfiguration ---------------------------------------------------- */

static void test_reconfigure_routes(void **state)
{
	struct net_fx *fx = *state;
	struct route_dump before, after;
	struct ys_stack_conf conf;

	route_dump(fx, &before);
	/* Invalid: the table is untouched. */
	route_conf(fx, &conf);
	conf.routes[0].via = BE(IP4(172, 16, 0, 1));
	conf.ifaces[0].gateway = 0;
	assert_int_equal(ys_stack_reconfigure(&fx->st, &conf), -EINVAL);
	route_dump(fx, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	expect_lookup(fx, IP4(8, 8, 8, 8), YS_ROUTE_DEFAULT, GW0, 0, OUR_IP);

	/* Valid: no gateway on interface 0, one static route, a new
	 * address on interface 1. */
	net_conf(fx, &conf);
	conf.ifaces[1].gateway = BE(GW1);
	conf.ifaces[1].n_addrs = 2;
	conf.ifaces[1].addrs[1] = BE(IP4(172, 16, 0, 2));
	conf.ifaces[1].prefix_lens[1] = 12;
	add_route(&conf, NET4, 24, IP4(172, 16, 0, 1));
	assert_int_equal(ys_stack_reconfigure(&fx->st, &conf), 0);
	route_dump(fx, &after);
	assert_int_equal(after.n, 6);
	expect_route(&after, 3, YS_ROUTE_CONNECTED, IP4(172, 16, 0, 0), 12, 0,
	             1, IP4(172, 16, 0, 2));
	expect_route(&after, 4, YS_ROUTE_STATIC, NET4, 24, IP4(172, 16, 0, 1),
	             1, IP4(172, 16, 0, 2));
	expect_route(&after, 5, YS_ROUTE_DEFAULT, 0, 0, GW1, 1, OUR_IP1);
	expect_lookup(fx, IP4(8, 8, 8, 8), YS_ROUTE_DEFAULT, GW1, 1, OUR_IP1);
	expect_lookup(fx, IP4(198, 18, 4, 200), YS_ROUTE_STATIC,
	              IP4(172, 16, 0, 1), 1, IP4(172, 16, 0, 2));
	/* Through the new route, out of port 1. */
	send_via(fx, IP4(198, 18, 4, 1), IP4(172, 16, 0, 1), gw_mac, mac1,
	         IP4(172, 16, 0, 2), 1);

	/* Not even NULL changes anything. */
	assert_int_equal(ys_stack_reconfigure(&fx->st, NULL), -EINVAL);
	assert_int_equal(ys_stack_reconfigure(NULL, &conf), -EINVAL);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ys_route_source_str(YS_ROUTE_CONNECTED),
	                    "connected");
	assert_string_equal(ys_route_source_str(YS_ROUTE_STATIC), "static");
	assert_string_equal(ys_route_source_str(YS_ROUTE_DEFAULT), "default");
	assert_string_equal(ys_route_source_str(YS_ROUTE_SOURCE_MAX),
	                    "unknown");
}

#define T(f) cmocka_unit_test_setup_teardown(f, route_setup, net_teardown)

static int group_setup(void **state)
{
	(void)state;
	return net_group_setup("test_route");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_dump),
	        T(test_longest_prefix),
	        T(test_prefix_edges),
	        T(test_output_via),
	        T(test_no_route),
	        T(test_bad_destinations),
	        T(test_output_malformed),
	        T(test_output_fragmented),
	        T(test_validate_routes),
	        T(test_validate_arp_and_ifaces),
	        T(test_reconfigure_routes),
	        T(test_names),
	};

	return cmocka_run_group_tests(tests, group_setup, net_group_teardown);
}
