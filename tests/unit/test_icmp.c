/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of ICMP (proto/ys_icmp.c: RFC 792, RFC 1122 3.2.2) and the
 * path MTU table (proto/ys_pmtu.c: RFC 1191): errors sent byte for byte
 * (quote length rules, the source address, through ARP), every case in
 * which one must not be sent, each counted, the token bucket exactly with
 * hand-ticked time, errors received counted by type, "fragmentation
 * needed" validated and applied to output (fragments, DF refusals, echo
 * replies), expiry and replacement. Frames and expected replies are built
 * byte by byte (ys_test_ip.h); every test ends with the pool's in-use
 * count where it started.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ys_test_net.h"

#include "ys_stack_pvt.h"
#include "ys_test_ip.h"

#define GW_IP   IP4(10, 0, 0, 254)   /* iface 0's gateway, a router */
#define FAR_IP  IP4(198, 51, 100, 7) /* off link, via GW_IP */
#define FAR_IP2 IP4(198, 51, 100, 8)

static const uint8_t gw_mac[6] = {0x02, 0, 0, 0, 0, 0xfe};

/* net_conf() plus iface 0's gateway and static ARP entries for the peer
 * and the gateway, so that errors and datagrams leave at once. */
static void icmp_conf(struct net_fx *fx, struct ys_stack_conf *conf)
{
	net_conf(fx, conf);
	conf->ifaces[0].gateway = BE(GW_IP);
	conf_static_arp(conf, PEER_IP, peer_mac, 0);
	conf_static_arp(conf, GW_IP, gw_mac, 0);
}

static int icmp_setup(void **state)
{
	struct ys_stack_conf conf;
	struct net_fx *fx;

	if (net_setup(state) != 0)
		return -1;
	fx = *state;
	icmp_conf(fx, &conf);
	net_reinit(fx, &conf);
	return 0;
}

static void check_pool(const struct net_fx *fx)
{
	assert_int_equal(rte_mempool_in_use_count(g_pool), fx->pool_start);
}

/* ---- frames ------------------------------------------------------------- */

/* A datagram of protocol 99 from the peer to OUR_IP with dlen pattern
 * bytes: one no one here handles. */
static struct ipv4_spec proto99(uint8_t *data, size_t dlen)
{
	struct ipv4_spec s = ipv4_spec_default();

	pattern(data, dlen, 5);
	s.proto = 99;
	s.payload = data;
	s.plen = dlen;
	return s;
}

/* The IPv4 header and 8 data bytes of a datagram (protocol 6, Total
 * Length tlen, flags frag) from src to dst: what an error quotes. */
static size_t quote(uint8_t *q, uint32_t src, uint32_t dst, uint16_t tlen,
                    uint16_t frag)
{
	static const uint8_t data[8] = {0x30, 0x39, 0x00, 0x50, 1, 2, 3, 4};
	struct ipv4_spec s = ipv4_spec_default();
	uint8_t f[64];
	size_t len;

	s.src = src;
	s.dst = dst;
	s.tlen = tlen;
	s.frag = frag;
	s.proto = 6;
	s.payload = data;
	s.plen = 8;
	len = ipv4_build(f, &s);
	memcpy(q, f + 14, len - 14);
	return len - 14;
}

/* An ICMP message from router `from` (MAC gw_mac) to OUR_IP. */
static size_t icmp_in(uint8_t *f, uint8_t type, uint8_t code, uint32_t rest,
                      const uint8_t *q, size_t qlen, uint32_t from)
{
	static uint8_t icmp[700];
	struct ipv4_spec s = ipv4_spec_default();

	s.src = from;
	s.eth_src = gw_mac;
	s.plen = icmp_build(icmp, type, code, rest, q, qlen);
	s.payload = icmp;
	return ipv4_build(f, &s);
}

/* A "fragmentation needed" (RFC 1191 4) from GW_IP with next-hop MTU
 * mtu, quoting a DF datagram of ours of 1500 bytes to dst. */
static size_t frag_needed(uint8_t *f, uint32_t dst, uint16_t mtu)
{
	uint8_t q[64];
	size_t qlen = quote(q, OUR_IP, dst, 1500, 0x4000);

	return icmp_in(f, 3, 4, mtu, q, qlen, GW_IP);
}

/* The counters of a frag-needed that got to the PMTU logic. */
static struct ys_stack_stats frag_needed_stats(void)
{
	struct ys_stack_stats w = {.eth_rx = 1,
	                           .ip_rx = 1,
	                           .icmp_rx = 1,
	                           .icmp_rx_dest_unreach = 1,
	                           .icmp_frag_needed_rx = 1};

	return w;
}

/* ---- errors sent -------------------------------------------------------- */

/* Sends the datagram s and checks the exact protocol unreachable. */
static void expect_unreach(struct net_fx *fx, const struct ipv4_spec *s,
                           uint32_t from)
{
	static uint8_t f[IP_FRAME_MAX], want[IP_FRAME_MAX];
	struct ys_stack_stats w = {.eth_rx = 1,
	                           .eth_tx = 1,
	                           .ip_rx = 1,
	                           .icmp_errors_sent = 1,
	                           .ip_out_requests = 1};
	size_t len = ipv4_build(f, s), wlen;
	uint16_t id = fx->st.ip_id;

	memset(&fx->stats, 0, sizeof(fx->stats));
	net_rx(fx, f, len, 0, 0);
	w.drops[YS_STACK_DROP_ip_unsupported_proto] = 1;
	w.ip_options_seen = s->optlen != 0;
	net_check_stats(&fx->stats, &w);
	wlen = icmp_error_build(want, peer_mac, mac0, -1, from, PEER_IP, id, 3,
	                        2, 0, f + 14, len - 14 - s->pad);
	assert_int_equal(fx->link.n_sent, 1);
	net_check_sent(fx, 0, want, wlen, 0);
	net_flush(fx);
	check_pool(fx);
}

static void test_unreach_quote(void **state)
{
	struct net_fx *fx = *state;
	static uint8_t data[4000];
	static const uint8_t rr[40] = {7, 39, 4};
	struct ipv4_spec s;

	/* Small: all of it, header, options and data. */
	s = proto99(data, 8);
	expect_unreach(fx, &s, OUR_IP);
	s = proto99(data, 100);
	s.opts = rr;
	s.optlen = sizeof(rr);
	expect_unreach(fx, &s, OUR_IP);
	/* Ethernet padding is not quoted. */
	s = proto99(data, 0);
	s.pad = 26;
	expect_unreach(fx, &s, OUR_IP);
	/* 548 bytes at most: a 576-byte error (RFC 1812 4.3.2.3). */
	s = proto99(data, 528);
	expect_unreach(fx, &s, OUR_IP);
	s = proto99(data, 529);
	expect_unreach(fx, &s, OUR_IP);
	s = proto99(data, 1480);
	expect_unreach(fx, &s, OUR_IP);
	assert_int_equal(fx->link.n_sent, 0);
	/* RFC 1122 3.2.2: from the address the datagram was sent to. */
	s = proto99(data, 20);
	s.dst = OUR_IP2;
	expect_unreach(fx, &s, OUR_IP2);
}

/* A reassembled datagram (a chain) is quoted across its segments. */
static void test_unreach_chain(void **state)
{
	struct net_fx *fx = *state;
	static uint8_t f[IP_FRAME_MAX], want[IP_FRAME_MAX], data[4000];
	struct ipv4_spec s = proto99(data, 3000);
	size_t len = ipv4_build(f, &s), wlen;
	struct rte_mbuf *m = net_mbuf(f, 40, 0);
	uint16_t id = fx->st.ip_id;

	assert_int_equal(rte_pktmbuf_chain(m, net_mbuf(f + 40, 301, 0)), 0);
	assert_int_equal(rte_pktmbuf_chain(m, net_mbuf(f + 341, 1500, 0)), 0);
	assert_int_equal(
	        rte_pktmbuf_chain(m, net_mbuf(f + 1841, len - 1841, 0)), 0);
	ys_stack_input(&fx->st, m, 0);
	wlen = icmp_error_build(want, peer_mac, mac0, -1, OUR_IP, PEER_IP, id,
	                        3, 2, 0, f + 14, len - 14);
	assert_int_equal(wlen, 14 + 576);
	assert_int_equal(fx->link.n_sent, 1);
	net_check_sent(fx, 0, want, wlen, 0);
	assert_int_equal(fx->stats.icmp_errors_sent, 1);
}

/* An error to a neighbour not yet resolved waits for ARP like any
 * datagram (ys_stack_ip_output). */
static void test_unreach_via_arp(void **state)
{
	struct net_fx *fx = *state;
	static uint8_t f[256], want[700], data[64];
	static const uint8_t mac9[6] = {0x02, 0, 0, 0, 0, 0x09};
	struct ipv4_spec s = proto99(data, 12);
	size_t len, wlen;
	uint16_t id = fx->st.ip_id;

	s.src = IP4(10, 0, 0, 9);
	s.eth_src = mac9;
	len = ipv4_build(f, &s);
	net_rx(fx, f, len, 0, 0);
	net_check_request(fx, 0, mac0, OUR_IP, IP4(10, 0, 0, 9), NULL, 0);
	assert_int_equal(fx->stats.arp_queued, 1);
	net_flush(fx);
	net_rx_arp(fx, 0, 2, mac0, mac9, IP4(10, 0, 0, 9), OUR_IP, 0);
	wlen = icmp_error_build(want, mac9, mac0, -1, OUR_IP, IP4(10, 0, 0, 9),
	                        id, 3, 2, 0, f + 14, len - 14);
	assert_int_equal(fx->link.n_sent, 1);
	net_check_sent(fx, 0, want, wlen, 0);
	assert_int_equal(fx->stats.icmp_errors_sent, 1);
}

/* The fragmentation needed error carries the next-hop MTU (RFC 1191 4),
 * port unreachable none. */
static void test_error_fields(void **state)
{
	struct net_fx *fx = *state;
	static uint8_t f[256], want[700], data[64];
	struct ipv4_spec s = proto99(data, 30);
	size_t len = ipv4_build(f, &s), wlen;
	struct rte_mbuf *m = net_mbuf(f, len, 0);
	uint16_t id = fx->st.ip_id;

	assert_int_equal(ys_icmp_send_error(&fx->st, m, 3, 4, 1280), 0);
	assert_int_equal(ys_icmp_send_error(&fx->st, m, 3, 3, 1280), 0);
	wlen = icmp_error_build(want, peer_mac, mac0, -1, OUR_IP, PEER_IP, id,
	                        3, 4, 1280, f + 14, len - 14);
	net_check_sent(fx, 0, want, wlen, 0);
	wlen = icmp_error_build(want, peer_mac, mac0, -1, OUR_IP, PEER_IP,
	                        (uint16_t)(id + 1), 3, 3, 0, f + 14, len - 14);
	net_check_sent(fx, 1, want, wlen, 0);
	ys_mbuf_free(&fx->link.owner, m);
}

/* ---- when no error may be sent (RFC 1122 3.2.2) ------------------------- */

enum sup {
	SENT,
	ABOUT_ERROR,
	ABOUT_BCAST,
	ABOUT_FRAGMENT,
	ABOUT_BAD_SRC,
};

struct sup_case {
	const char *name;
	const uint8_t *eth_dst; /* NULL: mac0 */
	uint32_t src, dst;      /* 0 dst: OUR_IP; src as given */
	uint16_t frag;
	uint8_t proto;
	int icmp_type; /* proto 1: the ICMP type; -1: no ICMP bytes */
	enum sup want;
};

static const uint8_t mcast_mac[6] = {0x01, 0x00, 0x5e, 0, 0, 9};

static const struct sup_case sup_cases[] = {
        {"about echo request", NULL, PEER_IP, 0, 0, 1, 8, SENT},
        {"about echo reply", NULL, PEER_IP, 0, 0, 1, 0, SENT},
        {"about timestamp", NULL, PEER_IP, 0, 0, 1, 13, SENT},
        {"about timestamp reply", NULL, PEER_IP, 0, 0, 1, 14, SENT},
        {"about information request", NULL, PEER_IP, 0, 0, 1, 15, SENT},
        {"about address mask request", NULL, PEER_IP, 0, 0, 1, 17, SENT},
        {"about a first fragment", NULL, PEER_IP, 0, 0x2000, 99, 0, SENT},
        {"about a DF datagram", NULL, PEER_IP, 0, 0x4000, 99, 0, SENT},
        {"about dest unreachable", NULL, PEER_IP, 0, 0, 1, 3, ABOUT_ERROR},
        {"about source quench", NULL, PEER_IP, 0, 0, 1, 4, ABOUT_ERROR},
        {"about redirect", NULL, PEER_IP, 0, 0, 1, 5, ABOUT_ERROR},
        {"about time exceeded", NULL, PEER_IP, 0, 0, 1, 11, ABOUT_ERROR},
        {"about parameter problem", NULL, PEER_IP, 0, 0, 1, 12, ABOUT_ERROR},
        {"about an unknown ICMP type", NULL, PEER_IP, 0, 0, 1, 42, ABOUT_ERROR},
        {"about ICMP with no type", NULL, PEER_IP, 0, 0, 1, -1, ABOUT_ERROR},
        {"link broadcast", bcast, PEER_IP, 0, 0, 99, 0, ABOUT_BCAST},
        {"link multicast", mcast_mac, PEER_IP, 0, 0, 99, 0, ABOUT_BCAST},
        {"to 255.255.255.255", NULL, PEER_IP, IP4(255, 255, 255, 255), 0, 99, 0,
         ABOUT_BCAST},
        {"to a directed broadcast", NULL, PEER_IP, IP4(10, 0, 0, 255), 0, 99, 0,
         ABOUT_BCAST},
        {"to another prefix's broadcast", NULL, PEER_IP, IP4(192, 168, 1, 255),
         0, 99, 0, ABOUT_BCAST},
        {"to multicast", NULL, PEER_IP, IP4(224, 0, 0, 251), 0, 99, 0,
         ABOUT_BCAST},
        {"to class E", NULL, PEER_IP, IP4(240, 0, 0, 1), 0, 99, 0, ABOUT_BCAST},
        {"about a middle fragment", NULL, PEER_IP, 0, 0x2000 | 1, 99, 0,
         ABOUT_FRAGMENT},
        {"about a last fragment", NULL, PEER_IP, 0, 185, 99, 0, ABOUT_FRAGMENT},
        {"from 0.0.0.0", NULL, 0, 0, 0, 99, 0, ABOUT_BAD_SRC},
        {"from 0/8", NULL, IP4(0, 0, 0, 7), 0, 0, 99, 0, ABOUT_BAD_SRC},
        {"from loopback", NULL, IP4(127, 0, 0, 1), 0, 0, 99, 0, ABOUT_BAD_SRC},
        {"from multicast", NULL, IP4(224, 0, 0, 5), 0, 0, 99, 0, ABOUT_BAD_SRC},
        {"from class E", NULL, IP4(240, 0, 0, 1), 0, 0, 99, 0, ABOUT_BAD_SRC},
        {"from 255.255.255.255", NULL, IP4(255, 255, 255, 255), 0, 0, 99, 0,
         ABOUT_BAD_SRC},
        {"from a directed broadcast", NULL, IP4(10, 0, 0, 255), 0, 0, 99, 0,
         ABOUT_BAD_SRC},
};

/* orig (Ethernet first) for case c into f; returns its length. */
static size_t sup_frame(uint8_t *f, const struct sup_case *c)
{
	static uint8_t payload[64];
	struct ipv4_spec s = ipv4_spec_default();

	s.eth_dst = c->eth_dst ? c->eth_dst : mac0;
	s.src = c->src;
	s.dst = c->dst ? c->dst : OUR_IP;
	s.frag = c->frag;
	s.proto = c->proto;
	s.payload = payload;
	if (c->proto == 1 && c->icmp_type >= 0)
		s.plen = echo_payload(payload, (uint8_t)c->icmp_type, 1, 8);
	else if (c->proto != 1)
		s.plen = 16;
	return ipv4_build(f, &s);
}

static void test_suppression(void **state)
{
	struct net_fx *fx = *state;
	uint8_t f[256];

	for (size_t i = 0; i < RTE_DIM(sup_cases); i++) {
		const struct sup_case *c = &sup_cases[i];
		struct ys_stack_stats w = {0};
		struct rte_mbuf *m;
		int rc;

		print_message("case: %s\n", c->name);
		m = net_mbuf(f, sup_frame(f, c), 0);
		memset(&fx->stats, 0, sizeof(fx->stats));
		rc = ys_icmp_send_error(&fx->st, m, 3, 2, 0);
		ys_mbuf_free(&fx->link.owner, m);
		switch (c->want) {
		case SENT:
			assert_int_equal(rc, 0);
			w.icmp_errors_sent = w.ip_out_requests = w.eth_tx = 1;
			break;
		case ABOUT_ERROR:
			w.icmp_errors_about_error = 1;
			break;
		case ABOUT_BCAST:
			w.icmp_errors_about_bcast = 1;
			break;
		case ABOUT_FRAGMENT:
			w.icmp_errors_about_fragment = 1;
			break;
		case ABOUT_BAD_SRC:
			w.icmp_errors_about_bad_src = 1;
			break;
		}
		if (c->want != SENT)
			assert_int_equal(rc, -EPERM);
		net_check_stats(&fx->stats, &w);
		assert_int_equal(fx->link.n_sent, c->want == SENT);
		net_flush(fx);
		check_pool(fx);
	}
}

/* ---- rate limit (token bucket) ------------------------------------------ */

/* n errors about orig at the current time: how many were sent. */
static unsigned int send_n(struct net_fx *fx, const struct rte_mbuf *orig,
                           unsigned int n)
{
	unsigned int sent = 0;

	for (unsigned int i = 0; i < n; i++) {
		int rc = ys_icmp_send_error(&fx->st, orig, 3, 2, 0);

		assert_true(rc == 0 || rc == -EAGAIN);
		sent += rc == 0;
	}
	net_flush(fx);
	return sent;
}

static void test_rate_limit(void **state)
{
	struct net_fx *fx = *state;
	static uint8_t f[256], data[64];
	struct ys_stack_conf conf;
	struct ipv4_spec s = proto99(data, 8);
	struct rte_mbuf *orig;
	size_t len = ipv4_build(f, &s);

	/* 3 a second, 5 at once; the bucket starts full. */
	icmp_conf(fx, &conf);
	conf.icmp_rate = 3;
	conf.icmp_burst = 5;
	net_reinit(fx, &conf);
	orig = net_mbuf(f, len, 0);
	ys_stack_tick(&fx->st, 1000);
	assert_int_equal(send_n(fx, orig, 7), 5);
	assert_int_equal(fx->stats.icmp_errors_rate_limited, 2);
	/* Errors the RFC forbids are counted as such, not as limited. */
	{
		uint8_t b[256];
		struct ipv4_spec bs = proto99(data, 8);
		struct rte_mbuf *bm;

		bs.eth_dst = bcast;
		bm = net_mbuf(b, ipv4_build(b, &bs), 0);
		assert_int_equal(ys_icmp_send_error(&fx->st, bm, 3, 2, 0),
		                 -EPERM);
		ys_mbuf_free(&fx->link.owner, bm);
		assert_int_equal(fx->stats.icmp_errors_about_bcast, 1);
		assert_int_equal(fx->stats.icmp_errors_rate_limited, 2);
	}
	/* One second: 3 tokens. */
	ys_stack_tick(&fx->st, 2000);
	assert_int_equal(send_n(fx, orig, 4), 3);
	/* A token every 333.3 ms: 999 thousandths at +333, 1002 at +334. */
	ys_stack_tick(&fx->st, 2333);
	assert_int_equal(send_n(fx, orig, 1), 0);
	ys_stack_tick(&fx->st, 2334);
	assert_int_equal(send_n(fx, orig, 2), 1);
	/* A long silence refills the bucket to its size only. */
	ys_stack_tick(&fx->st, 3600000);
	assert_int_equal(send_n(fx, orig, 9), 5);
	assert_int_equal(fx->stats.icmp_errors_sent, 5 + 3 + 1 + 5);
	assert_int_equal(fx->stats.icmp_errors_rate_limited, 2 + 1 + 1 + 1 + 4);

	/* A live reload that lowers the burst caps a full bucket. */
	ys_stack_tick(&fx->st, 7200000);
	conf.icmp_burst = 2;
	assert_int_equal(ys_stack_reconfigure(&fx->st, &conf), 0);
	assert_int_equal(send_n(fx, orig, 3), 2);

	/* The defaults: 50 at once, then 100 a second (one per 10 ms). */
	icmp_conf(fx, &conf);
	net_reinit(fx, &conf);
	assert_int_equal(send_n(fx, orig, 51), 50);
	ys_stack_tick(&fx->st, 9);
	assert_int_equal(send_n(fx, orig, 1), 0);
	ys_stack_tick(&fx->st, 10);
	assert_int_equal(send_n(fx, orig, 2), 1);
	ys_stack_tick(&fx->st, 1010);
	assert_int_equal(send_n(fx, orig, 60), 50);
	ys_mbuf_free(&fx->link.owner, orig);

	/* Through the input path: over the limit, the datagram is still
	 * dropped as an unknown protocol, and nothing is sent. */
	memset(&fx->stats, 0, sizeof(fx->stats));
	net_rx(fx, f, len, 0, 0);
	{
		struct ys_stack_stats w = {
		        .eth_rx = 1, .ip_rx = 1, .icmp_errors_rate_limited = 1};

		w.drops[YS_STACK_DROP_ip_unsupported_proto] = 1;
		net_check_stats(&fx->stats, &w);
		assert_int_equal(fx->link.n_sent, 0);
	}
	check_pool(fx);
}

static void test_rate_conf(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_conf conf;
	char err[128];

	icmp_conf(fx, &conf);
	conf.icmp_rate = YS_ICMP_MAX_RATE;
	conf.icmp_burst = YS_ICMP_MAX_BURST;
	assert_int_equal(ys_stack_validate_conf(&conf, err, sizeof(err)), 0);
	conf.icmp_rate = YS_ICMP_MAX_RATE + 1;
	assert_int_equal(ys_stack_validate_conf(&conf, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, "icmp.rate_limit: must be at most 1000000");
	conf.icmp_rate = 0;
	conf.icmp_burst = YS_ICMP_MAX_BURST + 1;
	assert_int_equal(ys_stack_validate_conf(&conf, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, "icmp.burst: must be at most 1000000");
}

/* ---- errors received ---------------------------------------------------- */

static void expect_rx(struct net_fx *fx, const uint8_t *f, size_t len,
                      const struct ys_stack_stats *want)
{
	memset(&fx->stats, 0, sizeof(fx->stats));
	net_rx(fx, f, len, 0, 0);
	net_check_stats(&fx->stats, want);
	assert_int_equal(fx->link.n_sent, 0);
	check_pool(fx);
}

static void test_errors_received(void **state)
{
	struct net_fx *fx = *state;
	static uint8_t f[1024];
	uint8_t q[128];
	size_t qlen = quote(q, OUR_IP, PEER_IP, 100, 0);
	struct ys_stack_stats base = {.eth_rx = 1, .ip_rx = 1, .icmp_rx = 1};
	struct ys_stack_stats w;

	w = base;
	w.icmp_rx_dest_unreach = 1;
	expect_rx(fx, f, icmp_in(f, 3, 3, 0, q, qlen, PEER_IP), &w);
	expect_rx(fx, f, icmp_in(f, 3, 1, 0, q, qlen, GW_IP), &w);
	w = base;
	w.icmp_rx_time_exceeded = 1;
	expect_rx(fx, f, icmp_in(f, 11, 0, 0, q, qlen, GW_IP), &w);
	w = base;
	w.icmp_rx_param_problem = 1;
	expect_rx(fx, f, icmp_in(f, 12, 0, 20u << 24, q, qlen, GW_IP), &w);
	w = base;
	w.icmp_rx_source_quench = 1;
	expect_rx(fx, f, icmp_in(f, 4, 0, 0, q, qlen, GW_IP), &w);
	/* More than the header and 8 bytes is fine. */
	{
		uint8_t big[600];

		memcpy(big, q, qlen);
		memset(big + qlen, 0xab, sizeof(big) - qlen);
		w = base;
		w.icmp_rx_time_exceeded = 1;
		expect_rx(fx, f, icmp_in(f, 11, 1, 0, big, sizeof(big), GW_IP),
		          &w);
	}

	/* RFC 792: the header and 64 bits; less is malformed, and so is a
	 * quote that is not IPv4 or whose options are cut. */
	w = (struct ys_stack_stats){.eth_rx = 1, .ip_rx = 1, .icmp_rx = 1};
	w.drops[YS_STACK_DROP_icmp_malformed] = 1;
	expect_rx(fx, f, icmp_in(f, 3, 3, 0, q, qlen - 1, GW_IP), &w);
	expect_rx(fx, f, icmp_in(f, 11, 0, 0, q, 0, GW_IP), &w);
	q[0] = 0x65; /* version 6 */
	expect_rx(fx, f, icmp_in(f, 3, 3, 0, q, qlen, GW_IP), &w);
	q[0] = 0x44; /* IHL 4 */
	expect_rx(fx, f, icmp_in(f, 3, 3, 0, q, qlen, GW_IP), &w);
	q[0] = 0x46; /* IHL 6: 24 + 8 bytes needed, 28 there */
	expect_rx(fx, f, icmp_in(f, 12, 0, 0, q, qlen, GW_IP), &w);
	q[0] = 0x45;

	/* Types the stack does not take. */
	w = base;
	w.drops[YS_STACK_DROP_icmp_unsupported_type] = 1;
	expect_rx(fx, f, icmp_in(f, 5, 0, GW_IP, q, qlen, GW_IP), &w);
	expect_rx(fx, f, icmp_in(f, 42, 0, 0, q, qlen, GW_IP), &w);
}

/* ---- path MTU (RFC 1191) ------------------------------------------------ */

struct pmtu_dump {
	unsigned int n;
	struct ys_pmtu_info e[YS_PMTU_MAX_ENTRIES + 1];
};

static void pmtu_one(void *ctx, const struct ys_pmtu_info *p)
{
	struct pmtu_dump *d = ctx;

	assert_true(d->n < RTE_DIM(d->e));
	d->e[d->n++] = *p;
}

static void pmtu_dump(const struct net_fx *fx, struct pmtu_dump *d)
{
	memset(d, 0, sizeof(*d));
	ys_stack_pmtu_foreach(&fx->st, pmtu_one, d);
}

/* Receives a frag-needed for dst with mtu and checks its counters:
 * `updated` when it lowered the estimate. */
static void rx_frag_needed(struct net_fx *fx, uint32_t dst, uint16_t mtu,
                           bool updated, uint64_t entries)
{
	uint8_t f[256];
	struct ys_stack_stats w = frag_needed_stats();

	w.pmtu_updates = updated;
	w.pmtu_entries = entries;
	memset(&fx->stats, 0, sizeof(fx->stats));
	/* A gauge: a message that changes nothing leaves it as it was. */
	fx->stats.pmtu_entries = entries;
	net_rx(fx, f, frag_needed(f, dst, mtu), 0, 0);
	net_check_stats(&fx->stats, &w);
	assert_int_equal(fx->link.n_sent, 0);
}

static void test_pmtu_output(void **state)
{
	struct net_fx *fx = *state;
	static uint8_t f[4096], buf[4096];
	struct pmtu_dump d;
	size_t len;

	assert_int_equal(ys_stack_pmtu(&fx->st, BE(FAR_IP)), 1500);
	ys_stack_tick(&fx->st, 5000);
	rx_frag_needed(fx, FAR_IP, 1400, true, 1);
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(FAR_IP)), 1400);
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(FAR_IP2)), 1500);

	/* DF clear: fragments of at most 1400 bytes, to the gateway. */
	assert_int_equal(net_send(fx, 0, FAR_IP, 0x51, 2000), 0);
	assert_int_equal(fx->link.n_sent, 2);
	assert_int_equal(fx->stats.ip_frag_created, 2);
	len = ip_frame(f, gw_mac, mac0, OUR_IP, FAR_IP, 0x51, 2000, false);
	for (unsigned int i = 0; i < 2; i++) {
		const struct rte_mbuf *m = fx->link.sent[i];
		const uint8_t *p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
		size_t dlen = i == 0 ? 1376 : 2000 - 1376;

		assert_int_equal(m->pkt_len, 14 + 20 + dlen);
		assert_memory_equal(p, f, 12);
		assert_int_equal(p[14 + 6] << 8 | p[14 + 7],
		                 (i == 0 ? 0x2000 : 0) | (i * 1376 / 8));
		assert_memory_equal(p + 34, f + 34 + i * 1376, dlen);
	}
	net_flush(fx);
	(void)len;
	/* DF set: refused above the path MTU, sent whole at it. */
	len = ip_frame(f, NULL, NULL, OUR_IP, FAR_IP, 0x52, 1381, true);
	assert_int_equal(ys_stack_ip_output(&fx->st, net_mbuf(f, len, 0)),
	                 -EMSGSIZE);
	assert_int_equal(fx->stats.drops[YS_STACK_DROP_ip_frag_df_set], 1);
	assert_int_equal(fx->link.n_sent, 0);
	len = ip_frame(f, NULL, NULL, OUR_IP, FAR_IP, 0x53, 1380, true);
	assert_int_equal(ys_stack_ip_output(&fx->st, net_mbuf(f, len, 0)), 0);
	len = ip_frame(f, gw_mac, mac0, OUR_IP, FAR_IP, 0x53, 1380, true);
	net_check_sent(fx, 0, f, len, 0);
	net_flush(fx);

	/* RFC 1191 6.3: never raised by a message; lowered again. */
	ys_stack_tick(&fx->st, 6000);
	rx_frag_needed(fx, FAR_IP, 1450, false, 1);
	rx_frag_needed(fx, FAR_IP, 1400, false, 1);
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(FAR_IP)), 1400);
	ys_stack_tick(&fx->st, 7000);
	rx_frag_needed(fx, FAR_IP, 1300, true, 1);
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(FAR_IP)), 1300);
	ys_stack_tick(&fx->st, 7250);
	pmtu_dump(fx, &d);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.e[0].dst, BE(FAR_IP));
	assert_int_equal(d.e[0].mtu, 1300);
	assert_int_equal(d.e[0].age_ms, 250);

	/* RFC 1191 5: no MTU given (0), the next plateau below the quoted
	 * Total Length (1500: 1492). */
	rx_frag_needed(fx, FAR_IP2, 0, true, 2);
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(FAR_IP2)), 1492);
	check_pool(fx);
}

/* The echo reply built in place is fragmented at the path MTU too. */
static void test_pmtu_echo(void **state)
{
	struct net_fx *fx = *state;
	static uint8_t f[4096], want[4096], buf[4096], icmp[2048];
	struct ipv4_spec s = ipv4_spec_default();
	size_t len, wlen, pos = 0;

	rx_frag_needed(fx, PEER_IP, 576, true, 1);
	s.plen = echo_payload(icmp, 8, 9, 1000);
	s.payload = icmp;
	len = ipv4_build(f, &s);
	wlen = echo_reply_build(want, &s, mac0);
	net_rx(fx, f, len, 0, 0);
	assert_int_equal(fx->link.n_sent, 2);
	assert_int_equal(fx->stats.icmp_echo_replies, 1);
	for (unsigned int i = 0; i < 2; i++) {
		const struct rte_mbuf *m = fx->link.sent[i];
		const uint8_t *p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
		size_t dlen = i == 0 ? 552 : 1008 - 552;

		assert_int_equal(m->pkt_len, 34 + dlen);
		assert_memory_equal(p, want, 12);
		assert_int_equal(p[20] << 8 | p[21],
		                 (i == 0 ? 0x2000 : 0) | pos / 8);
		assert_memory_equal(p + 34, want + 34 + pos, dlen);
		pos += dlen;
	}
	assert_int_equal(pos, wlen - 34);
	/* A DF request whose reply exceeds the path MTU gets none. */
	net_flush(fx);
	s.frag = 0x4000;
	len = ipv4_build(f, &s);
	net_rx(fx, f, len, 0, 0);
	assert_int_equal(fx->link.n_sent, 0);
	assert_int_equal(fx->stats.drops[YS_STACK_DROP_ip_frag_df_set], 1);
}

/* Messages that cannot be about a datagram of ours change nothing. */
static void test_pmtu_bogus(void **state)
{
	struct net_fx *fx = *state;
	static uint8_t f[256];
	uint8_t q[64];
	struct ys_stack_stats w = frag_needed_stats();
	static const struct {
		const char *name;
		uint32_t src, dst;
		uint16_t tlen, frag, mtu;
	} cases[] = {
	        {"MTU below 68", OUR_IP, FAR_IP, 1500, 0x4000, 67},
	        {"MTU 1", OUR_IP, FAR_IP, 1500, 0x4000, 1},
	        {"no MTU, no plateau below 68", OUR_IP, FAR_IP, 68, 0x4000, 0},
	        {"quoted source not ours", PEER_IP, FAR_IP, 1500, 0x4000, 1400},
	        {"quoted source another host", IP4(10, 0, 0, 77), FAR_IP, 1500,
	         0x4000, 1400},
	        {"quoted DF clear", OUR_IP, FAR_IP, 1500, 0, 1400},
	        {"quoted destination ours", OUR_IP, OUR_IP2, 1500, 0x4000,
	         1400},
	        {"quoted destination broadcast", OUR_IP, IP4(10, 0, 0, 255),
	         1500, 0x4000, 1400},
	        {"quoted destination multicast", OUR_IP, IP4(224, 0, 0, 1),
	         1500, 0x4000, 1400},
	        {"quoted destination 0.0.0.0", OUR_IP, 0, 1500, 0x4000, 1400},
	};

	w.drops[YS_STACK_DROP_icmp_frag_needed_bogus] = 1;
	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		size_t qlen = quote(q, cases[i].src, cases[i].dst,
		                    cases[i].tlen, cases[i].frag);

		print_message("case: %s\n", cases[i].name);
		expect_rx(fx, f, icmp_in(f, 3, 4, cases[i].mtu, q, qlen, GW_IP),
		          &w);
		assert_int_equal(ys_stack_pmtu(&fx->st, BE(FAR_IP)), 1500);
	}
	/* The plateaus of RFC 1191 7, each strictly below the quote, but
	 * never below YS_PMTU_FLOOR (a forged message must not force
	 * tiny fragments); one above the interface's MTU lowers nothing. */
	{
		static const uint16_t tl[] = {1006, 1007, 296, 297, 65535};
		static const uint16_t want[] = {552, 1006, 552, 552, 1500};

		for (size_t i = 0; i < RTE_DIM(tl); i++) {
			uint32_t dst = IP4(198, 51, 100, 100 + i);
			size_t qlen = quote(q, OUR_IP, dst, tl[i], 0x4000);

			net_rx(fx, f, icmp_in(f, 3, 4, 0, q, qlen, GW_IP), 0,
			       0);
			assert_int_equal(ys_stack_pmtu(&fx->st, BE(dst)),
			                 want[i]);
		}
	}
	check_pool(fx);
}

/* RFC 1191 6.3: an estimate is dropped 10 minutes after it was last
 * lowered. */
static void test_pmtu_expiry(void **state)
{
	struct net_fx *fx = *state;
	struct pmtu_dump d;

	ys_stack_tick(&fx->st, 1000);
	rx_frag_needed(fx, FAR_IP, 1280, true, 1);
	ys_stack_tick(&fx->st, 1000 + 600000 - 1);
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(FAR_IP)), 1280);
	assert_int_equal(fx->stats.pmtu_expired, 0);
	pmtu_dump(fx, &d);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.e[0].age_ms, 600000 - 1);
	ys_stack_tick(&fx->st, 1000 + 600000);
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(FAR_IP)), 1500);
	assert_int_equal(fx->stats.pmtu_expired, 1);
	assert_int_equal(fx->stats.pmtu_entries, 0);
	pmtu_dump(fx, &d);
	assert_int_equal(d.n, 0);
	/* Learnt again, it starts a new 10 minutes. */
	rx_frag_needed(fx, FAR_IP, 1280, true, 1);
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(FAR_IP)), 1280);
}

/* 256 entries; the 257th destination replaces the least recently
 * updated one. */
static void test_pmtu_replacement(void **state)
{
	struct net_fx *fx = *state;
	static struct pmtu_dump d;
	uint32_t i;

	for (i = 0; i < YS_PMTU_MAX_ENTRIES; i++) {
		ys_stack_tick(&fx->st, 1 + i);
		rx_frag_needed(fx, IP4(203, 0, 113, 0) + i, (uint16_t)(600 + i),
		               true, i + 1);
	}
	/* Lowering the first again makes it the newest. */
	ys_stack_tick(&fx->st, 1000);
	rx_frag_needed(fx, IP4(203, 0, 113, 0), 599, true, 256);
	ys_stack_tick(&fx->st, 1001);
	rx_frag_needed(fx, FAR_IP, 1000, true, 256);
	/* The oldest, 203.0.113.1, is gone; the rest are there. */
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(IP4(203, 0, 113, 1))), 1500);
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(IP4(203, 0, 113, 0))), 599);
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(IP4(203, 0, 113, 2))), 602);
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(FAR_IP)), 1000);
	pmtu_dump(fx, &d);
	assert_int_equal(d.n, 256);
	for (i = 0; i < 254; i++) {
		assert_int_equal(d.e[i].dst, BE(IP4(203, 0, 113, 2) + i));
		assert_int_equal(d.e[i].mtu, 602 + i);
		assert_int_equal(d.e[i].age_ms, 1001 - (3 + i));
	}
	assert_int_equal(d.e[254].dst, BE(IP4(203, 0, 113, 0)));
	assert_int_equal(d.e[254].age_ms, 1);
	assert_int_equal(d.e[255].dst, BE(FAR_IP));
	assert_int_equal(d.e[255].age_ms, 0);
}

/* ys_stack_pmtu(): 0 with no route, the interface MTU without an
 * estimate, and never more than the interface MTU. */
static void test_pmtu_api(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_conf conf;

	rx_frag_needed(fx, FAR_IP, 1400, true, 1);
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(OUR_IP1 + 5)), 1500);
	icmp_conf(fx, &conf);
	conf.ifaces[0].mtu = 1000;
	conf.ifaces[1].mtu = 9000;
	assert_int_equal(ys_stack_reconfigure(&fx->st, &conf), 0);
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(FAR_IP)), 1000);
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(OUR_IP1 + 5)), 9000);
	conf.ifaces[0].gateway = 0;
	assert_int_equal(ys_stack_reconfigure(&fx->st, &conf), 0);
	assert_int_equal(ys_stack_pmtu(&fx->st, BE(FAR_IP)), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, icmp_setup, net_teardown)

static int group_setup(void **state)
{
	(void)state;
	return net_group_setup("test_icmp");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_unreach_quote),    T(test_unreach_chain),
	        T(test_unreach_via_arp),  T(test_error_fields),
	        T(test_suppression),      T(test_rate_limit),
	        T(test_rate_conf),        T(test_errors_received),
	        T(test_pmtu_output),      T(test_pmtu_echo),
	        T(test_pmtu_bogus),       T(test_pmtu_expiry),
	        T(test_pmtu_replacement), T(test_pmtu_api),
	};

	return cmocka_run_group_tests(tests, group_setup, net_group_teardown);
}
