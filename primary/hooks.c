/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hooks for DPDK's own tools (docs/observability.md):
 *
 * - rte_pdump, for dpdk-dumpcap and dpdk-pdump. They attach as DPDK
 *   secondaries and ask the primary (over EAL's IPC channel) to add rx/tx
 *   callbacks to a port; the primary is the only process that calls
 *   rte_eth_rx_burst, and the only one that calls rte_eth_tx_burst on a
 *   port in ring mode (secondaries transmit through tx rings the primary
 *   drains), so the callbacks run on the primary's lcore and copy every
 *   frame into the tool's own pool and ring. On a port in queue mode the
 *   secondaries' own tx queues are not seen (docs/observability.md). That is
 * why the primary's lcore id is YS_PRIMARY_LCORE and not the tools' lcore 0.
 * - telemetry commands /yastack/... (telemetry.c), next to DPDK's own
 *   /ethdev/..., /mempool/... on the EAL telemetry socket.
 * - dpdk-proc-info needs nothing from the primary beyond a file prefix a
 *   secondary can attach to.
 *
 * None of them is needed to forward traffic: a failure is logged and the
 * primary runs on without that hook.
 */
#include <string.h>

#include <rte_errno.h>
#include <rte_pdump.h>

#include "primary.h"
#include "ys_log.h"

/* Process-wide, like the EAL state it mirrors; never on the packet path. */
static int pdump_up;

static int has_eal_arg(const struct ys_config *cfg, const char *arg)
{
	for (uint32_t i = 0; i < cfg->eal.n_args; i++)
		if (strcmp(cfg->eal.args[i], arg) == 0)
			return 1;
	return 0;
}

void ys_hooks_start(struct ys_primary *p)
{
	if (rte_pdump_init() == 0)
		pdump_up = 1;
	else
		YS_WARN("pdump init failed (%s): dpdk-dumpcap cannot capture",
		        rte_strerror(rte_errno));
	if (ys_telemetry_start(p->shm) != 0)
		YS_WARN("telemetry commands under /yastack/ are not available");
	else if (has_eal_arg(&p->cfg, "--no-telemetry"))
		YS_WARN("eal.args has --no-telemetry: the /yastack/ telemetry "
		        "commands are registered but no socket serves them");
	YS_INFO("hooks: pdump %s, telemetry /yastack/ports, "
	        "/yastack/secondaries, /yastack/stats (file prefix %s)",
	        pdump_up ? "on" : "off", p->cfg.eal.file_prefix);
}

/*
 * Before the ports close and the memzone is freed: no new capture can
 * start, and telemetry stops reading shared memory.
 */
void ys_hooks_stop(struct ys_primary *p)
{
	(void)p;
	ys_telemetry_stop();
	if (pdump_up && rte_pdump_uninit() != 0)
		YS_WARN("pdump uninit failed: %s", rte_strerror(rte_errno));
	pdump_up = 0;
}
