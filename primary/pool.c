/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sizing, creating and sweeping the shared mbuf pool.
 *
 * Every place that can hold mbufs at the same time is counted: if their
 * sum exceeds the pool, a busy moment (full rings, a full reassembly
 * table, full caches) starves the ports' rx refill and the system stalls
 * instead of dropping. An explicit eal.mbufs below the sum is refused at
 * start, naming each consumer; eal.mbufs 0 sizes the pool at 1.25 x the
 * sum.
 */
#include <rte_errno.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include "impair.h"
#include "pool.h"
#include "primary.h"
#include "ys_log.h"

static uint32_t cache_max(void)
{
	/* A mempool cache flushes above 1.5 x its size (rte_mempool.h). */
	return YS_POOL_CACHE_SIZE * 3 / 2;
}

/* Mbufs the largest frame of any port takes (two VLAN tags allowed). */
static uint32_t segments_per_frame(const struct ys_config *cfg)
{
	const uint32_t room = RTE_MBUF_DEFAULT_DATAROOM;
	uint32_t frame = 0;

	for (uint32_t i = 0; i < cfg->n_ports; i++)
		frame = RTE_MAX(frame, (uint32_t)cfg->ports[i].mtu +
		                               RTE_ETHER_HDR_LEN + 8 +
		                               RTE_ETHER_CRC_LEN);
	return (frame + room - 1) / room;
}

void ys_pool_plan(const struct ys_config *cfg, const struct ys_port_info *ports,
                  struct ys_pool_plan *plan)
{
	const uint32_t n_sec = cfg->secondaries.count;

	memset(plan, 0, sizeof(*plan));
	for (uint32_t i = 0; i < cfg->n_ports; i++) {
		/* Every queue holds its descriptors' mbufs (ports.c). */
		uint32_t rxq = ports != NULL ? ports[i].n_rx_queues : 1;
		uint32_t txq = ports != NULL ? ports[i].n_tx_queues : 1;

		plan->port_rx += cfg->ports[i].rx_desc * rxq;
		plan->port_tx += cfg->ports[i].tx_desc * txq;
		if (cfg->ports[i].impair.enabled)
			/* Per direction: the delay FIFO, a held frame and
			 * its copy, and one output burst. */
			plan->impairment +=
			        2 * (YS_IMPAIR_QUEUE_SIZE + 2 + YS_BURST);
	}
	/* A ring of size N holds N - 1 entries. */
	plan->rx_rings = n_sec * (cfg->secondaries.ring_size - 1);
	plan->tx_rings = n_sec * (cfg->secondaries.ring_size - 1);
	plan->lcore_caches = (n_sec + 1) * cache_max();
	/* Frames each stack builds, plus datagrams waiting for ARP (a
	 * reload may not raise arp.queue_total past this: ctl_config.c). */
	plan->stacks = n_sec * (YS_SECONDARY_STACK_MBUFS +
	                        cfg->arp.queue_total * segments_per_frame(cfg));
	/* A fragment is a frame, of one or more segments (scatter rx). */
	plan->reassembly = cfg->reassembly.max_flows *
	                           RTE_LIBRTE_IP_FRAG_MAX_FRAG *
	                           segments_per_frame(cfg) +
	                   RTE_IP_FRAG_DEATH_ROW_MBUF_LEN;
	/* One burst in hand, plus a fan-out copy per secondary per frame. */
	plan->primary = YS_BURST * (n_sec + 1);
#define YS_X_SUM(name, help) plan->needed += plan->name;
	YS_POOL_CONSUMERS(YS_X_SUM)
#undef YS_X_SUM
	plan->size = cfg->eal.mbufs;
	if (plan->size == 0)
		plan->size = plan->needed + plan->needed / 4;
}

static void log_plan(const struct ys_pool_plan *plan, int err)
{
#define YS_X_LOG(name, help)                                                   \
	ys_log(err ? YS_LOG_ERR : YS_LOG_INFO, "  %-13s %8u  %s", #name,       \
	       plan->name, help);
	YS_POOL_CONSUMERS(YS_X_LOG)
#undef YS_X_LOG
}

struct rte_mempool *ys_pool_create(const struct ys_config *cfg,
                                   const struct ys_pool_plan *plan,
                                   const char *name)
{
	struct rte_mempool *mp;

	if (plan->size < plan->needed) {
		YS_ERR("eal.mbufs %u is too small: these can hold %u mbufs at "
		       "once (raise eal.mbufs, or set it to 0 to size the "
		       "pool automatically):",
		       plan->size, plan->needed);
		log_plan(plan, 1);
		return NULL;
	}
	YS_INFO("mbuf pool: %u mbufs for consumers that can hold %u:",
	        plan->size, plan->needed);
	log_plan(plan, 0);
	mp = rte_pktmbuf_pool_create(name, plan->size, YS_POOL_CACHE_SIZE, 0,
	                             RTE_MBUF_DEFAULT_BUF_SIZE,
	                             rte_socket_id());
	if (mp == NULL)
		YS_ERR("cannot create mbuf pool of %u mbufs: %s (raise "
		       "eal.memory_mb, or lower the consumers above)",
		       plan->size, rte_strerror(rte_errno));
	(void)cfg;
	return mp;
}

static void clear_owner(struct rte_mempool *mp, void *arg, void *obj,
                        unsigned idx)
{
	(void)mp;
	(void)idx;
	ys_mbuf_meta(obj, *(const int *)arg)->owner = YS_OWNER_NONE;
	ys_mbuf_meta(obj, *(const int *)arg)->flags = 0;
}

void ys_pool_clear_owners(struct rte_mempool *mp, int meta_offset)
{
	rte_mempool_obj_iter(mp, clear_owner, &meta_offset);
}

struct reclaim_ctx {
	int meta_offset;
	uint16_t owner;
	unsigned freed;
};

/*
 * Frees one mbuf the dead owner held, as a lone segment: its chain
 * neighbours carry the same tag and are freed on their own visit.
 */
static void reclaim_one(struct rte_mempool *mp, void *arg, void *obj,
                        unsigned idx)
{
	struct reclaim_ctx *ctx = arg;
	struct rte_mbuf *m = obj;

	(void)mp;
	(void)idx;
	if (ys_mbuf_meta(m, ctx->meta_offset)->owner != ctx->owner)
		return;
	ys_mbuf_meta(m, ctx->meta_offset)->owner = YS_OWNER_NONE;
	m->next = NULL;
	m->nb_segs = 1;
	rte_mbuf_refcnt_set(m, 1);
	rte_pktmbuf_free_seg(m);
	ctx->freed++;
}

unsigned ys_pool_reclaim(struct rte_mempool *mp, int meta_offset,
                         uint16_t owner)
{
	struct reclaim_ctx ctx = {meta_offset, owner, 0};

	rte_mempool_obj_iter(mp, reclaim_one, &ctx);
	return ctx.freed;
}
