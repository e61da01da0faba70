/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ys-secondary's process state, shared by main.c (start-up, the poll
 * loop, transmit) and control.c (the control connection to the primary).
 */
#ifndef YS_SECONDARY_H
#define YS_SECONDARY_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "ys_config.h"
#include "ys_contract.h"
#include "ys_stack.h"

#define BURST          32
#define EAL_MAX_ARGS   32
#define CTL_TIMEOUT_MS 2000
/* Exit codes (docs/control.md): */
#define EXIT_STOPPED      0 /* SIGTERM, drain or shutdown */
#define EXIT_START_FAILED 1 /* configuration or start-up failure */
#define EXIT_USAGE        2
#define EXIT_PRIMARY_GONE 3 /* the primary exited or was killed */

/*
 * How our frames for one DPDK port leave, as the primary decided at start
 * (struct ys_port_info): on our own tx queue of the port, or through our
 * tx ring and the primary.
 */
struct tx_route {
	bool direct;    /* false: through the tx ring */
	uint16_t queue; /* our tx queue of the port, when direct */
};

struct ys_secondary {
	struct ys_config cfg;
	uint32_t id;
	int wait_s;
	int eal_up;
	int registered; /* the primary accepted us: the id's lcore is ours */
	int stack_up;   /* ys_stack_init() succeeded */
	struct ys_shared *shm;
	struct ys_secondary_stats *stats; /* our block in shared memory */
	struct rte_mempool *pool;
	struct rte_ring *rx_ring, *tx_ring;
	int meta_offset;
	struct ys_mbuf_owner owner; /* our tag on every mbuf we hold */
	struct ys_stack stack;
	uint16_t n_tx;
	struct rte_mbuf *tx[YS_SECONDARY_TX_STAGE]; /* owned until flushed */
	uint16_t n_direct; /* ports with tx_routes[].direct */
	struct tx_route tx_routes[RTE_MAX_ETHPORTS]; /* by DPDK port id */
	struct event_base *base;
	struct bufferevent *ctl;
	struct ys_config *pending_cfg; /* config.prepare'd, not committed */
	uint64_t pending_generation;
	uint64_t config_generation; /* 0: our own file */
	uint64_t next_primary_check_ms;
	bool draining;              /* drain or shutdown: stop when done */
	uint64_t drain_deadline_ms; /* monotonic ms */
	volatile sig_atomic_t stop;
	int exit_code;
};

/* Monotonic milliseconds. */
uint64_t ys_sec_now_ms(void);

/* main.c: gratuitous ARP for our addresses (secondary 0 only). */
void ys_sec_announce(struct ys_secondary *s);

/* main.c: the stack's view of `cfg` (interfaces, routes, ARP). */
void ys_sec_stack_conf(const struct ys_secondary *s,
                       const struct ys_config *cfg, struct ys_stack_conf *sc);

/*
 * control.c. register(): register synchronously with the primary, then
 * keep the connection for forwarded commands (0 or -errno; retries while
 * the primary answers `unavailable`, up to s->wait_s). poll(): the
 * loop's periodic check that the primary lives and a drain is over.
 */
int ys_sec_ctl_register(struct ys_secondary *s);
void ys_sec_ctl_poll(struct ys_secondary *s);
void ys_sec_ctl_fini(struct ys_secondary *s);

#endif /* YS_SECONDARY_H */
