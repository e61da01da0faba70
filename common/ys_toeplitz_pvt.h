/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to common/ys_toeplitz*.c: the GFNI implementation, which lives
 * in its own compilation unit (ys_toeplitz_gfni.c) because it is built
 * with -mgfni -mavx512*: nothing in that file may run before
 * ys_toeplitz_impl_supported(YS_TOEPLITZ_GFNI) said yes, and nothing else may
 * be built with those flags, or the compiler could put AVX-512 instructions
 * into code every CPU runs.
 *
 * `m` is struct ys_toeplitz.gfni_matrix, filled by ys_toeplitz_init_impl().
 * The per-tuple GFNI functions are declared in ys_toeplitz.h, whose inline
 * wrappers call them.
 */
#ifndef YS_TOEPLITZ_PVT_H
#define YS_TOEPLITZ_PVT_H

#include <stddef.h>
#include <stdint.h>

/* 1 if ys_toeplitz_gfni.c was built with the GFNI code (x86-64, GCC/Clang
 * that know the flags), 0 if the compiler could not: then GFNI is never
 * selected and its functions abort if called. */
extern const int ys_toeplitz_gfni_built;

uint32_t ys_toeplitz_gfni_hash(const uint64_t *m, const uint8_t *in,
                               size_t len);

#endif /* YS_TOEPLITZ_PVT_H */
