/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL for unit tests: one process, no hugepages, no PCI, no telemetry,
 * no shared config, a per-pid file prefix (tests may run in parallel),
 * and the runtime directory removed at the end.
 */
#ifndef YS_TEST_EAL_H
#define YS_TEST_EAL_H

#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_mbuf_dyn.h>

#include "ys_mbuf.h"

/* rte_eal_init for test `name`; 0 or -1. */
static inline int ys_test_eal_init(const char *name)
{
	char prefix[64];
	char *argv[] = {
	        "test",        "--no-huge",   "--no-pci", "--no-telemetry",
	        "--no-shconf", "-m",          "64",       "--file-prefix",
	        prefix,        "--log-level", "error"};

	snprintf(prefix, sizeof(prefix), "ys_%s_%d", name, (int)getpid());
	return rte_eal_init((int)RTE_DIM(argv), argv) < 0 ? -1 : 0;
}

/* rte_eal_cleanup, and the runtime directory (empty with --no-shconf). */
static inline void ys_test_eal_fini(void)
{
	char run_dir[PATH_MAX];

	snprintf(run_dir, sizeof(run_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(run_dir);
}

/* The owner-tag dynamic field, as the primary registers it; its offset. */
static inline int ys_test_register_meta(void)
{
	static const struct rte_mbuf_dynfield meta = {
	        .name = YS_MBUF_META_DYNFIELD,
	        .size = sizeof(struct ys_mbuf_meta),
	        .align = __alignof__(struct ys_mbuf_meta),
	};

	return rte_mbuf_dynfield_register(&meta);
}

#endif /* YS_TEST_EAL_H */
