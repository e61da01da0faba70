/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The secondaries' lives as the primary sees them: joining, dying, and
 * being reaped.
 *
 * A secondary is "lost" when its control connection closes or the
 * periodic check finds its process gone. Its slot turns dead at once, so
 * the dispatcher stops feeding it (and, with failover "rebalance", lends
 * its RETA entries to live secondaries). Its resources are "reaped" only
 * once its process has really exited — a process that closed its socket
 * may still be running and touching its rings and its mempool cache:
 *
 *   1. free what is on its rx and tx rings, and reset them;
 *   2. flush its lcore's mempool cache back to the pool (free mbufs it
 *      had cached; nobody else uses that lcore id) — or abandon it, if
 *      the secondary died inside the mempool (settle_cache());
 *   3. walk the pool for mbufs still tagged with its owner tag (the
 *      ones it held when it died, ys_mbuf.h) and free them.
 *
 * A restart with the same id is accepted once the old one is reaped.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

#include <event2/event.h>
#include <rte_cycles.h>
#include <rte_mempool.h>

#include "pool.h"
#include "primary.h"
#include "ys_log.h"

#define REAPER_PERIOD_MS 20

/*
 * True once `pid` has exited: no such process, or a zombie (it is dead
 * but its parent has not collected it; kill(pid, 0) still succeeds).
 */
bool ys_process_gone(pid_t pid)
{
	char path[64], buf[256], *state;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return true;
	if (kill(pid, 0) != 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return errno == ENOENT;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold spaces and parentheses. */
	state = strrchr(buf, ')');
	return state != NULL && state[1] == ' ' &&
	       (state[2] == 'Z' || state[2] == 'X');
}

static void rebuild_reta(struct ys_primary *p)
{
	ys_reta_lend(p->shm->reta, p->shm->reta_size, p->shm->slots,
	             p->shm->n_secondaries, p->cfg.secondaries.failover,
	             p->live_reta);
	p->shm->primary_stats.reta_rebuilds++;
}

/*
 * Give the dead secondary's mempool cache back to the pool — unless it
 * died inside the mempool (ys_mbuf.h): then the cache may hold stale
 * pointers, so it is emptied without freeing anything, and what it held
 * (plus a transmit it may have left half done) is counted as lost.
 */
static void settle_cache(struct ys_primary *p, uint32_t k)
{
	struct ys_secondary_stats *st = &p->shm->sec_stats[k];
	struct rte_mempool_cache *cache =
	        rte_mempool_default_cache(p->pool, p->shm->slots[k].lcore_id);
	uint32_t lost;

	if (!st->in_mempool) {
		if (cache != NULL)
			rte_mempool_cache_flush(cache, p->pool);
		return;
	}
	lost = (cache != NULL ? cache->len : 0) + YS_SECONDARY_TX_STAGE;
	if (cache != NULL)
		cache->len = 0;
	st->in_mempool = 0; /* its writer is dead: the block is ours now */
	p->shm->primary_stats.caches_abandoned++;
	p->shm->primary_stats.mbufs_maybe_lost += lost;
	YS_WARN("secondary %u died inside the mempool: its cache is "
	        "abandoned, up to %u mbufs lost (%" PRIu64 " in all)",
	        k, lost, p->shm->primary_stats.mbufs_maybe_lost);
}

bool ys_registry_pool_at_risk(const struct ys_primary *p)
{
	const struct ys_pool_plan *plan = &p->pool_plan;

	return p->shm->primary_stats.mbufs_maybe_lost >
	       plan->size - RTE_MIN(plan->size, plan->needed);
}

bool ys_registry_reap(struct ys_primary *p, uint32_t k)
{
	struct ys_secondary_slot *slot = &p->shm->slots[k];
	unsigned on_rings, held;

	if (!p->reap_pending[k])
		return true;
	if (!ys_process_gone(slot->pid))
		return false;
	on_rings = ys_secondary_rings_reset(p, k);
	settle_cache(p, k);
	held = ys_pool_reclaim(p->pool, p->dispatch.meta_offset,
	                       (uint16_t)(k + 1));
	p->reap_pending[k] = 0;
	p->shm->primary_stats.secondaries_reaped++;
	p->shm->primary_stats.ring_mbufs_freed += on_rings;
	p->shm->primary_stats.mbufs_reclaimed += held;
	slot->reclaimed_mbufs += held + on_rings;
	YS_INFO("secondary %u (pid %d) reaped: %u frames on its rings and %u "
	        "mbufs it held freed; pool in use %u",
	        k, slot->pid, on_rings, held,
	        rte_mempool_in_use_count(p->pool));
	return true;
}

void ys_registry_lost(struct ys_primary *p, uint32_t k, const char *why)
{
	struct ys_secondary_slot *slot = &p->shm->slots[k];

	bool drained = slot->state == YS_SEC_DRAINING;

	if (slot->state == YS_SEC_DEAD)
		return;
	slot->state = YS_SEC_DEAD;
	rte_smp_wmb();
	p->reap_pending[k] = 1;
	p->heartbeat_late[k] = 0;
	rebuild_reta(p);
	if (drained) { /* it said it stops: an exit, not a death */
		p->shm->primary_stats.secondaries_stopped++;
		YS_INFO("secondary %u (pid %d) stopped", k, slot->pid);
	} else {
		p->shm->primary_stats.secondaries_lost++;
		YS_WARN("secondary %u (pid %d) is dead: %s", k, slot->pid, why);
	}
	ys_registry_reap(p, k);
}

void ys_registry_joined(struct ys_primary *p, uint32_t k)
{
	(void)k;
	rebuild_reta(p);
}

/*
 * The heartbeat: a secondary stamps heartbeat_tsc on every poll loop
 * turn. A running secondary whose stamp is older than HEARTBEAT_LATE_MS
 * is stalled (stopped by a debugger, starved of CPU, stuck): counted and
 * logged once per stall. It is not declared dead — its process lives
 * and may resume, and only the process's exit makes its rings and
 * mbufs safe to take back (see the top of this file).
 */
#define HEARTBEAT_LATE_MS 1000

static void check_heartbeat(struct ys_primary *p, uint32_t k)
{
	uint64_t hb = p->shm->sec_stats[k].heartbeat_tsc, now = rte_rdtsc();
	bool late = hb != 0 && now > hb &&
	            (now - hb) * 1000 / p->shm->tsc_hz > HEARTBEAT_LATE_MS;

	if (late && !p->heartbeat_late[k]) {
		p->shm->primary_stats.heartbeats_late++;
		YS_WARN("secondary %u (pid %d) has not run its poll loop for "
		        "over %d ms",
		        k, p->shm->slots[k].pid, HEARTBEAT_LATE_MS);
	} else if (!late && p->heartbeat_late[k]) {
		YS_INFO("secondary %u runs again", k);
	}
	p->heartbeat_late[k] = late;
}

/* Every REAPER_PERIOD_MS: notice deaths the socket has not told us of. */
static void reaper_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ys_primary *p = arg;

	(void)fd;
	(void)what;
	for (uint32_t k = 0; k < p->shm->n_secondaries; k++) {
		const struct ys_secondary_slot *slot = &p->shm->slots[k];

		if (slot->state != YS_SEC_DEAD && ys_process_gone(slot->pid))
			ys_registry_lost(p, k, "its process is gone");
		else if (p->reap_pending[k])
			ys_registry_reap(p, k);
		else if (slot->state == YS_SEC_RUNNING)
			check_heartbeat(p, k);
	}
}

int ys_registry_start(struct ys_primary *p)
{
	const struct timeval period = {0, REAPER_PERIOD_MS * 1000};

	ys_reta_lend(p->shm->reta, p->shm->reta_size, p->shm->slots,
	             p->shm->n_secondaries, p->cfg.secondaries.failover,
	             p->live_reta);
	p->reaper = event_new(p->base, -1, EV_PERSIST, reaper_cb, p);
	if (p->reaper == NULL || event_add(p->reaper, &period) != 0)
		return -ENOMEM;
	return 0;
}

void ys_registry_stop(struct ys_primary *p)
{
	if (p->reaper != NULL)
		event_free(p->reaper);
	p->reaper = NULL;
}
