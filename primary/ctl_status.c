/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * status, ports, secondaries, stats and stats.reset: read straight from
 * the shared memzone (docs/control.md). Nothing here is forwarded: every
 * counter a secondary keeps is in its own stats block.
 *
 * stats.reset cannot zero counters that other processes write (one
 * writer per cache line, ARCHITECTURE.md): it records a baseline, and
 * `stats` reports the difference. `status`, telemetry and /metrics keep
 * the totals since start, as Prometheus counters must.
 */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "ctl.h"
#include "reasm.h"

/* ---- counters --------------------------------------------------------------
 *
 * `status` shows every counter since start, `stats` since the last
 * stats.reset: the same helpers, status passing the zero baseline.
 */
static const struct ctl_stats_base no_base;

/* A counter since the baseline; a counter below it was restarted. */
static json_t *since(uint64_t now, uint64_t base)
{
	return json_integer((json_int_t)(now >= base ? now - base : now));
}

/* The dispatcher's counters of a port and its "drops" {reason: n}. */
static void port_counters_add(json_t *o, const struct ys_port_stats *st,
                              const struct ys_port_stats *b)
{
	json_t *drops = json_object();

#define YS_X_SET(name, help)                                                   \
	json_object_set_new(o, #name, since(st->name, b->name));
	YS_PORT_COUNTERS(YS_X_SET)
#undef YS_X_SET
#define YS_X_SET(name, help)                                                   \
	json_object_set_new(drops, #name,                                      \
	                    since(st->drops[YS_PORT_DROP_##name],              \
	                          b->drops[YS_PORT_DROP_##name]));
	YS_PORT_DROPS(YS_X_SET)
#undef YS_X_SET
	json_object_set_new(o, "drops", drops);
}

static json_t *stack_counters_json(const struct ys_stack_stats *st,
                                   const struct ys_stack_stats *b)
{
	json_t *o = json_object(), *drops = json_object();

#define YS_X_SET(name, help)                                                   \
	json_object_set_new(o, #name, since(st->name, b->name));
	YS_STACK_COUNTERS(YS_X_SET)
#undef YS_X_SET
	/* A level, not a count: as it is now. */
	json_object_set_new(o, "pmtu_entries",
	                    json_integer((json_int_t)st->pmtu_entries));
#define YS_X_SET(name, help)                                                   \
	json_object_set_new(drops, #name,                                      \
	                    since(st->drops[YS_STACK_DROP_##name],             \
	                          b->drops[YS_STACK_DROP_##name]));
	YS_STACK_DROPS(YS_X_SET)
#undef YS_X_SET
	json_object_set_new(o, "drops", drops);
	return o;
}

/* A secondary's counters and its stack's, as "stack". */
static void secondary_counters_add(json_t *o,
                                   const struct ys_secondary_stats *st,
                                   const struct ys_secondary_stats *b)
{
#define YS_X_SET(name, help)                                                   \
	json_object_set_new(o, #name, since(st->name, b->name));
	YS_SECONDARY_COUNTERS(YS_X_SET)
#undef YS_X_SET
	json_object_set_new(o, "stack",
	                    stack_counters_json(&st->stack, &b->stack));
}

static void primary_counters_set(json_t *o, const struct ys_primary_stats *st,
                                 const struct ys_primary_stats *b)
{
#define YS_X_SET(name, help)                                                   \
	json_object_set_new(o, #name, since(st->name, b->name));
	YS_PRIMARY_COUNTERS(YS_X_SET)
#undef YS_X_SET
}

/* ---- status ---------------------------------------------------------- */

/* The names of the offload bits set in `bits`, as DPDK spells them. */
static json_t *offloads_json(uint64_t bits, const char *(*name)(uint64_t))
{
	json_t *a = json_array();

	for (unsigned b = 0; b < 64; b++)
		if (bits & (UINT64_C(1) << b))
			json_array_append_new(
			        a, json_string(name(UINT64_C(1) << b)));
	return a;
}

/*
 * What the port is and how it is used: driver, link, MTU, promiscuous
 * mode, how secondaries transmit (and on which queues), the offloads
 * enabled and those the device reported, whether the dispatcher trusts
 * the NIC's RSS hash; then the dispatcher's counters and rte_eth_stats.
 */
static json_t *port_json(const struct ys_primary *p, uint32_t i)
{
	const struct ys_port_info *info = &p->shm->ports[i];
	const struct ys_port_stats *st = &p->shm->port_stats[i];
	struct rte_eth_link link;
	struct rte_eth_stats hw;
	char mac[RTE_ETHER_ADDR_FMT_SIZE], rss_types[24];
	uint16_t mtu = info->mtu;
	json_t *o, *queues = json_array();

	memset(&link, 0, sizeof(link));
	memset(&hw, 0, sizeof(hw));
	rte_eth_link_get_nowait(info->port_id, &link);
	rte_eth_stats_get(info->port_id, &hw);
	rte_eth_dev_get_mtu(info->port_id, &mtu);
	rte_ether_format_addr(mac, sizeof(mac), &info->mac);
	/* A string: bit 63 may be set, and JSON integers are signed. */
	snprintf(rss_types, sizeof(rss_types), "0x%" PRIx64,
	         info->rss_types_capa);
	for (uint32_t k = 0; !info->tx_via_ring && k < p->shm->n_secondaries;
	     k++)
		json_array_append_new(queues,
		                      json_integer(info->tx_queue_base + k));
	o = json_pack(
	        "{s:s, s:i, s:s, s:s, s:s, s:s, s:i, s:b, s:s, s:i, "
	        "s:i, s:o, s:b}",
	        "name", info->name, "port_id", info->port_id, "device",
	        p->cfg.ports[i].device, "driver", info->driver, "mac", mac,
	        "link", link.link_status ? "up" : "down", "mtu", (int)mtu,
	        "promiscuous", rte_eth_promiscuous_get(info->port_id) == 1,
	        "tx_mode", info->tx_via_ring ? "ring" : "queue", "rx_queues",
	        (int)info->n_rx_queues, "tx_queues", (int)info->n_tx_queues,
	        "secondary_tx_queues", queues, "nic_hash", (int)info->nic_rss);
	json_object_set_new(
	        o, "offloads",
	        json_pack("{s:o, s:o}", "rx",
	                  offloads_json(info->rx_offloads,
	                                rte_eth_dev_rx_offload_name),
	                  "tx",
	                  offloads_json(info->tx_offloads,
	                                rte_eth_dev_tx_offload_name)));
	json_object_set_new(
	        o, "capabilities",
	        json_pack("{s:o, s:o, s:s, s:i}", "rx",
	                  offloads_json(info->rx_offload_capa,
	                                rte_eth_dev_rx_offload_name),
	                  "tx",
	                  offloads_json(info->tx_offload_capa,
	                                rte_eth_dev_tx_offload_name),
	                  "rss_types", rss_types, "rss_key_size",
	                  (int)info->rss_key_capa));
	port_counters_add(o, st, &no_base.ports[0]);
	json_object_set_new(o, "hw",
	                    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
	                              "ipackets", (json_int_t)hw.ipackets,
	                              "opackets", (json_int_t)hw.opackets,
	                              "imissed", (json_int_t)hw.imissed,
	                              "ierrors", (json_int_t)hw.ierrors,
	                              "oerrors", (json_int_t)hw.oerrors,
	                              "rx_nombuf", (json_int_t)hw.rx_nombuf));
	return o;
}

/* RETA entries secondary k serves now: its own and any it was lent. */
static int reta_entries(const struct ys_primary *p, uint32_t k, int lent)
{
	int n = 0;

	for (uint32_t i = 0; i < p->shm->reta_size; i++)
		n += p->live_reta[i] == k && (p->shm->reta[i] != k) == lent;
	return n;
}

static json_int_t heartbeat_age_ms(const struct ys_primary *p, uint32_t k)
{
	uint64_t hb = p->shm->sec_stats[k].heartbeat_tsc, now = rte_rdtsc();

	return now > hb ? (json_int_t)((now - hb) * 1000 / p->shm->tsc_hz) : 0;
}

static json_t *secondary_json(const struct ys_primary *p, uint32_t k)
{
	const struct ys_secondary_slot *slot = &p->shm->slots[k];
	const struct ys_secondary_stats *st = &p->shm->sec_stats[k];
	json_t *o;

	o = json_pack("{s:i, s:s, s:i, s:i, s:i}", "id", (int)k, "state",
	              ys_secondary_state_str(slot->state), "lcore",
	              (int)slot->lcore_id, "cpu",
	              (int)p->cfg.secondaries.cpus[k], "registrations",
	              (int)slot->registrations);
	json_object_set_new(o, "pid",
	                    slot->state != YS_SEC_DEAD ? json_integer(slot->pid)
	                                               : json_null());
	secondary_counters_add(o, st, &no_base.secondaries[0]);
	json_object_set_new(o, "reclaimed_mbufs",
	                    json_integer((json_int_t)slot->reclaimed_mbufs));
	json_object_set_new(o, "reta_entries",
	                    json_integer(reta_entries(p, k, 0)));
	json_object_set_new(o, "reta_entries_lent",
	                    json_integer(reta_entries(p, k, 1)));
	/* null while dead, or registered but not yet looping */
	json_object_set_new(o, "heartbeat_age_ms",
	                    slot->state == YS_SEC_DEAD || st->heartbeat_tsc == 0
	                            ? json_null()
	                            : json_integer(heartbeat_age_ms(p, k)));
	return o;
}

/* The shared pool: its size, what is in use now, and the plan behind it. */
static json_t *mempools_json(const struct ys_primary *p)
{
	const struct ys_pool_plan *plan = &p->pool_plan;
	json_t *consumers = json_object();

#define YS_X_SET(name, help)                                                   \
	json_object_set_new(consumers, #name, json_integer(plan->name));
	YS_POOL_CONSUMERS(YS_X_SET)
#undef YS_X_SET
	return json_pack("[{s:s, s:i, s:i, s:i, s:o}]", "name", p->pool->name,
	                 "size", (int)p->pool->size, "in_use",
	                 (int)rte_mempool_in_use_count(p->pool), "needed",
	                 (int)plan->needed, "consumers", consumers);
}

static void primary_counters_add(const struct ys_primary *p, json_t *o)
{
	primary_counters_set(o, &p->shm->primary_stats, &no_base.primary);
	json_object_set_new(
	        o, "failover",
	        json_string(ys_cfg_failover_str(p->cfg.secondaries.failover)));
	json_object_set_new(o, "reassembly_held",
	                    json_integer(ys_reasm_held(p->dispatch.reasm)));
}

json_t *ctl_cmd_status(struct ctl_client *c, const struct ys_ctl_request *req)
{
	const struct ys_primary *p = c->srv->p;
	uint64_t uptime = (rte_rdtsc() - p->shm->start_tsc) / p->shm->tsc_hz;
	json_t *ports = json_array(), *secs = json_array(), *primary;

	for (uint32_t i = 0; i < p->shm->n_ports; i++)
		json_array_append_new(ports, port_json(p, i));
	for (uint32_t k = 0; k < p->shm->n_secondaries; k++)
		json_array_append_new(secs, secondary_json(p, k));
	primary = json_pack(
	        "{s:i, s:s, s:s, s:i, s:i, s:I, s:s}", "pid", (int)getpid(),
	        "state", p->stop ? "stopping" : "running", "version",
	        YS_VERSION, "lcore", YS_PRIMARY_LCORE, "cpu",
	        (int)p->cfg.eal.primary_cpu, "uptime_s", (json_int_t)uptime,
	        "file_prefix", p->cfg.eal.file_prefix);
	json_object_set_new(
	        primary, "config_generation",
	        json_integer((json_int_t)c->srv->config_generation));
	json_object_set_new(primary, "control_clients",
	                    json_integer(c->srv->n_clients));
	json_object_set_new(primary, "config_reload_in_progress",
	                    json_boolean(c->srv->reload_in_flight));
	primary_counters_add(p, primary);
	return ys_ctl_reply_ok(req->id,
	                       json_pack("{s:o, s:o, s:o, s:o}", "primary",
	                                 primary, "mempools", mempools_json(p),
	                                 "ports", ports, "secondaries", secs));
}

json_t *ctl_cmd_ports(struct ctl_client *c, const struct ys_ctl_request *req)
{
	const struct ys_primary *p = c->srv->p;
	json_t *ports = json_array();

	for (uint32_t i = 0; i < p->shm->n_ports; i++)
		json_array_append_new(ports, port_json(p, i));
	return ys_ctl_reply_ok(req->id, json_pack("{s:o}", "ports", ports));
}

json_t *ctl_cmd_secondaries(struct ctl_client *c,
                            const struct ys_ctl_request *req)
{
	const struct ys_primary *p = c->srv->p;
	int target = ctl_secondary_arg(c->srv, req);
	json_t *secs = json_array();

	if (target < -1) {
		json_decref(secs);
		return ctl_bad_secondary(c->srv, req);
	}
	for (uint32_t k = 0; k < p->shm->n_secondaries; k++)
		if (target < 0 || (uint32_t)target == k)
			json_array_append_new(secs, secondary_json(p, k));
	return ys_ctl_reply_ok(req->id,
	                       json_pack("{s:o}", "secondaries", secs));
}

/* ---- stats ------------------------------------------------------------- */

static json_t *port_stats_json(const struct ys_primary *p, uint32_t i,
                               const struct ys_port_stats *b)
{
	json_t *o = json_pack("{s:s, s:i}", "name", p->shm->ports[i].name,
	                      "port_id", (int)p->shm->ports[i].port_id);

	port_counters_add(o, &p->shm->port_stats[i], b);
	return o;
}

static json_t *secondary_stats_json(const struct ys_primary *p, uint32_t k,
                                    const struct ys_secondary_stats *b)
{
	json_t *o = json_pack("{s:i, s:s}", "id", (int)k, "state",
	                      ys_secondary_state_str(p->shm->slots[k].state));

	secondary_counters_add(o, &p->shm->sec_stats[k], b);
	json_object_del(o, "heartbeat_tsc"); /* a timestamp, not a count */
	return o;
}

json_t *ctl_cmd_stats(struct ctl_client *c, const struct ys_ctl_request *req)
{
	const struct ys_primary *p = c->srv->p;
	const struct ctl_stats_base *b = &c->srv->base;
	int target = ctl_secondary_arg(c->srv, req);
	json_t *ports = json_array(), *secs = json_array();
	json_t *primary = json_object();

	if (target < -1) {
		json_decref(ports);
		json_decref(secs);
		json_decref(primary);
		return ctl_bad_secondary(c->srv, req);
	}
	primary_counters_set(primary, &p->shm->primary_stats, &b->primary);
	for (uint32_t i = 0; i < p->shm->n_ports; i++)
		json_array_append_new(ports,
		                      port_stats_json(p, i, &b->ports[i]));
	for (uint32_t k = 0; k < p->shm->n_secondaries; k++)
		if (target < 0 || (uint32_t)target == k)
			json_array_append_new(
			        secs,
			        secondary_stats_json(p, k, &b->secondaries[k]));
	return ys_ctl_reply_ok(
	        req->id,
	        json_pack("{s:I, s:o, s:o, s:o, s:[], s:[]}", "since_reset_s",
	                  (json_int_t)((rte_rdtsc() - b->reset_tsc) /
	                               p->shm->tsc_hz),
	                  "primary", primary, "ports", ports, "secondaries",
	                  secs, "listeners", "clusters"));
}

/*
 * Copy the counters now in shared memory as the new baseline. Plain
 * loads of 64-bit counters another process increments: each is a
 * consistent value, the set is a snapshot within a few microseconds.
 */
json_t *ctl_cmd_stats_reset(struct ctl_client *c,
                            const struct ys_ctl_request *req)
{
	const struct ys_primary *p = c->srv->p;
	struct ctl_stats_base *b = &c->srv->base;
	int target = ctl_secondary_arg(c->srv, req);
	json_t *ids = json_array();

	if (target < -1) {
		json_decref(ids);
		return ctl_bad_secondary(c->srv, req);
	}
	for (uint32_t k = 0; k < p->shm->n_secondaries; k++) {
		if (target >= 0 && (uint32_t)target != k)
			continue;
		memcpy(&b->secondaries[k], &p->shm->sec_stats[k],
		       sizeof(b->secondaries[k]));
		json_array_append_new(ids, json_integer(k));
	}
	if (target < 0) {
		memcpy(b->ports, p->shm->port_stats, sizeof(b->ports));
		memcpy(&b->primary, &p->shm->primary_stats, sizeof(b->primary));
		b->reset_tsc = rte_rdtsc();
	}
	return ys_ctl_reply_ok(req->id,
	                       json_pack("{s:i, s:o}", "ports",
	                                 target < 0 ? (int)p->shm->n_ports : 0,
	                                 "secondaries", ids));
}
