/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Toeplitz known-answer tests: the IPv4 verification vectors of the
 * Microsoft RSS specification ("Verifying the RSS Hash Calculation"),
 * with and without ports, and equivalence with DPDK's rte_softrss() over
 * pseudo-random tuples and a non-default key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <rte_thash.h>

#include "ys_toeplitz.h"

struct rss_vector {
	const char *src;
	uint16_t sport;
	const char *dst;
	uint16_t dport;
	uint32_t hash_ipv4;
	uint32_t hash_ipv4_tcp;
};

static const struct rss_vector vectors[] = {
        {"66.9.149.187", 2794, "161.142.100.80", 1766, 0x323e8fc2, 0x51ccc178},
        {"199.92.111.2", 14230, "65.69.140.83", 4739, 0xd718262a, 0xc626b0ea},
        {"24.19.198.95", 12898, "12.22.207.184", 38024, 0xd2d0a5de, 0x5c2b394a},
        {"38.27.205.30", 48228, "209.142.163.6", 2217, 0x82989176, 0xafc7327f},
        {"153.39.163.191", 44251, "202.188.127.2", 1303, 0x5d1809c5,
         0x10e828a2},
};

static struct ys_toeplitz thash;

static uint32_t ip_be(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void test_ms_vectors_ipv4(void **state)
{
	(void)state;
	ys_toeplitz_init(&thash, ys_toeplitz_default_key);
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct rss_vector *v = &vectors[i];
		uint32_t h =
		        ys_toeplitz_ipv4(&thash, ip_be(v->src), ip_be(v->dst));

		assert_int_equal(h, v->hash_ipv4);
	}
}

static void test_ms_vectors_ipv4_tcp(void **state)
{
	(void)state;
	ys_toeplitz_init(&thash, ys_toeplitz_default_key);
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct rss_vector *v = &vectors[i];
		uint32_t h = ys_toeplitz_ipv4_l4(&thash, ip_be(v->src),
		                                 ip_be(v->dst), htons(v->sport),
		                                 htons(v->dport));

		assert_int_equal(h, v->hash_ipv4_tcp);
	}
}

/* rte_softrss takes the tuple in host order and the key as bytes. */
static uint32_t softrss_ipv4_l4(uint32_t src_be, uint32_t dst_be,
                                uint16_t sport_be, uint16_t dport_be,
                                const uint8_t *key, int with_ports)
{
	union rte_thash_tuple tuple;

	memset(&tuple, 0, sizeof(tuple));
	tuple.v4.src_addr = ntohl(src_be);
	tuple.v4.dst_addr = ntohl(dst_be);
	tuple.v4.sport = ntohs(sport_be);
	tuple.v4.dport = ntohs(dport_be);
	return rte_softrss(
	        (uint32_t *)&tuple,
	        with_ports ? RTE_THASH_V4_L4_LEN : RTE_THASH_V4_L3_LEN, key);
}

/* xorshift64: deterministic, seedable tuples. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void check_equivalence(const uint8_t *key, uint64_t seed, int n)
{
	ys_toeplitz_init(&thash, key);
	for (int i = 0; i < n; i++) {
		uint64_t r1 = next_rand(&seed), r2 = next_rand(&seed);
		uint32_t src = (uint32_t)r1, dst = (uint32_t)(r1 >> 32);
		uint16_t sp = (uint16_t)r2, dp = (uint16_t)(r2 >> 16);

		assert_int_equal(ys_toeplitz_ipv4_l4(&thash, src, dst, sp, dp),
		                 softrss_ipv4_l4(src, dst, sp, dp, key, 1));
		assert_int_equal(ys_toeplitz_ipv4(&thash, src, dst),
		                 softrss_ipv4_l4(src, dst, sp, dp, key, 0));
	}
}

static void test_equivalence_default_key(void **state)
{
	(void)state;
	check_equivalence(ys_toeplitz_default_key, 0x9e3779b97f4a7c15ULL,
	                  200000);
}

static void test_equivalence_other_key(void **state)
{
	uint8_t key[YS_TOEPLITZ_KEY_LEN];
	uint64_t s = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)next_rand(&s);
	check_equivalence(key, 7, 200000);
}

static void test_reta_round_robin(void **state)
{
	uint16_t reta[128];

	(void)state;
	ys_reta_fill(reta, 128, 3);
	for (uint32_t i = 0; i < 128; i++)
		assert_int_equal(reta[i], i % 3);
	/* Low bits index the table, as on a NIC. */
	assert_int_equal(ys_reta_lookup(reta, 128, 0x51ccc178), 0x78 % 3);
	assert_int_equal(ys_reta_lookup(reta, 128, 0xffffff80), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ms_vectors_ipv4),
	        cmocka_unit_test(test_ms_vectors_ipv4_tcp),
	        cmocka_unit_test(test_equivalence_default_key),
	        cmocka_unit_test(test_equivalence_other_key),
	        cmocka_unit_test(test_reta_round_robin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
