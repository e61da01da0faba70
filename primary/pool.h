/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared mbuf pool (pool.c): sized from the config, checked at start
 * against everything that can hold mbufs at once, and swept for the
 * mbufs a dead secondary held.
 */
#ifndef YS_POOL_H
#define YS_POOL_H

#include <stdint.h>

#include <rte_mempool.h>

#include "ys_config.h"

#define YS_POOL_CACHE_SIZE 256 /* per lcore; a cache can hold 1.5x this */
/* Mbufs a secondary's stack may hold besides its rings (tx staging,
 * fragments being built, later ARP queues and TCP buffers). */
#define YS_SECONDARY_STACK_MBUFS 512

/* X(name, help): every consumer the pool must be able to feed at once. */
#define YS_POOL_CONSUMERS(X)                                                   \
	X(port_rx, "rx descriptors of every port")                             \
	X(port_tx, "tx descriptors of every port")                             \
	X(rx_rings, "secondaries' rx rings")                                   \
	X(tx_rings, "secondaries' tx rings")                                   \
	X(lcore_caches, "mempool caches of the primary and every secondary")   \
	X(stacks, "frames each secondary's stack may hold")                    \
	X(reassembly, "fragments the reassembly table may hold")               \
	X(impairment, "frames the impairment stage may hold")                  \
	X(primary, "the primary's bursts and fan-out copies")

struct ys_pool_plan {
#define YS_X_FIELD(name, help) uint32_t name;
	YS_POOL_CONSUMERS(YS_X_FIELD)
#undef YS_X_FIELD
	uint32_t needed; /* the sum */
	uint32_t size;   /* the pool: eal.mbufs, or 1.25 x needed */
};

struct ys_port_info;

/*
 * How many mbufs `cfg` can tie up at once, and the pool size to use.
 * `ports` (shm->ports, filled by ys_ports_plan()) gives each port's
 * queue counts; NULL counts one rx and one tx queue per port.
 */
void ys_pool_plan(const struct ys_config *cfg, const struct ys_port_info *ports,
                  struct ys_pool_plan *plan);

/*
 * Create the pool from the plan, after checking that an explicit
 * eal.mbufs covers it. Logs the plan. NULL on failure, with the reason
 * logged.
 */
struct rte_mempool *ys_pool_create(const struct ys_config *cfg,
                                   const struct ys_pool_plan *plan,
                                   const char *name);

/* Clear the owner tag of every mbuf of `mp` (a new pool). */
void ys_pool_clear_owners(struct rte_mempool *mp, int meta_offset);

/*
 * Free every mbuf of `mp` tagged with `owner` (a dead secondary's), as
 * single segments so that a chain is never freed twice. Only sound once
 * that owner's process has exited. Returns how many.
 */
unsigned ys_pool_reclaim(struct rte_mempool *mp, int meta_offset,
                         uint16_t owner);

#endif /* YS_POOL_H */
