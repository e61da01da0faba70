/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus_pci.h>
#include <rte_ethdev.h>

#include "primary.h"
#include "ys_log.h"

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

static int port_configure(struct ys_primary *p, uint32_t idx, uint16_t pid)
{
	const struct ys_cfg_port *cp = &p->cfg.ports[idx];
	struct rte_eth_conf conf;
	uint16_t nb_rxd = cp->rx_desc, nb_txd = cp->tx_desc;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(pid, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(pid, 0, nb_rxd,
		                            rte_eth_dev_socket_id(pid), NULL,
		                            p->pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(pid, 0, nb_txd,
		                            rte_eth_dev_socket_id(pid), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		YS_ERR("ports[%u] (%s): cannot configure and start: %s", idx,
		       cp->name, rte_strerror(-rc));
		return rc;
	}
	/* The stack filters by MAC itself; not every PMD supports this. */
	rte_eth_promiscuous_enable(pid);
	return 0;
}

int ys_ports_start(struct ys_primary *p)
{
	for (uint32_t i = 0; i < p->cfg.n_ports; i++) {
		const struct ys_cfg_port *cp = &p->cfg.ports[i];
		struct ys_port_info *info = &p->shm->ports[i];
		char name[RTE_ETH_NAME_MAX_LEN];
		uint16_t pid;
		int rc;

		if (device_ethdev_name(cp, name, sizeof(name)) != 0 ||
		    rte_eth_dev_get_port_by_name(name, &pid) != 0) {
			YS_ERR("ports[%u] (%s): no DPDK port for device '%s'",
			       i, cp->name, cp->device);
			return -ENODEV;
		}
		rc = port_configure(p, i, pid);
		if (rc != 0)
			return rc;
		p->port_ids[i] = pid;
		p->n_ports = (uint16_t)(i + 1);
		snprintf(info->name, sizeof(info->name), "%s", cp->name);
		info->port_id = pid;
		rte_eth_macaddr_get(pid, &info->mac);
		/*
		 * Every PMD can transmit through the primary; a secondary's
		 * own tx queue is per PMD capability (a later issue).
		 */
		info->tx_via_ring = 1;
		YS_INFO("port %s: DPDK port %u, device %s, "
		        "MAC " RTE_ETHER_ADDR_PRT_FMT,
		        cp->name, pid, cp->device,
		        RTE_ETHER_ADDR_BYTES(&info->mac));
	}
	p->shm->n_ports = p->cfg.n_ports;
	return 0;
}

void ys_ports_stop(struct ys_primary *p)
{
	for (uint16_t i = 0; i < p->n_ports; i++) {
		rte_eth_dev_stop(p->port_ids[i]);
		rte_eth_dev_close(p->port_ids[i]);
	}
	p->n_ports = 0;
}
