/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_toeplitz_dpdk.c, the part built with the GFNI/AVX-512 flags. */
#ifndef BENCH_TOEPLITZ_H
#define BENCH_TOEPLITZ_H

#include <stddef.h>
#include <stdint.h>

int bench_dpdk_gfni_built(void);
int bench_dpdk_gfni_lib_supported(void);
void bench_dpdk_gfni_matrix(uint64_t *m, const uint8_t *key, int key_len);
uint32_t bench_dpdk_gfni_run(const uint64_t *m, const uint8_t *base,
                             size_t stride, int len, uint32_t mask, uint64_t n);

#endif /* BENCH_TOEPLITZ_H */
