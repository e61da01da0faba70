/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the ARP cache (proto/ys_arp.c) through the stack's API:
 * datagrams handed to ys_stack_ip_output() wait for resolution, ARP
 * frames built byte by byte come in, time is ticked by hand, and every
 * frame the fake link receives is compared byte for byte (ys_test_net.h).
 * Every test checks every counter it moves and ends with the pool's
 * in-use count where it started and every frame tagged ours.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ys_test_net.h"

static const uint8_t static_mac[6] = {0x02, 0, 0, 0, 0, 0x55};
static const uint8_t mcast_mac[6] = {0x01, 0x00, 0x5e, 0, 0, 1};

/* Re-initialises fx's stack from conf. */
static void reinit(struct net_fx *fx, const struct ys_stack_conf *conf)
{
	net_flush(fx);
	ys_stack_fini(&fx->st);
	memset(&fx->stats, 0, sizeof(fx->stats));
	net_init(fx, conf);
}

/* ---- resolution --------------------------------------------------------- */

/* incomplete (a broadcast request, the datagram waits) -> reachable (the
 * reply sends it) -> later datagrams go at once. */
static void test_resolve_and_send(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};

	ys_stack_tick(&fx->st, 1000);
	assert_int_equal(net_send(fx, 0, PEER_IP, 1, 100), 0);
	net_check_request(fx, 0, mac0, OUR_IP, PEER_IP, NULL, 0);
	arp_expect(fx, PEER_IP, 0, YS_ARP_INCOMPLETE, NULL, 0, 1);
	w.ip_out_requests = 1;
	w.arp_queued = 1;
	w.arp_requests_sent = 1;
	w.eth_tx = 1;
	net_check_stats(&fx->stats, &w);

	ys_stack_tick(&fx->st, 1500);
	assert_int_equal(fx->link.n_sent, 1);
	arp_expect(fx, PEER_IP, 0, YS_ARP_INCOMPLETE, NULL, 500, 1);

	/* The reply: learnt (any instance learns from it), queue sent. */
	net_rx_arp(fx, 0, 2, mac0, peer_mac, PEER_IP, OUR_IP, 0);
	assert_int_equal(fx->link.n_sent, 2);
	net_check_datagram(fx, 1, peer_mac, mac0, OUR_IP, PEER_IP, 1, 100, 0);
	arp_expect(fx, PEER_IP, 0, YS_ARP_REACHABLE, peer_mac, 0, 0);
	w.eth_rx = 1;
	w.arp_rx = 1;
	w.arp_replies_received = 1;
	w.arp_entries_learned = 1;
	w.eth_tx = 2;
	net_check_stats(&fx->stats, &w);

	/* Resolved: sent at once; a source given is kept. */
	assert_int_equal(net_send(fx, 0, PEER_IP, 2, 50), 0);
	assert_int_equal(net_send(fx, OUR_IP2, PEER_IP, 3, 10), 0);
	net_check_datagram(fx, 2, peer_mac, mac0, OUR_IP, PEER_IP, 2, 50, 0);
	net_check_datagram(fx, 3, peer_mac, mac0, OUR_IP2, PEER_IP, 3, 10, 0);
	w.ip_out_requests = 3;
	w.eth_tx = 4;
	net_check_stats(&fx->stats, &w);
}

/* Requests 1 s apart, 1 + 3 of them, then failure at 4 s: the waiting
 * datagrams are dropped and counted, the entry is gone. */
static void test_retries_then_fail(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};
	const uint32_t dst = IP4(10, 0, 0, 3);
	uint64_t t;

	for (uint16_t id = 1; id <= 3; id++)
		assert_int_equal(net_send(fx, 0, dst, id, 64), 0);
	assert_int_equal(fx->link.n_sent, 1);
	for (t = 1000; t <= 3000; t += 1000) {
		ys_stack_tick(&fx->st, t - 1);
		assert_int_equal(fx->link.n_sent, t / 1000);
		ys_stack_tick(&fx->st, t);
		assert_int_equal(fx->link.n_sent, t / 1000 + 1);
	}
	for (unsigned int i = 0; i < 4; i++)
		net_check_request(fx, i, mac0, OUR_IP, dst, NULL, 0);
	ys_stack_tick(&fx->st, 3999);
	arp_expect(fx, dst, 0, YS_ARP_INCOMPLETE, NULL, 3999, 3);
	w.ip_out_requests = 3;
	w.arp_queued = 3;
	w.arp_requests_sent = 4;
	w.eth_tx = 4;
	net_check_stats(&fx->stats, &w);

	ys_stack_tick(&fx->st, 4000);
	assert_int_equal(fx->link.n_sent, 4);
	assert_null(arp_get(fx, dst, 0));
	assert_int_equal(arp_count(fx), 0);
	w.arp_entries_failed = 1;
	w.drops[YS_STACK_DROP_arp_resolve_failed] = 3;
	net_check_stats(&fx->stats, &w);
	net_flush(fx);
	assert_int_equal(rte_mempool_in_use_count(g_pool), fx->pool_start);

	/* A late tick retries once, not once per missed second. */
	ys_stack_tick(&fx->st, 10000);
	assert_int_equal(net_send(fx, 0, dst, 4, 64), 0);
	ys_stack_tick(&fx->st, 20000);
	assert_int_equal(fx->link.n_sent, 2);
	ys_stack_tick(&fx->st, 20999);
	assert_int_equal(fx->link.n_sent, 2);
	ys_stack_tick(&fx->st, 21000);
	assert_int_equal(fx->link.n_sent, 3);
}

/* reachable -> stale after 30 s; a stale entry is used at once and
 * probed by unicast; a reply makes it reachable; unanswered probes
 * remove it, and the next datagram asks by broadcast. */
static void test_stale_and_probe(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};
	uint64_t t;

	ys_stack_tick(&fx->st, 1000);
	net_rx_arp(fx, 0, 1, bcast, peer_mac, PEER_IP, OUR_IP, 0);
	arp_expect(fx, PEER_IP, 0, YS_ARP_REACHABLE, peer_mac, 0, 0);
	ys_stack_tick(&fx->st, 30999);
	arp_expect(fx, PEER_IP, 0, YS_ARP_REACHABLE, peer_mac, 29999, 0);
	ys_stack_tick(&fx->st, 31000);
	arp_expect(fx, PEER_IP, 0, YS_ARP_STALE, peer_mac, 30000, 0);
	assert_int_equal(fx->link.n_sent, 0);

	/* Used: the datagram goes to the known MAC, then one probe. */
	assert_int_equal(net_send(fx, 0, PEER_IP, 1, 20), 0);
	assert_int_equal(net_send(fx, 0, PEER_IP, 2, 20), 0);
	assert_int_equal(fx->link.n_sent, 3);
	net_check_datagram(fx, 0, peer_mac, mac0, OUR_IP, PEER_IP, 1, 20, 0);
	net_check_request(fx, 1, mac0, OUR_IP, PEER_IP, peer_mac, 0);
	net_check_datagram(fx, 2, peer_mac, mac0, OUR_IP, PEER_IP, 2, 20, 0);
	arp_expect(fx, PEER_IP, 0, YS_ARP_STALE, peer_mac, 30000, 0);
	w.eth_rx = 1;
	w.arp_rx = 1;
	w.arp_requests_left_to_peer = 1;
	w.arp_entries_learned = 1;
	w.ip_out_requests = 2;
	w.arp_requests_sent = 1;
	w.eth_tx = 3;
	net_check_stats(&fx->stats, &w);

	/* The unicast reply confirms it. */
	ys_stack_tick(&fx->st, 31500);
	net_rx_arp(fx, 0, 2, mac0, peer_mac, PEER_IP, OUR_IP, 0);
	arp_expect(fx, PEER_IP, 0, YS_ARP_REACHABLE, peer_mac, 0, 0);
	ys_stack_tick(&fx->st, 32500); /* no probe is due any more */
	assert_int_equal(fx->link.n_sent, 3);
	w.eth_rx = 2;
	w.arp_rx = 2;
	w.arp_replies_received = 1;
	w.arp_entries_updated = 1;
	net_check_stats(&fx->stats, &w);

	/* Stale again, used, never answers: 4 probes, then removed. */
	ys_stack_tick(&fx->st, 61500);
	net_flush(fx);
	assert_int_equal(net_send(fx, 0, PEER_IP, 3, 20), 0);
	for (t = 62500; t <= 64500; t += 1000)
		ys_stack_tick(&fx->st, t);
	assert_int_equal(fx->link.n_sent, 5);
	for (unsigned int i = 1; i < 5; i++)
		net_check_request(fx, i, mac0, OUR_IP, PEER_IP, peer_mac, 0);
	ys_stack_tick(&fx->st, 65499);
	arp_expect(fx, PEER_IP, 0, YS_ARP_STALE, peer_mac, 33999, 0);
	ys_stack_tick(&fx->st, 65500);
	assert_null(arp_get(fx, PEER_IP, 0));
	w.ip_out_requests = 3;
	w.arp_requests_sent = 5;
	w.eth_tx = 8;
	w.arp_entries_failed = 1;
	net_check_stats(&fx->stats, &w);

	assert_int_equal(net_send(fx, 0, PEER_IP, 4, 20), 0);
	net_check_request(fx, 5, mac0, OUR_IP, PEER_IP, NULL, 0);
	arp_expect(fx, PEER_IP, 0, YS_ARP_INCOMPLETE, NULL, 0, 1);
}

/* ---- wait queues (RFC 1122 2.3.2.2) ------------------------------------- */

/* 8 per entry: the 2 oldest of 10 make room, the latest 8 go in order. */
static void test_queue_per_entry(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};
	uint16_t id;

	for (id = 1; id <= 10; id++)
		assert_int_equal(net_send(fx, 0, PEER_IP, id, 30), 0);
	arp_expect(fx, PEER_IP, 0, YS_ARP_INCOMPLETE, NULL, 0, 8);
	w.ip_out_requests = 10;
	w.arp_queued = 10;
	w.arp_requests_sent = 1;
	w.eth_tx = 1;
	w.drops[YS_STACK_DROP_arp_queue_dropped] = 2;
	net_check_stats(&fx->stats, &w);

	net_rx_arp(fx, 0, 2, mac0, peer_mac, PEER_IP, OUR_IP, 0);
	assert_int_equal(fx->link.n_sent, 9);
	for (id = 3; id <= 10; id++)
		net_check_datagram(fx, id - 2u, peer_mac, mac0, OUR_IP, PEER_IP,
		                   id, 30, 0);
}

/* queue_total 4, 3 per entry: a full pool takes room from the entry's own
 * oldest datagram; an entry with none queued loses the new one. */
static void test_queue_total(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};
	struct ys_stack_conf conf;
	const uint32_t a = IP4(10, 0, 0, 3), b = IP4(10, 0, 0, 4),
	               c = IP4(10, 0, 0, 5);
	static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 0xa};
	static const uint8_t mac_b[6] = {2, 0, 0, 0, 0, 0xb};

	net_conf(fx, &conf);
	conf.arp.queue_per_entry = 3;
	conf.arp.queue_total = 4;
	reinit(fx, &conf);
	for (uint16_t id = 1; id <= 3; id++)
		assert_int_equal(net_send(fx, 0, a, id, 10), 0);
	assert_int_equal(net_send(fx, 0, b, 4, 10), 0);
	assert_int_equal(net_send(fx, 0, b, 5, 10), 0); /* drops 4 */
	assert_int_equal(net_send(fx, 0, c, 6, 10), -ENOBUFS);
	assert_int_equal(net_send(fx, 0, a, 7, 10), 0); /* drops 1 */
	arp_expect(fx, a, 0, YS_ARP_INCOMPLETE, NULL, 0, 3);
	arp_expect(fx, b, 0, YS_ARP_INCOMPLETE, NULL, 0, 1);
	arp_expect(fx, c, 0, YS_ARP_INCOMPLETE, NULL, 0, 0);
	net_check_request(fx, 2, mac0, OUR_IP, c, NULL, 0);
	w.ip_out_requests = 7;
	w.arp_queued = 6;
	w.arp_requests_sent = 3;
	w.eth_tx = 3;
	w.drops[YS_STACK_DROP_arp_queue_dropped] = 3;
	net_check_stats(&fx->stats, &w);

	net_rx_arp(fx, 0, 2, mac0, mac_a, a, OUR_IP, 0);
	net_rx_arp(fx, 0, 2, mac0, mac_b, b, OUR_IP, 0);
	assert_int_equal(fx->link.n_sent, 7);
	net_check_datagram(fx, 3, mac_a, mac0, OUR_IP, a, 2, 10, 0);
	net_check_datagram(fx, 4, mac_a, mac0, OUR_IP, a, 3, 10, 0);
	net_check_datagram(fx, 5, mac_a, mac0, OUR_IP, a, 7, 10, 0);
	net_check_datagram(fx, 6, mac_b, mac0, OUR_IP, b, 5, 10, 0);
}

/* ---- static entries ----------------------------------------------------- */

static void test_static_entries(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};
	struct ys_stack_conf conf;
	const uint32_t s = IP4(10, 0, 0, 9);
	uint8_t want[64];

	net_conf(fx, &conf);
	conf.n_static_arp = 1;
	conf.static_arp[0].ip = BE(s);
	memcpy(conf.static_arp[0].mac.addr_bytes, static_mac, 6);
	conf.static_arp[0].iface = 0;
	reinit(fx, &conf);
	arp_expect(fx, s, 0, YS_ARP_STATIC, static_mac, 0, 0);

	/* Used at once, never asked for. */
	assert_int_equal(net_send(fx, 0, s, 1, 40), 0);
	net_check_datagram(fx, 0, static_mac, mac0, OUR_IP, s, 1, 40, 0);

	/* Never overwritten: a reply, a gratuitous ARP, a request. */
	net_rx_arp(fx, 0, 2, mac0, peer_mac, s, OUR_IP, 0);
	net_rx_arp(fx, 0, 1, bcast, peer_mac2, s, s, 0);
	net_rx_arp(fx, 0, 1, bcast, peer_mac, s, OUR_IP, YS_RX_F_ARP_RESPONDER);
	assert_int_equal(fx->link.n_sent, 2);
	net_check_sent(
	        fx, 1, want,
	        arp_frame(want, 2, peer_mac, mac0, mac0, OUR_IP, peer_mac, s),
	        0);
	ys_stack_tick(&fx->st, UINT64_C(1) << 40);
	arp_expect(fx, s, 0, YS_ARP_STATIC, static_mac, 0, 0);
	assert_int_equal(arp_count(fx), 1);
	w.ip_out_requests = 1;
	w.eth_tx = 2;
	w.eth_rx = 3;
	w.arp_rx = 3;
	w.arp_replies_received = 1;
	w.arp_requests_answered = 1;
	net_check_stats(&fx->stats, &w);
}

/* ---- learning: RFC 826's merge rule ------------------------------------- */

static void test_merge_rule(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};
	const uint32_t h = IP4(10, 0, 0, 7), other = IP4(10, 0, 0, 8),
	               p1 = IP4(192, 168, 1, 7);

	/* Not for us and no entry: nothing learnt, dropped. A request for
	 * someone else, a gratuitous ARP, a reply to someone else. */
	net_rx_arp(fx, 0, 1, bcast, peer_mac, h, IP4(10, 0, 0, 3), 0);
	net_rx_arp(fx, 0, 1, bcast, peer_mac, h, h, 0);
	net_rx_arp(fx, 0, 2, bcast, peer_mac, other, IP4(10, 0, 0, 99), 0);
	assert_int_equal(arp_count(fx), 0);
	w.eth_rx = 3;
	w.arp_rx = 3;
	w.arp_replies_received = 1;
	w.drops[YS_STACK_DROP_arp_not_for_us] = 3;
	net_check_stats(&fx->stats, &w);

	/* For us: created. Then any ARP from it updates it. */
	net_rx_arp(fx, 0, 1, bcast, peer_mac, h, OUR_IP, 0);
	arp_expect(fx, h, 0, YS_ARP_REACHABLE, peer_mac, 0, 0);
	ys_stack_tick(&fx->st, 100);
	net_rx_arp(fx, 0, 1, bcast, peer_mac2, h, h, 0);
	arp_expect(fx, h, 0, YS_ARP_REACHABLE, peer_mac2, 0, 0);
	w.eth_rx = 5;
	w.arp_rx = 5;
	w.arp_requests_left_to_peer = 1;
	w.arp_entries_learned = 1;
	w.arp_entries_updated = 1;
	net_check_stats(&fx->stats, &w);

	/* For us, but not learnt: off our prefixes (answered all the same),
	 * a probe's 0.0.0.0, a multicast MAC, a subnet broadcast sender, our
	 * own frame, another MAC claiming our address (a conflict). */
	net_rx_arp(fx, 0, 1, bcast, peer_mac, IP4(172, 16, 0, 5), OUR_IP,
	           YS_RX_F_ARP_RESPONDER);
	net_rx_arp(fx, 0, 1, bcast, peer_mac, 0, OUR_IP, YS_RX_F_ARP_RESPONDER);
	{
		/* A multicast ARP sender in a frame from a unicast source
		 * (a multicast Ethernet source stops at eth_bad_src). */
		uint8_t f[64];
		size_t len = arp_frame(f, 1, bcast, peer_mac, mcast_mac,
		                       IP4(10, 0, 0, 20), zero6, OUR_IP);

		net_rx(fx, f, len, 0, 0);
	}
	net_rx_arp(fx, 0, 1, bcast, peer_mac, IP4(10, 0, 0, 255), OUR_IP, 0);
	net_rx_arp(fx, 0, 1, bcast, mac0, IP4(10, 0, 0, 30), OUR_IP, 0);
	net_rx_arp(fx, 0, 1, bcast, peer_mac, OUR_IP2, OUR_IP, 0);
	assert_int_equal(arp_count(fx), 1);
	assert_int_equal(fx->link.n_sent, 2);
	w.eth_rx = 11;
	w.arp_rx = 11;
	w.eth_tx = 2;
	w.arp_requests_answered = 2;
	w.arp_requests_left_to_peer = 5;
	w.arp_address_conflicts = 1;
	net_check_stats(&fx->stats, &w);

	/* Per interface: learnt on port 1; the same sender on port 0
	 * neither matches it nor changes it. */
	net_rx_arp(fx, 1, 1, bcast, peer_mac, p1, OUR_IP1, 0);
	net_rx_arp(fx, 0, 1, bcast, peer_mac2, p1, p1, 0);
	arp_expect(fx, p1, 1, YS_ARP_REACHABLE, peer_mac, 0, 0);
	assert_null(arp_get(fx, p1, 0));
	w.eth_rx = 13;
	w.arp_rx = 13;
	w.arp_requests_left_to_peer = 6;
	w.arp_entries_learned = 2;
	w.drops[YS_STACK_DROP_arp_not_for_us] = 4;
	net_check_stats(&fx->stats, &w);
}

/* Every secondary gets a copy: the responder answers, the others learn
 * the same entry and send nothing. */
static void test_responder_and_peer(void **state)
{
	struct net_fx *fx = *state;
	struct net_fx *b = calloc(1, sizeof(*b));
	struct ys_stack_conf conf;
	uint8_t f[64], want[64];
	size_t len = arp_frame(f, 1, bcast, peer_mac, peer_mac, PEER_IP, zero6,
	                       OUR_IP);
	struct ys_stack_stats wa = {.eth_rx = 1,
	                            .eth_tx = 1,
	                            .arp_rx = 1,
	                            .arp_requests_answered = 1,
	                            .arp_entries_learned = 1};
	struct ys_stack_stats wb = {.eth_rx = 1,
	                            .arp_rx = 1,
	                            .arp_requests_left_to_peer = 1,
	                            .arp_entries_learned = 1};

	assert_non_null(b);
	b->link.owner = fx->link.owner;
	net_conf(b, &conf);
	net_init(b, &conf);
	net_rx(fx, f, len, 0, YS_RX_F_ARP_RESPONDER);
	net_rx(b, f, len, 0, 0);
	net_check_sent(fx, 0, want,
	               arp_frame(want, 2, peer_mac, mac0, mac0, OUR_IP,
	                         peer_mac, PEER_IP),
	               0);
	assert_int_equal(b->link.n_sent, 0);
	arp_expect(fx, PEER_IP, 0, YS_ARP_REACHABLE, peer_mac, 0, 0);
	arp_expect(b, PEER_IP, 0, YS_ARP_REACHABLE, peer_mac, 0, 0);
	net_check_stats(&fx->stats, &wa);
	net_check_stats(&b->stats, &wb);
	ys_stack_fini(&b->st);
	free(b);
}

/* ---- gratuitous ARP ----------------------------------------------------- */

static void test_announce(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_stats w = {0};
	struct ys_stack_conf conf;
	uint8_t want[64];

	assert_int_equal(ys_stack_announce(&fx->st), 0);
	assert_int_equal(fx->link.n_sent, 3);
	/* RFC 5227 3: sender and target protocol address ours, target
	 * hardware address zero, broadcast. */
	net_check_sent(
	        fx, 0, want,
	        arp_frame(want, 1, bcast, mac0, mac0, OUR_IP, zero6, OUR_IP),
	        0);
	net_check_sent(
	        fx, 1, want,
	        arp_frame(want, 1, bcast, mac0, mac0, OUR_IP2, zero6, OUR_IP2),
	        0);
	net_check_sent(
	        fx, 2, want,
	        arp_frame(want, 1, bcast, mac1, mac1, OUR_IP1, zero6, OUR_IP1),
	        1);
	w.eth_tx = 3;
	w.arp_gratuitous_sent = 3;
	net_check_stats(&fx->stats, &w);

	/* The link takes one: the rest counted as tx_full. */
	net_flush(fx);
	memset(&fx->stats, 0, sizeof(fx->stats));
	fx->link.cap = 1;
	assert_int_equal(ys_stack_announce(&fx->st), -ENOBUFS);
	memset(&w, 0, sizeof(w));
	w.eth_tx = 1;
	w.arp_gratuitous_sent = 1;
	w.drops[YS_STACK_DROP_tx_full] = 2;
	net_check_stats(&fx->stats, &w);
	fx->link.cap = 0;

	/* No pool: nothing to build them in. */
	net_conf(fx, &conf);
	conf.pool = NULL;
	reinit(fx, &conf);
	assert_int_equal(ys_stack_announce(&fx->st), -ENOBUFS);
	memset(&w, 0, sizeof(w));
	w.drops[YS_STACK_DROP_tx_alloc_failed] = 3;
	net_check_stats(&fx->stats, &w);
}

/* ---- a bounded cache ---------------------------------------------------- */

/* Learns h (host order) on port 0 from a request for us at time t. */
static void learn_at(struct net_fx *fx, uint32_t h, uint64_t t)
{
	ys_stack_tick(&fx->st, t);
	net_rx_arp(fx, 0, 1, bcast, peer_mac, h, OUR_IP, 0);
}

static void test_eviction(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_conf conf;
	const uint32_t a = IP4(10, 0, 0, 10), b = IP4(10, 0, 0, 11),
	               c = IP4(10, 0, 0, 12), d = IP4(10, 0, 0, 13),
	               e = IP4(10, 0, 0, 14), f = IP4(10, 0, 0, 15);

	net_conf(fx, &conf);
	conf.arp.cache_size = 3;
	reinit(fx, &conf);
	learn_at(fx, a, 0);
	learn_at(fx, b, 10);
	learn_at(fx, c, 20);
	learn_at(fx, d, 30); /* the least recently confirmed goes: a */
	assert_null(arp_get(fx, a, 0));
	assert_int_equal(arp_count(fx), 3);
	assert_int_equal(fx->stats.arp_entries_evicted, 1);

	/* Stale entries go before reachable ones, oldest first. */
	ys_stack_tick(&fx->st, 30020); /* b, c stale; d reachable */
	learn_at(fx, e, 30020);
	assert_null(arp_get(fx, b, 0));
	arp_expect(fx, c, 0, YS_ARP_STALE, peer_mac, 30000, 0);
	/* A stale entry being probed is not idle: d goes. */
	assert_int_equal(net_send(fx, 0, c, 1, 10), 0);
	learn_at(fx, f, 30030);
	assert_null(arp_get(fx, d, 0));
	arp_expect(fx, c, 0, YS_ARP_STALE, peer_mac, 30010, 0);
	arp_expect(fx, e, 0, YS_ARP_REACHABLE, peer_mac, 10, 0);
	arp_expect(fx, f, 0, YS_ARP_REACHABLE, peer_mac, 0, 0);
	assert_int_equal(fx->stats.arp_entries_evicted, 3);
	assert_int_equal(fx->stats.arp_entries_learned, 6);

	/* Incomplete entries are never evicted: a third next hop finds no
	 * room, and a sender for us is answered but not learnt. */
	conf.arp.cache_size = 2;
	reinit(fx, &conf);
	assert_int_equal(net_send(fx, 0, a, 1, 10), 0);
	assert_int_equal(net_send(fx, 0, b, 2, 10), 0);
	assert_int_equal(net_send(fx, 0, c, 3, 10), -ENOBUFS);
	learn_at(fx, d, 0);
	assert_int_equal(arp_count(fx), 2);
	assert_null(arp_get(fx, c, 0));
	assert_null(arp_get(fx, d, 0));
	assert_int_equal(fx->stats.drops[YS_STACK_DROP_arp_cache_full], 1);
	assert_int_equal(fx->stats.arp_entries_learned, 0);
	assert_int_equal(fx->stats.arp_requests_left_to_peer, 1);
	assert_int_equal(fx->stats.arp_requests_sent, 2);
}

/* Many entries through the hash: inserted, found, removed (backward
 * shift), found again, with the cache full the whole time. */
static void test_many_entries(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_conf conf;
	uint32_t i;

	net_conf(fx, &conf);
	conf.ifaces[0].prefix_lens[0] = 16;
	conf.arp.cache_size = 200;
	reinit(fx, &conf);
	for (i = 0; i < 600; i++)
		learn_at(fx, IP4(10, 0, 2 + i / 250, 1 + i % 250), i);
	assert_int_equal(arp_count(fx), 200);
	assert_int_equal(fx->stats.arp_entries_evicted, 400);
	for (i = 400; i < 600; i++)
		arp_expect(fx, IP4(10, 0, 2 + i / 250, 1 + i % 250), 0,
		           YS_ARP_REACHABLE, peer_mac, 599 - i, 0);
	for (i = 0; i < 400; i++)
		assert_null(
		        arp_get(fx, IP4(10, 0, 2 + i / 250, 1 + i % 250), 0));
	/* Each one updates in place (found through the hash). */
	for (i = 400; i < 600; i++)
		net_rx_arp(fx, 0, 1, bcast, peer_mac2,
		           IP4(10, 0, 2 + i / 250, 1 + i % 250), OUR_IP, 0);
	assert_int_equal(fx->stats.arp_entries_updated, 200);
	assert_int_equal(arp_count(fx), 200);
}

/* ---- reconfiguration ---------------------------------------------------- */

/* The reconfiguration of test_reconfigure: the interfaces swapped (ports
 * stay), 10.0.1.1/24 gone, 10.0.0.9 static. */
static void reconf_next(struct net_fx *fx, struct ys_stack_conf *conf)
{
	struct ys_stack_conf base;

	net_conf(fx, &base);
	*conf = base;
	conf->ifaces[0] = base.ifaces[1];
	conf->ifaces[1] = base.ifaces[0];
	conf->ifaces[1].n_addrs = 1;
	conf->n_static_arp = 1;
	conf->static_arp[0].ip = BE(IP4(10, 0, 0, 9));
	memcpy(conf->static_arp[0].mac.addr_bytes, static_mac, 6);
	conf->static_arp[0].iface = 1;
}

static void test_reconfigure(void **state)
{
	struct net_fx *fx = *state;
	static struct arp_dump before, after;
	struct ys_stack_stats w;
	struct ys_stack_conf conf;
	const uint32_t p1 = IP4(192, 168, 1, 2), gone = IP4(10, 0, 1, 5),
	               s = IP4(10, 0, 0, 9);

	ys_stack_tick(&fx->st, 1000);
	net_rx_arp(fx, 0, 1, bcast, peer_mac, PEER_IP, OUR_IP, 0);
	net_rx_arp(fx, 1, 1, bcast, peer_mac2, p1, OUR_IP1, 0);
	assert_int_equal(net_send(fx, 0, gone, 1, 10), 0);
	assert_int_equal(net_send(fx, 0, gone, 2, 10), 0);
	assert_int_equal(net_send(fx, 0, s, 3, 10), 0);
	ys_stack_tick(&fx->st, 1500);
	arp_dump(fx, &before);
	w = fx->stats;

	/* Invalid: nothing changes, nothing is counted. */
	reconf_next(fx, &conf);
	conf.n_routes = 1;
	conf.routes[0].prefix = BE(IP4(198, 18, 4, 0));
	conf.routes[0].prefix_len = 24;
	conf.routes[0].via = BE(IP4(172, 16, 0, 1));
	assert_int_equal(ys_stack_reconfigure(&fx->st, &conf), -EINVAL);
	reconf_next(fx, &conf);
	conf.static_arp[0].mac.addr_bytes[0] = 0x01; /* multicast */
	assert_int_equal(ys_stack_reconfigure(&fx->st, &conf), -EINVAL);
	arp_dump(fx, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	net_check_stats(&fx->stats, &w);
	assert_int_equal(fx->st.conf.ifaces[0].n_addrs, 2);

	/* Valid: kept by port and prefix, with their age; gone, its
	 * datagrams dropped; now static, its datagram sent. */
	reconf_next(fx, &conf);
	assert_int_equal(ys_stack_reconfigure(&fx->st, &conf), 0);
	arp_expect(fx, PEER_IP, 0, YS_ARP_REACHABLE, peer_mac, 500, 0);
	arp_expect(fx, p1, 1, YS_ARP_REACHABLE, peer_mac2, 500, 0);
	arp_expect(fx, s, 0, YS_ARP_STATIC, static_mac, 0, 0);
	assert_null(arp_get(fx, gone, 0));
	assert_int_equal(arp_count(fx), 3);
	assert_int_equal(fx->link.n_sent, 3);
	net_check_datagram(fx, 2, static_mac, mac0, OUR_IP, s, 3, 10, 0);
	w.eth_tx++;
	w.drops[YS_STACK_DROP_arp_resolve_failed] = 2;
	net_check_stats(&fx->stats, &w);

	/* Their clocks kept running. */
	ys_stack_tick(&fx->st, 31000);
	arp_expect(fx, PEER_IP, 0, YS_ARP_STALE, peer_mac, 30000, 0);

	/* A smaller cache keeps the most recently confirmed. */
	ys_stack_tick(&fx->st, 32000);
	net_rx_arp(fx, 1, 1, bcast, peer_mac2, p1, OUR_IP1, 0);
	reconf_next(fx, &conf);
	conf.arp.cache_size = 1;
	assert_int_equal(ys_stack_reconfigure(&fx->st, &conf), 0);
	assert_null(arp_get(fx, PEER_IP, 0));
	arp_expect(fx, p1, 1, YS_ARP_REACHABLE, peer_mac2, 0, 0);
	assert_int_equal(fx->stats.arp_entries_evicted, 1);
}

/* ys_stack_fini() frees waiting datagrams, counted. */
static void test_fini_frees_queue(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_conf conf;

	assert_int_equal(net_send(fx, 0, PEER_IP, 1, 10), 0);
	assert_int_equal(net_send(fx, 0, PEER_IP, 2, 10), 0);
	net_flush(fx);
	assert_int_equal(rte_mempool_in_use_count(g_pool), fx->pool_start + 2);
	ys_stack_fini(&fx->st);
	assert_int_equal(rte_mempool_in_use_count(g_pool), fx->pool_start);
	assert_int_equal(fx->stats.drops[YS_STACK_DROP_arp_queue_dropped], 2);
	ys_stack_fini(&fx->st); /* twice is fine */
	net_conf(fx, &conf);
	net_init(fx, &conf);
}

/* ---- time and names ----------------------------------------------------- */

static void test_clock_monotonic(void **state)
{
	struct net_fx *fx = *state;

	learn_at(fx, PEER_IP, 5000);
	ys_stack_tick(&fx->st, 100); /* ignored: the clock never goes back */
	arp_expect(fx, PEER_IP, 0, YS_ARP_REACHABLE, peer_mac, 0, 0);
	ys_stack_tick(&fx->st, 5001);
	arp_expect(fx, PEER_IP, 0, YS_ARP_REACHABLE, peer_mac, 1, 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ys_arp_state_str(YS_ARP_INCOMPLETE), "incomplete");
	assert_string_equal(ys_arp_state_str(YS_ARP_REACHABLE), "reachable");
	assert_string_equal(ys_arp_state_str(YS_ARP_STALE), "stale");
	assert_string_equal(ys_arp_state_str(YS_ARP_STATIC), "static");
	assert_string_equal(ys_arp_state_str(YS_ARP_STATE_MAX), "unknown");
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_arp_queue_dropped),
	                    "arp_queue_dropped");
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_arp_resolve_failed),
	                    "arp_resolve_failed");
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_ip_no_route),
	                    "ip_no_route");
}

#define T(f) cmocka_unit_test_setup_teardown(f, net_setup, net_teardown)

static int group_setup(void **state)
{
	(void)state;
	return net_group_setup("test_arp");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_resolve_and_send),
	        T(test_retries_then_fail),
	        T(test_stale_and_probe),
	        T(test_queue_per_entry),
	        T(test_queue_total),
	        T(test_static_entries),
	        T(test_merge_rule),
	        T(test_responder_and_peer),
	        T(test_announce),
	        T(test_eviction),
	        T(test_many_entries),
	        T(test_reconfigure),
	        T(test_fini_frees_queue),
	        T(test_clock_monotonic),
	        T(test_names),
	};

	return cmocka_run_group_tests(tests, group_setup, net_group_teardown);
}
