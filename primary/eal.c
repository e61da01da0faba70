/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "primary.h"

struct argv_builder {
	char **argv;
	int argc, max;
	char *buf;
	size_t used, cap;
	int err;
};

static void push(struct argv_builder *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void push(struct argv_builder *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err || b->argc >= b->max - 1) {
		b->err = -E2BIG;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->used, b->cap - b->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->used) {
		b->err = -E2BIG;
		return;
	}
	b->argv[b->argc++] = b->buf + b->used;
	b->argv[b->argc] = NULL;
	b->used += (size_t)n + 1;
}

/*
 * Mempool caches are per lcore id and every process of the file prefix
 * shares them, so every process needs its own id: secondary K has K+1,
 * and DPDK's tools that attach as secondaries (dpdk-dumpcap,
 * dpdk-proc-info) run on lcore 0. dpdk-dumpcap's pool is where both
 * sides meet: the primary's pdump callbacks allocate copies from it while
 * dumpcap frees them, and on one lcore id both would use one unlocked
 * cache. Hence YS_PRIMARY_LCORE, the highest id, pinned to eal.cpu.
 */
_Static_assert(YS_PRIMARY_LCORE > YS_MAX_SECONDARIES,
               "the primary's lcore id must differ from every secondary's");

/*
 * The primary runs on lcore YS_PRIMARY_LCORE pinned to eal.cpu (see
 * above). Memory is allocated on demand up to eal.memory_mb, so that a
 * clean stop frees every hugepage file. Without a PCI device in the
 * config, the machine's NICs are never probed: --no-pci. EAL's telemetry
 * socket stays on (docs/observability.md) unless eal.args says
 * --no-telemetry.
 */
int ys_primary_eal_args(const struct ys_config *cfg, char **argv, int max,
                        char *storage, size_t storage_len)
{
	struct argv_builder b = {argv, 0, max, storage, 0, storage_len, 0};
	int any_pci = 0;

	push(&b, "ys-primary");
	push(&b, "--proc-type=primary");
	push(&b, "--file-prefix=%s", cfg->eal.file_prefix);
	push(&b, "--lcores=%u@%u", (unsigned)YS_PRIMARY_LCORE,
	     cfg->eal.primary_cpu);
	push(&b, "--socket-limit=%u", cfg->eal.memory_mb);
	for (uint32_t i = 0; i < cfg->n_ports; i++) {
		const struct ys_cfg_port *port = &cfg->ports[i];

		any_pci |= port->is_pci;
		if (port->is_pci)
			push(&b, "--allow=%s", port->device);
		else
			push(&b, "--vdev=%s", port->device);
	}
	if (!any_pci)
		push(&b, "--no-pci");
	for (uint32_t i = 0; i < cfg->eal.n_args; i++)
		push(&b, "%s", cfg->eal.args[i]);
	return b.err ? b.err : b.argc;
}
