/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ys-primary: owns the ports, the shared mbuf pool, the rings and the
 * shared memzone; dispatches every received frame to a secondary and
 * transmits what the secondaries send; serves the control socket.
 */
#ifndef YS_PRIMARY_H
#define YS_PRIMARY_H

#include <signal.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include "ys_config.h"
#include "ys_contract.h"
#include "ys_toeplitz.h"

#define YS_BURST 32

struct ys_ctl_server;
struct event_base;

/* Everything the dispatcher needs, and nothing else. */
struct ys_dispatch {
	const struct ys_toeplitz *thash;
	const uint16_t *reta;
	uint32_t reta_size;
	uint32_t n_secondaries;
	struct ys_secondary_slot *slots; /* reads `state` only */
	struct rte_ring *rx_rings[YS_MAX_SECONDARIES];
	struct rte_mempool *pool; /* for ARP copies */
	int meta_offset;          /* struct ys_mbuf_meta dynfield */
};

struct ys_primary {
	struct ys_config cfg;
	const struct rte_memzone *mz;
	struct ys_shared *shm;
	struct rte_mempool *pool;
	struct rte_ring *rx_rings[YS_MAX_SECONDARIES];
	struct rte_ring *tx_rings[YS_MAX_SECONDARIES];
	struct ys_toeplitz *thash;
	struct ys_dispatch dispatch;
	uint16_t n_ports;
	uint16_t port_ids[YS_MAX_PORTS]; /* config index -> DPDK port id */
	struct event_base *base;
	struct ys_ctl_server *ctl;
	int eal_up; /* rte_eal_init succeeded: cleanup needed */
	volatile sig_atomic_t stop;
};

/* eal.c: build the EAL argument vector from the config. */
int ys_primary_eal_args(const struct ys_config *cfg, char **argv, int max,
                        char *storage, size_t storage_len);

/* ports.c */
int ys_ports_start(struct ys_primary *p);
void ys_ports_stop(struct ys_primary *p);

/*
 * dispatch.c: hand a burst received on port `port_idx` to the
 * secondaries. Consumes every mbuf: enqueued to a ring or freed and
 * counted in `stats`.
 */
void ys_dispatch_burst(const struct ys_dispatch *d, struct ys_port_stats *stats,
                       struct rte_mbuf **pkts, uint16_t n);

/* dispatch.c: transmit what secondaries left on their tx rings. */
unsigned ys_drain_tx_rings(struct ys_primary *p);

/*
 * dispatch.c: secondary k is dead and the primary alone owns its rings:
 * free every frame on them (frames it was sent, frames it never saw
 * transmitted) and reset both. Returns the number of frames freed.
 */
unsigned ys_secondary_rings_reset(struct ys_primary *p, uint32_t k);

/* ctl_server.c */
struct ys_ctl_server *ys_ctl_server_start(struct ys_primary *p);
void ys_ctl_server_stop(struct ys_ctl_server *s);

#endif /* YS_PRIMARY_H */
