/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK's own GFNI Toeplitz (rte_thash_gfni(), experimental, inline) for
 * bench_toeplitz to compare against. Built with -mgfni -mavx512* (see
 * CMakeLists.txt): only called after the main file checked the CPU.
 */
#include <stddef.h>
#include <stdint.h>

#include <rte_thash.h>

#include "bench_toeplitz.h"

int bench_dpdk_gfni_built(void)
{
#ifdef RTE_THASH_GFNI_DEFINED
	return 1;
#else
	return 0;
#endif
}

/* What the packaged librte_hash itself says (built for -march=corei7). */
int bench_dpdk_gfni_lib_supported(void)
{
	return rte_thash_gfni_supported();
}

void bench_dpdk_gfni_matrix(uint64_t *m, const uint8_t *key, int key_len)
{
	rte_thash_complete_matrix(m, key, key_len);
}

/*
 * Hash `n` tuples of `len` bytes, cycling through the `mask + 1` tuples
 * at `base` spaced `stride` bytes; returns the XOR of the hashes.
 */
uint32_t bench_dpdk_gfni_run(const uint64_t *m, const uint8_t *base,
                             size_t stride, int len, uint32_t mask, uint64_t n)
{
	uint32_t acc = 0;

	for (uint64_t i = 0; i < n; i++)
		acc ^= rte_thash_gfni(m, base + stride * (i & mask), len);
	return acc;
}
