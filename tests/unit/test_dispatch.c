/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The primary's dispatcher (primary/dispatch.c) with real rings and a
 * --no-huge mempool: each frame kind lands on the ring the Toeplitz/RETA
 * mapping names, ARP is copied to every live secondary with exactly one
 * responder (a live one even when the owner is down), and every drop
 * moves exactly its counter. No mbuf is leaked.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf_dyn.h>
#include <rte_udp.h>

#include "../../primary/primary.h"

#define N_SEC 2

static struct rte_mempool *g_pool;
static struct ys_toeplitz g_thash;
static uint16_t g_reta[128];
static struct ys_secondary_slot g_slots[N_SEC];
static struct ys_dispatch g_d;
static struct ys_port_stats g_stats;

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct rte_mbuf *frame(uint16_t ether_type, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g_pool);
	struct rte_ether_hdr *eth;

	assert_non_null(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(eth);
	memset(eth, 0, len);
	eth->ether_type = htons(ether_type);
	return m;
}

static struct rte_mbuf *udp_frame(const char *src, const char *dst,
                                  uint16_t sport, uint16_t dport)
{
	struct rte_mbuf *m =
	        frame(RTE_ETHER_TYPE_IPV4, sizeof(struct rte_ether_hdr) + 28);
	struct rte_ipv4_hdr *iph = rte_pktmbuf_mtod_offset(
	        m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(iph + 1);

	iph->version_ihl = 0x45;
	iph->next_proto_id = IPPROTO_UDP;
	iph->src_addr = ip(src);
	iph->dst_addr = ip(dst);
	udp->src_port = htons(sport);
	udp->dst_port = htons(dport);
	return m;
}

static struct rte_mbuf *arp_frame(const char *sip, const char *tip)
{
	struct rte_mbuf *m =
	        frame(RTE_ETHER_TYPE_ARP, sizeof(struct rte_ether_hdr) +
	                                          sizeof(struct rte_arp_hdr));
	struct rte_arp_hdr *arp = rte_pktmbuf_mtod_offset(
	        m, struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));

	arp->arp_opcode = htons(RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sip = ip(sip);
	arp->arp_data.arp_tip = ip(tip);
	return m;
}

/* Dequeue ring k; returns how many, and the flags of the first. */
static unsigned drain(unsigned k, uint32_t *flags)
{
	struct rte_mbuf *pkts[64];
	unsigned n = rte_ring_dequeue_burst(g_d.rx_rings[k], (void **)pkts, 64,
	                                    NULL);

	if (n > 0 && flags != NULL)
		*flags = RTE_MBUF_DYNFIELD(pkts[0], g_d.meta_offset,
		                           struct ys_mbuf_meta *)
		                 ->flags;
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

static void dispatch_one(struct rte_mbuf *m)
{
	ys_dispatch_burst(&g_d, &g_stats, &m, 1);
}

static int setup(void **state)
{
	(void)state;
	memset(&g_stats, 0, sizeof(g_stats));
	for (unsigned k = 0; k < N_SEC; k++)
		g_slots[k].state = YS_SEC_RUNNING;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (unsigned k = 0; k < N_SEC; k++)
		assert_int_equal(drain(k, NULL), 0);
	assert_int_equal(rte_mempool_in_use_count(g_pool), 0);
	return 0;
}

static void test_udp_by_4tuple(void **state)
{
	(void)state;
	for (uint16_t port = 1000; port < 1064; port++) {
		uint32_t h = ys_toeplitz_ipv4_l4(&g_thash, ip("198.18.0.1"),
		                                 ip("198.18.0.2"), htons(port),
		                                 htons(7));
		unsigned owner = ys_reta_lookup(g_reta, 128, h);

		dispatch_one(udp_frame("198.18.0.1", "198.18.0.2", port, 7));
		assert_int_equal(drain(owner, NULL), 1);
		assert_int_equal(drain(1 - owner, NULL), 0);
	}
	assert_int_equal(g_stats.rx_packets, 64);
	assert_int_equal(g_stats.dispatched, 64);
}

static void test_arp_copies_one_responder(void **state)
{
	uint32_t h =
	        ys_toeplitz_ipv4(&g_thash, ip("198.18.0.10"), ip("198.18.0.2"));
	unsigned owner = ys_reta_lookup(g_reta, 128, h);
	uint32_t f_owner = 0, f_other = 0;

	(void)state;
	dispatch_one(arp_frame("198.18.0.10", "198.18.0.2"));
	assert_int_equal(drain(owner, &f_owner), 1);
	assert_int_equal(drain(1 - owner, &f_other), 1);
	assert_int_equal(f_owner, YS_MBUF_F_ARP_RESPONDER);
	assert_int_equal(f_other, 0);
	assert_int_equal(g_stats.arp_fanout, 1);
	assert_int_equal(g_stats.dispatched, 2);
}

static void test_arp_owner_dead_live_one_answers(void **state)
{
	uint32_t h =
	        ys_toeplitz_ipv4(&g_thash, ip("198.18.0.10"), ip("198.18.0.2"));
	unsigned owner = ys_reta_lookup(g_reta, 128, h);
	uint32_t flags = 0;

	(void)state;
	g_slots[owner].state = YS_SEC_DEAD;
	dispatch_one(arp_frame("198.18.0.10", "198.18.0.2"));
	assert_int_equal(drain(owner, NULL), 0);
	assert_int_equal(drain(1 - owner, &flags), 1);
	assert_int_equal(flags, YS_MBUF_F_ARP_RESPONDER);
	assert_int_equal(g_stats.drops[YS_PORT_DROP_secondary_dead], 0);
}

static void test_drops_counted(void **state)
{
	uint32_t h =
	        ys_toeplitz_ipv4(&g_thash, ip("198.18.0.1"), ip("198.18.0.2"));
	struct rte_mbuf *m;

	(void)state;
	dispatch_one(frame(RTE_ETHER_TYPE_IPV6, 60));
	assert_int_equal(g_stats.drops[YS_PORT_DROP_unsupported_ethertype], 1);
	dispatch_one(frame(RTE_ETHER_TYPE_IPV4, 20));
	assert_int_equal(g_stats.drops[YS_PORT_DROP_runt], 1);
	m = udp_frame("198.18.0.1", "198.18.0.2", 1, 2);
	rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14)->version_ihl =
	        0x44; /* IHL 4 */
	dispatch_one(m);
	assert_int_equal(g_stats.drops[YS_PORT_DROP_ip_malformed], 1);
	/* ICMP goes by the address pair; its owner is down: counted. */
	g_slots[ys_reta_lookup(g_reta, 128, h)].state = YS_SEC_DEAD;
	m = udp_frame("198.18.0.1", "198.18.0.2", 1, 2);
	rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14)->next_proto_id =
	        IPPROTO_ICMP;
	dispatch_one(m);
	assert_int_equal(g_stats.drops[YS_PORT_DROP_secondary_dead], 1);
	for (unsigned k = 0; k < N_SEC; k++)
		g_slots[k].state = YS_SEC_DEAD;
	dispatch_one(arp_frame("198.18.0.10", "198.18.0.2"));
	assert_int_equal(g_stats.drops[YS_PORT_DROP_secondary_dead], 2);
	assert_int_equal(g_stats.rx_packets, 5);
	assert_int_equal(g_stats.dispatched, 0);
}

static int group_setup(void **state)
{
	static const struct rte_mbuf_dynfield meta = {
	        .name = YS_MBUF_META_DYNFIELD,
	        .size = sizeof(struct ys_mbuf_meta),
	        .align = __alignof__(struct ys_mbuf_meta),
	};
	char prefix[64], name[32];
	char *argv[] = {
	        "test",        "--no-huge",   "--no-pci", "--no-telemetry",
	        "--no-shconf", "-m",          "64",       "--file-prefix",
	        prefix,        "--log-level", "error"};

	(void)state;
	snprintf(prefix, sizeof(prefix), "ys_test_dispatch_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return -1;
	g_pool = rte_pktmbuf_pool_create("ys_test_dispatch", 1023, 0, 0,
	                                 RTE_MBUF_DEFAULT_BUF_SIZE,
	                                 SOCKET_ID_ANY);
	if (g_pool == NULL)
		return -1;
	ys_toeplitz_init(&g_thash, ys_toeplitz_default_key);
	ys_reta_fill(g_reta, 128, N_SEC);
	g_d.thash = &g_thash;
	g_d.reta = g_reta;
	g_d.reta_size = 128;
	g_d.n_secondaries = N_SEC;
	g_d.slots = g_slots;
	g_d.pool = g_pool;
	g_d.meta_offset = rte_mbuf_dynfield_register(&meta);
	for (unsigned k = 0; k < N_SEC; k++) {
		snprintf(name, sizeof(name), "t_rx_%u", k);
		g_d.rx_rings[k] =
		        rte_ring_create(name, 1024, SOCKET_ID_ANY,
		                        RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (g_d.rx_rings[k] == NULL)
			return -1;
	}
	return g_d.meta_offset < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	char run_dir[PATH_MAX];

	(void)state;
	for (unsigned k = 0; k < N_SEC; k++)
		rte_ring_free(g_d.rx_rings[k]);
	rte_mempool_free(g_pool);
	snprintf(run_dir, sizeof(run_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(run_dir); /* empty with --no-shconf */
	return 0;
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	        T(test_udp_by_4tuple),
	        T(test_arp_copies_one_responder),
	        T(test_arp_owner_dead_live_one_answers),
	        T(test_drops_counted),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
