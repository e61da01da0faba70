/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The primary's handling of a dead secondary (primary/registry.c), in one
 * process: a "secondary 1" on lcore 2 is simulated with frames on its
 * rings, mbufs tagged as its own, free mbufs in its lcore's mempool cache
 * (filled through rte_mempool_generic_put with that cache) and a pid that
 * has exited. Reaping must give every mbuf back exactly once; a secondary
 * that died inside the mempool has its cache abandoned and the loss
 * counted; a restart is refused once such losses exceed the headroom.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ys_test_eal.h"

#include <rte_eal.h>
#include <rte_mbuf_dyn.h>

#include "../../primary/primary.h"

#define N_SEC    2
#define DEAD     1 /* the secondary that dies */
#define POOL_N   2047
#define N_CACHED 100
#define N_HELD   7
#define N_RING   5

static struct ys_primary g_p;
static void *g_cached[N_CACHED]; /* what the dead one's cache holds */
static struct ys_shared g_shm;

/* A pid that existed and has exited and been collected. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static struct rte_mbuf *alloc_tagged(uint16_t owner)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g_p.pool);

	assert_non_null(m);
	ys_mbuf_set_owner(m, g_p.dispatch.meta_offset, owner);
	return m;
}

/*
 * The dead secondary's state: N_RING tagged frames on its rx ring,
 * N_HELD tagged mbufs it held (one a two-segment chain), N_CACHED free
 * mbufs in its lcore's cache.
 */
static void make_dead_secondary(void)
{
	struct rte_mempool_cache *cache =
	        rte_mempool_default_cache(g_p.pool, DEAD + 1);
	struct rte_mbuf *chain;

	for (int i = 0; i < N_RING; i++)
		assert_int_equal(rte_ring_enqueue(g_p.rx_rings[DEAD],
		                                  alloc_tagged(DEAD + 1)),
		                 0);
	for (int i = 0; i < N_HELD - 2; i++)
		alloc_tagged(DEAD + 1); /* leaked by the "dead" process */
	chain = alloc_tagged(DEAD + 1);
	assert_int_equal(rte_pktmbuf_chain(chain, alloc_tagged(DEAD + 1)), 0);
	assert_non_null(cache);
	assert_int_equal(rte_mempool_get_bulk(g_p.pool, g_cached, N_CACHED), 0);
	rte_mempool_generic_put(g_p.pool, g_cached, N_CACHED, cache);
	assert_int_equal(cache->len, N_CACHED);
	g_shm.slots[DEAD].state = YS_SEC_RUNNING;
	g_shm.slots[DEAD].lcore_id = DEAD + 1;
	g_shm.slots[DEAD].pid = dead_pid();
}

static int setup(void **state)
{
	(void)state;
	memset(&g_shm.primary_stats, 0, sizeof(g_shm.primary_stats));
	memset(g_shm.sec_stats, 0, sizeof(g_shm.sec_stats));
	memset(g_p.reap_pending, 0, sizeof(g_p.reap_pending));
	for (int k = 0; k < N_SEC; k++) {
		g_shm.slots[k].state = YS_SEC_RUNNING;
		g_shm.slots[k].pid = getpid();
		g_shm.slots[k].reclaimed_mbufs = 0;
	}
	g_p.pool_plan.needed = 1000;
	g_p.pool_plan.size = POOL_N;
	return 0;
}

static void test_reap_gives_every_mbuf_back(void **state)
{
	(void)state;
	make_dead_secondary();
	/* DPDK counts cached objects as available. */
	assert_int_equal(rte_mempool_in_use_count(g_p.pool), N_RING + N_HELD);
	ys_registry_lost(&g_p, DEAD, "test");
	assert_int_equal(g_shm.slots[DEAD].state, YS_SEC_DEAD);
	assert_int_equal(rte_mempool_in_use_count(g_p.pool), 0);
	assert_int_equal(g_shm.primary_stats.ring_mbufs_freed, N_RING);
	assert_int_equal(g_shm.primary_stats.mbufs_reclaimed, N_HELD);
	assert_int_equal(g_shm.primary_stats.secondaries_reaped, 1);
	assert_int_equal(g_shm.primary_stats.caches_abandoned, 0);
	assert_int_equal(g_shm.slots[DEAD].reclaimed_mbufs, N_RING + N_HELD);
	assert_false(ys_registry_pool_at_risk(&g_p));
	/* Every mbuf is free exactly once: all can be taken, no more. */
	{
		void *objs[POOL_N];

		assert_int_equal(rte_mempool_get_bulk(g_p.pool, objs, POOL_N),
		                 0);
		assert_int_equal(rte_mempool_avail_count(g_p.pool), 0);
		rte_mempool_put_bulk(g_p.pool, objs, POOL_N);
	}
}

/* Still running (our own pid): nothing is touched until it exits. */
static void test_no_reap_while_alive(void **state)
{
	(void)state;
	ys_registry_lost(&g_p, 0, "test: connection closed");
	assert_int_equal(g_shm.slots[0].state, YS_SEC_DEAD);
	assert_false(ys_registry_reap(&g_p, 0));
	assert_int_equal(g_shm.primary_stats.secondaries_reaped, 0);
	g_shm.slots[0].pid = dead_pid();
	assert_true(ys_registry_reap(&g_p, 0));
	assert_int_equal(g_shm.primary_stats.secondaries_reaped, 1);
}

/*
 * Died inside the mempool: the cache is abandoned (never flushed: it may
 * hold stale pointers), its contents and one transmit burst counted lost;
 * tagged mbufs are still reclaimed.
 */
static void test_death_inside_mempool(void **state)
{
	struct rte_mempool_cache *cache =
	        rte_mempool_default_cache(g_p.pool, DEAD + 1);

	(void)state;
	make_dead_secondary();
	g_shm.sec_stats[DEAD].in_mempool = 1;
	ys_registry_lost(&g_p, DEAD, "test");
	assert_int_equal(cache->len, 0);
	assert_int_equal(g_shm.sec_stats[DEAD].in_mempool, 0);
	assert_int_equal(g_shm.primary_stats.caches_abandoned, 1);
	assert_int_equal(g_shm.primary_stats.mbufs_maybe_lost,
	                 N_CACHED + YS_SECONDARY_TX_STAGE);
	assert_int_equal(g_shm.primary_stats.mbufs_reclaimed, N_HELD);
	assert_int_equal(rte_mempool_in_use_count(g_p.pool), N_CACHED);
	/* The headroom (size - needed) is 1047: not at risk yet... */
	assert_false(ys_registry_pool_at_risk(&g_p));
	/* ...but a pool sized exactly to its consumers is. */
	g_p.pool_plan.needed = POOL_N;
	assert_true(ys_registry_pool_at_risk(&g_p));
	rte_mempool_put_bulk(g_p.pool, g_cached, N_CACHED); /* cleanup */
}

/* Failover: a rebalance lends the dead one's entries, a rejoin returns them. */
static void test_reta_follows_deaths_and_rejoins(void **state)
{
	(void)state;
	g_p.cfg.secondaries.failover = YS_FAILOVER_REBALANCE;
	g_shm.slots[DEAD].pid = dead_pid();
	ys_registry_lost(&g_p, DEAD, "test");
	for (unsigned i = 0; i < g_shm.reta_size; i++)
		assert_int_equal(g_p.live_reta[i], 0);
	g_shm.slots[DEAD].state = YS_SEC_RUNNING;
	ys_registry_joined(&g_p, DEAD);
	assert_memory_equal(g_p.live_reta, g_shm.reta,
	                    g_shm.reta_size * sizeof(uint16_t));
	assert_int_equal(g_shm.primary_stats.reta_rebuilds, 2);
	g_p.cfg.secondaries.failover = YS_FAILOVER_DROP;
}

static int group_setup(void **state)
{
	char name[32];
	(void)state;
	if (ys_test_eal_init("test_registry") != 0)
		return -1;
	g_p.pool = rte_pktmbuf_pool_create(
	        "ys_test_registry", POOL_N, YS_POOL_CACHE_SIZE, 0,
	        RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	g_p.dispatch.meta_offset = ys_test_register_meta();
	if (g_p.pool == NULL || g_p.dispatch.meta_offset < 0)
		return -1;
	ys_pool_clear_owners(g_p.pool, g_p.dispatch.meta_offset);
	g_p.shm = &g_shm;
	g_shm.n_secondaries = N_SEC;
	g_shm.reta_size = 128;
	ys_reta_fill(g_shm.reta, 128, N_SEC);
	memcpy(g_p.live_reta, g_shm.reta, sizeof(g_shm.reta));
	g_p.cfg.secondaries.count = N_SEC;
	for (int k = 0; k < N_SEC; k++) {
		snprintf(name, sizeof(name), "t_rx_%d", k);
		g_p.rx_rings[k] = rte_ring_create(name, 256, SOCKET_ID_ANY, 0);
		snprintf(name, sizeof(name), "t_tx_%d", k);
		g_p.tx_rings[k] = rte_ring_create(name, 256, SOCKET_ID_ANY, 0);
		if (g_p.rx_rings[k] == NULL || g_p.tx_rings[k] == NULL)
			return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int k = 0; k < N_SEC; k++) {
		rte_ring_free(g_p.rx_rings[k]);
		rte_ring_free(g_p.tx_rings[k]);
	}
	rte_mempool_free(g_p.pool);
	ys_test_eal_fini();
	return 0;
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
	        T(test_reap_gives_every_mbuf_back),
	        T(test_no_reap_while_alive),
	        T(test_death_inside_mempool),
	        T(test_reta_follows_deaths_and_rejoins),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
