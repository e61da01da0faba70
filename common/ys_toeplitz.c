/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_thash.h>

#include "ys_log.h"
#include "ys_toeplitz.h"
#include "ys_toeplitz_pvt.h"

const uint8_t ys_toeplitz_default_key[YS_TOEPLITZ_KEY_LEN] = {
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
        0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
        0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
        0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static const char *const impl_names[] = {
        [YS_TOEPLITZ_AUTO] = "auto",
        [YS_TOEPLITZ_TABLE] = "table",
        [YS_TOEPLITZ_GFNI] = "gfni",
        [YS_TOEPLITZ_SOFTRSS] = "softrss",
};

#define N_IMPLS (sizeof(impl_names) / sizeof(impl_names[0]))

/* Key bit `bit` (bit 0 = MSB of key[0]); zero past the end of the key. */
static unsigned key_bit(const uint8_t *key, unsigned bit)
{
	if (bit >= 8 * YS_TOEPLITZ_KEY_LEN)
		return 0;
	return (key[bit / 8] >> (7 - bit % 8)) & 1;
}

/* The `width` key bits starting at bit `bit`, MSB first. */
static uint32_t key_window(const uint8_t *key, unsigned bit, unsigned width)
{
	uint32_t w = 0;

	for (unsigned i = 0; i < width; i++)
		w = (w << 1) | key_bit(key, bit + i);
	return w;
}

static void init_table(struct ys_toeplitz *t, const uint8_t *key)
{
	for (unsigned pos = 0; pos < YS_TOEPLITZ_MAX_INPUT; pos++) {
		uint32_t win[8];

		/* Input bit j of byte pos (MSB first) selects window 8*pos+j.
		 */
		for (unsigned j = 0; j < 8; j++)
			win[j] = key_window(key, pos * 8 + j, 32);
		for (unsigned v = 0; v < 256; v++) {
			uint32_t h = 0;

			for (unsigned j = 0; j < 8; j++)
				if (v & (0x80u >> j))
					h ^= win[j];
			t->table[pos][v] = h;
		}
	}
}

/*
 * Matrix s for VGF2P8AFFINEQB (ys_toeplitz_gfni.c): the instruction
 * computes result bit i of a byte x as parity(matrix byte 7-i AND x). We
 * want output bit r (MSB first, r = 7 - i) = parity over input bits j (MSB
 * first, i.e. x bit 7-j) of key bit 8s + r + j. So matrix byte r is the
 * key byte starting at bit 8s + r.
 */
static void init_gfni(struct ys_toeplitz *t, const uint8_t *key)
{
	for (unsigned s = 0; s < YS_TOEPLITZ_GFNI_MATRICES; s++) {
		uint64_t m = 0;

		for (unsigned r = 0; r < 8; r++)
			m |= (uint64_t)key_window(key, 8 * s + r, 8) << (8 * r);
		t->gfni_matrix[s] = m;
	}
}

/*
 * __builtin_cpu_supports rather than rte_cpu_get_flag_enabled: it also
 * checks that the kernel enabled the AVX-512 register state (XCR0), which
 * a CPUID bit alone does not promise (a VM or kernel may hide it), and it
 * needs no EAL, so unit tests and the benchmark decide the same way the
 * primary does.
 */
static int gfni_cpu_ok(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	__builtin_cpu_init();
	return ys_toeplitz_gfni_built && __builtin_cpu_supports("gfni") &&
	       __builtin_cpu_supports("avx512f") &&
	       __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512vl") &&
	       __builtin_cpu_supports("avx512vbmi");
#else
	return 0;
#endif
}

int ys_toeplitz_impl_supported(enum ys_toeplitz_impl impl)
{
	switch (impl) {
	case YS_TOEPLITZ_AUTO:
	case YS_TOEPLITZ_TABLE:
	case YS_TOEPLITZ_SOFTRSS:
		return 1;
	case YS_TOEPLITZ_GFNI:
		return gfni_cpu_ok();
	}
	return 0;
}

const char *ys_toeplitz_impl_name(enum ys_toeplitz_impl impl)
{
	if ((unsigned)impl >= N_IMPLS)
		return "?";
	return impl_names[impl];
}

int ys_toeplitz_impl_parse(const char *s, enum ys_toeplitz_impl *out)
{
	for (unsigned i = 0; i < N_IMPLS; i++) {
		if (strcmp(s, impl_names[i]) == 0) {
			*out = (enum ys_toeplitz_impl)i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * The automatic choice, or the operator's through YS_TOEPLITZ_IMPL.
 * Sets *rc to -EINVAL / -ENOTSUP when the variable cannot be honoured.
 */
static enum ys_toeplitz_impl choose_auto(int *rc)
{
	enum ys_toeplitz_impl best =
	        gfni_cpu_ok() ? YS_TOEPLITZ_GFNI : YS_TOEPLITZ_TABLE;
	const char *env = getenv("YS_TOEPLITZ_IMPL");
	enum ys_toeplitz_impl want;

	*rc = 0;
	if (env == NULL || env[0] == '\0')
		return best;
	if (ys_toeplitz_impl_parse(env, &want) < 0) {
		YS_WARN("YS_TOEPLITZ_IMPL=%s: not one of auto, table, gfni, "
		        "softrss; using %s",
		        env, ys_toeplitz_impl_name(best));
		*rc = -EINVAL;
		return best;
	}
	if (!ys_toeplitz_impl_supported(want)) {
		YS_WARN("YS_TOEPLITZ_IMPL=%s: this CPU lacks GFNI/AVX-512; "
		        "using %s",
		        env, ys_toeplitz_impl_name(best));
		*rc = -ENOTSUP;
		return best;
	}
	return want == YS_TOEPLITZ_AUTO ? best : want;
}

int ys_toeplitz_init_impl(struct ys_toeplitz *t, const uint8_t *key,
                          enum ys_toeplitz_impl impl)
{
	int rc = 0;

	if ((unsigned)impl >= N_IMPLS)
		return -EINVAL;
	if (impl == YS_TOEPLITZ_AUTO)
		impl = choose_auto(&rc);
	else if (!ys_toeplitz_impl_supported(impl))
		return -ENOTSUP;
	/* Every implementation's data is filled, so tests and the benchmark
	 * can compare them on one struct. */
	memmove(t->key, key, YS_TOEPLITZ_KEY_LEN); /* key may be t->key */
	init_table(t, key);
	init_gfni(t, key);
	t->impl = impl;
	return rc;
}

void ys_toeplitz_init(struct ys_toeplitz *t, const uint8_t *key)
{
	(void)ys_toeplitz_init_impl(t, key, YS_TOEPLITZ_AUTO);
}

/*
 * The softrss reference: rte_softrss() reads the tuple as host-order
 * 32-bit words. Kept out of line so the table code below needs no stack
 * frame for it; not marked cold, which would optimise rte_softrss() for
 * size and make the benchmark's baseline look worse than it is.
 */
#define YS_OUT_OF_LINE __attribute__((noinline))

/* Load the wire bytes big-endian, zero-padding the last word (zero bits
 * add nothing to a Toeplitz hash). */
static YS_OUT_OF_LINE uint32_t softrss_bytes(const struct ys_toeplitz *t,
                                             const uint8_t *in, size_t len)
{
	uint32_t words[(YS_TOEPLITZ_MAX_INPUT + 3) / 4] = {0};
	uint8_t buf[sizeof(words)] = {0};
	size_t n = (len + 3) / 4;

	memcpy(buf, in, len);
	for (size_t i = 0; i < n; i++) {
		uint32_t w;

		memcpy(&w, buf + 4 * i, 4);
		words[i] = rte_be_to_cpu_32(w);
	}
	return rte_softrss(words, (uint32_t)n, t->key);
}

static YS_OUT_OF_LINE uint32_t softrss_ipv4(const struct ys_toeplitz *t,
                                            uint32_t src_be, uint32_t dst_be,
                                            uint16_t sport_be,
                                            uint16_t dport_be, uint32_t words)
{
	uint32_t w[3] = {
	        rte_be_to_cpu_32(src_be),
	        rte_be_to_cpu_32(dst_be),
	        (uint32_t)rte_be_to_cpu_16(sport_be) << 16 |
	                rte_be_to_cpu_16(dport_be),
	};

	return rte_softrss(w, words, t->key);
}

static YS_OUT_OF_LINE uint32_t softrss_ipv6(const struct ys_toeplitz *t,
                                            const uint8_t *src,
                                            const uint8_t *dst,
                                            uint16_t sport_be,
                                            uint16_t dport_be, size_t len)
{
	uint8_t in[YS_TOEPLITZ_MAX_INPUT];

	memcpy(in, src, 16);
	memcpy(in + 16, dst, 16);
	memcpy(in + 32, &sport_be, 2);
	memcpy(in + 34, &dport_be, 2);
	return softrss_bytes(t, in, len);
}

/*
 * The generic entry point: not on the fast path (the tuple helpers are),
 * so one switch serves all three implementations.
 */
uint32_t ys_toeplitz_hash(const struct ys_toeplitz *t, const uint8_t *in,
                          size_t len)
{
	if (len > YS_TOEPLITZ_MAX_INPUT)
		len = YS_TOEPLITZ_MAX_INPUT;
	switch (t->impl) {
	case YS_TOEPLITZ_GFNI:
		return ys_toeplitz_gfni_hash(t->gfni_matrix, in, len);
	case YS_TOEPLITZ_SOFTRSS:
		return softrss_bytes(t, in, len);
	default:
		return ys_toeplitz_hash_table(t, in, len);
	}
}

/*
 * The non-GFNI halves of the inline tuple helpers in ys_toeplitz.h: the
 * table lookups, unless the struct asks for the softrss reference.
 */
uint32_t ys_toeplitz_sw_ipv4(const struct ys_toeplitz *t, uint32_t src_be,
                             uint32_t dst_be)
{
	uint8_t in[8];

	if (t->impl == YS_TOEPLITZ_SOFTRSS)
		return softrss_ipv4(t, src_be, dst_be, 0, 0, 2);
	memcpy(in, &src_be, 4);
	memcpy(in + 4, &dst_be, 4);
	return ys_toeplitz_hash_table(t, in, sizeof(in));
}

uint32_t ys_toeplitz_sw_ipv4_l4(const struct ys_toeplitz *t, uint32_t src_be,
                                uint32_t dst_be, uint16_t sport_be,
                                uint16_t dport_be)
{
	uint8_t in[12];

	if (t->impl == YS_TOEPLITZ_SOFTRSS)
		return softrss_ipv4(t, src_be, dst_be, sport_be, dport_be, 3);
	memcpy(in, &src_be, 4);
	memcpy(in + 4, &dst_be, 4);
	memcpy(in + 8, &sport_be, 2);
	memcpy(in + 10, &dport_be, 2);
	return ys_toeplitz_hash_table(t, in, sizeof(in));
}

uint32_t ys_toeplitz_sw_ipv6(const struct ys_toeplitz *t, const uint8_t *src,
                             const uint8_t *dst)
{
	uint8_t in[32];

	if (t->impl == YS_TOEPLITZ_SOFTRSS)
		return softrss_ipv6(t, src, dst, 0, 0, 32);
	memcpy(in, src, 16);
	memcpy(in + 16, dst, 16);
	return ys_toeplitz_hash_table(t, in, sizeof(in));
}

uint32_t ys_toeplitz_sw_ipv6_l4(const struct ys_toeplitz *t, const uint8_t *src,
                                const uint8_t *dst, uint16_t sport_be,
                                uint16_t dport_be)
{
	uint8_t in[36];

	if (t->impl == YS_TOEPLITZ_SOFTRSS)
		return softrss_ipv6(t, src, dst, sport_be, dport_be, 36);
	memcpy(in, src, 16);
	memcpy(in + 16, dst, 16);
	memcpy(in + 32, &sport_be, 2);
	memcpy(in + 34, &dport_be, 2);
	return ys_toeplitz_hash_table(t, in, sizeof(in));
}

void ys_reta_fill(uint16_t *reta, uint32_t size, uint32_t n)
{
	for (uint32_t i = 0; i < size; i++)
		reta[i] = (uint16_t)(i % n);
}
