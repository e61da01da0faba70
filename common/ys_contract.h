/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The contract between ys-primary and its secondaries: every shared name,
 * and the layout of the shared memzone. The primary creates all of these;
 * a secondary only looks them up, checks magic and version, and refuses to
 * run against a primary whose layout differs.
 *
 * Change YS_CONTRACT_VERSION whenever a struct below changes shape.
 */
#ifndef YS_CONTRACT_H
#define YS_CONTRACT_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "ys_mbuf.h" /* struct ys_mbuf_meta, YS_MBUF_META_DYNFIELD */
#include "ys_stats.h"

#define YS_CONTRACT_MAGIC   0x79737461636b3031ULL /* "ystack01" */
#define YS_CONTRACT_VERSION 8u

/*
 * Names of shared DPDK objects (memzone, mempool, rings); the mbuf
 * dynamic field is YS_MBUF_META_DYNFIELD in ys_mbuf.h.
 */
#define YS_SHARED_MZ_NAME "ys_shared"
#define YS_MBUF_POOL_NAME "ys_mbuf_pool"
#define YS_RX_RING_FMT    "ys_rx_%u" /* primary -> secondary K */
#define YS_TX_RING_FMT    "ys_tx_%u" /* secondary K -> primary */

#define YS_MAX_SECONDARIES 32
#define YS_MAX_PORTS       8
#define YS_PORT_NAME_LEN   32
#define YS_RETA_MAX        512
/* Frames a secondary stages before a transmit: bounds what a secondary
 * killed in the middle of one can lose (docs/dataplane.md). */
#define YS_SECONDARY_TX_STAGE 64

/*
 * The primary's DPDK lcore id. Mempool caches are indexed by lcore id in
 * memory every process of the file prefix shares. Secondary K runs on
 * lcore K+1; DPDK's own tools run on their main lcore, usually 0
 * (dpdk-proc-info forces -c1; dpdk-dumpcap takes the lowest CPU it may
 * run on), and the primary allocates from dumpcap's pool (pdump copies)
 * while dumpcap frees into it. So the primary keeps clear of the low
 * ids: the highest one, and `--lcores=<id>@<cpu>` still pins it to
 * eal.cpu. See docs/observability.md.
 */
#define YS_PRIMARY_LCORE (RTE_MAX_LCORE - 1)

/*
 * ARP frames are copied to every secondary so that all of them learn, but
 * exactly one copy carries this flag: that secondary answers a request.
 */
#define YS_MBUF_F_ARP_RESPONDER (1u << 0)

#define YS_DRIVER_NAME_LEN 32

/*
 * What the primary publishes about each port. Written once, before ready.
 * Offload fields hold RTE_ETH_{RX,TX}_OFFLOAD_* bits.
 */
struct ys_port_info {
	char name[YS_PORT_NAME_LEN];     /* the config's ports[].name */
	char driver[YS_DRIVER_NAME_LEN]; /* rte_eth_dev_info.driver_name */
	uint16_t port_id;                /* DPDK port id */
	struct rte_ether_addr mac;
	uint32_t tx_via_ring; /* 1: secondaries transmit through the primary */
	/*
	 * tx_via_ring 0: secondary K transmits on tx queue
	 * tx_queue_base + K itself; the primary keeps queue 0.
	 */
	uint16_t tx_queue_base;
	uint16_t n_tx_queues;
	uint16_t n_rx_queues; /* all polled by the primary, never by a secondary
	                       */
	uint16_t mtu;         /* IP MTU of the device once started */
	uint32_t promiscuous; /* 1: promiscuous mode is on */
	uint32_t nic_rss;     /* 1: RSS with our key and tuple: NIC hash used */
	uint64_t rx_offloads; /* enabled on the port */
	uint64_t tx_offloads;
	uint64_t rx_offload_capa; /* what the device reported */
	uint64_t tx_offload_capa;
	uint64_t rss_types_capa; /* rte_eth_dev_info.flow_type_rss_offloads */
	uint32_t rss_key_capa;   /* its hash_key_size, bytes */
};

/*
 * States of a secondary's registry slot, as shown by `ysctl status`.
 * The order matters: states at or above RUNNING own their rx ring.
 */
enum ys_secondary_state {
	YS_SEC_DEAD = 0, /* not attached: never started, exited or died */
	YS_SEC_STARTING, /* registered, still initialising */
	YS_SEC_RUNNING,  /* serving traffic */
	YS_SEC_DRAINING, /* no new connections, finishing live ones */
	YS_SEC_STATE_MAX
};

/* "dead", "starting", "running", "draining"; "unknown" otherwise. */
static inline const char *ys_secondary_state_str(uint32_t s)
{
	static const char *const names[YS_SEC_STATE_MAX] = {
	        [YS_SEC_DEAD] = "dead",
	        [YS_SEC_STARTING] = "starting",
	        [YS_SEC_RUNNING] = "running",
	        [YS_SEC_DRAINING] = "draining",
	};

	return s < YS_SEC_STATE_MAX ? names[s] : "unknown";
}

/*
 * A secondary's registry slot. Written by the primary's control server;
 * the dispatcher only reads `state`.
 */
struct ys_secondary_slot {
	volatile uint32_t state; /* enum ys_secondary_state */
	int32_t pid;
	uint32_t lcore_id;
	uint32_t registrations; /* how many times this id has registered */
	uint64_t registered_tsc;
	uint64_t reclaimed_mbufs; /* freed by the primary after its deaths */
} __rte_cache_aligned;

/*
 * The shared memzone. The primary fills everything before setting `ready`
 * to 1; a secondary waits (bounded) for ready, then checks magic and
 * version. Stats blocks have one writer each and are cache aligned.
 */
struct ys_shared {
	uint64_t magic;
	uint32_t version;
	volatile uint32_t ready;
	/*
	 * Sizes as the primary was built: the stats blocks embed structs
	 * from proto/ that can grow without anyone bumping the version.
	 */
	uint32_t shared_size;     /* sizeof(struct ys_shared) */
	uint32_t sec_stats_size;  /* sizeof(struct ys_secondary_stats) */
	uint32_t port_stats_size; /* sizeof(struct ys_port_stats) */
	int32_t primary_pid;
	uint32_t n_secondaries;
	uint32_t n_ports;
	uint32_t reta_size;
	uint64_t tsc_hz;
	uint64_t start_tsc;
	struct ys_port_info ports[YS_MAX_PORTS];
	uint16_t reta[YS_RETA_MAX]; /* hash & (reta_size - 1) -> secondary */

	struct ys_secondary_slot slots[YS_MAX_SECONDARIES];
	/* Written by the primary only. */
	struct ys_primary_stats primary_stats;
	/* Written by the primary's dispatcher, one block per port. */
	struct ys_port_stats port_stats[YS_MAX_PORTS];
	/* Written by secondary K only. */
	struct ys_secondary_stats sec_stats[YS_MAX_SECONDARIES];
} __rte_cache_aligned;

#endif /* YS_CONTRACT_H */
