/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Toeplitz hash of receive-side scaling, and the RETA that maps a hash
 * to a secondary. One function, one key, one byte order everywhere: the
 * dispatcher, and later the stack's choice of local port, so that replies
 * come back to the secondary that opened the connection.
 *
 * Input is the tuple in network byte order exactly as on the wire:
 * source address, destination address, then (optionally) source port and
 * destination port — the order of the Microsoft RSS specification, whose
 * IPv4 and IPv6 verification vectors tests/unit/test_toeplitz.c checks,
 * and the same result as rte_softrss() on the host-order tuple.
 *
 * Implementations (all give bit-identical results; the unit test proves it
 * against rte_softrss() over millions of random tuples and keys):
 *
 *  - table:   for every input byte position a 256-entry table holds the
 *             XOR of the key windows selected by that byte's bits, so an
 *             n-byte tuple costs n loads and XORs. Plain C, any CPU; the
 *             fallback.
 *  - gfni:    output byte o of the hash is the XOR over input bytes p of
 *             M[p+o] * in[p], where M[s] is an 8x8 bit matrix cut from the
 *             key at bit 8s. One VGF2P8AFFINEQB multiplies 64 bytes by 8
 *             such matrices, so IPv4 + ports takes 2 of them and IPv6 +
 *             ports 5 (ys_toeplitz_gfni.c, built with -mgfni -mavx512*).
 *             Needs GFNI, AVX512F/BW/VL and AVX512VBMI (VPERMB).
 *  - softrss: converts the tuple to host order and calls DPDK's
 *             rte_softrss() per hash. The reference, and the baseline for
 *             tests/bench/bench_toeplitz; never chosen automatically.
 *
 * Selection happens once, in ys_toeplitz_init_impl(). YS_TOEPLITZ_AUTO
 * picks gfni when the CPU supports it, else table. The check is
 * __builtin_cpu_supports() (GFNI, AVX512F/BW/VL/VBMI), not
 * rte_cpu_get_flag_enabled(): it also requires that the kernel enabled
 * the AVX-512 register state (XCR0), which the CPUID bits alone do not
 * promise, and it needs no EAL, so unit tests, the benchmark and the
 * primary decide alike. DPDK's max-SIMD-bitwidth setting is not consulted
 * (it guards against AVX-512 down-clocking on older Intel parts; these
 * are short bursts of integer ops, and Zen 4 has no such penalty).
 * The environment variable
 *
 *     YS_TOEPLITZ_IMPL=auto|table|gfni|softrss
 *
 * read at init overrides the automatic choice (an operator working around
 * a CPU quirk, a test forcing a path); it does not override an explicit
 * implementation requested by the caller. A value that is unknown, or
 * that this CPU cannot run, is logged and the automatic choice used.
 *
 * The choice is a small enum in the struct, and the per-tuple helpers
 * below are inline: one compare, then a direct call. Not a function
 * pointer: the struct is allocated in DPDK shared memory, where a code
 * address of one process means nothing in another; and measured
 * (docs/bench.md), a pointer call or an out-of-line switch each cost
 * ~0.3-0.6 ns more per IPv4 hash than the inline compare.
 */
#ifndef YS_TOEPLITZ_H
#define YS_TOEPLITZ_H

#include <stddef.h>
#include <stdint.h>

#define YS_TOEPLITZ_KEY_LEN   40 /* bytes: covers IPv6 + ports */
#define YS_TOEPLITZ_MAX_INPUT 36 /* bytes: IPv6 addresses + ports */
/*
 * GFNI matrices: one per offset s = p + o (input byte p, output byte o),
 * s = 0..38, rounded up to whole 64-byte vectors of 8.
 */
#define YS_TOEPLITZ_GFNI_MATRICES 40

/* The Microsoft default RSS key, used by most NICs. */
extern const uint8_t ys_toeplitz_default_key[YS_TOEPLITZ_KEY_LEN];

enum ys_toeplitz_impl {
	YS_TOEPLITZ_AUTO, /* only as a request: gfni if supported, else table */
	YS_TOEPLITZ_TABLE,   /* byte-indexed tables, any CPU */
	YS_TOEPLITZ_GFNI,    /* GF(2) affine instructions, AVX-512 */
	YS_TOEPLITZ_SOFTRSS, /* rte_softrss() per hash: the reference */
};

/*
 * Allocate it cache-line aligned (rte_zmalloc does) so the matrices, which
 * come first, fill exactly five cache lines.
 */
struct ys_toeplitz {
	uint64_t gfni_matrix[YS_TOEPLITZ_GFNI_MATRICES];
	enum ys_toeplitz_impl impl; /* never YS_TOEPLITZ_AUTO after init */
	uint8_t key[YS_TOEPLITZ_KEY_LEN];
	uint32_t table[YS_TOEPLITZ_MAX_INPUT][256];
};

/*
 * Precompute the tables and matrices for `key` (YS_TOEPLITZ_KEY_LEN bytes)
 * and select an implementation:
 *  - YS_TOEPLITZ_AUTO: YS_TOEPLITZ_IMPL from the environment if set, else
 *    gfni where supported, else table. Returns -EINVAL for an unknown
 *    YS_TOEPLITZ_IMPL value and -ENOTSUP for one this CPU cannot run; in
 *    both cases `t` is still initialised with the automatic choice, so a
 *    caller may warn and carry on.
 *  - any other value: exactly that one; returns -ENOTSUP (and leaves `t`
 *    untouched) if this CPU cannot run it, -EINVAL for an unknown value.
 * Returns 0 on success. Not for the fast path (~40k table entries).
 */
int ys_toeplitz_init_impl(struct ys_toeplitz *t, const uint8_t *key,
                          enum ys_toeplitz_impl impl);

/* ys_toeplitz_init_impl(t, key, YS_TOEPLITZ_AUTO), errors ignored. */
void ys_toeplitz_init(struct ys_toeplitz *t, const uint8_t *key);

/* The implementation `t` uses (never YS_TOEPLITZ_AUTO). */
static inline enum ys_toeplitz_impl
ys_toeplitz_get_impl(const struct ys_toeplitz *t)
{
	return t->impl;
}

/* Whether this CPU can run `impl` (AUTO, TABLE and SOFTRSS always can). */
int ys_toeplitz_impl_supported(enum ys_toeplitz_impl impl);

/* "auto", "table", "gfni", "softrss"; "?" for anything else. */
const char *ys_toeplitz_impl_name(enum ys_toeplitz_impl impl);

/* Parse one of the names above; returns 0 or -EINVAL. */
int ys_toeplitz_impl_parse(const char *s, enum ys_toeplitz_impl *out);

/*
 * Hash `len` (<= YS_TOEPLITZ_MAX_INPUT) bytes of network-order input with
 * the selected implementation.
 */
uint32_t ys_toeplitz_hash(const struct ys_toeplitz *t, const uint8_t *in,
                          size_t len);

/* The table implementation alone, whatever `t->impl` says. */
static inline uint32_t ys_toeplitz_hash_table(const struct ys_toeplitz *t,
                                              const uint8_t *in, size_t len)
{
	uint32_t h = 0;

	/* Fully unrolled for the constant lengths of the tuple helpers: the
	 * loop bookkeeping otherwise costs as much as the loads. */
#pragma GCC unroll 36
	for (size_t i = 0; i < len; i++)
		h ^= t->table[i][in[i]];
	return h;
}

/*
 * Internal: what the inline wrappers below call. The GFNI functions
 * (ys_toeplitz_gfni.c) take the struct's matrices and may only run when
 * t->impl is YS_TOEPLITZ_GFNI; the sw ones do table or softrss.
 */
uint32_t ys_toeplitz_gfni_ipv4(const uint64_t *m, uint32_t src_be,
                               uint32_t dst_be);
uint32_t ys_toeplitz_gfni_ipv4_l4(const uint64_t *m, uint32_t src_be,
                                  uint32_t dst_be, uint16_t sport_be,
                                  uint16_t dport_be);
uint32_t ys_toeplitz_gfni_ipv6(const uint64_t *m, const uint8_t *src,
                               const uint8_t *dst);
uint32_t ys_toeplitz_gfni_ipv6_l4(const uint64_t *m, const uint8_t *src,
                                  const uint8_t *dst, uint16_t sport_be,
                                  uint16_t dport_be);
uint32_t ys_toeplitz_sw_ipv4(const struct ys_toeplitz *t, uint32_t src_be,
                             uint32_t dst_be);
uint32_t ys_toeplitz_sw_ipv4_l4(const struct ys_toeplitz *t, uint32_t src_be,
                                uint32_t dst_be, uint16_t sport_be,
                                uint16_t dport_be);
uint32_t ys_toeplitz_sw_ipv6(const struct ys_toeplitz *t, const uint8_t *src,
                             const uint8_t *dst);
uint32_t ys_toeplitz_sw_ipv6_l4(const struct ys_toeplitz *t, const uint8_t *src,
                                const uint8_t *dst, uint16_t sport_be,
                                uint16_t dport_be);

/*
 * IPv4 address pair, network byte order (ARP, ICMP echo, fragments):
 * 8 bytes of input.
 */
static inline uint32_t ys_toeplitz_ipv4(const struct ys_toeplitz *t,
                                        uint32_t src_be, uint32_t dst_be)
{
	if (t->impl == YS_TOEPLITZ_GFNI)
		return ys_toeplitz_gfni_ipv4(t->gfni_matrix, src_be, dst_be);
	return ys_toeplitz_sw_ipv4(t, src_be, dst_be);
}

/* IPv4 address pair plus L4 ports, all network byte order: 12 bytes. */
static inline uint32_t ys_toeplitz_ipv4_l4(const struct ys_toeplitz *t,
                                           uint32_t src_be, uint32_t dst_be,
                                           uint16_t sport_be, uint16_t dport_be)
{
	if (t->impl == YS_TOEPLITZ_GFNI)
		return ys_toeplitz_gfni_ipv4_l4(t->gfni_matrix, src_be, dst_be,
		                                sport_be, dport_be);
	return ys_toeplitz_sw_ipv4_l4(t, src_be, dst_be, sport_be, dport_be);
}

/* IPv6 address pair as on the wire (16 bytes each): 32 bytes of input. */
static inline uint32_t ys_toeplitz_ipv6(const struct ys_toeplitz *t,
                                        const uint8_t src[16],
                                        const uint8_t dst[16])
{
	if (t->impl == YS_TOEPLITZ_GFNI)
		return ys_toeplitz_gfni_ipv6(t->gfni_matrix, src, dst);
	return ys_toeplitz_sw_ipv6(t, src, dst);
}

/* IPv6 address pair plus L4 ports, network byte order: 36 bytes. */
static inline uint32_t ys_toeplitz_ipv6_l4(const struct ys_toeplitz *t,
                                           const uint8_t src[16],
                                           const uint8_t dst[16],
                                           uint16_t sport_be, uint16_t dport_be)
{
	if (t->impl == YS_TOEPLITZ_GFNI)
		return ys_toeplitz_gfni_ipv6_l4(t->gfni_matrix, src, dst,
		                                sport_be, dport_be);
	return ys_toeplitz_sw_ipv6_l4(t, src, dst, sport_be, dport_be);
}

/*
 * Fill a RETA of `size` entries (a power of two) for `n` secondaries,
 * round robin, as NICs do by default: entry i -> i % n.
 */
void ys_reta_fill(uint16_t *reta, uint32_t size, uint32_t n);

/* The secondary that owns `hash`: NICs index the RETA with the low bits. */
static inline uint16_t ys_reta_lookup(const uint16_t *reta, uint32_t size,
                                      uint32_t hash)
{
	return reta[hash & (size - 1)];
}

#endif /* YS_TOEPLITZ_H */
