/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ports: any DPDK ethdev the config names, a vdev (af_packet, af_xdp,
 * tap, memif, ring, null, pcap) or a PCI NIC by address.
 *
 * Plan (before the mbuf pool is sized, since queues hold mbufs): which
 * DPDK port each config entry is, and how secondaries transmit on it
 * (docs/dataplane-ports.md):
 *
 *   queue  secondary K calls rte_eth_tx_burst() on tx queue 1 + K itself;
 *          the primary keeps queue 0. Only where the PMD's transmit works
 *          in a secondary process (../shared/TESTBED.md): PCI NICs,
 *          net_memif, and net_tap with at most 4 queues.
 *   ring   secondary K enqueues on its tx ring and the primary sends what
 *          it drains on queue 0. Every PMD can; af_packet only so (its
 *          burst functions are NULL in a secondary), and so must a port
 *          whose tx impairment stage (impair.h) runs in the primary.
 *
 * Start: configure the queues, the MTU, the checksum offloads the device
 * reports, RSS with our key where the device can hash exactly our tuple,
 * then start it and set promiscuous mode. Receiving stays in the primary
 * on every rx queue: it is the software RSS (dispatch.c), so one rx queue
 * is enough, except for net_tap, whose rx and tx queues come in pairs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus_pci.h>
#include <rte_ethdev.h>

#include "primary.h"
#include "ys_log.h"

/* The hash types whose NIC hash equals the dispatcher's (classify.c). */
#define YS_RSS_TYPES                                                           \
	(RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP |         \
	 RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_NONFRAG_IPV6_UDP)

#define YS_RX_CKSUM                                                            \
	(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM |        \
	 RTE_ETH_RX_OFFLOAD_TCP_CKSUM)
#define YS_TX_CKSUM                                                            \
	(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |        \
	 RTE_ETH_TX_OFFLOAD_TCP_CKSUM)

#define WHY_LEN 192

/*
 * Virtual devices whose transmit works from a secondary process
 * (TESTBED.md); PCI NICs are recognised by address instead.
 */
struct secondary_tx_driver {
	const char *driver;
	uint16_t max_queues; /* 0: only the device's own limit */
	bool paired;         /* every tx queue comes with an rx queue */
};

static const struct secondary_tx_driver secondary_tx_drivers[] = {
        /* Attached in the secondary after rte_eth_link_get(). */
        {"net_memif", 0, false},
        /*
         * Each queue is a tun file descriptor that the secondary receives
         * over EAL IPC, rx and tx together at most RTE_MP_MAX_FD_NUM (8);
         * 5 queue pairs abort the primary. The PMD refuses unequal rx and
         * tx counts, and the kernel spreads what it sends over every queue.
         */
        {"net_tap", 4, true},
};

/*
 * The ethdev name of a config device string: the vdev name before the
 * first comma, or the PCI address in its canonical DDDD:BB:DD.F form.
 */
static int device_ethdev_name(const struct ys_cfg_port *port, char *name,
                              size_t len)
{
	size_t n = strcspn(port->device, ",");
	struct rte_pci_addr addr;
	char tmp[YS_CFG_STR_LEN];

	if (n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, port->device, n);
	tmp[n] = '\0';
	if (!port->is_pci) {
		if (n >= len)
			return -EINVAL;
		memcpy(name, tmp, n + 1);
		return 0;
	}
	if (rte_pci_addr_parse(tmp, &addr) != 0)
		return -EINVAL;
	rte_pci_device_name(&addr, name, len);
	return 0;
}

/* The impairment stage's tx direction changes something (impair.h). */
static bool impair_tx_active(const struct ys_cfg_impair *im)
{
	const struct ys_cfg_impair_dir *tx = &im->tx;

	return im->enabled &&
	       (tx->drop > 0 || tx->duplicate > 0 || tx->reorder > 0 ||
	        tx->corrupt > 0 || tx->delay_us > 0);
}

static const struct secondary_tx_driver *
find_secondary_tx_driver(const char *driver)
{
	for (size_t i = 0; i < RTE_DIM(secondary_tx_drivers); i++)
		if (strcmp(secondary_tx_drivers[i].driver, driver) == 0)
			return &secondary_tx_drivers[i];
	return NULL;
}

/*
 * Why secondaries cannot transmit on their own queues of this port, in
 * `why`; false when they can. `n_txq` is 1 + the number of secondaries.
 */
static bool queue_mode_blocked(const struct ys_cfg_port *cp,
                               const struct rte_eth_dev_info *info,
                               uint16_t n_txq, char *why, size_t len)
{
	const struct secondary_tx_driver *d =
	        find_secondary_tx_driver(info->driver_name);
	uint16_t max_rxq =
	        d != NULL && d->paired ? info->max_rx_queues : UINT16_MAX;

	if (impair_tx_active(&cp->impair))
		snprintf(why, len, "its impair.tx stage runs in the primary");
	else if (d == NULL && !cp->is_pci)
		snprintf(why, len,
		         "driver %s cannot transmit from a secondary process",
		         info->driver_name);
	else if (d != NULL && d->max_queues != 0 && n_txq > d->max_queues)
		snprintf(why, len,
		         "driver %s takes at most %u queues from secondaries "
		         "and 1 + %u secondaries need %u",
		         info->driver_name, d->max_queues, n_txq - 1u, n_txq);
	else if (n_txq > info->max_tx_queues || n_txq > max_rxq)
		snprintf(why, len,
		         "the device has %u tx queues and 1 + %u secondaries "
		         "need %u",
		         RTE_MIN(info->max_tx_queues, max_rxq), n_txq - 1u,
		         n_txq);
	else
		return false;
	return true;
}

/* Decide port idx's tx mode and queue counts into `pi`; 0 or -errno. */
static int plan_tx_mode(const struct ys_primary *p, uint32_t idx,
                        const struct rte_eth_dev_info *info,
                        struct ys_port_info *pi)
{
	const struct ys_cfg_port *cp = &p->cfg.ports[idx];
	uint16_t n_txq = (uint16_t)(1 + p->cfg.secondaries.count);
	const struct secondary_tx_driver *d =
	        find_secondary_tx_driver(info->driver_name);
	char why[WHY_LEN];
	bool blocked = queue_mode_blocked(cp, info, n_txq, why, sizeof(why));
	bool queue = false;

	switch (cp->tx_mode) {
	case YS_TX_MODE_QUEUE:
		if (blocked) {
			YS_ERR("ports[%u] (%s): tx_mode \"queue\" is not "
			       "possible: %s; use \"auto\" or \"ring\"",
			       idx, cp->name, why);
			return -ENOTSUP;
		}
		queue = true;
		break;
	case YS_TX_MODE_AUTO:
		queue = !blocked;
		if (blocked && impair_tx_active(&cp->impair))
			YS_WARN("ports[%u] (%s): secondaries transmit through "
			        "the primary: %s",
			        idx, cp->name, why);
		else if (blocked)
			YS_INFO("ports[%u] (%s): secondaries transmit through "
			        "the primary: %s",
			        idx, cp->name, why);
		break;
	default: /* YS_TX_MODE_RING */
		break;
	}
	pi->tx_via_ring = !queue;
	pi->tx_queue_base = queue ? 1 : 0;
	pi->n_tx_queues = queue ? n_txq : 1;
	pi->n_rx_queues = queue && d != NULL && d->paired ? n_txq : 1;
	return 0;
}

int ys_ports_plan(struct ys_primary *p)
{
	for (uint32_t i = 0; i < p->cfg.n_ports; i++) {
		const struct ys_cfg_port *cp = &p->cfg.ports[i];
		struct ys_port_info *pi = &p->shm->ports[i];
		struct rte_eth_dev_info info;
		char name[RTE_ETH_NAME_MAX_LEN];
		uint16_t pid;
		int rc;

		if (device_ethdev_name(cp, name, sizeof(name)) != 0 ||
		    rte_eth_dev_get_port_by_name(name, &pid) != 0) {
			YS_ERR("ports[%u] (%s): no DPDK port for device '%s'",
			       i, cp->name, cp->device);
			return -ENODEV;
		}
		for (uint32_t j = 0; j < i; j++)
			if (p->port_ids[j] == pid) {
				YS_ERR("ports[%u] (%s): device '%s' is the "
				       "port of ports[%u] again",
				       i, cp->name, cp->device, j);
				return -EINVAL;
			}
		rc = rte_eth_dev_info_get(pid, &info);
		if (rc != 0) {
			YS_ERR("ports[%u] (%s): cannot query the device: %s", i,
			       cp->name, rte_strerror(-rc));
			return rc;
		}
		p->port_ids[i] = pid;
		snprintf(pi->name, sizeof(pi->name), "%s", cp->name);
		snprintf(pi->driver, sizeof(pi->driver), "%s",
		         info.driver_name);
		pi->port_id = pid;
		pi->rx_offload_capa = info.rx_offload_capa;
		pi->tx_offload_capa = info.tx_offload_capa;
		pi->rss_types_capa = info.flow_type_rss_offloads;
		pi->rss_key_capa = info.hash_key_size;
		rc = plan_tx_mode(p, i, &info, pi);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- start ------------------------------------------------------------- */

/* The largest IP MTU the device takes (ethdev's own check). */
static uint32_t device_max_mtu(const struct rte_eth_dev_info *info)
{
	uint32_t overhead = RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;

	if (info->max_mtu != UINT16_MAX && info->max_rx_pktlen > info->max_mtu)
		overhead = info->max_rx_pktlen - info->max_mtu;
	if (info->max_rx_pktlen <= overhead)
		return 0;
	return RTE_MIN((uint32_t)info->max_mtu, info->max_rx_pktlen - overhead);
}

/*
 * Checksum offloads the device reports, in both directions (recorded
 * for the stack; it computes every checksum itself so far), multi-segment
 * transmit, and scatter receive where a frame outgrows one mbuf.
 */
static void plan_offloads(const struct rte_eth_dev_info *info, uint16_t mtu,
                          struct rte_mempool *pool, struct rte_eth_conf *conf)
{
	uint32_t room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
	uint32_t frame =
	        mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + RTE_VLAN_HLEN;

	conf->rxmode.offloads |= info->rx_offload_capa & YS_RX_CKSUM;
	conf->txmode.offloads |= info->tx_offload_capa &
	                         (YS_TX_CKSUM | RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
	if (frame > room)
		conf->rxmode.offloads |=
		        info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER;
}

/*
 * RSS with our key and exactly our tuples, so that the NIC's hash is the
 * dispatcher's (nic_hash_usable() in dispatch.c). With one rx queue it
 * spreads nothing; it only delivers the hash. False where the device
 * cannot: no RSS_HASH offload, missing hash types, or another key size.
 */
static bool plan_rss(struct ys_primary *p, const struct rte_eth_dev_info *info,
                     struct rte_eth_conf *conf)
{
	if (!(info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH) ||
	    (info->flow_type_rss_offloads & YS_RSS_TYPES) != YS_RSS_TYPES ||
	    info->hash_key_size != YS_RSS_KEY_LEN)
		return false;
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf->rx_adv_conf.rss_conf.rss_key = p->cfg.secondaries.rss_key;
	conf->rx_adv_conf.rss_conf.rss_key_len = YS_RSS_KEY_LEN;
	conf->rx_adv_conf.rss_conf.rss_hf = YS_RSS_TYPES;
	conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
	return true;
}

static void drop_rss(struct rte_eth_conf *conf)
{
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	memset(&conf->rx_adv_conf.rss_conf, 0,
	       sizeof(conf->rx_adv_conf.rss_conf));
	conf->rxmode.offloads &= ~RTE_ETH_RX_OFFLOAD_RSS_HASH;
}

/*
 * The configured IP MTU on the device. A PMD that cannot set one is
 * accepted only if the MTU it has (`cur`, read before configuring) is
 * not below ours.
 */
static int set_mtu(uint32_t idx, const struct ys_cfg_port *cp, uint16_t pid,
                   const struct rte_eth_dev_info *info, uint16_t cur)
{
	int rc = rte_eth_dev_set_mtu(pid, cp->mtu);

	if (rc == -ENOTSUP && cur >= cp->mtu) {
		YS_WARN("ports[%u] (%s): driver %s cannot set the MTU; its "
		        "MTU %u is not below mtu %u, going on",
		        idx, cp->name, info->driver_name, cur, cp->mtu);
		return 0;
	}
	if (rc == -ENOTSUP)
		YS_ERR("ports[%u] (%s): driver %s cannot set the MTU and its "
		       "MTU %u is below mtu %u: lower ports[%u].mtu",
		       idx, cp->name, info->driver_name, cur, cp->mtu, idx);
	else if (rc != 0)
		YS_ERR("ports[%u] (%s): cannot set MTU %u: %s", idx, cp->name,
		       cp->mtu, rte_strerror(-rc));
	return rc;
}

#define STEP_LEN 64

/*
 * Configure, set the MTU, set up the queues, start. 0, or -errno with
 * the step that failed in `step` (empty: set_mtu() logged why).
 */
static int bring_up(struct ys_primary *p, uint32_t idx, uint16_t pid,
                    const struct rte_eth_dev_info *info, uint16_t cur_mtu,
                    const struct rte_eth_conf *conf, char *step)
{
	const struct ys_cfg_port *cp = &p->cfg.ports[idx];
	const struct ys_port_info *pi = &p->shm->ports[idx];
	uint16_t nb_rxd = cp->rx_desc, nb_txd = cp->tx_desc;
	int socket = rte_eth_dev_socket_id(pid);
	int rc;

	snprintf(step, STEP_LEN, "configure %u rx and %u tx queues",
	         pi->n_rx_queues, pi->n_tx_queues);
	rc = rte_eth_dev_configure(pid, pi->n_rx_queues, pi->n_tx_queues, conf);
	if (rc != 0)
		return rc;
	step[0] = '\0';
	rc = set_mtu(idx, cp, pid, info, cur_mtu);
	if (rc != 0)
		return rc;
	snprintf(step, STEP_LEN, "set up its queues");
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
	for (uint16_t q = 0; rc == 0 && q < pi->n_rx_queues; q++)
		rc = rte_eth_rx_queue_setup(pid, q, nb_rxd, socket, NULL,
		                            p->pool);
	for (uint16_t q = 0; rc == 0 && q < pi->n_tx_queues; q++)
		rc = rte_eth_tx_queue_setup(pid, q, nb_txd, socket, NULL);
	if (rc != 0)
		return rc;
	snprintf(step, STEP_LEN, "start");
	return rte_eth_dev_start(pid);
}

/* Promiscuous mode as configured; a PMD that cannot only warns. */
static void set_promiscuous(uint32_t idx, const struct ys_cfg_port *cp,
                            uint16_t pid)
{
	int rc = cp->promiscuous ? rte_eth_promiscuous_enable(pid)
	                         : rte_eth_promiscuous_disable(pid);

	if (rc != 0)
		YS_WARN("ports[%u] (%s): cannot %s promiscuous mode: %s", idx,
		        cp->name, cp->promiscuous ? "enable" : "disable",
		        rte_strerror(-rc));
}

/* "A,B,C" for the offload bits set in `bits`, or "none". */
static void offload_names(uint64_t bits, const char *(*name)(uint64_t),
                          char *buf, size_t len)
{
	size_t used = 0;

	snprintf(buf, len, "none");
	for (unsigned b = 0; b < 64 && used < len; b++) {
		uint64_t bit = UINT64_C(1) << b;

		if (!(bits & bit))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		                         used ? "," : "", name(bit));
	}
}

static void log_port(const struct ys_cfg_port *cp,
                     const struct ys_port_info *pi)
{
	char rx[256], tx[256], mode[96];

	offload_names(pi->rx_offloads, rte_eth_dev_rx_offload_name, rx,
	              sizeof(rx));
	offload_names(pi->tx_offloads, rte_eth_dev_tx_offload_name, tx,
	              sizeof(tx));
	if (pi->tx_via_ring)
		snprintf(mode, sizeof(mode), "ring (through the primary)");
	else
		snprintf(mode, sizeof(mode),
		         "queue (secondary K on tx queue %u + K)",
		         pi->tx_queue_base);
	YS_INFO("port %s: DPDK port %u, driver %s, device %s, "
	        "MAC " RTE_ETHER_ADDR_PRT_FMT ", mtu %u, promiscuous %s, "
	        "%u rx / %u tx queues, tx mode %s, rx offloads %s, "
	        "tx offloads %s, NIC RSS hash %s",
	        cp->name, pi->port_id, pi->driver, cp->device,
	        RTE_ETHER_ADDR_BYTES(&pi->mac), pi->mtu,
	        pi->promiscuous ? "on" : "off", pi->n_rx_queues,
	        pi->n_tx_queues, mode, rx, tx, pi->nic_rss ? "on" : "off");
}

static int port_start(struct ys_primary *p, uint32_t idx)
{
	const struct ys_cfg_port *cp = &p->cfg.ports[idx];
	struct ys_port_info *pi = &p->shm->ports[idx];
	uint16_t pid = p->port_ids[idx], cur_mtu = 0, mtu = 0;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	char step[STEP_LEN];
	bool rss;
	int rc;

	rc = rte_eth_dev_info_get(pid, &info);
	if (rc != 0)
		return rc;
	if (cp->mtu < info.min_mtu || cp->mtu > device_max_mtu(&info)) {
		YS_ERR("ports[%u] (%s): mtu %u is outside what driver %s "
		       "takes (%u..%u)",
		       idx, cp->name, cp->mtu, info.driver_name, info.min_mtu,
		       device_max_mtu(&info));
		return -EINVAL;
	}
	rte_eth_dev_get_mtu(pid, &cur_mtu); /* before configure sets it */
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mtu = cp->mtu;
	plan_offloads(&info, cp->mtu, p->pool, &conf);
	rss = plan_rss(p, &info, &conf);
	rc = bring_up(p, idx, pid, &info, cur_mtu, &conf, step);
	if (rc != 0 && rss && step[0] != '\0') {
		/* Some PMDs take RSS at configure and refuse it later. */
		YS_WARN("ports[%u] (%s): RSS with our key refused (cannot %s: "
		        "%s): the dispatcher hashes every frame itself",
		        idx, cp->name, step, rte_strerror(-rc));
		drop_rss(&conf);
		rss = false;
		rc = bring_up(p, idx, pid, &info, cur_mtu, &conf, step);
	}
	if (rc != 0) {
		if (step[0] != '\0')
			YS_ERR("ports[%u] (%s): cannot %s: %s", idx, cp->name,
			       step, rte_strerror(-rc));
		return rc;
	}
	set_promiscuous(idx, cp, pid);
	rte_eth_macaddr_get(pid, &pi->mac);
	rte_eth_dev_get_mtu(pid, &mtu);
	pi->mtu = mtu;
	pi->promiscuous = rte_eth_promiscuous_get(pid) == 1;
	pi->rx_offloads = conf.rxmode.offloads;
	pi->tx_offloads = conf.txmode.offloads;
	pi->nic_rss = rss;
	p->dports[idx].nic_hash = rss;
	p->rx_queues[idx] = pi->n_rx_queues;
	p->rx_next[idx] = 0;
	log_port(cp, pi);
	return 0;
}

int ys_ports_start(struct ys_primary *p)
{
	for (uint32_t i = 0; i < p->cfg.n_ports; i++) {
		int rc = port_start(p, i);

		/* Stopped at shutdown even if it failed half way. */
		p->n_ports = (uint16_t)(i + 1);
		if (rc != 0)
			return rc;
	}
	p->shm->n_ports = p->cfg.n_ports;
	return 0;
}

uint16_t ys_port_rx_burst(struct ys_primary *p, uint16_t i,
                          struct rte_mbuf **pkts, uint16_t cap)
{
	uint16_t nq = p->rx_queues[i], q = p->rx_next[i], n = 0;

	/* Round robin: a busy queue cannot starve the ones after it. */
	for (uint16_t tried = 0; tried < nq && n < cap; tried++) {
		n += rte_eth_rx_burst(p->port_ids[i], q, pkts + n,
		                      (uint16_t)(cap - n));
		q = (uint16_t)(q + 1 == nq ? 0 : q + 1);
	}
	p->rx_next[i] = q;
	return n;
}

void ys_ports_stop(struct ys_primary *p)
{
	for (uint16_t i = 0; i < p->n_ports; i++) {
		rte_eth_dev_stop(p->port_ids[i]);
		rte_eth_dev_close(p->port_ids[i]);
	}
	p->n_ports = 0;
}
