/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ys-primary: owns the ports, the shared mbuf pool, the rings and the
 * shared memzone; dispatches every received frame to a secondary and
 * transmits what the secondaries send; serves the control socket.
 */
#ifndef YS_PRIMARY_H
#define YS_PRIMARY_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include "pool.h"
#include "ys_config.h"
#include "ys_contract.h"
#include "impair.h"
#include "ys_toeplitz.h"

#define YS_BURST 32

struct ys_ctl_server;
struct ys_metrics;
struct event;
struct event_base;

struct ys_reasm;

/* Everything the dispatcher needs, and nothing else. */
struct ys_dispatch {
	const struct ys_toeplitz *thash;
	const uint16_t *reta;      /* effective: with failover's loans */
	const uint16_t *home_reta; /* configured ownership (shm->reta) */
	uint32_t reta_size;
	uint32_t n_secondaries;
	struct ys_secondary_slot *slots; /* reads `state` only */
	struct rte_ring *rx_rings[YS_MAX_SECONDARIES];
	struct rte_mempool *pool; /* for fan-out copies */
	int meta_offset;          /* struct ys_mbuf_meta dynfield */
	struct ys_reasm *reasm;   /* IPv4/IPv6 reassembly table */
};

/* The port a burst came from, as the dispatcher sees it. */
struct ys_dispatch_port {
	struct ys_port_stats *stats;
	bool nic_hash; /* the PMD's RSS hash uses our key and tuple; cleared
	                * by the dispatcher if a sampled hash disagrees */
};

struct ys_primary {
	struct ys_config cfg;
	const struct rte_memzone *mz;
	struct ys_shared *shm;
	struct rte_mempool *pool;
	struct rte_ring *rx_rings[YS_MAX_SECONDARIES];
	struct rte_ring *tx_rings[YS_MAX_SECONDARIES];
	struct ys_toeplitz *thash;
	struct ys_pool_plan pool_plan;
	struct ys_dispatch dispatch;
	uint16_t live_reta[YS_RETA_MAX]; /* dispatch.reta */
	struct ys_dispatch_port dports[YS_MAX_PORTS];
	struct event *reaper; /* periodic liveness check of secondaries */
	uint8_t reap_pending[YS_MAX_SECONDARIES]; /* dead, not yet reaped */
	uint16_t n_ports;
	uint16_t port_ids[YS_MAX_PORTS];  /* config index -> DPDK port id */
	uint16_t rx_queues[YS_MAX_PORTS]; /* rx queues the primary polls */
	uint16_t rx_next[YS_MAX_PORTS];   /* the rx queue polled first next */
	struct ys_impair *impair[YS_MAX_PORTS]; /* per port; NULL: off */
	struct event_base *base;
	struct ys_ctl_server *ctl;
	struct ys_metrics *metrics; /* NULL: admin.metrics is off */
	int eal_up;                 /* rte_eal_init succeeded: cleanup needed */
	uint8_t heartbeat_late[YS_MAX_SECONDARIES]; /* warned of this stall */
	uint64_t shutdown_deadline_tsc; /* != 0: stopping after secondaries */
	uint8_t shutdown_started;       /* secondaries were told to stop */
	volatile sig_atomic_t stop_requested; /* SIGTERM/SIGINT seen */
	volatile sig_atomic_t stop;
};

/* eal.c: build the EAL argument vector from the config. */
int ys_primary_eal_args(const struct ys_config *cfg, char **argv, int max,
                        char *storage, size_t storage_len);

/*
 * ports.c. plan(): after EAL init and create_shared(), before the pool is
 * sized: finds every port, decides how secondaries transmit on it and
 * how many queues it gets, and publishes that in shm->ports[] (0, or
 * -errno with the reason logged: a tx_mode the device cannot do).
 * start(): configures and starts them (MTU, promiscuous mode, offloads,
 * RSS). rx_burst(): up to `cap` frames from port i's rx queues, taken
 * round robin.
 */
int ys_ports_plan(struct ys_primary *p);
int ys_ports_start(struct ys_primary *p);
void ys_ports_stop(struct ys_primary *p);
uint16_t ys_port_rx_burst(struct ys_primary *p, uint16_t i,
                          struct rte_mbuf **pkts, uint16_t cap);

/*
 * dispatch.c: hand a burst (n <= YS_BURST) received on `port` to the
 * secondaries. Consumes every mbuf: enqueued to a ring, held for
 * reassembly, or freed and counted in port->stats.
 */
void ys_dispatch_burst(const struct ys_dispatch *d,
                       struct ys_dispatch_port *port, struct rte_mbuf **pkts,
                       uint16_t n, uint64_t now_tsc);

/*
 * dispatch.c: the effective RETA `out` from the configured one: with
 * "rebalance", entries of secondaries that are not running are lent,
 * round robin, to those that are; with "drop" it is `home` itself.
 */
void ys_reta_lend(const uint16_t *home, uint32_t size,
                  const struct ys_secondary_slot *slots, uint32_t n,
                  enum ys_failover mode, uint16_t *out);

/* dispatch.c: transmit what secondaries left on their tx rings. */
unsigned ys_drain_tx_rings(struct ys_primary *p);

/*
 * dispatch.c: secondary k is dead and the primary alone owns its rings:
 * free every frame on them (frames it was sent, frames it never saw
 * transmitted) and reset both. Returns the number of frames freed.
 */
unsigned ys_secondary_rings_reset(struct ys_primary *p, uint32_t k);

/*
 * registry.c: secondaries joining and dying. lost(): the slot turns
 * dead now and its resources are reaped once its process has exited;
 * reap() returns false while that process still runs.
 */
int ys_registry_start(struct ys_primary *p);
void ys_registry_stop(struct ys_primary *p);
void ys_registry_lost(struct ys_primary *p, uint32_t k, const char *why);
void ys_registry_joined(struct ys_primary *p, uint32_t k);
bool ys_registry_reap(struct ys_primary *p, uint32_t k);
/* `pid` has exited: no such process, or a zombie not yet collected. */
bool ys_process_gone(pid_t pid);
/* More mbufs may have been lost to deaths than the pool has to spare. */
bool ys_registry_pool_at_risk(const struct ys_primary *p);

/* ctl_server.c */
struct ys_ctl_server *ys_ctl_server_start(struct ys_primary *p);
void ys_ctl_server_stop(struct ys_ctl_server *s);
/* True once every reply queued to a client has been written out. */
bool ys_ctl_server_flushed(const struct ys_ctl_server *s);

/*
 * ctl_cmds.c: stop every secondary (they exit 0), then the primary
 * (SIGTERM, or the `shutdown` command).
 */
void ys_ctl_shutdown(struct ys_primary *p);

/*
 * ctl_cmds.c: from now on the main loop stops the primary once no
 * secondary is attached and every control reply is out, or after
 * YS_SHUTDOWN_WAIT_MS.
 */
void ys_primary_stop_after_secondaries(struct ys_primary *p);
#define YS_SHUTDOWN_WAIT_MS 5000

/*
 * hooks.c: DPDK's tools (docs/observability.md). Start after the shared
 * memzone and the ports exist: rte_pdump for dpdk-dumpcap, telemetry
 * commands under /yastack/. Stop before the ports close and the memzone is
 * freed. A hook that fails is logged; the primary runs on without it.
 */
void ys_hooks_start(struct ys_primary *p);
void ys_hooks_stop(struct ys_primary *p);

/*
 * telemetry.c: register /yastack/ports, /yastack/secondaries and
 * /yastack/stats, which read `shm` on the telemetry thread (0 or
 * -errno). After ys_telemetry_stop() they answer null and never touch
 * `shm` again.
 */
int ys_telemetry_start(const struct ys_shared *shm);
void ys_telemetry_stop(void);

/*
 * metrics.c: the Prometheus endpoint (docs/observability.md, "Metrics"):
 * GET /metrics on cfg.admin.metrics, served by evhttp on p->base, reading
 * only the shared memzone and the pool. start(): 0 with p->metrics set
 * (NULL when the config turns it off), or -errno with the reason logged
 * (the address cannot be bound): the primary then refuses to start.
 * stop() is NULL-safe and closes the socket.
 */
int ys_metrics_start(struct ys_primary *p);
void ys_metrics_stop(struct ys_metrics *m);

#endif /* YS_PRIMARY_H */
