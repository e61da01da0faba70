/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ys-primary -c FILE [--check]
 *
 * Creates everything secondaries look up (contract in ys_contract.h),
 * starts the ports, then runs the dispatch loop until SIGTERM/SIGINT.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "pool.h"
#include "primary.h"
#include "reasm.h"
#include "ys_idle.h"
#include "ys_log.h"

#define EAL_MAX_ARGS 64

static struct ys_primary *g_primary; /* for the signal handler only */

/*
 * The first SIGTERM/SIGINT stops the secondaries, then the primary
 * (ys_ctl_shutdown); a second one stops the primary at once.
 */
static void on_signal(int sig)
{
	(void)sig;
	if (g_primary == NULL)
		return;
	if (g_primary->stop_requested)
		g_primary->stop = 1;
	g_primary->stop_requested = 1;
}

static int live_secondaries(const struct ys_primary *p);

/* Called between event polls: start or finish an orderly stop. */
static void check_stop(struct ys_primary *p)
{
	if (p->stop_requested && !p->shutdown_started) {
		p->shutdown_started = 1;
		YS_INFO("stopping: secondaries first");
		ys_ctl_shutdown(p);
	}
	if (p->shutdown_deadline_tsc == 0)
		return;
	if (live_secondaries(p) == 0 && ys_ctl_server_flushed(p->ctl))
		p->stop = 1;
	else if (rte_rdtsc() > p->shutdown_deadline_tsc) {
		YS_WARN("%d secondaries still running after %d ms: stopping "
		        "anyway",
		        live_secondaries(p), YS_SHUTDOWN_WAIT_MS);
		p->stop = 1;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: ys-primary -c FILE [--check]\n"
	        "  -c, --config FILE  yastack JSON configuration\n"
	        "      --check        validate the configuration and exit\n");
}

static int create_shared(struct ys_primary *p)
{
	const struct ys_cfg_secondaries *sc = &p->cfg.secondaries;
	struct ys_shared *shm;

	p->mz = rte_memzone_reserve(YS_SHARED_MZ_NAME, sizeof(*shm),
	                            SOCKET_ID_ANY, 0);
	if (p->mz == NULL) {
		YS_ERR("cannot reserve memzone %s: %s", YS_SHARED_MZ_NAME,
		       rte_strerror(rte_errno));
		return -rte_errno;
	}
	shm = p->mz->addr;
	memset(shm, 0, sizeof(*shm));
	shm->magic = YS_CONTRACT_MAGIC;
	shm->version = YS_CONTRACT_VERSION;
	shm->shared_size = sizeof(*shm);
	shm->sec_stats_size = sizeof(struct ys_secondary_stats);
	shm->port_stats_size = sizeof(struct ys_port_stats);
	shm->primary_pid = getpid();
	shm->n_secondaries = sc->count;
	shm->reta_size = sc->reta_size;
	shm->tsc_hz = rte_get_tsc_hz();
	shm->start_tsc = rte_rdtsc();
	ys_reta_fill(shm->reta, sc->reta_size, sc->count);
	p->shm = shm;
	return 0;
}

static int create_pool_and_rings(struct ys_primary *p)
{
	static const struct rte_mbuf_dynfield meta_desc = {
	        .name = YS_MBUF_META_DYNFIELD,
	        .size = sizeof(struct ys_mbuf_meta),
	        .align = __alignof__(struct ys_mbuf_meta),
	};
	const struct ys_cfg_secondaries *sc = &p->cfg.secondaries;
	char name[RTE_RING_NAMESIZE];

	ys_pool_plan(&p->cfg, p->shm->ports, &p->pool_plan);
	p->pool = ys_pool_create(&p->cfg, &p->pool_plan, YS_MBUF_POOL_NAME);
	if (p->pool == NULL)
		return -ENOMEM;
	p->dispatch.meta_offset = rte_mbuf_dynfield_register(&meta_desc);
	if (p->dispatch.meta_offset < 0) {
		YS_ERR("cannot register mbuf field %s: %s",
		       YS_MBUF_META_DYNFIELD, rte_strerror(rte_errno));
		return -rte_errno;
	}
	/* Owner tags start clear (ys_mbuf.h): reused memory may not be. */
	ys_pool_clear_owners(p->pool, p->dispatch.meta_offset);
	for (uint32_t k = 0; k < sc->count; k++) {
		snprintf(name, sizeof(name), YS_RX_RING_FMT, k);
		p->rx_rings[k] =
		        rte_ring_create(name, sc->ring_size, rte_socket_id(),
		                        RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), YS_TX_RING_FMT, k);
		p->tx_rings[k] =
		        rte_ring_create(name, sc->ring_size, rte_socket_id(),
		                        RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (p->rx_rings[k] == NULL || p->tx_rings[k] == NULL) {
			YS_ERR("cannot create rings for secondary %u: %s", k,
			       rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	return 0;
}

static int setup_dispatch(struct ys_primary *p)
{
	struct ys_dispatch *d = &p->dispatch;

	p->thash = rte_zmalloc("ys_toeplitz", sizeof(*p->thash),
	                       RTE_CACHE_LINE_SIZE);
	if (p->thash == NULL)
		return -ENOMEM;
	ys_toeplitz_init(p->thash, p->cfg.secondaries.rss_key);
	YS_INFO("Toeplitz hash: %s implementation",
	        ys_toeplitz_impl_name(ys_toeplitz_get_impl(p->thash)));
	d->reasm = ys_reasm_create(&p->cfg.reassembly, rte_get_tsc_hz(),
	                           (int)rte_socket_id());
	if (d->reasm == NULL) {
		YS_ERR("cannot create the reassembly table for %u datagrams",
		       p->cfg.reassembly.max_flows);
		return -ENOMEM;
	}
	d->thash = p->thash;
	d->reta = p->live_reta;
	d->home_reta = p->shm->reta;
	d->reta_size = p->shm->reta_size;
	d->n_secondaries = p->shm->n_secondaries;
	d->slots = p->shm->slots;
	d->pool = p->pool;
	for (uint32_t k = 0; k < d->n_secondaries; k++)
		d->rx_rings[k] = p->rx_rings[k];
	for (uint32_t i = 0; i < YS_MAX_PORTS; i++)
		p->dports[i].stats = &p->shm->port_stats[i];
	return ys_registry_start(p);
}

static void run_loop(struct ys_primary *p)
{
	const uint64_t event_period = rte_get_tsc_hz() / 1000; /* 1 ms */
	uint64_t last_events = rte_rdtsc();
	struct ys_idle idle;

	if (ys_idle_init(&idle, p->base) != 0) {
		YS_ERR("cannot allocate the idle timer");
		return;
	}
	while (!p->stop) {
		uint64_t now = rte_rdtsc();
		unsigned work = 0;

		for (uint16_t i = 0; i < p->n_ports; i++) {
			struct rte_mbuf *pkts[YS_BURST];
			uint16_t n = ys_port_rx_burst(p, i, pkts, YS_BURST);

			if (unlikely(p->impair[i] != NULL))
				n = ys_impair_port_poll(p, i, pkts, n);
			if (n > 0)
				ys_dispatch_burst(&p->dispatch, &p->dports[i],
				                  pkts, n, now);
			work += n;
		}
		ys_reasm_tick(p->dispatch.reasm,
		              &p->shm->primary_stats.reasm_timeouts, now);
		work += ys_drain_tx_rings(p);
		/* A sleep runs the control events; a busy loop polls them. */
		if (ys_idle_poll(&idle, work > 0) == 0 &&
		    rte_rdtsc() - last_events > event_period) {
			event_base_loop(p->base, EVLOOP_NONBLOCK);
			last_events = rte_rdtsc();
		}
		if (unlikely(p->stop_requested || p->shutdown_deadline_tsc))
			check_stop(p);
	}
	ys_idle_fini(&idle);
}

/*
 * A clean stop leaves nothing behind: the runtime directory
 * /var/run/dpdk/<prefix> holds only files of this primary once every
 * secondary has gone (secondaries are stopped first).
 */
static void remove_runtime_dir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) <
		    (int)sizeof(path))
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/*
 * EAL does not unlink the hugepage files that still back memory at
 * rte_eal_cleanup() (the heap's first segments, internal memzones), and
 * a secondary attaching later would otherwise map stale pages. Once
 * every secondary has gone, this primary's files (<prefix>map_N in any
 * hugetlbfs mount) are its own to remove.
 */
static void remove_hugepage_files(const char *prefix)
{
	char dir[PATH_MAX], path[PATH_MAX], line[PATH_MAX + 128];
	size_t plen = strlen(prefix);
	FILE *mounts = fopen("/proc/mounts", "r");

	if (mounts == NULL)
		return;
	while (fgets(line, sizeof(line), mounts) != NULL) {
		struct dirent *e;
		DIR *d;

		if (sscanf(line, "%*s %4095s hugetlbfs", dir) != 1 ||
		    strstr(line, " hugetlbfs ") == NULL)
			continue;
		d = opendir(dir);
		if (d == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			if (strncmp(e->d_name, prefix, plen) != 0 ||
			    strncmp(e->d_name + plen, "map_", 4) != 0)
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", dir,
			             e->d_name) < (int)sizeof(path))
				unlink(path);
		}
		closedir(d);
	}
	fclose(mounts);
}

static int live_secondaries(const struct ys_primary *p)
{
	int n = 0;

	/* A dead slot whose process has not exited yet (not reaped) may
	 * still touch the shared memory: it counts. */
	for (uint32_t k = 0; k < p->shm->n_secondaries; k++)
		n += p->shm->slots[k].state != YS_SEC_DEAD ||
		     p->reap_pending[k];
	return n;
}

static void shutdown_primary(struct ys_primary *p)
{
	char runtime_dir[PATH_MAX];
	int attached = p->shm ? live_secondaries(p) : 0;

	snprintf(runtime_dir, sizeof(runtime_dir), "%s",
	         rte_eal_get_runtime_dir());
	if (p->shm != NULL)
		p->shm->ready = 0;
	ys_ctl_server_stop(p->ctl);
	ys_metrics_stop(p->metrics);
	ys_hooks_stop(p); /* before the ports and the memzone go */
	ys_ports_stop(p);
	ys_impair_stop(p); /* frees the frames it holds */
	ys_registry_stop(p);
	ys_reasm_free(p->dispatch.reasm);
	rte_free(p->thash);
	/* Shared objects stay while a secondary may still touch them. */
	if (attached == 0) {
		for (uint32_t k = 0; k < YS_MAX_SECONDARIES; k++) {
			rte_ring_free(p->rx_rings[k]); /* NULL-safe */
			rte_ring_free(p->tx_rings[k]);
		}
		rte_mempool_free(p->pool);
		rte_memzone_free(p->mz);
	}
	if (p->base != NULL)
		event_base_free(p->base);
	rte_eal_cleanup();
	if (attached == 0) {
		remove_runtime_dir(runtime_dir);
		remove_hugepage_files(p->cfg.eal.file_prefix);
	} else
		YS_WARN("%d secondaries still attached: leaving %s in place "
		        "(stop secondaries before the primary)",
		        attached, runtime_dir);
}

static int parse_args(int argc, char **argv, const char **config, int *check)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"check", no_argument, NULL, 'k'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 'k':
			*check = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (*config == NULL || optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static int init_primary(struct ys_primary *p)
{
	char *eal_argv[EAL_MAX_ARGS];
	char eal_storage[8192];
	int eal_argc, rc;

	eal_argc = ys_primary_eal_args(&p->cfg, eal_argv, EAL_MAX_ARGS,
	                               eal_storage, sizeof(eal_storage));
	if (eal_argc < 0) {
		YS_ERR("too many EAL arguments");
		return eal_argc;
	}
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		YS_ERR("EAL init failed: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	p->eal_up = 1;
	p->base = event_base_new();
	if (p->base == NULL)
		return -ENOMEM;
	rc = create_shared(p);
	if (rc == 0)
		rc = ys_ports_plan(p); /* queue counts size the pool */
	if (rc == 0)
		rc = create_pool_and_rings(p);
	if (rc == 0)
		rc = setup_dispatch(p);
	if (rc == 0)
		rc = ys_ports_start(p);
	if (rc == 0)
		ys_hooks_start(p); /* dpdk-dumpcap, telemetry */
	if (rc == 0)
		rc = ys_impair_start(p);
	if (rc == 0) {
		p->ctl = ys_ctl_server_start(p);
		if (p->ctl == NULL)
			rc = -EIO;
	}
	if (rc == 0)
		rc = ys_metrics_start(p); /* a port in use stops the start */
	return rc;
}

int main(int argc, char **argv)
{
	static struct ys_primary primary;
	struct ys_primary *p = &primary;
	const char *config = NULL;
	char err[YS_CFG_ERR_LEN];
	int check = 0, rc;

	ys_log_init("ys-primary", YS_LOG_INFO);
	if (parse_args(argc, argv, &config, &check) != 0)
		return 2;
	if (ys_config_load(&p->cfg, config,
	                   (unsigned)sysconf(_SC_NPROCESSORS_ONLN), err,
	                   sizeof(err)) != 0) {
		YS_ERR("%s", err);
		return 1;
	}
	if (check) {
		printf("%s: ok\n", p->cfg.path);
		return 0;
	}
	g_primary = p;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);

	rc = init_primary(p);
	if (rc == 0) {
		rte_smp_wmb();
		p->shm->ready = 1;
		YS_INFO("ready: %u ports, %u secondaries, file prefix %s",
		        p->n_ports, p->shm->n_secondaries,
		        p->cfg.eal.file_prefix);
		run_loop(p);
		YS_INFO("stopping");
	}
	if (p->eal_up)
		shutdown_primary(p);
	return rc == 0 ? 0 : 1;
}
