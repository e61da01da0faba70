/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: one received frame through the primary's dispatcher
 * (primary/dispatch.c, classify.c, reasm.c) with two secondaries' rx
 * rings, a RETA and a reassembly table. Input: byte 0 options (bit 0:
 * the NIC hash is ours and bytes 1-4 are its value; bits 1 and 2:
 * secondary 0 / 1 is dead; bit 7: chained, see fuzz_input.h), bytes 1-4
 * split offsets, then the frame.
 *
 * After each input both rings are drained (every frame must carry its
 * ring's owner tag, cleared before the free, as a secondary does), and
 * every mbuf still in use must be one the reassembly table holds. Every
 * TICK_EVERY inputs the table is ticked far in the future, which frees
 * every held fragment.
 *
 * One-time state: the EAL, pool, rings, RETA and reassembly table, made in
 * LLVMFuzzerInitialize; the table's fragments are the only state carried
 * from one input to the next.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ys_test_eal.h"

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "../../primary/classify.h"
#include "../../primary/primary.h"
#include "../../primary/reasm.h"
#include "fuzz_input.h"

#define N_SEC      2
#define RETA_SIZE  128
#define TSC_HZ     1000 /* one tick per millisecond: timeouts in inputs */
#define TICK_EVERY 1024

struct fuzz_env {
	struct rte_mempool *pool;
	struct ys_toeplitz thash;
	uint16_t reta[RETA_SIZE];
	struct ys_secondary_slot slots[N_SEC];
	struct ys_dispatch d;
	struct ys_port_stats stats;
	uint64_t now;
	uint64_t inputs;
};

static struct fuzz_env g_env;

static void fuzz_fini(void)
{
	for (unsigned k = 0; k < N_SEC; k++)
		rte_ring_free(g_env.d.rx_rings[k]);
	ys_reasm_free(g_env.d.reasm);
	rte_mempool_free(g_env.pool);
	ys_test_eal_fini();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct ys_cfg_reassembly reasm_cfg = {.max_flows = 16,
	                                                   .timeout_ms = 1000};
	struct fuzz_env *e = &g_env;
	char name[32];

	(void)argc;
	(void)argv;
	if (ys_test_eal_init("fuzz_dispatch") != 0)
		abort();
	/* No per-lcore cache, so that in-use counts are exact. */
	e->pool = rte_pktmbuf_pool_create("ys_fuzz_dispatch", 1023, 0, 0,
	                                  RTE_MBUF_DEFAULT_BUF_SIZE,
	                                  SOCKET_ID_ANY);
	if (e->pool == NULL)
		abort();
	ys_toeplitz_init(&e->thash, ys_toeplitz_default_key);
	ys_reta_fill(e->reta, RETA_SIZE, N_SEC);
	e->d.thash = &e->thash;
	e->d.reta = e->reta;
	e->d.home_reta = e->reta;
	e->d.reta_size = RETA_SIZE;
	e->d.n_secondaries = N_SEC;
	e->d.slots = e->slots;
	e->d.pool = e->pool;
	e->d.meta_offset = ys_test_register_meta();
	e->d.reasm = ys_reasm_create(&reasm_cfg, TSC_HZ, SOCKET_ID_ANY);
	if (e->d.meta_offset < 0 || e->d.reasm == NULL)
		abort();
	for (unsigned k = 0; k < N_SEC; k++) {
		snprintf(name, sizeof(name), "fz_rx_%u", k);
		e->d.rx_rings[k] =
		        rte_ring_create(name, 1024, SOCKET_ID_ANY,
		                        RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (e->d.rx_rings[k] == NULL)
			abort();
	}
	e->now = 1000;
	atexit(fuzz_fini);
	return 0;
}

/* Empty ring k as secondary k would: check and clear tags, free. */
static void drain(struct fuzz_env *e, unsigned k)
{
	struct rte_mbuf *pkts[64];
	unsigned n;

	while ((n = rte_ring_dequeue_burst(e->d.rx_rings[k], (void **)pkts,
	                                   RTE_DIM(pkts), NULL)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			for (struct rte_mbuf *s = pkts[i]; s != NULL;
			     s = s->next)
				if (ys_mbuf_meta(s, e->d.meta_offset)->owner !=
				    k + 1)
					abort(); /* not tagged for its ring */
			ys_mbuf_set_owner(pkts[i], e->d.meta_offset,
			                  YS_OWNER_NONE);
		}
		rte_pktmbuf_free_bulk(pkts, n);
	}
}

/* Every mbuf in use is a fragment the table holds. */
static void check_pool(const struct fuzz_env *e)
{
	if (rte_mempool_in_use_count(e->pool) !=
	    (unsigned)ys_reasm_held(e->d.reasm))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_env *e = &g_env;
	struct ys_dispatch_port port = {.stats = &e->stats};
	uint64_t timed_out = 0;
	struct rte_mbuf *m;

	m = fuzz_frame(e->pool, data, size);
	if (m != NULL) {
		port.nic_hash = data[0] & 1;
		if (port.nic_hash) {
			m->hash.rss = (uint32_t)data[1] << 24 |
			              (uint32_t)data[2] << 16 |
			              (uint32_t)data[3] << 8 | data[4];
			m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
		}
		for (unsigned k = 0; k < N_SEC; k++)
			e->slots[k].state = (data[0] >> (1 + k)) & 1
			                            ? YS_SEC_DEAD
			                            : YS_SEC_RUNNING;
		ys_dispatch_burst(&e->d, &port, &m, 1, e->now);
		for (unsigned k = 0; k < N_SEC; k++)
			drain(e, k);
	}
	e->now++;
	check_pool(e);
	if (++e->inputs % TICK_EVERY == 0) {
		ys_reasm_tick(e->d.reasm, &timed_out, e->now + 1000000000ull);
		check_pool(e);
		if (ys_reasm_held(e->d.reasm) != 0)
			abort(); /* far past every timeout */
		/* The table is empty: later inputs may start from `now`. */
	}
	return 0;
}
