/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * yastack's DPDK telemetry commands, read with dpdk-telemetry.py -f PREFIX
 * (docs/observability.md):
 *
 *   /yastack/ports        per port: name, DPDK port id, MAC, tx_via_ring and
 *                         the dispatcher's counters
 *   /yastack/secondaries  per registry slot: id, state, pid, lcore,
 *                         registrations, reclaimed_mbufs
 *   /yastack/stats[,K]    the primary's counters; per port counters and
 *                         drops by reason; per secondary (or secondary K
 *                         only) its counters and its stack's
 *
 * Every answer is a dict keyed by the port's config index or the
 * secondary's id ("0", "1", ...), each entry a nested dict: DPDK caps one
 * dict at RTE_TEL_MAX_DICT_ENTRIES, so nothing is flat. Counter names come
 * from the X-macros of ys_stats.h and ys_stack_stats.h, the same lists
 * `ysctl --json status` prints, so a new counter shows up in both.
 *
 * The callbacks run on EAL's telemetry thread while the datapath runs.
 * They read only the shared memzone: 64-bit counters, each with a single
 * writer, naturally aligned, loaded whole (never torn, maybe a few
 * packets stale). They never touch libevent, the control server or the
 * ports.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_telemetry.h>

#include "primary.h"
#include "ys_log.h"

/*
 * DPDK 22.11 answers in one message of at most 16 KiB (the max_output_len
 * it announces); entries that do not fit are silently left out. Keep a
 * margin for the command name and JSON punctuation, and say which
 * secondaries were left out rather than losing them silently.
 */
#define TEL_OUTPUT_MAX   (16 * 1024)
#define TEL_OUTPUT_SLACK 1024
#define TEL_U64_DIGITS   20

/*
 * rte_telemetry_register_cmd() takes no context argument, so the
 * callbacks find the memzone here. Not on the packet path: only the
 * telemetry thread reads it, under `tel_lock`, which ys_telemetry_stop()
 * takes to clear it before the memzone is freed.
 */
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct ys_shared *tel_shm;

/* One load of a counter another process writes (see ys_stats.h). */
#define TEL_READ(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/*
 * Builds one answer: the first error sticks, and `est` bounds the JSON
 * size of what was added (every number counted at its widest).
 */
struct tel_builder {
	int err;
	size_t est;
};

static void put_u64(struct tel_builder *b, struct rte_tel_data *d,
                    const char *name, uint64_t v)
{
	if (b->err == 0)
		b->err = rte_tel_data_add_dict_u64(d, name, v);
	b->est += strlen(name) + 4 + TEL_U64_DIGITS;
}

static void put_str(struct tel_builder *b, struct rte_tel_data *d,
                    const char *name, const char *v)
{
	if (b->err == 0)
		b->err = rte_tel_data_add_dict_string(d, name, v);
	b->est += strlen(name) + strlen(v) + 6;
}

/* A new empty dict, or NULL with b->err set. */
static struct rte_tel_data *dict_new(struct tel_builder *b)
{
	struct rte_tel_data *d;

	if (b->err != 0)
		return NULL;
	d = rte_tel_data_alloc();
	if (d == NULL) {
		b->err = -ENOMEM;
		return NULL;
	}
	rte_tel_data_start_dict(d);
	b->est += 2;
	return d;
}

/*
 * Nests `child` under `name`; consumes child (telemetry frees it once the
 * answer is written). On an error (ENOMEM, ENOSPC) the dicts nested in
 * `child` leak: DPDK 22.11 has no deep free.
 */
static void put_dict(struct tel_builder *b, struct rte_tel_data *d,
                     const char *name, struct rte_tel_data *child)
{
	b->est += strlen(name) + 4;
	if (child == NULL)
		return; /* dict_new() set b->err */
	if (b->err == 0)
		b->err = rte_tel_data_add_dict_container(d, name, child, 0);
	if (b->err != 0)
		rte_tel_data_free(child);
}

static uint32_t n_ports(const struct ys_shared *shm)
{
	return RTE_MIN(shm->n_ports, (uint32_t)YS_MAX_PORTS);
}

static uint32_t n_secondaries(const struct ys_shared *shm)
{
	return RTE_MIN(shm->n_secondaries, (uint32_t)YS_MAX_SECONDARIES);
}

/* ---- blocks ------------------------------------------------------------ */

static void port_counters(struct tel_builder *b, struct rte_tel_data *d,
                          const struct ys_port_stats *st)
{
#define YS_X_PUT(name, help) put_u64(b, d, #name, TEL_READ(st->name));
	YS_PORT_COUNTERS(YS_X_PUT)
#undef YS_X_PUT
}

static struct rte_tel_data *port_drops(struct tel_builder *b,
                                       const struct ys_port_stats *st)
{
	struct rte_tel_data *d = dict_new(b);

	if (d == NULL)
		return NULL;
#define YS_X_PUT(name, help)                                                   \
	put_u64(b, d, #name, TEL_READ(st->drops[YS_PORT_DROP_##name]));
	YS_PORT_DROPS(YS_X_PUT)
#undef YS_X_PUT
	return d;
}

/* /yastack/ports entry: what the port is, and its dispatcher counters. */
static struct rte_tel_data *port_info(struct tel_builder *b,
                                      const struct ys_shared *shm, uint32_t i)
{
	const struct ys_port_info *info = &shm->ports[i];
	struct rte_tel_data *d = dict_new(b);
	char name[YS_PORT_NAME_LEN];
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	if (d == NULL)
		return NULL;
	snprintf(name, sizeof(name), "%.*s", YS_PORT_NAME_LEN - 1, info->name);
	rte_ether_format_addr(mac, sizeof(mac), &info->mac);
	put_str(b, d, "name", name);
	put_u64(b, d, "port_id", info->port_id);
	put_str(b, d, "mac", mac);
	put_u64(b, d, "tx_via_ring", info->tx_via_ring);
	port_counters(b, d, &shm->port_stats[i]);
	return d;
}

/* /yastack/stats entry of a port: counters and drops by reason. */
static struct rte_tel_data *port_stats(struct tel_builder *b,
                                       const struct ys_shared *shm, uint32_t i)
{
	struct rte_tel_data *d = dict_new(b);
	char name[YS_PORT_NAME_LEN];

	if (d == NULL)
		return NULL;
	snprintf(name, sizeof(name), "%.*s", YS_PORT_NAME_LEN - 1,
	         shm->ports[i].name);
	put_str(b, d, "name", name);
	port_counters(b, d, &shm->port_stats[i]);
	put_dict(b, d, "drops", port_drops(b, &shm->port_stats[i]));
	return d;
}

static struct rte_tel_data *primary_stats(struct tel_builder *b,
                                          const struct ys_shared *shm)
{
	const struct ys_primary_stats *st = &shm->primary_stats;
	struct rte_tel_data *d = dict_new(b);

	if (d == NULL)
		return NULL;
#define YS_X_PUT(name, help) put_u64(b, d, #name, TEL_READ(st->name));
	YS_PRIMARY_COUNTERS(YS_X_PUT)
#undef YS_X_PUT
	return d;
}

/* /yastack/secondaries entry. A dead slot has no pid (ysctl: null). */
static struct rte_tel_data *
secondary_info(struct tel_builder *b, const struct ys_shared *shm, uint32_t k)
{
	const struct ys_secondary_slot *slot = &shm->slots[k];
	uint32_t state = slot->state;
	struct rte_tel_data *d = dict_new(b);

	if (d == NULL)
		return NULL;
	put_u64(b, d, "id", k);
	put_str(b, d, "state", ys_secondary_state_str(state));
	if (state != YS_SEC_DEAD)
		put_u64(b, d, "pid", (uint64_t)slot->pid);
	put_u64(b, d, "lcore", slot->lcore_id);
	put_u64(b, d, "registrations", slot->registrations);
	put_u64(b, d, "reclaimed_mbufs", TEL_READ(slot->reclaimed_mbufs));
	return d;
}

static struct rte_tel_data *stack_stats(struct tel_builder *b,
                                        const struct ys_stack_stats *st)
{
	struct rte_tel_data *d = dict_new(b), *drops;

	if (d == NULL)
		return NULL;
#define YS_X_PUT(name, help) put_u64(b, d, #name, TEL_READ(st->name));
	YS_STACK_COUNTERS(YS_X_PUT)
#undef YS_X_PUT
	drops = dict_new(b);
	if (drops != NULL) {
#define YS_X_PUT(name, help)                                                   \
	put_u64(b, drops, #name, TEL_READ(st->drops[YS_STACK_DROP_##name]));
		YS_STACK_DROPS(YS_X_PUT)
#undef YS_X_PUT
	}
	put_dict(b, d, "drops", drops);
	return d;
}

/* /yastack/stats entry of a secondary: its counters and its stack's. */
static struct rte_tel_data *
secondary_stats(struct tel_builder *b, const struct ys_shared *shm, uint32_t k)
{
	const struct ys_secondary_stats *st = &shm->sec_stats[k];
	struct rte_tel_data *d = dict_new(b);

	if (d == NULL)
		return NULL;
#define YS_X_PUT(name, help) put_u64(b, d, #name, TEL_READ(st->name));
	YS_SECONDARY_COUNTERS(YS_X_PUT)
#undef YS_X_PUT
	put_dict(b, d, "stack", stack_stats(b, &st->stack));
	return d;
}

/* ---- commands ---------------------------------------------------------- */

static int key_of(char *key, size_t len, uint32_t i)
{
	return snprintf(key, len, "%u", i) < (int)len ? 0 : -ENAMETOOLONG;
}

static int build_ports(const struct ys_shared *shm, const char *params,
                       struct rte_tel_data *d)
{
	struct tel_builder b = {0, 0};
	char key[16];

	(void)params;
	rte_tel_data_start_dict(d);
	for (uint32_t i = 0; i < n_ports(shm) && b.err == 0; i++)
		if (key_of(key, sizeof(key), i) == 0)
			put_dict(&b, d, key, port_info(&b, shm, i));
	return b.err;
}

static int build_secondaries(const struct ys_shared *shm, const char *params,
                             struct rte_tel_data *d)
{
	struct tel_builder b = {0, 0};
	char key[16];

	(void)params;
	rte_tel_data_start_dict(d);
	for (uint32_t k = 0; k < n_secondaries(shm) && b.err == 0; k++)
		if (key_of(key, sizeof(key), k) == 0)
			put_dict(&b, d, key, secondary_info(&b, shm, k));
	return b.err;
}

/*
 * `params` empty: every secondary; "K": secondary K only. Returns the
 * first id and sets *end, or -EINVAL.
 */
static int stats_range(const struct ys_shared *shm, const char *params,
                       uint32_t *first, uint32_t *end)
{
	unsigned long k;
	char *rest;

	*first = 0;
	*end = n_secondaries(shm);
	if (params == NULL || *params == '\0')
		return 0;
	errno = 0;
	k = strtoul(params, &rest, 10);
	if (errno != 0 || rest == params || *rest != '\0' || k >= *end)
		return -EINVAL;
	*first = (uint32_t)k;
	*end = (uint32_t)k + 1;
	return 0;
}

/*
 * The widest JSON a secondary's /yastack/stats block can take: every
 * secondary's block has the same keys.
 */
static size_t secondary_stats_est(void)
{
	size_t n = 3 * 2 + sizeof("stack") + 4 + sizeof("drops") + 4;

#define YS_X_EST(name, help) n += sizeof(#name) - 1 + 4 + TEL_U64_DIGITS;
	YS_SECONDARY_COUNTERS(YS_X_EST)
	YS_STACK_COUNTERS(YS_X_EST)
	YS_STACK_DROPS(YS_X_EST)
#undef YS_X_EST
	return n;
}

/*
 * Secondaries whose block would take the answer past DPDK's output limit
 * are left out, before they are built, and counted in
 * `secondaries_omitted`; /yastack/stats,K reads them one by one.
 */
static void add_secondaries_stats(struct tel_builder *b,
                                  const struct ys_shared *shm,
                                  struct rte_tel_data *d, uint32_t first,
                                  uint32_t end)
{
	const size_t one = secondary_stats_est();
	struct rte_tel_data *secs = dict_new(b);
	uint64_t omitted = 0;
	char key[16];

	for (uint32_t k = first; k < end && secs != NULL && b->err == 0; k++) {
		if (key_of(key, sizeof(key), k) != 0)
			continue;
		if (b->est + one + strlen(key) + 4 >
		    TEL_OUTPUT_MAX - TEL_OUTPUT_SLACK) {
			omitted++;
			continue;
		}
		put_dict(b, secs, key, secondary_stats(b, shm, k));
	}
	put_dict(b, d, "secondaries", secs);
	if (omitted > 0)
		put_u64(b, d, "secondaries_omitted", omitted);
}

static int build_stats(const struct ys_shared *shm, const char *params,
                       struct rte_tel_data *d)
{
	struct tel_builder b = {0, 0};
	struct rte_tel_data *ports;
	uint32_t first, end;
	char key[16];

	if (stats_range(shm, params, &first, &end) != 0)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	put_dict(&b, d, "primary", primary_stats(&b, shm));
	ports = dict_new(&b);
	for (uint32_t i = 0; i < n_ports(shm) && ports != NULL && b.err == 0;
	     i++)
		if (key_of(key, sizeof(key), i) == 0)
			put_dict(&b, ports, key, port_stats(&b, shm, i));
	put_dict(&b, d, "ports", ports);
	add_secondaries_stats(&b, shm, d, first, end);
	return b.err;
}

typedef int (*tel_build_fn)(const struct ys_shared *shm, const char *params,
                            struct rte_tel_data *d);

/* Runs `fn` while the memzone is known to be mapped. */
static int with_shared(tel_build_fn fn, const char *params,
                       struct rte_tel_data *d)
{
	int rc;

	pthread_mutex_lock(&tel_lock);
	rc = tel_shm != NULL ? fn(tel_shm, params, d) : -ENODEV;
	pthread_mutex_unlock(&tel_lock);
	return rc;
}

static int cmd_ports(const char *cmd, const char *params,
                     struct rte_tel_data *d)
{
	(void)cmd;
	return with_shared(build_ports, params, d);
}

static int cmd_secondaries(const char *cmd, const char *params,
                           struct rte_tel_data *d)
{
	(void)cmd;
	return with_shared(build_secondaries, params, d);
}

static int cmd_stats(const char *cmd, const char *params,
                     struct rte_tel_data *d)
{
	(void)cmd;
	return with_shared(build_stats, params, d);
}

int ys_telemetry_start(const struct ys_shared *shm)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
	        {"/yastack/ports", cmd_ports,
	         "yastack ports: name, DPDK port id, MAC, tx_via_ring, "
	         "dispatcher counters. No parameters"},
	        {"/yastack/secondaries", cmd_secondaries,
	         "yastack secondaries: id, state, pid, lcore, registrations, "
	         "reclaimed_mbufs. "
	         "No parameters"},
	        {"/yastack/stats", cmd_stats,
	         "yastack counters: primary, ports (with drops), secondaries "
	         "(with their stack). Parameter: optional secondary id"},
	};
	static int registered; /* DPDK has no way to unregister */
	int rc;

	pthread_mutex_lock(&tel_lock);
	tel_shm = shm;
	pthread_mutex_unlock(&tel_lock);
	if (registered)
		return 0;
	for (size_t i = 0; i < RTE_DIM(cmds); i++) {
		rc = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn,
		                                cmds[i].help);
		if (rc != 0) {
			YS_WARN("telemetry: cannot register %s: %s",
			        cmds[i].cmd, strerror(-rc));
			return rc;
		}
	}
	registered = 1;
	return 0;
}

void ys_telemetry_stop(void)
{
	pthread_mutex_lock(&tel_lock);
	tel_shm = NULL;
	pthread_mutex_unlock(&tel_lock);
}
