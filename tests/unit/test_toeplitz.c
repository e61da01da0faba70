/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Toeplitz tests, run for every implementation this CPU can execute
 * (table and softrss always, gfni where the CPU has GFNI + AVX-512):
 *  - known answers: the IPv4 and IPv6 verification vectors of the
 *    Microsoft RSS specification ("Verifying the RSS Hash Calculation"),
 *    with and without ports, default key;
 *  - every single-bit tuple, all-zero and all-ones tuples, every length
 *    0..36 through ys_toeplitz_hash();
 *  - equivalence with DPDK's rte_softrss() over YS_TEST_TUPLES random
 *    tuples per tuple kind (IPv4, IPv4 + ports, IPv6, IPv6 + ports), with
 *    the Microsoft key for the first sixteenth and a fresh random key for
 *    each further sixteenth;
 *  - selection: AUTO, explicit requests, the YS_TOEPLITZ_IMPL override;
 *  - RETA mapping.
 * Random data comes from a seeded PRNG: set YS_TOEPLITZ_SEED=<n> to try
 * other seeds; every failure message names the seed to reproduce it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <rte_ip.h>
#include <rte_thash.h>

#include "ys_toeplitz.h"

/*
 * Random tuples per tuple kind, each checked with every implementation.
 * The full count runs in the sanitizer build too: ~1 s here in release,
 * ~2 s under ASan + UBSan (2 vCPU EPYC), so no scaling down is needed.
 */
#define YS_TEST_TUPLES 1000000
#define KEY_EPOCHS     16 /* key changes per random run */

static const enum ys_toeplitz_impl all_impls[] = {
        YS_TOEPLITZ_TABLE,
        YS_TOEPLITZ_GFNI,
        YS_TOEPLITZ_SOFTRSS,
};
#define N_IMPLS (sizeof(all_impls) / sizeof(all_impls[0]))

/* One struct per implementation, all with the same key. */
static struct ys_toeplitz thash[N_IMPLS];
static int have[N_IMPLS];
static uint64_t seed = 0x9e3779b97f4a7c15ULL;

struct rss_vector {
	const char *src;
	uint16_t sport;
	const char *dst;
	uint16_t dport;
	uint32_t hash_l3;
	uint32_t hash_l4;
};

static const struct rss_vector v4_vectors[] = {
        {"66.9.149.187", 2794, "161.142.100.80", 1766, 0x323e8fc2, 0x51ccc178},
        {"199.92.111.2", 14230, "65.69.140.83", 4739, 0xd718262a, 0xc626b0ea},
        {"24.19.198.95", 12898, "12.22.207.184", 38024, 0xd2d0a5de, 0x5c2b394a},
        {"38.27.205.30", 48228, "209.142.163.6", 2217, 0x82989176, 0xafc7327f},
        {"153.39.163.191", 44251, "202.188.127.2", 1303, 0x5d1809c5,
         0x10e828a2},
};

static const struct rss_vector v6_vectors[] = {
        {"3ffe:2501:200:1fff::7", 2794, "3ffe:2501:200:3::1", 1766, 0x2cc18cd5,
         0x40207d3d},
        {"3ffe:501:8::260:97ff:fe40:efab", 14230, "ff02::1", 4739, 0x0f0c461c,
         0xdde51bbf},
        {"3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251,
         "fe80::200:f8ff:fe21:67cf", 38024, 0x4b61e985, 0x02d1feef},
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* splitmix64: any seed, including 0, gives a full-period stream. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill_rand(uint64_t *s, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t r = next_rand(s);

		memcpy(p + i, &r, n - i < 8 ? n - i : 8);
	}
}

static void init_all(const uint8_t *key)
{
	for (size_t i = 0; i < N_IMPLS; i++)
		have[i] = ys_toeplitz_init_impl(&thash[i], key, all_impls[i]) ==
		          0;
	assert_true(have[0]); /* table always works */
}

/* ---- the reference: rte_softrss() on DPDK's own host-order tuple ---- */

/* A tuple in wire order, as yastack's API takes it. */
struct tuple {
	uint8_t src[16], dst[16]; /* IPv4: first 4 bytes */
	uint16_t sport_be, dport_be;
};

enum kind { V4, V4_L4, V6, V6_L4, N_KINDS };

static const char *const kind_names[] = {"ipv4", "ipv4_l4", "ipv6", "ipv6_l4"};

static uint32_t be32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint32_t ref_hash(enum kind k, const struct tuple *tp,
                         const uint8_t *key)
{
	union rte_thash_tuple tu;
	struct rte_ipv6_hdr ip6;

	memset(&tu, 0, sizeof(tu));
	if (k == V4 || k == V4_L4) {
		tu.v4.src_addr = ntohl(be32_at(tp->src));
		tu.v4.dst_addr = ntohl(be32_at(tp->dst));
		tu.v4.sport = ntohs(tp->sport_be);
		tu.v4.dport = ntohs(tp->dport_be);
		return rte_softrss((uint32_t *)&tu,
		                   k == V4 ? RTE_THASH_V4_L3_LEN
		                           : RTE_THASH_V4_L4_LEN,
		                   key);
	}
	memset(&ip6, 0, sizeof(ip6));
	memcpy(ip6.src_addr, tp->src, 16);
	memcpy(ip6.dst_addr, tp->dst, 16);
	rte_thash_load_v6_addrs(&ip6, &tu);
	tu.v6.sport = ntohs(tp->sport_be);
	tu.v6.dport = ntohs(tp->dport_be);
	return rte_softrss((uint32_t *)&tu,
	                   k == V6 ? RTE_THASH_V6_L3_LEN : RTE_THASH_V6_L4_LEN,
	                   key);
}

static uint32_t ys_hash(enum kind k, const struct ys_toeplitz *t,
                        const struct tuple *tp)
{
	switch (k) {
	case V4:
		return ys_toeplitz_ipv4(t, be32_at(tp->src), be32_at(tp->dst));
	case V4_L4:
		return ys_toeplitz_ipv4_l4(t, be32_at(tp->src),
		                           be32_at(tp->dst), tp->sport_be,
		                           tp->dport_be);
	case V6:
		return ys_toeplitz_ipv6(t, tp->src, tp->dst);
	default:
		return ys_toeplitz_ipv6_l4(t, tp->src, tp->dst, tp->sport_be,
		                           tp->dport_be);
	}
}

/* Fails with everything needed to reproduce the mismatch. */
static void check_tuple(enum kind k, const struct tuple *tp, uint32_t want,
                        const char *what, size_t n)
{
	for (size_t i = 0; i < N_IMPLS; i++) {
		uint32_t got;

		if (!have[i])
			continue;
		got = ys_hash(k, &thash[i], tp);
		if (got == want)
			continue;
		fail_msg("%s %s impl=%s #%zu seed=0x%016llx: got 0x%08x, "
		         "rte_softrss 0x%08x (src %02x%02x%02x%02x.. dst "
		         "%02x%02x%02x%02x.. ports %04x %04x)",
		         what, kind_names[k],
		         ys_toeplitz_impl_name(all_impls[i]), n,
		         (unsigned long long)seed, got, want, tp->src[0],
		         tp->src[1], tp->src[2], tp->src[3], tp->dst[0],
		         tp->dst[1], tp->dst[2], tp->dst[3],
		         ntohs(tp->sport_be), ntohs(tp->dport_be));
	}
}

/* ---- known answers ---- */

static void parse_vector(const struct rss_vector *v, int af, struct tuple *tp)
{
	memset(tp, 0, sizeof(*tp));
	assert_int_equal(inet_pton(af, v->src, tp->src), 1);
	assert_int_equal(inet_pton(af, v->dst, tp->dst), 1);
	tp->sport_be = htons(v->sport);
	tp->dport_be = htons(v->dport);
}

static void check_vectors(const struct rss_vector *vs, size_t n, int af)
{
	enum kind l3 = af == AF_INET ? V4 : V6,
	          l4 = af == AF_INET ? V4_L4 : V6_L4;

	init_all(ys_toeplitz_default_key);
	for (size_t j = 0; j < n; j++) {
		struct tuple tp;

		parse_vector(&vs[j], af, &tp);
		/* The published answers first, then rte_softrss agrees. */
		assert_int_equal(ref_hash(l3, &tp, ys_toeplitz_default_key),
		                 vs[j].hash_l3);
		assert_int_equal(ref_hash(l4, &tp, ys_toeplitz_default_key),
		                 vs[j].hash_l4);
		check_tuple(l3, &tp, vs[j].hash_l3, "ms-vector", j);
		check_tuple(l4, &tp, vs[j].hash_l4, "ms-vector", j);
	}
}

static void test_ms_vectors_ipv4(void **state)
{
	(void)state;
	check_vectors(v4_vectors, N_ELEMS(v4_vectors), AF_INET);
}

static void test_ms_vectors_ipv6(void **state)
{
	(void)state;
	check_vectors(v6_vectors, N_ELEMS(v6_vectors), AF_INET6);
}

/* The generic entry point on the Microsoft tuples laid out by hand. */
static void test_ms_vectors_bytes(void **state)
{
	(void)state;
	init_all(ys_toeplitz_default_key);
	for (size_t j = 0; j < N_ELEMS(v6_vectors); j++) {
		struct tuple tp;
		uint8_t in[36];

		parse_vector(&v6_vectors[j], AF_INET6, &tp);
		memcpy(in, tp.src, 16);
		memcpy(in + 16, tp.dst, 16);
		memcpy(in + 32, &tp.sport_be, 2);
		memcpy(in + 34, &tp.dport_be, 2);
		for (size_t i = 0; i < N_IMPLS; i++) {
			if (!have[i])
				continue;
			assert_int_equal(ys_toeplitz_hash(&thash[i], in, 32),
			                 v6_vectors[j].hash_l3);
			assert_int_equal(ys_toeplitz_hash(&thash[i], in, 36),
			                 v6_vectors[j].hash_l4);
		}
	}
}

/* Every input bit alone, all zeros, all ones: pins down the bit order. */
static void test_edge_tuples(void **state)
{
	static const enum kind kinds[] = {V4_L4, V6_L4};

	(void)state;
	init_all(ys_toeplitz_default_key);
	for (size_t ki = 0; ki < N_ELEMS(kinds); ki++) {
		enum kind k = kinds[ki];
		unsigned bits = k == V4_L4 ? 96 : 288,
		         alen = k == V4_L4 ? 4 : 16;
		struct tuple tp;

		for (unsigned b = 0; b < bits + 2; b++) {
			uint8_t flat[36] = {0};

			if (b < bits)
				flat[b / 8] = (uint8_t)(0x80u >> (b % 8));
			else if (b == bits + 1)
				memset(flat, 0xff, sizeof(flat));
			memset(&tp, 0, sizeof(tp));
			memcpy(tp.src, flat, alen);
			memcpy(tp.dst, flat + alen, alen);
			memcpy(&tp.sport_be, flat + 2 * alen, 2);
			memcpy(&tp.dport_be, flat + 2 * alen + 2, 2);
			check_tuple(k, &tp,
			            ref_hash(k, &tp, ys_toeplitz_default_key),
			            "edge", b);
		}
	}
}

/* ys_toeplitz_hash() for every length, random bytes and keys. */
static void test_every_length(void **state)
{
	uint64_t s = seed ^ 0x4c454e;
	uint8_t key[YS_TOEPLITZ_KEY_LEN];

	(void)state;
	for (unsigned round = 0; round < 64; round++) {
		fill_rand(&s, key, sizeof(key));
		init_all(round == 0 ? ys_toeplitz_default_key : key);
		for (size_t len = 0; len <= YS_TOEPLITZ_MAX_INPUT; len++) {
			uint32_t words[9] = {0};
			uint8_t in[36] = {0};
			uint32_t want;

			fill_rand(&s, in, len);
			for (size_t w = 0; w < 9; w++)
				words[w] = ntohl(be32_at(in + 4 * w));
			want = rte_softrss(words, (uint32_t)(len + 3) / 4,
			                   thash[0].key);
			for (size_t i = 0; i < N_IMPLS; i++) {
				uint32_t got;

				if (!have[i])
					continue;
				got = ys_toeplitz_hash(&thash[i], in, len);
				if (got != want)
					fail_msg("len %zu impl=%s round %u "
					         "seed=0x%016llx: 0x%08x != "
					         "0x%08x",
					         len,
					         ys_toeplitz_impl_name(
					                 all_impls[i]),
					         round,
					         (unsigned long long)seed, got,
					         want);
			}
		}
	}
}

/* ---- random equivalence ---- */

static void check_random(enum kind k)
{
	uint64_t s = seed ^ (0x1000ULL * (k + 1));
	uint8_t key[YS_TOEPLITZ_KEY_LEN];
	const size_t per_key = YS_TEST_TUPLES / KEY_EPOCHS + 1;
	size_t done = 0;

	for (unsigned epoch = 0; done < YS_TEST_TUPLES; epoch++) {
		const uint8_t *kp = ys_toeplitz_default_key;

		if (epoch > 0) {
			fill_rand(&s, key, sizeof(key));
			kp = key;
		}
		init_all(kp);
		for (size_t n = 0; n < per_key && done < YS_TEST_TUPLES;
		     n++, done++) {
			struct tuple tp;

			fill_rand(&s, (uint8_t *)&tp, sizeof(tp));
			check_tuple(k, &tp, ref_hash(k, &tp, kp), "random",
			            done);
		}
	}
}

static void test_random_ipv4(void **state)
{
	(void)state;
	check_random(V4);
}

static void test_random_ipv4_l4(void **state)
{
	(void)state;
	check_random(V4_L4);
}

static void test_random_ipv6(void **state)
{
	(void)state;
	check_random(V6);
}

static void test_random_ipv6_l4(void **state)
{
	(void)state;
	check_random(V6_L4);
}

/* ---- selection ---- */

static enum ys_toeplitz_impl auto_choice(void)
{
	return ys_toeplitz_impl_supported(YS_TOEPLITZ_GFNI) ? YS_TOEPLITZ_GFNI
	                                                    : YS_TOEPLITZ_TABLE;
}

static void test_select_auto(void **state)
{
	static struct ys_toeplitz t;

	(void)state;
	unsetenv("YS_TOEPLITZ_IMPL");
	assert_int_equal(ys_toeplitz_init_impl(&t, ys_toeplitz_default_key,
	                                       YS_TOEPLITZ_AUTO),
	                 0);
	assert_int_equal(ys_toeplitz_get_impl(&t), auto_choice());
	ys_toeplitz_init(&t, ys_toeplitz_default_key);
	assert_int_equal(ys_toeplitz_get_impl(&t), auto_choice());
	/* The old entry point still answers the Microsoft vector. */
	assert_int_equal(ys_toeplitz_ipv4_l4(&t, inet_addr("66.9.149.187"),
	                                     inet_addr("161.142.100.80"),
	                                     htons(2794), htons(1766)),
	                 0x51ccc178);
	assert_true(ys_toeplitz_impl_supported(YS_TOEPLITZ_TABLE));
	assert_true(ys_toeplitz_impl_supported(YS_TOEPLITZ_SOFTRSS));
	print_message("auto chooses %s on this CPU\n",
	              ys_toeplitz_impl_name(auto_choice()));
}

static void test_select_explicit(void **state)
{
	static struct ys_toeplitz t;

	(void)state;
	/* An explicit request ignores the environment. */
	setenv("YS_TOEPLITZ_IMPL", "softrss", 1);
	for (size_t i = 0; i < N_IMPLS; i++) {
		int rc;

		t.impl = YS_TOEPLITZ_TABLE;
		rc = ys_toeplitz_init_impl(&t, ys_toeplitz_default_key,
		                           all_impls[i]);
		if (!ys_toeplitz_impl_supported(all_impls[i])) {
			/* Refused, and `t` left as it was. */
			assert_int_equal(rc, -ENOTSUP);
			assert_int_equal(t.impl, YS_TOEPLITZ_TABLE);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(ys_toeplitz_get_impl(&t), all_impls[i]);
	}
	assert_int_equal(ys_toeplitz_init_impl(&t, ys_toeplitz_default_key,
	                                       (enum ys_toeplitz_impl)99),
	                 -EINVAL);
	unsetenv("YS_TOEPLITZ_IMPL");
}

static void test_select_env(void **state)
{
	static struct ys_toeplitz t;
	static const struct {
		const char *value;
		int rc;
		enum ys_toeplitz_impl impl;
	} cases[] = {
	        {"table", 0, YS_TOEPLITZ_TABLE},
	        {"softrss", 0, YS_TOEPLITZ_SOFTRSS},
	        {"auto", 0, YS_TOEPLITZ_AUTO /* = auto_choice() */},
	        {"", 0, YS_TOEPLITZ_AUTO},
	        {"gfni", 0, YS_TOEPLITZ_GFNI},
	        {"GFNI", -EINVAL, YS_TOEPLITZ_AUTO},
	        {"fast", -EINVAL, YS_TOEPLITZ_AUTO},
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		enum ys_toeplitz_impl want = cases[i].impl;
		int rc = cases[i].rc;

		if (want == YS_TOEPLITZ_AUTO)
			want = auto_choice();
		if (want == YS_TOEPLITZ_GFNI &&
		    !ys_toeplitz_impl_supported(YS_TOEPLITZ_GFNI)) {
			want = YS_TOEPLITZ_TABLE;
			rc = -ENOTSUP;
		}
		setenv("YS_TOEPLITZ_IMPL", cases[i].value, 1);
		assert_int_equal(ys_toeplitz_init_impl(&t,
		                                       ys_toeplitz_default_key,
		                                       YS_TOEPLITZ_AUTO),
		                 rc);
		assert_int_equal(ys_toeplitz_get_impl(&t), want);
	}
	unsetenv("YS_TOEPLITZ_IMPL");
}

static void test_impl_names(void **state)
{
	enum ys_toeplitz_impl e;

	(void)state;
	for (int i = YS_TOEPLITZ_AUTO; i <= YS_TOEPLITZ_SOFTRSS; i++) {
		const char *name = ys_toeplitz_impl_name(i);

		assert_int_equal(ys_toeplitz_impl_parse(name, &e), 0);
		assert_int_equal(e, i);
	}
	assert_string_equal(ys_toeplitz_impl_name(YS_TOEPLITZ_GFNI), "gfni");
	assert_string_equal(ys_toeplitz_impl_name((enum ys_toeplitz_impl)42),
	                    "?");
	assert_int_equal(ys_toeplitz_impl_parse("tables", &e), -EINVAL);
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
	const char *s = getenv("YS_TOEPLITZ_SEED");
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ms_vectors_ipv4),
	        cmocka_unit_test(test_ms_vectors_ipv6),
	        cmocka_unit_test(test_ms_vectors_bytes),
	        cmocka_unit_test(test_edge_tuples),
	        cmocka_unit_test(test_every_length),
	        cmocka_unit_test(test_random_ipv4),
	        cmocka_unit_test(test_random_ipv4_l4),
	        cmocka_unit_test(test_random_ipv6),
	        cmocka_unit_test(test_random_ipv6_l4),
	        cmocka_unit_test(test_select_auto),
	        cmocka_unit_test(test_select_explicit),
	        cmocka_unit_test(test_select_env),
	        cmocka_unit_test(test_impl_names),
	        cmocka_unit_test(test_reta_round_robin),
	};

	if (s != NULL)
		seed = strtoull(s, NULL, 0);
	/* The tests pick implementations themselves. */
	unsetenv("YS_TOEPLITZ_IMPL");
	printf("# seed=0x%016llx tuples/kind=%d gfni=%s\n",
	       (unsigned long long)seed, YS_TEST_TUPLES,
	       ys_toeplitz_impl_supported(YS_TOEPLITZ_GFNI) ? "yes" : "no");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
