/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The seeded impairment stage (primary/impair.c) on a --no-huge mempool
 * with hand-supplied TSC values (1 tick = 1 us, no real time): the same
 * seed gives the same decisions, each impairment is exact at 0% and
 * 100%, 5% drop over 100k frames is near 5% and equals its counter,
 * delay releases exactly when due, reorder swaps neighbours, duplicates
 * are byte-identical deep copies, corruption flips exactly one bit of
 * the IPv4 packet, and no mbuf is leaked.
 */
#include <inttypes.h>
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

#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "../../primary/impair.h"

#define HZ        1000000ULL /* TSC ticks per second in these tests */
#define FRAME_LEN 60         /* Ethernet minimum: padding after the IP packet */
#define IP_LEN    32         /* 20 IPv4 + 8 UDP + 4 sequence number */
#define L2        ((uint32_t)sizeof(struct rte_ether_hdr))
#define MAX_OUT   8192

static struct rte_mempool *g_pool;
static struct ys_port_stats g_stats, g_stats2;
static struct ys_impair *g_s, *g_s2;
static struct rte_mbuf *g_out[MAX_OUT];

/* The bytes of frame `seq`: Ethernet, IPv4, UDP, seq, zero padding. */
static void frame_bytes(uint32_t seq, uint8_t *b)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)b;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memset(b, 0, FRAME_LEN);
	memset(&eth->dst_addr, 0x02, sizeof(eth->dst_addr));
	memset(&eth->src_addr, 0x04, sizeof(eth->src_addr));
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(IP_LEN);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = RTE_BE32(0xc6120001); /* 198.18.0.1 */
	ip->dst_addr = RTE_BE32(0xc6120002);
	udp->src_port = RTE_BE16(1000);
	udp->dst_port = RTE_BE16(7);
	udp->dgram_len = RTE_BE16(12);
	memcpy(udp + 1, &seq, sizeof(seq));
}

static struct rte_mbuf *frame(uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g_pool);
	uint8_t *b;

	assert_non_null(m);
	b = (uint8_t *)rte_pktmbuf_append(m, FRAME_LEN);
	assert_non_null(b);
	frame_bytes(seq, b);
	return m;
}

/* Frame `seq` in two segments, split at byte `split`. */
static struct rte_mbuf *frame_2seg(uint32_t seq, uint16_t split)
{
	struct rte_mbuf *a = rte_pktmbuf_alloc(g_pool);
	struct rte_mbuf *b = rte_pktmbuf_alloc(g_pool);
	uint8_t bytes[FRAME_LEN];

	assert_non_null(a);
	assert_non_null(b);
	frame_bytes(seq, bytes);
	memcpy(rte_pktmbuf_append(a, split), bytes, split);
	memcpy(rte_pktmbuf_append(b, FRAME_LEN - split), bytes + split,
	       FRAME_LEN - split);
	assert_int_equal(rte_pktmbuf_chain(a, b), 0);
	return a;
}

static uint32_t seq_of(const struct rte_mbuf *m)
{
	uint32_t buf, seq;
	const void *p = rte_pktmbuf_read(m, L2 + 28, sizeof(seq), &buf);

	assert_int_equal(rte_pktmbuf_pkt_len(m), FRAME_LEN);
	assert_non_null(p);
	memcpy(&seq, p, sizeof(seq));
	return seq;
}

/* Linearised copy of m's bytes. */
static void bytes_of(const struct rte_mbuf *m, uint8_t *b)
{
	const void *p;

	assert_int_equal(rte_pktmbuf_pkt_len(m), FRAME_LEN);
	p = rte_pktmbuf_read(m, 0, FRAME_LEN, b);
	assert_non_null(p);
	if (p != b)
		memcpy(b, p, FRAME_LEN);
}

/*
 * Feed frames first..first+n-1 to d in bursts of 32 at time `now`.
 * What comes out is appended to g_out from *n_out on (or freed when
 * `keep` is 0, still counted in *n_out).
 */
static void feed(struct ys_impair_dir *d, uint32_t first, uint32_t n,
                 uint64_t now, unsigned *n_out, int keep)
{
	for (uint32_t i = 0; i < n; i += 32) {
		struct rte_mbuf *in[32], *out[2 * 32 + 2];
		uint16_t k = (uint16_t)RTE_MIN(32u, n - i), got;

		for (uint16_t j = 0; j < k; j++)
			in[j] = frame(first + i + j);
		got = ys_impair_burst(d, in, k, out, RTE_DIM(out), now);
		for (uint16_t j = 0; j < got; j++) {
			if (keep) {
				assert_true(*n_out < MAX_OUT);
				g_out[*n_out] = out[j];
			} else
				rte_pktmbuf_free(out[j]);
			(*n_out)++;
		}
	}
}

static void free_out(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(g_out[i]);
}

static struct ys_cfg_impair cfg_seed(uint32_t seed)
{
	struct ys_cfg_impair c;

	memset(&c, 0, sizeof(c));
	c.enabled = true;
	c.seed = seed;
	return c;
}

static struct ys_impair *make(const struct ys_cfg_impair *c,
                              struct ys_port_stats *st)
{
	struct ys_impair *s =
	        ys_impair_create(c, g_pool, st, HZ, SOCKET_ID_ANY);

	assert_non_null(s);
	return s;
}

static int setup(void **state)
{
	(void)state;
	memset(&g_stats, 0, sizeof(g_stats));
	memset(&g_stats2, 0, sizeof(g_stats2));
	g_s = g_s2 = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ys_impair_free(g_s);
	ys_impair_free(g_s2);
	assert_int_equal(rte_mempool_in_use_count(g_pool), 0);
	return 0;
}

/* Sum of every impair_* counter of one direction. */
static uint64_t rx_counters(const struct ys_port_stats *st)
{
	return st->impair_rx_dropped + st->impair_rx_corrupted +
	       st->impair_rx_duplicated + st->impair_rx_reordered +
	       st->impair_rx_delayed + st->impair_rx_queue_full +
	       st->impair_rx_copy_failed;
}

static uint64_t tx_counters(const struct ys_port_stats *st)
{
	return st->impair_tx_dropped + st->impair_tx_corrupted +
	       st->impair_tx_duplicated + st->impair_tx_reordered +
	       st->impair_tx_delayed + st->impair_tx_queue_full +
	       st->impair_tx_copy_failed;
}

/* ---- tests ------------------------------------------------------------ */

static void test_create_rejects_bad_args(void **state)
{
	struct ys_cfg_impair c = cfg_seed(1);

	(void)state;
	assert_null(ys_impair_create(NULL, g_pool, &g_stats, HZ, 0));
	assert_null(ys_impair_create(&c, NULL, &g_stats, HZ, 0));
	assert_null(ys_impair_create(&c, g_pool, NULL, HZ, 0));
	assert_null(ys_impair_create(&c, g_pool, &g_stats, 0, 0));
	ys_impair_free(NULL);
}

/* Every kind at 0%: everything passes, in order, unchanged, uncounted. */
static void test_zero_percent_passes_everything(void **state)
{
	struct ys_cfg_impair c = cfg_seed(3);
	uint8_t want[FRAME_LEN], got[FRAME_LEN];
	unsigned n = 0;

	(void)state;
	g_s = make(&c, &g_stats);
	feed(&g_s->rx, 0, 1000, 0, &n, 1);
	feed(&g_s->tx, 1000, 1000, 0, &n, 1);
	assert_int_equal(n, 2000);
	for (unsigned i = 0; i < n; i++) {
		frame_bytes(i, want);
		bytes_of(g_out[i], got);
		assert_memory_equal(got, want, FRAME_LEN);
	}
	assert_int_equal(rx_counters(&g_stats) + tx_counters(&g_stats), 0);
	assert_int_equal(ys_impair_inside(&g_s->rx), 0);
	free_out(n);
}

static void test_drop_all(void **state)
{
	struct ys_cfg_impair c = cfg_seed(3);
	unsigned n = 0;

	(void)state;
	c.rx.drop = 100;
	g_s = make(&c, &g_stats);
	feed(&g_s->rx, 0, 1000, 0, &n, 1);
	assert_int_equal(n, 0);
	assert_int_equal(g_stats.impair_rx_dropped, 1000);
	assert_int_equal(rx_counters(&g_stats), 1000);
	/* The other direction is untouched. */
	feed(&g_s->tx, 0, 10, 0, &n, 1);
	assert_int_equal(n, 10);
	assert_int_equal(tx_counters(&g_stats), 0);
	free_out(n);
}

/* 5% of 100k: expected 5000, standard deviation about 69; the bound is
 * +-1000 (about 14 sigma), and the counter is exact. */
static void test_drop_5_percent(void **state)
{
	struct ys_cfg_impair c = cfg_seed(1);
	unsigned n = 0;

	(void)state;
	c.rx.drop = 5;
	g_s = make(&c, &g_stats);
	feed(&g_s->rx, 0, 100000, 0, &n, 0);
	print_message("5%% drop: %" PRIu64 " of 100000 frames dropped\n",
	              g_stats.impair_rx_dropped);
	assert_in_range(g_stats.impair_rx_dropped, 4000, 6000);
	assert_int_equal(g_stats.impair_rx_dropped + n, 100000);
	assert_int_equal(rx_counters(&g_stats), g_stats.impair_rx_dropped);
}

/* Feed 400 frames to d; assert that exactly `dropped` (ascending) are
 * missing and the rest come out in order. */
static void check_drops(struct ys_impair_dir *d, const uint32_t *dropped,
                        unsigned n_dropped)
{
	unsigned n = 0, k = 0;

	feed(d, 0, 400, 0, &n, 1);
	assert_int_equal(n, 400 - n_dropped);
	for (uint32_t seq = 0, i = 0; seq < 400; seq++) {
		if (k < n_dropped && dropped[k] == seq) {
			k++;
			continue;
		}
		assert_int_equal(seq_of(g_out[i++]), seq);
	}
	free_out(n);
}

/*
 * The stream derivation is a contract (tests/integration/impair.sh
 * models it in Python): seed 7, drop 5% drops exactly these of the
 * first 400 frames, in each direction.
 */
static void test_drop_known_answer(void **state)
{
	static const uint32_t rx[] = {9,   20,  23,  48,  119, 121, 144,
	                              203, 209, 248, 302, 329, 396};
	static const uint32_t tx[] = {27,  34,  63,  67,  85,  99,  108,
	                              110, 138, 175, 176, 209, 212, 230,
	                              239, 241, 341, 347, 353};
	struct ys_cfg_impair c = cfg_seed(7);

	(void)state;
	c.rx.drop = 5;
	c.tx.drop = 5;
	g_s = make(&c, &g_stats);
	check_drops(&g_s->rx, rx, RTE_DIM(rx));
	check_drops(&g_s->tx, tx, RTE_DIM(tx));
	assert_int_equal(g_stats.impair_rx_dropped, RTE_DIM(rx));
	assert_int_equal(g_stats.impair_tx_dropped, RTE_DIM(tx));
}

/* Two stages with one seed give the same bytes in the same order; a
 * different seed does not. */
static void test_determinism(void **state)
{
	struct ys_cfg_impair c = cfg_seed(42);
	uint8_t a[FRAME_LEN], b[FRAME_LEN];
	unsigned na = 0, nb, diff;

	(void)state;
	c.rx.drop = 10;
	c.rx.corrupt = 10;
	c.rx.duplicate = 10;
	c.rx.reorder = 10;
	g_s = make(&c, &g_stats);
	g_s2 = make(&c, &g_stats2);
	for (uint32_t i = 0; i < 20; i++)
		feed(&g_s->rx, i * 100, 100, i * 10, &na, 1);
	na += ys_impair_poll(&g_s->rx, g_out + na, 4, 1u << 30);
	nb = na;
	for (uint32_t i = 0; i < 20; i++)
		feed(&g_s2->rx, i * 100, 100, i * 10, &nb, 1);
	nb += ys_impair_poll(&g_s2->rx, g_out + nb, 4, 1u << 30);
	assert_int_equal(nb, na * 2);
	for (unsigned i = 0; i < na; i++) {
		bytes_of(g_out[i], a);
		bytes_of(g_out[na + i], b);
		assert_memory_equal(a, b, FRAME_LEN);
	}
	assert_memory_equal(&g_stats, &g_stats2, sizeof(g_stats));
	assert_true(g_stats.impair_rx_dropped > 0 &&
	            g_stats.impair_rx_corrupted > 0 &&
	            g_stats.impair_rx_duplicated > 0 &&
	            g_stats.impair_rx_reordered > 0);
	free_out(nb);

	/* Another seed: other decisions. */
	ys_impair_free(g_s2);
	memset(&g_stats2, 0, sizeof(g_stats2));
	c.seed = 43;
	g_s2 = make(&c, &g_stats2);
	nb = 0;
	feed(&g_s2->rx, 0, 2000, 0, &nb, 0);
	diff = g_stats.impair_rx_dropped != g_stats2.impair_rx_dropped ||
	       g_stats.impair_rx_corrupted != g_stats2.impair_rx_corrupted ||
	       g_stats.impair_rx_duplicated != g_stats2.impair_rx_duplicated;
	assert_true(diff);
}

/* Each kind has its own stream: the frames dropped do not depend on
 * whether duplicate and reorder are on; rx and tx differ. */
static void test_streams_independent(void **state)
{
	struct ys_cfg_impair c = cfg_seed(5);
	static uint8_t seen_a[2000], seen_b[2000], seen_tx[2000];
	unsigned n = 0;

	(void)state;
	c.rx.drop = 20;
	c.tx.drop = 20;
	g_s = make(&c, &g_stats);
	feed(&g_s->rx, 0, 2000, 0, &n, 1);
	for (unsigned i = 0; i < n; i++)
		seen_a[seq_of(g_out[i])] = 1;
	free_out(n);
	n = 0;
	feed(&g_s->tx, 0, 2000, 0, &n, 1);
	for (unsigned i = 0; i < n; i++)
		seen_tx[seq_of(g_out[i])] = 1;
	free_out(n);

	c.rx.duplicate = 30;
	c.rx.reorder = 30;
	g_s2 = make(&c, &g_stats2);
	n = 0;
	feed(&g_s2->rx, 0, 2000, 0, &n, 1);
	n += ys_impair_poll(&g_s2->rx, g_out + n, 4, 1u << 30);
	for (unsigned i = 0; i < n; i++)
		seen_b[seq_of(g_out[i])] = 1;
	free_out(n);
	assert_memory_equal(seen_a, seen_b, sizeof(seen_a));
	assert_int_equal(g_stats.impair_rx_dropped, g_stats2.impair_rx_dropped);
	assert_memory_not_equal(seen_a, seen_tx, sizeof(seen_a));
}

/* 100% duplicate: every frame followed by a byte-identical deep copy. */
static void test_duplicate_all(void **state)
{
	struct ys_cfg_impair c = cfg_seed(9);
	uint8_t a[FRAME_LEN], b[FRAME_LEN];
	unsigned n = 0;

	(void)state;
	c.rx.duplicate = 100;
	g_s = make(&c, &g_stats);
	feed(&g_s->rx, 0, 100, 0, &n, 1);
	assert_int_equal(n, 200);
	for (unsigned i = 0; i < n; i += 2) {
		bytes_of(g_out[i], a);
		bytes_of(g_out[i + 1], b);
		assert_memory_equal(a, b, FRAME_LEN);
		assert_int_equal(seq_of(g_out[i]), i / 2);
		assert_ptr_not_equal(g_out[i], g_out[i + 1]);
		assert_ptr_not_equal(g_out[i]->buf_addr,
		                     g_out[i + 1]->buf_addr);
		assert_true(RTE_MBUF_DIRECT(g_out[i + 1]));
		assert_int_equal(rte_mbuf_refcnt_read(g_out[i]), 1);
		assert_int_equal(rte_mbuf_refcnt_read(g_out[i + 1]), 1);
	}
	assert_int_equal(g_stats.impair_rx_duplicated, 100);
	assert_int_equal(rx_counters(&g_stats), 100);
	free_out(n);
}

/* 100% reorder: neighbours swap pairwise (a frame that arrives while
 * another is held is the "next one" and is not held itself). */
static void test_reorder_all(void **state)
{
	struct ys_cfg_impair c = cfg_seed(11);
	unsigned n = 0;

	(void)state;
	c.rx.reorder = 100;
	g_s = make(&c, &g_stats);
	feed(&g_s->rx, 0, 100, 0, &n, 1);
	assert_int_equal(n, 100);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(seq_of(g_out[i]), i ^ 1);
	assert_int_equal(g_stats.impair_rx_reordered, 50);
	assert_int_equal(rx_counters(&g_stats), 50);
	assert_int_equal(ys_impair_inside(&g_s->rx), 0);
	free_out(n);
}

/* A held frame keeps its duplicate with it. */
static void test_reorder_with_duplicate(void **state)
{
	static const uint32_t want[] = {1, 1, 0, 0, 3, 3, 2, 2};
	struct ys_cfg_impair c = cfg_seed(11);
	unsigned n = 0;

	(void)state;
	c.tx.reorder = 100;
	c.tx.duplicate = 100;
	g_s = make(&c, &g_stats);
	feed(&g_s->tx, 0, 4, 0, &n, 1);
	assert_int_equal(n, RTE_DIM(want));
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(seq_of(g_out[i]), want[i]);
	assert_int_equal(g_stats.impair_tx_reordered, 2);
	assert_int_equal(g_stats.impair_tx_duplicated, 4);
	free_out(n);
}

/* A held frame with no next one leaves at its deadline, not before. */
static void test_reorder_deadline(void **state)
{
	const uint64_t t0 = 5000, hold = YS_IMPAIR_REORDER_HOLD_US;
	struct ys_cfg_impair c = cfg_seed(11);
	unsigned n = 0;

	(void)state;
	c.rx.reorder = 100;
	g_s = make(&c, &g_stats);
	feed(&g_s->rx, 7, 1, t0, &n, 1);
	assert_int_equal(n, 0);
	assert_int_equal(ys_impair_inside(&g_s->rx), 1);
	assert_int_equal(ys_impair_poll(&g_s->rx, g_out, 8, t0 + hold - 1), 0);
	assert_int_equal(ys_impair_poll(&g_s->rx, g_out, 8, t0 + hold), 1);
	assert_int_equal(seq_of(g_out[0]), 7);
	assert_int_equal(ys_impair_inside(&g_s->rx), 0);
	assert_int_equal(g_stats.impair_rx_reordered, 1);
	free_out(1);
}

/*
 * 100% corrupt: each frame differs from the original in exactly one
 * bit, inside the IPv4 packet (never the Ethernet header or padding);
 * over 2000 frames every byte and every bit position is hit. Frames in
 * two segments too.
 */
static void test_corrupt_all(void **state)
{
	struct ys_cfg_impair c = cfg_seed(13);
	uint8_t want[FRAME_LEN], got[FRAME_LEN];
	unsigned hit_byte[FRAME_LEN] = {0}, hit_bit[8] = {0};
	unsigned n = 0;

	(void)state;
	c.rx.corrupt = 100;
	g_s = make(&c, &g_stats);
	for (uint32_t i = 0; i < 2000; i++) {
		struct rte_mbuf *m = i % 2 ? frame_2seg(i, 20) : frame(i);

		assert_int_equal(ys_impair_burst(&g_s->rx, &m, 1, g_out, 1, 0),
		                 1);
		bytes_of(g_out[0], got);
		frame_bytes(i, want);
		rte_pktmbuf_free(g_out[0]);
		for (unsigned k = 0; k < FRAME_LEN; k++) {
			uint8_t x = got[k] ^ want[k];

			if (x == 0)
				continue;
			assert_int_equal(__builtin_popcount(x), 1);
			assert_in_range(k, L2, L2 + IP_LEN - 1);
			hit_byte[k]++;
			hit_bit[__builtin_ctz(x)]++;
			n++;
		}
	}
	assert_int_equal(n, 2000); /* one changed bit per frame */
	for (unsigned k = L2; k < L2 + IP_LEN; k++)
		assert_true(hit_byte[k] > 0);
	for (unsigned b = 0; b < 8; b++)
		assert_true(hit_bit[b] > 0);
	assert_int_equal(g_stats.impair_rx_corrupted, 2000);
	assert_int_equal(rx_counters(&g_stats), 2000);
}

/* A frame whose data another reference shares (a retransmission queue's
 * clone) is copied before the flip: the sharer's bytes stay intact. */
static void test_corrupt_shared_copies(void **state)
{
	struct ys_cfg_impair c = cfg_seed(13);
	uint8_t want[FRAME_LEN], got[FRAME_LEN];
	struct rte_mbuf *m = frame(1), *in = m;
	unsigned bits = 0;

	(void)state;
	c.tx.corrupt = 100;
	g_s = make(&c, &g_stats);
	rte_mbuf_refcnt_update(m, 1); /* our own reference */
	assert_int_equal(ys_impair_burst(&g_s->tx, &in, 1, g_out, 1, 0), 1);
	assert_ptr_not_equal(g_out[0], m);
	assert_int_equal(rte_mbuf_refcnt_read(m), 1); /* the stage let go */
	frame_bytes(1, want);
	bytes_of(m, got);
	assert_memory_equal(got, want, FRAME_LEN);
	bytes_of(g_out[0], got);
	for (unsigned k = 0; k < FRAME_LEN; k++)
		bits += (unsigned)__builtin_popcount(got[k] ^ want[k]);
	assert_int_equal(bits, 1);
	assert_int_equal(g_stats.impair_tx_corrupted, 1);
	rte_pktmbuf_free(m);
	free_out(1);
}

/* Delay: a frame leaves exactly when now >= arrival + delay_us, in
 * arrival order, at most `cap` per call. */
static void test_delay_exact(void **state)
{
	struct ys_cfg_impair c = cfg_seed(17);
	unsigned n = 0;

	(void)state;
	c.rx.delay_us = 200;
	g_s = make(&c, &g_stats);
	feed(&g_s->rx, 0, 3, 1000, &n, 1);
	feed(&g_s->rx, 3, 2, 1100, &n, 1);
	assert_int_equal(n, 0);
	assert_int_equal(ys_impair_inside(&g_s->rx), 5);
	assert_int_equal(ys_impair_poll(&g_s->rx, g_out, 8, 1199), 0);
	assert_int_equal(ys_impair_poll(&g_s->rx, g_out, 2, 1200), 2);
	assert_int_equal(ys_impair_poll(&g_s->rx, g_out + 2, 8, 1200), 1);
	assert_int_equal(ys_impair_poll(&g_s->rx, g_out + 3, 8, 1299), 0);
	assert_int_equal(ys_impair_poll(&g_s->rx, g_out + 3, 8, 1300), 2);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(seq_of(g_out[i]), i);
	assert_int_equal(g_stats.impair_rx_delayed, 5);
	assert_int_equal(rx_counters(&g_stats), 5);
	assert_int_equal(ys_impair_inside(&g_s->rx), 0);
	free_out(5);
}

/* The delay FIFO is bounded: what does not fit is dropped and counted. */
static void test_delay_queue_full(void **state)
{
	struct ys_cfg_impair c = cfg_seed(17);
	unsigned n = 0, got;

	(void)state;
	c.tx.delay_us = 1000;
	g_s = make(&c, &g_stats);
	feed(&g_s->tx, 0, YS_IMPAIR_QUEUE_SIZE + 10, 0, &n, 1);
	assert_int_equal(n, 0);
	assert_int_equal(g_stats.impair_tx_queue_full, 10);
	assert_int_equal(g_stats.impair_tx_delayed, YS_IMPAIR_QUEUE_SIZE);
	assert_int_equal(ys_impair_inside(&g_s->tx), YS_IMPAIR_QUEUE_SIZE);
	while ((got = ys_impair_poll(&g_s->tx, g_out + n, 64, 1000)) > 0)
		n += got;
	assert_int_equal(n, YS_IMPAIR_QUEUE_SIZE);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(seq_of(g_out[i]), i);
	free_out(n);
}

/* Frames held for reordering or delay are freed with the stage (the
 * teardown checks the pool). */
static void test_free_releases_held(void **state)
{
	struct ys_cfg_impair c = cfg_seed(19);
	unsigned n = 0;

	(void)state;
	c.rx.reorder = 100;
	c.rx.delay_us = 500;
	c.tx.delay_us = 500;
	g_s = make(&c, &g_stats);
	feed(&g_s->rx, 0, 5, 0, &n, 1);
	feed(&g_s->tx, 0, 7, 0, &n, 1);
	assert_int_equal(n, 0);
	assert_int_equal(ys_impair_inside(&g_s->rx), 5);
	assert_int_equal(ys_impair_inside(&g_s->tx), 7);
	assert_int_equal(rte_mempool_in_use_count(g_pool), 12);
}

static void test_describe(void **state)
{
	struct ys_cfg_impair c = cfg_seed(1);
	char buf[512];

	(void)state;
	c.rx.drop = 5;
	c.rx.duplicate = 1;
	c.rx.reorder = 2.5;
	c.rx.corrupt = 0.1;
	c.rx.delay_us = 200;
	c.tx.drop = 100;
	ys_impair_describe(&c, "p0", buf, sizeof(buf));
	assert_string_equal(
	        buf, "IMPAIRMENT ENABLED on port p0 (seed 1): rx drop 5% "
	             "duplicate 1% reorder 2.5% corrupt 0.1% delay 200us; "
	             "tx drop 100% duplicate 0% reorder 0% corrupt 0% delay "
	             "0us - never use in production");
}

static int group_setup(void **state)
{
	(void)state;
	if (ys_test_eal_init("test_impair") != 0)
		return -1;
	/* Room for a full delay FIFO plus a burst of copies. */
	g_pool = rte_pktmbuf_pool_create("ys_test_impair", 8191, 0, 0,
	                                 RTE_MBUF_DEFAULT_BUF_SIZE,
	                                 SOCKET_ID_ANY);
	return g_pool == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rte_mempool_free(g_pool);
	ys_test_eal_fini();
	return 0;
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	        T(test_create_rejects_bad_args),
	        T(test_zero_percent_passes_everything),
	        T(test_drop_all),
	        T(test_drop_5_percent),
	        T(test_drop_known_answer),
	        T(test_determinism),
	        T(test_streams_independent),
	        T(test_duplicate_all),
	        T(test_reorder_all),
	        T(test_reorder_with_duplicate),
	        T(test_reorder_deadline),
	        T(test_corrupt_all),
	        T(test_corrupt_shared_copies),
	        T(test_delay_exact),
	        T(test_delay_queue_full),
	        T(test_free_releases_held),
	        T(test_describe),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
