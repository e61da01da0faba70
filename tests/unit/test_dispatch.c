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

#include "ys_test_eal.h"

#include <arpa/inet.h>
#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf_dyn.h>
#include <rte_udp.h>

#include "../../primary/classify.h"
#include "../../primary/primary.h"
#include "../../primary/reasm.h"

#define N_SEC 2

static struct rte_mempool *g_pool;
static struct ys_toeplitz g_thash;
static uint16_t g_reta[128];
static struct ys_secondary_slot g_slots[N_SEC];
static uint16_t g_live_reta[128];
static struct ys_dispatch g_d;
static struct ys_port_stats g_stats;
static struct ys_dispatch_port g_port = {.stats = &g_stats};
static uint64_t g_now = 1000;

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
	iph->total_length = htons(28);
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
		*flags = ys_mbuf_meta(pkts[0], g_d.meta_offset)->flags;
	/* Owner tags: k's frames are k's, and k clears them on free. */
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(ys_mbuf_meta(pkts[i], g_d.meta_offset)->owner,
		                 k + 1);
		ys_mbuf_set_owner(pkts[i], g_d.meta_offset, YS_OWNER_NONE);
	}
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

static void dispatch_one(struct rte_mbuf *m)
{
	ys_dispatch_burst(&g_d, &g_port, &m, 1, g_now);
}

static int setup(void **state)
{
	(void)state;
	memset(&g_stats, 0, sizeof(g_stats));
	for (unsigned k = 0; k < N_SEC; k++)
		g_slots[k].state = YS_SEC_RUNNING;
	memcpy(g_live_reta, g_reta, sizeof(g_reta));
	g_port.nic_hash = false;
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
	dispatch_one(frame(0x88cc /* LLDP */, 60));
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

/* ---- frame builders for the classification tests ---- */

/* An IPv4 datagram (header + `len` payload bytes) behind `vlans` tags. */
static struct rte_mbuf *ipv4_frame(const char *src, const char *dst,
                                   uint8_t proto, const void *payload,
                                   uint16_t len, uint16_t frag, int vlans)
{
	uint16_t l2 = (uint16_t)(sizeof(struct rte_ether_hdr) + 4 * vlans);
	struct rte_mbuf *m =
	        frame(vlans ? RTE_ETHER_TYPE_VLAN : RTE_ETHER_TYPE_IPV4,
	              l2 + sizeof(struct rte_ipv4_hdr) + len);
	struct rte_ipv4_hdr *iph =
	        rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);

	for (int v = 0; v < vlans; v++) {
		struct rte_vlan_hdr *vh = rte_pktmbuf_mtod_offset(
		        m, struct rte_vlan_hdr *, 14 + 4 * v);

		vh->vlan_tci = htons(100);
		vh->eth_proto = htons(v + 1 < vlans ? RTE_ETHER_TYPE_VLAN
		                                    : RTE_ETHER_TYPE_IPV4);
	}
	iph->version_ihl = 0x45;
	iph->total_length = htons((uint16_t)(sizeof(*iph) + len));
	iph->packet_id = htons(0x1234);
	iph->fragment_offset = htons(frag);
	iph->time_to_live = 64;
	iph->next_proto_id = proto;
	iph->src_addr = ip(src);
	iph->dst_addr = ip(dst);
	iph->hdr_checksum = rte_ipv4_cksum(iph);
	memcpy(iph + 1, payload, len);
	return m;
}

static void v6(const char *s, uint8_t out[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

/* An IPv6 packet: fixed header, next header `nh`, `len` payload bytes. */
static struct rte_mbuf *ipv6_frame(const char *src, const char *dst, uint8_t nh,
                                   const void *payload, uint16_t len)
{
	struct rte_mbuf *m = frame(RTE_ETHER_TYPE_IPV6,
	                           14 + sizeof(struct rte_ipv6_hdr) + len);
	struct rte_ipv6_hdr *h =
	        rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14);

	h->vtc_flow = htonl(6u << 28);
	h->payload_len = htons(len);
	h->proto = nh;
	h->hop_limits = 64;
	v6(src, h->src_addr);
	v6(dst, h->dst_addr);
	memcpy(h + 1, payload, len);
	return m;
}

static unsigned owner_of(const uint8_t *key, size_t len)
{
	return ys_reta_lookup(g_reta, 128,
	                      ys_toeplitz_hash(&g_thash, key, len));
}

static unsigned owner4(const char *s, const char *d, uint16_t sp, uint16_t dp)
{
	uint8_t k[12];
	uint32_t a = ip(s), b = ip(d);
	uint16_t p1 = htons(sp), p2 = htons(dp);

	memcpy(k, &a, 4);
	memcpy(k + 4, &b, 4);
	memcpy(k + 8, &p1, 2);
	memcpy(k + 10, &p2, 2);
	return owner_of(k, sp || dp ? 12 : 8);
}

/* Dequeue one mbuf from ring k (asserting there is exactly one). */
static struct rte_mbuf *take_one(unsigned k)
{
	struct rte_mbuf *pkts[4];
	unsigned n =
	        rte_ring_dequeue_burst(g_d.rx_rings[k], (void **)pkts, 4, NULL);

	assert_int_equal(n, 1);
	return pkts[0];
}

static void test_ipv6_tcp_by_4tuple(void **state)
{
	uint8_t key[36];
	uint16_t ports[2];

	(void)state;
	v6("2001:db8::1", key);
	v6("2001:db8::2", key + 16);
	for (uint16_t sp = 2000; sp < 2032; sp++) {
		uint8_t tcp[20] = {0};

		ports[0] = htons(sp);
		ports[1] = htons(443);
		memcpy(tcp, ports, 4);
		memcpy(key + 32, ports, 4);
		dispatch_one(ipv6_frame("2001:db8::1", "2001:db8::2",
		                        IPPROTO_TCP, tcp, sizeof(tcp)));
		assert_int_equal(drain(owner_of(key, 36), NULL), 1);
	}
	assert_int_equal(g_stats.dispatched, 32);
}

static void test_vlan_same_owner(void **state)
{
	uint16_t udp[4] = {htons(4000), htons(53), htons(8), 0};

	(void)state;
	for (int vlans = 0; vlans <= 2; vlans++) {
		dispatch_one(ipv4_frame("198.18.1.1", "198.18.0.2", IPPROTO_UDP,
		                        udp, 8, 0, vlans));
		assert_int_equal(
		        drain(owner4("198.18.1.1", "198.18.0.2", 4000, 53),
		              NULL),
		        1);
	}
	/* Three tags is more than 802.1ad allows. */
	dispatch_one(ipv4_frame("198.18.1.1", "198.18.0.2", IPPROTO_UDP, udp, 8,
	                        0, 3));
	assert_int_equal(g_stats.drops[YS_PORT_DROP_vlan_too_many], 1);
}

/*
 * "Port unreachable" for a datagram we sent (198.18.0.2:5000 ->
 * 198.18.0.1:53) goes to the owner of the flow as it arrives at us.
 */
static void test_icmp_error_follows_quoted_flow(void **state)
{
	uint8_t icmp[8 + 20 + 8] = {3, 3};
	struct rte_ipv4_hdr *in = (struct rte_ipv4_hdr *)(icmp + 8);
	uint16_t *ports = (uint16_t *)(icmp + 28);
	uint16_t sport = 5000;
	unsigned want;

	(void)state;
	/* A port whose flow's owner differs from the address pair's. */
	while (owner4("198.18.0.1", "198.18.0.2", 53, sport) ==
	       owner4("198.18.0.1", "198.18.0.2", 0, 0))
		sport++;
	want = owner4("198.18.0.1", "198.18.0.2", 53, sport);
	in->version_ihl = 0x45;
	in->next_proto_id = IPPROTO_UDP;
	in->src_addr = ip("198.18.0.2");
	in->dst_addr = ip("198.18.0.1");
	ports[0] = htons(sport);
	ports[1] = htons(53);
	dispatch_one(ipv4_frame("198.18.0.1", "198.18.0.2", IPPROTO_ICMP, icmp,
	                        sizeof(icmp), 0, 0));
	assert_int_equal(drain(want, NULL), 1);
	assert_int_equal(g_stats.icmp_error_steered, 1);
	/* An echo request goes by the address pair. */
	icmp[0] = 8;
	icmp[1] = 0;
	dispatch_one(ipv4_frame("198.18.0.1", "198.18.0.2", IPPROTO_ICMP, icmp,
	                        sizeof(icmp), 0, 0));
	assert_int_equal(drain(owner4("198.18.0.1", "198.18.0.2", 0, 0), NULL),
	                 1);
	assert_int_equal(g_stats.icmp_error_steered, 1);
}

/* ICMPv6 "packet too big" (RFC 4443 3.2) quoting our TCP segment. */
static void test_icmp6_error_follows_quoted_flow(void **state)
{
	uint8_t icmp[8 + 40 + 20] = {2, 0};
	struct rte_ipv6_hdr *in = (struct rte_ipv6_hdr *)(icmp + 8);
	uint16_t *ports = (uint16_t *)(icmp + 48);
	uint8_t key[36];

	(void)state;
	in->vtc_flow = htonl(6u << 28);
	in->proto = IPPROTO_TCP;
	v6("2001:db8::2", in->src_addr); /* us */
	v6("2001:db8::9", in->dst_addr); /* the peer */
	ports[0] = htons(40000);
	ports[1] = htons(80);
	v6("2001:db8::9", key);
	v6("2001:db8::2", key + 16);
	key[32] = 0;
	key[33] = 80;
	key[34] = 40000 >> 8;
	key[35] = 40000 & 0xff;
	dispatch_one(ipv6_frame("2001:db8::ff", "2001:db8::2", IPPROTO_ICMPV6,
	                        icmp, sizeof(icmp)));
	assert_int_equal(drain(owner_of(key, 36), NULL), 1);
	assert_int_equal(g_stats.icmp_error_steered, 1);
}

static void test_neighbour_solicitation_fanout(void **state)
{
	uint8_t ns[24] = {135, 0};
	uint32_t f0 = 0, f1 = 0;

	(void)state;
	dispatch_one(ipv6_frame("fe80::1", "ff02::1:ff00:2", IPPROTO_ICMPV6, ns,
	                        sizeof(ns)));
	assert_int_equal(drain(0, &f0), 1);
	assert_int_equal(drain(1, &f1), 1);
	assert_int_equal(f0 | f1, YS_MBUF_F_ARP_RESPONDER);
	assert_int_equal(f0 & f1, 0);
	assert_int_equal(g_stats.neighbour_fanout, 1);
}

/* Free a frame taken off a ring, as its secondary would. */
static void give_back(struct rte_mbuf *m)
{
	ys_mbuf_set_owner(m, g_d.meta_offset, YS_OWNER_NONE);
	rte_pktmbuf_free(m);
}

/* Fragment f of n of `data`, cut at the offsets cut[0..n]. */
static void send_fragment(const char *src, const uint8_t *data,
                          const uint16_t *cut, int f, int n)
{
	uint16_t mf = f < n - 1 ? RTE_IPV4_HDR_MF_FLAG : 0;

	dispatch_one(ipv4_frame(src, "198.18.0.2", IPPROTO_UDP, data + cut[f],
	                        (uint16_t)(cut[f + 1] - cut[f]),
	                        (uint16_t)(mf | (cut[f] / 8)), 0));
}

/*
 * A 3008-byte UDP datagram in three fragments, the last one first:
 * nothing reaches a secondary until the whole datagram does, at the
 * owner of its 4-tuple, byte for byte, with a valid header checksum.
 */
static void test_ipv4_fragments_reassembled(void **state)
{
	static uint8_t data[3008], got[3008];
	const uint16_t cut[4] = {0, 1480, 2960, sizeof(data)};
	unsigned want = owner4("198.18.1.7", "198.18.0.2", 1234, 7);
	struct rte_ipv4_hdr iph;
	struct rte_mbuf *m;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	data[0] = 1234 >> 8;
	data[1] = 1234 & 0xff;
	data[2] = 0;
	data[3] = 7;
	send_fragment("198.18.1.7", data, cut, 2, 3); /* the last first */
	send_fragment("198.18.1.7", data, cut, 1, 3);
	assert_int_equal(g_stats.reasm_fragments, 2);
	assert_int_equal(rte_ring_count(g_d.rx_rings[0]) +
	                         rte_ring_count(g_d.rx_rings[1]),
	                 0);
	send_fragment("198.18.1.7", data, cut, 0, 3);
	m = take_one(want);
	assert_int_equal(drain(1 - want, NULL), 0);
	assert_true(m->nb_segs >= 3);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 14 + 20 + sizeof(data));
	memcpy(&iph, rte_pktmbuf_mtod_offset(m, void *, 14), sizeof(iph));
	assert_int_equal(ntohs(iph.total_length), 20 + sizeof(data));
	assert_int_equal(iph.fragment_offset, 0);
	assert_int_equal(rte_raw_cksum(&iph, sizeof(iph)), 0xffff);
	assert_memory_equal(rte_pktmbuf_read(m, 34, sizeof(got), got), data,
	                    sizeof(data));
	assert_int_equal(ys_mbuf_meta(m, g_d.meta_offset)->owner, want + 1);
	assert_int_equal(ys_mbuf_meta(m->next, g_d.meta_offset)->owner,
	                 want + 1);
	give_back(m);
	assert_int_equal(g_stats.reasm_datagrams, 1);
}

/*
 * More fragments than rte_ip_frag takes (8): the eighth fragment that
 * finds no room drops the datagram's eight; the ninth, the last, starts
 * a datagram of its own that then times out. All counted.
 */
static void test_reasm_too_many_fragments(void **state)
{
	static uint8_t data[8 * 9 * 16];
	uint16_t cut[10];
	uint64_t timed_out = 0;

	(void)state;
	for (int i = 0; i <= 9; i++)
		cut[i] = (uint16_t)(i * 8 * 16);
	for (int f = 0; f < 9; f++)
		send_fragment("198.18.1.8", data, cut, f, 9);
	assert_int_equal(g_stats.reasm_fragments, 9);
	assert_int_equal(g_stats.reasm_datagrams, 0);
	assert_int_equal(g_stats.drops[YS_PORT_DROP_reasm_failed], 8);
	assert_int_equal(ys_reasm_held(g_d.reasm), 1);
	ys_reasm_tick(g_d.reasm, &timed_out, g_now + 1001);
	assert_int_equal(timed_out, 1);
	assert_int_equal(ys_reasm_held(g_d.reasm), 0);
}

/* An incomplete datagram is freed at the timeout, and counted. */
static void test_reasm_timeout(void **state)
{
	static uint8_t data[64];
	const uint16_t cut[3] = {0, 32, 64};
	uint64_t timed_out = 0;

	(void)state;
	send_fragment("198.18.1.9", data, cut, 0, 2); /* the first only */
	assert_int_equal(ys_reasm_held(g_d.reasm), 1);
	ys_reasm_tick(g_d.reasm, &timed_out, g_now + 500);
	assert_int_equal(timed_out, 0);
	ys_reasm_tick(g_d.reasm, &timed_out, g_now + 1001);
	assert_int_equal(timed_out, 1);
	assert_int_equal(ys_reasm_held(g_d.reasm), 0);
}

/* IPv6 fragments (RFC 8200 4.5) meet at the owner of the whole flow. */
static void test_ipv6_fragments_reassembled(void **state)
{
	uint8_t part[2][8 + 1024];
	uint8_t key[36];
	struct rte_mbuf *m;

	(void)state;
	memset(part, 0x5a, sizeof(part));
	for (int f = 0; f < 2; f++) {
		struct rte_ipv6_fragment_ext *fh = (void *)part[f];

		fh->next_header = IPPROTO_UDP;
		fh->reserved = 0;
		fh->frag_data = htons((uint16_t)((f * 1024) | (f == 0)));
		fh->id = htonl(77);
	}
	memcpy(part[0] + 8, "\x13\x88\x00\x07", 4); /* ports 5000 -> 7 */
	v6("2001:db8::5", key);
	v6("2001:db8::2", key + 16);
	memcpy(key + 32, "\x13\x88\x00\x07", 4);
	for (int f = 1; f >= 0; f--)
		dispatch_one(ipv6_frame("2001:db8::5", "2001:db8::2",
		                        IPPROTO_FRAGMENT, part[f],
		                        sizeof(part[f])));
	m = take_one(owner_of(key, 36));
	assert_int_equal(rte_pktmbuf_pkt_len(m), 14 + 40 + 2048);
	assert_int_equal(
	        rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14)->proto,
	        IPPROTO_UDP);
	give_back(m);
	assert_int_equal(g_stats.reasm_datagrams, 1);
}

/* RFC 6946: an IPv6 atomic fragment is delivered at once, by its ports. */
static void test_ipv6_atomic_fragment(void **state)
{
	uint8_t pkt[8 + 8] = {IPPROTO_UDP, 0,    0, 0, 0, 0, 0, 9,
	                      0x13,        0x88, 0, 7, 0, 8, 0, 0};
	uint8_t key[36];

	(void)state;
	v6("2001:db8::7", key);
	v6("2001:db8::2", key + 16);
	memcpy(key + 32, "\x13\x88\x00\x07", 4);
	dispatch_one(ipv6_frame("2001:db8::7", "2001:db8::2", IPPROTO_FRAGMENT,
	                        pkt, sizeof(pkt)));
	assert_int_equal(drain(owner_of(key, 36), NULL), 1);
	assert_int_equal(g_stats.reasm_fragments, 0);
}

/* An ICMP error quoting a first fragment (MF set) still has its ports. */
static void test_icmp_error_quoting_first_fragment(void **state)
{
	uint8_t icmp[8 + 20 + 8] = {3, 4}; /* fragmentation needed */
	struct rte_ipv4_hdr *in = (struct rte_ipv4_hdr *)(icmp + 8);
	uint16_t *ports = (uint16_t *)(icmp + 28);
	uint16_t sport = 5001;

	(void)state;
	in->version_ihl = 0x45;
	in->next_proto_id = IPPROTO_UDP;
	in->fragment_offset = htons(RTE_IPV4_HDR_MF_FLAG);
	in->src_addr = ip("198.18.0.2");
	in->dst_addr = ip("198.18.0.1");
	/* A port whose flow's owner differs from the address pair's. */
	while (owner4("198.18.0.1", "198.18.0.2", 53, sport) ==
	       owner4("198.18.0.1", "198.18.0.2", 0, 0))
		sport++;
	ports[0] = htons(sport);
	ports[1] = htons(53);
	dispatch_one(ipv4_frame("198.18.0.1", "198.18.0.2", IPPROTO_ICMP, icmp,
	                        sizeof(icmp), 0, 0));
	assert_int_equal(
	        drain(owner4("198.18.0.1", "198.18.0.2", 53, sport), NULL), 1);
}

/*
 * Failover: with "rebalance" a dead secondary's entries are lent to the
 * live one (and counted as lent); with "drop" they stay and drop.
 */
static void test_failover_lend_and_drop(void **state)
{
	uint16_t udp[4] = {0, htons(9), htons(8), 0};
	int on_dead = 0;

	(void)state;
	g_slots[0].state = YS_SEC_DEAD;
	ys_reta_lend(g_reta, 128, g_slots, N_SEC, YS_FAILOVER_REBALANCE,
	             g_live_reta);
	for (unsigned i = 0; i < 128; i++)
		assert_int_equal(g_live_reta[i], 1);
	for (uint16_t sp = 1; sp <= 64; sp++) {
		udp[0] = htons(sp);
		on_dead += owner4("198.18.2.1", "198.18.0.2", sp, 9) == 0;
		dispatch_one(ipv4_frame("198.18.2.1", "198.18.0.2", IPPROTO_UDP,
		                        udp, 8, 0, 0));
	}
	assert_true(on_dead > 0);
	assert_int_equal(drain(1, NULL), 64);
	assert_int_equal(g_stats.lent, on_dead);
	ys_reta_lend(g_reta, 128, g_slots, N_SEC, YS_FAILOVER_DROP,
	             g_live_reta);
	assert_memory_equal(g_live_reta, g_reta, sizeof(g_reta));
	g_slots[0].state = YS_SEC_RUNNING;
}

/* The NIC's hash is trusted for plain TCP/UDP only. */
/* A UDP frame from 198.18.3.1:sport whose NIC hash says `rss`. */
static struct rte_mbuf *nic_frame(uint16_t sport, uint32_t rss)
{
	uint16_t udp[4] = {htons(sport), htons(2), htons(8), 0};
	struct rte_mbuf *m = ipv4_frame("198.18.3.1", "198.18.0.2", IPPROTO_UDP,
	                                udp, 8, 0, 0);

	m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	m->hash.rss = rss;
	return m;
}

static uint32_t sw_hash(uint16_t sport)
{
	return ys_toeplitz_ipv4_l4(&g_thash, ip("198.18.3.1"), ip("198.18.0.2"),
	                           htons(sport), htons(2));
}

/*
 * The NIC's hash is trusted for plain TCP/UDP only, and verified: the
 * first 64 are checked (and match), the 65th is trusted unchecked (a
 * planted wrong hash steers it: proof it is used), the 1025th is checked
 * again and a mismatch turns the NIC's hash off for good.
 */
static void test_nic_hash(void **state)
{
	uint8_t echo[8] = {8, 0};
	uint16_t sp = 1;
	struct rte_mbuf *m;
	unsigned owner;

	(void)state;
	g_port.nic_hash = true;
	for (int i = 0; i < 64; i++, sp++) {
		dispatch_one(nic_frame(sp, sw_hash(sp)));
		assert_int_equal(drain(0, NULL) + drain(1, NULL), 1);
	}
	owner = ys_reta_lookup(g_reta, 128, sw_hash(sp));
	dispatch_one(nic_frame(sp, sw_hash(sp) ^ 1)); /* the other secondary */
	assert_int_equal(drain(1 - owner, NULL), 1);
	sp++;
	/* ICMP is hashed by us whatever the NIC says. */
	m = ipv4_frame("198.18.3.1", "198.18.0.2", IPPROTO_ICMP, echo, 8, 0, 0);
	m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	m->hash.rss = 1;
	dispatch_one(m);
	assert_int_equal(drain(owner4("198.18.3.1", "198.18.0.2", 0, 0), NULL),
	                 1);
	assert_int_equal(g_stats.nic_hash_used, 65);
	for (; g_stats.nic_hash_used < 1024; sp++) {
		dispatch_one(nic_frame(sp, sw_hash(sp)));
		drain(0, NULL);
		drain(1, NULL);
	}
	owner = ys_reta_lookup(g_reta, 128, sw_hash(sp));
	dispatch_one(nic_frame(sp, sw_hash(sp) ^ 1)); /* checked: caught */
	assert_int_equal(drain(owner, NULL), 1);
	assert_int_equal(g_stats.nic_hash_mismatch, 1);
	assert_false(g_port.nic_hash);
	sp++;
	dispatch_one(nic_frame(sp, sw_hash(sp) ^ 1)); /* no longer trusted */
	assert_int_equal(drain(ys_reta_lookup(g_reta, 128, sw_hash(sp)), NULL),
	                 1);
	assert_int_equal(g_stats.nic_hash_used, 1025);
}

/*
 * Garbage of every length and kind: each frame is dispatched (once, or
 * once per secondary for neighbour traffic), taken into reassembly, or
 * dropped under a reason — the counters add up, nothing leaks (the
 * teardown checks the pool), nothing crashes.
 */
static void test_garbage_accounted(void **state)
{
	static const uint16_t types[] = {
	        RTE_ETHER_TYPE_IPV4, RTE_ETHER_TYPE_IPV6, RTE_ETHER_TYPE_ARP,
	        RTE_ETHER_TYPE_VLAN, 0x1234};
	uint64_t seed = 42, drops = 0, timed_out = 0, fanouts;

	(void)state;
	for (int i = 0; i < 3000; i++) {
		size_t len = 14 + (size_t)(i * 37 % 190);
		struct rte_mbuf *m = frame(types[i % 5], len);
		uint8_t *b = rte_pktmbuf_mtod(m, uint8_t *);

		for (size_t j = 14; j < len; j++) {
			seed = seed * 6364136223846793005ULL +
			       1442695040888963407ULL;
			b[j] = (uint8_t)(seed >> 56);
		}
		/* Often a plausible version, so parsing goes deeper. */
		if (i % 3 == 0 && len > 14)
			b[14] = types[i % 5] == RTE_ETHER_TYPE_IPV6 ? 0x60
			                                            : 0x45;
		dispatch_one(m);
		drain(0, NULL);
		drain(1, NULL);
	}
	ys_reasm_tick(g_d.reasm, &timed_out, g_now + 5000);
	drain(0, NULL);
	drain(1, NULL);
	for (unsigned r = 0; r < YS_PORT_DROP_MAX; r++)
		if (r != YS_PORT_DROP_reasm_failed)
			drops += g_stats.drops[r];
	fanouts = g_stats.arp_fanout + g_stats.neighbour_fanout;
	assert_int_equal(g_stats.rx_packets, 3000);
	assert_int_equal(g_stats.rx_packets,
	                 g_stats.dispatched - fanouts * N_SEC -
	                         g_stats.reasm_datagrams + fanouts + drops +
	                         g_stats.reasm_fragments);
	assert_int_equal(ys_reasm_held(g_d.reasm), 0);
}

static int group_setup(void **state)
{
	static const struct ys_cfg_reassembly reasm_cfg = {.max_flows = 16,
	                                                   .timeout_ms = 1000};
	char name[32];
	(void)state;
	if (ys_test_eal_init("test_dispatch") != 0)
		return -1;
	g_pool = rte_pktmbuf_pool_create("ys_test_dispatch", 1023, 0, 0,
	                                 RTE_MBUF_DEFAULT_BUF_SIZE,
	                                 SOCKET_ID_ANY);
	if (g_pool == NULL)
		return -1;
	ys_toeplitz_init(&g_thash, ys_toeplitz_default_key);
	ys_reta_fill(g_reta, 128, N_SEC);
	g_d.thash = &g_thash;
	g_d.reta = g_live_reta;
	g_d.home_reta = g_reta;
	g_d.reasm = ys_reasm_create(&reasm_cfg, 1000, SOCKET_ID_ANY);
	if (g_d.reasm == NULL)
		return -1;
	g_d.reta_size = 128;
	g_d.n_secondaries = N_SEC;
	g_d.slots = g_slots;
	g_d.pool = g_pool;
	g_d.meta_offset = ys_test_register_meta();
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
	(void)state;
	for (unsigned k = 0; k < N_SEC; k++)
		rte_ring_free(g_d.rx_rings[k]);
	ys_reasm_free(g_d.reasm);
	rte_mempool_free(g_pool);
	ys_test_eal_fini();
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
	        T(test_ipv6_tcp_by_4tuple),
	        T(test_vlan_same_owner),
	        T(test_icmp_error_follows_quoted_flow),
	        T(test_icmp6_error_follows_quoted_flow),
	        T(test_neighbour_solicitation_fanout),
	        T(test_ipv4_fragments_reassembled),
	        T(test_reasm_too_many_fragments),
	        T(test_reasm_timeout),
	        T(test_ipv6_fragments_reassembled),
	        T(test_ipv6_atomic_fragment),
	        T(test_icmp_error_quoting_first_fragment),
	        T(test_failover_lend_and_drop),
	        T(test_nic_hash),
	        T(test_garbage_accounted),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
