/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Toeplitz hash with the GF(2) affine instruction (VGF2P8AFFINEQB).
 *
 * Number the hash's output bytes o = 0..3 (o = 0 most significant) and the
 * input bytes p = 0..len-1. Output bit r of byte o is the parity of input
 * byte p's bits j ANDed with key bits 8(p+o) + j + r, summed over p: so
 * output byte o = XOR over p of M[p+o] * in[p], where M[s] is the 8x8 bit
 * matrix whose row r is the key byte starting at bit 8s + r (filled by
 * ys_toeplitz.c). A product depends on p and o only through s = p + o.
 *
 * VGF2P8AFFINEQB multiplies every byte of a 64-bit lane by that lane's
 * matrix. Lane s therefore gets, in its bytes k = 0..3, the input bytes
 * p = s - 3 + k (the ones whose output byte o = 3 - k, where a
 * little-endian uint32 keeps that byte); bytes 4..7, and bytes whose p is
 * out of range, get zero (index 63 of an input vector that holds at most
 * 36 bytes). VPERMB builds those lanes from the tuple in one instruction
 * per 8 lanes; XORing all lanes then leaves the hash in the low 32 bits.
 * A tuple of n bytes needs lanes s = 0..n+2: 2 vectors for IPv4 (+ports),
 * 5 for IPv6 (+ports).
 *
 * This file is built with -mgfni -mavx512f -mavx512bw -mavx512vl
 * -mavx512vbmi (common/CMakeLists.txt); its functions may only run after
 * ys_toeplitz_impl_supported(YS_TOEPLITZ_GFNI) said yes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ys_toeplitz.h"
#include "ys_toeplitz_pvt.h"

#if defined(__x86_64__) && defined(__GFNI__) && defined(__AVX512F__) &&        \
        defined(__AVX512BW__) && defined(__AVX512VL__) &&                      \
        defined(__AVX512VBMI__)

#include <immintrin.h>

const int ys_toeplitz_gfni_built = 1;

#define GFNI_VECTORS (YS_TOEPLITZ_GFNI_MATRICES / 8)
#define ZERO_BYTE    63 /* beyond any tuple in the 64-byte input vector */

/* VPERMB index of byte k of lane s (see the top of the file). */
#define IDX_B(s, k) ((s) + (k) >= 3 ? (s) + (k)-3 : ZERO_BYTE)
#define IDX_LANE(s)                                                            \
	IDX_B(s, 0), IDX_B(s, 1), IDX_B(s, 2), IDX_B(s, 3), ZERO_BYTE,         \
	        ZERO_BYTE, ZERO_BYTE, ZERO_BYTE
#define IDX_VEC(v)                                                             \
	{                                                                      \
		IDX_LANE(8 * (v) + 0), IDX_LANE(8 * (v) + 1),                  \
		        IDX_LANE(8 * (v) + 2), IDX_LANE(8 * (v) + 3),          \
		        IDX_LANE(8 * (v) + 4), IDX_LANE(8 * (v) + 5),          \
		        IDX_LANE(8 * (v) + 6), IDX_LANE(8 * (v) + 7)           \
	}

static const uint8_t lane_index[GFNI_VECTORS][64]
        __attribute__((aligned(64))) = {
                IDX_VEC(0), IDX_VEC(1), IDX_VEC(2), IDX_VEC(3), IDX_VEC(4),
};

/* The partial hashes of lanes 8v..8v+7 for the tuple in `in`. */
static inline __m512i gfni_vector(const uint64_t *m, __m512i in, unsigned v)
{
	__m512i idx = _mm512_load_si512((const void *)lane_index[v]);
	__m512i bytes = _mm512_permutexvar_epi8(idx, in);
	__m512i mat = _mm512_loadu_si512((const void *)(m + 8 * v));

	return _mm512_gf2p8affine_epi64_epi8(bytes, mat, 0);
}

/* XOR the eight lanes; the hash is what lands in the low 32 bits. */
static inline uint32_t gfni_fold(__m512i acc)
{
	__m256i y = _mm256_xor_si256(_mm512_castsi512_si256(acc),
	                             _mm512_extracti64x4_epi64(acc, 1));
	__m128i x = _mm_xor_si128(_mm256_castsi256_si128(y),
	                          _mm256_extracti128_si256(y, 1));

	x = _mm_xor_si128(x, _mm_unpackhi_epi64(x, x));
	return (uint32_t)_mm_cvtsi128_si32(x);
}

/* Tuples of up to 13 bytes: lanes 0..15. */
static inline uint32_t gfni_short(const uint64_t *m, __m512i in)
{
	return gfni_fold(
	        _mm512_xor_si512(gfni_vector(m, in, 0), gfni_vector(m, in, 1)));
}

/* Tuples of up to 37 bytes: lanes 0..39. */
static inline uint32_t gfni_long(const uint64_t *m, __m512i in)
{
	__m512i a =
	        _mm512_xor_si512(gfni_vector(m, in, 0), gfni_vector(m, in, 1));
	__m512i b =
	        _mm512_xor_si512(gfni_vector(m, in, 2), gfni_vector(m, in, 3));

	/* 0x96: a ^ b ^ c in one VPTERNLOGQ. */
	return gfni_fold(
	        _mm512_ternarylogic_epi64(a, b, gfni_vector(m, in, 4), 0x96));
}

uint32_t ys_toeplitz_gfni_hash(const uint64_t *m, const uint8_t *in, size_t len)
{
	__m512i x, acc;
	unsigned vectors;

	if (len == 0)
		return 0;
	if (len > YS_TOEPLITZ_MAX_INPUT)
		len = YS_TOEPLITZ_MAX_INPUT; /* the table path reads no more */
	/* The masked load reads exactly `len` bytes and zeroes the rest. */
	x = _mm512_maskz_loadu_epi8((__mmask64)((1ULL << len) - 1), in);
	vectors = (unsigned)(len + 3 + 7) / 8; /* lanes 0..len+2 */
	acc = gfni_vector(m, x, 0);
	for (unsigned v = 1; v < vectors; v++)
		acc = _mm512_xor_si512(acc, gfni_vector(m, x, v));
	return gfni_fold(acc);
}

uint32_t ys_toeplitz_gfni_ipv4(const uint64_t *m, uint32_t src_be,
                               uint32_t dst_be)
{
	/* Little-endian lanes: src's wire bytes become bytes 0..3. */
	__m128i x =
	        _mm_cvtsi64_si128((long long)((uint64_t)dst_be << 32 | src_be));

	return gfni_short(m, _mm512_zextsi128_si512(x));
}

uint32_t ys_toeplitz_gfni_ipv4_l4(const uint64_t *m, uint32_t src_be,
                                  uint32_t dst_be, uint16_t sport_be,
                                  uint16_t dport_be)
{
	__m128i x =
	        _mm_cvtsi64_si128((long long)((uint64_t)dst_be << 32 | src_be));

	x = _mm_insert_epi32(x, (int)((uint32_t)dport_be << 16 | sport_be), 2);
	return gfni_short(m, _mm512_zextsi128_si512(x));
}

static inline __m256i load_pair(const uint8_t *src, const uint8_t *dst)
{
	return _mm256_set_m128i(_mm_loadu_si128((const __m128i *)dst),
	                        _mm_loadu_si128((const __m128i *)src));
}

uint32_t ys_toeplitz_gfni_ipv6(const uint64_t *m, const uint8_t *src,
                               const uint8_t *dst)
{
	return gfni_long(m, _mm512_zextsi256_si512(load_pair(src, dst)));
}

uint32_t ys_toeplitz_gfni_ipv6_l4(const uint64_t *m, const uint8_t *src,
                                  const uint8_t *dst, uint16_t sport_be,
                                  uint16_t dport_be)
{
	__m512i in = _mm512_zextsi256_si512(load_pair(src, dst));
	__m128i ports =
	        _mm_cvtsi32_si128((int)((uint32_t)dport_be << 16 | sport_be));

	return gfni_long(m, _mm512_inserti32x4(in, ports, 2));
}

#else
/*
 * This compiler cannot generate GFNI/AVX-512 code. ys_toeplitz_gfni_built
 * is 0, so ys_toeplitz_impl_supported() reports GFNI unsupported and no
 * ys_toeplitz ever selects it; these definitions exist only to link, and
 * a call would be a selection bug: abort loudly rather than hash to 0.
 */

const int ys_toeplitz_gfni_built = 0;

uint32_t ys_toeplitz_gfni_hash(const uint64_t *m, const uint8_t *in, size_t len)
{
	(void)m, (void)in, (void)len;
	abort();
}

uint32_t ys_toeplitz_gfni_ipv4(const uint64_t *m, uint32_t src_be,
                               uint32_t dst_be)
{
	(void)m, (void)src_be, (void)dst_be;
	abort();
}

uint32_t ys_toeplitz_gfni_ipv4_l4(const uint64_t *m, uint32_t src_be,
                                  uint32_t dst_be, uint16_t sport_be,
                                  uint16_t dport_be)
{
	(void)m, (void)src_be, (void)dst_be, (void)sport_be, (void)dport_be;
	abort();
}

uint32_t ys_toeplitz_gfni_ipv6(const uint64_t *m, const uint8_t *src,
                               const uint8_t *dst)
{
	(void)m, (void)src, (void)dst;
	abort();
}

uint32_t ys_toeplitz_gfni_ipv6_l4(const uint64_t *m, const uint8_t *src,
                                  const uint8_t *dst, uint16_t sport_be,
                                  uint16_t dport_be)
{
	(void)m, (void)src, (void)dst, (void)sport_be, (void)dport_be;
	abort();
}

#endif
