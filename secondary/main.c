/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ys-secondary -c FILE -i K [--wait SECONDS]
 *
 * Waits (bounded) for the primary, attaches as a DPDK secondary with
 * lcore id K+1, looks up everything by the names in ys_contract.h,
 * registers over the control socket, then runs the poll loop: dequeue a
 * burst -> stack input -> flush tx -> control events -> idle back-off.
 *
 * Exit codes: 0 clean stop (SIGTERM/SIGINT), 1 configuration or start-up
 * failure (one-line reason on stderr), 2 usage, 3 the primary went away.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf_dyn.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include "ys_config.h"
#include "ys_contract.h"
#include "ys_ctl.h"
#include "ys_idle.h"
#include "ys_log.h"
#include "ys_stack.h"

#include "secondary.h"

static struct ys_secondary *g_secondary; /* for the signal handler only */

static void on_signal(int sig)
{
	(void)sig;
	if (g_secondary != NULL)
		g_secondary->stop = 1;
}

/* ---- transmit ------------------------------------------------------------ */

/*
 * Consumes pkts[0..n): onto the tx ring, or freed and counted. Frames go
 * onto the ring still tagged as ours and the primary clears the tag when
 * it dequeues them (ys_mbuf.h): if we die with frames on the ring, or
 * half way through the enqueue, the primary reclaims each exactly once
 * either way.
 */
static void tx_ring_send(struct ys_secondary *s, struct rte_mbuf **pkts,
                         unsigned n)
{
	unsigned sent =
	        rte_ring_sp_enqueue_burst(s->tx_ring, (void **)pkts, n, NULL);

	s->stats->tx_packets += sent;
	if (sent < n) {
		s->stats->tx_ring_full += n - sent;
		ys_mbuf_free_bulk(&s->owner, pkts + sent, n - sent);
	}
}

/*
 * Consumes pkts[0..n), all for `port`: onto our own tx queue of it, or
 * freed and counted. The PMD owns every frame it takes and frees it now
 * or on a later burst, so the tags are cleared before the burst
 * (ys_mbuf.h); the frames it leaves are already untagged.
 */
static void tx_queue_send(struct ys_secondary *s, uint16_t port,
                          struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent;

	/*
	 * Untagged frames not yet in the PMD's hands are nobody's: the
	 * mempool flag marks the window, and a death inside it is counted
	 * as a bounded loss (the PMD may also free to the mempool here).
	 */
	ys_mbuf_pool_enter(&s->owner);
	for (uint16_t i = 0; i < n; i++)
		ys_mbuf_release(&s->owner, pkts[i]);
	sent = rte_eth_tx_burst(port, s->tx_routes[port].queue, pkts, n);
	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	ys_mbuf_pool_leave(&s->owner);
	s->stats->tx_packets += sent;
	s->stats->tx_queue_packets += sent;
	s->stats->tx_queue_full += n - sent;
}

static inline bool tx_direct(const struct ys_secondary *s, uint16_t port)
{
	return port < RTE_MAX_ETHPORTS && s->tx_routes[port].direct;
}

/*
 * Consumes every staged mbuf. Each run of frames for one port goes out
 * together on our own tx queue where that port has one for us; the rest
 * go onto the tx ring in one enqueue, in their order (a port the primary
 * does not know is its to count).
 */
static void tx_flush(struct ys_secondary *s)
{
	struct rte_mbuf *ring[YS_SECONDARY_TX_STAGE];
	unsigned n_ring = 0;
	uint16_t i = 0;

	if (s->n_direct == 0 && s->n_tx > 0)
		tx_ring_send(s, s->tx, s->n_tx);
	while (s->n_direct > 0 && i < s->n_tx) {
		uint16_t port = s->tx[i]->port, j = (uint16_t)(i + 1);

		while (j < s->n_tx && s->tx[j]->port == port)
			j++;
		if (tx_direct(s, port))
			tx_queue_send(s, port, s->tx + i, (uint16_t)(j - i));
		else
			while (i < j)
				ring[n_ring++] = s->tx[i++];
		i = j;
	}
	if (n_ring > 0)
		tx_ring_send(s, ring, n_ring);
	s->n_tx = 0;
}

/* The stack's tx callback. Consumes m. */
static int stack_tx(void *ctx, struct rte_mbuf *m)
{
	struct ys_secondary *s = ctx;

	if (s->n_tx == YS_SECONDARY_TX_STAGE)
		tx_flush(s);
	s->tx[s->n_tx++] = m;
	return 0;
}

/* ---- start-up -------------------------------------------------------- */

uint64_t ys_sec_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The primary is ready when its control socket answers `status`: it
 * opens the socket only after every shared object exists. Attaching
 * before that would make EAL fail, so wait, bounded, and say so.
 */
static int wait_for_primary(struct ys_secondary *s)
{
	uint64_t deadline = ys_sec_now_ms() + (uint64_t)s->wait_s * 1000;
	const char *path = s->cfg.control.socket;
	int said = 0;

	while (!s->stop) {
		int fd = ys_ctl_connect(path);
		json_t *reply = NULL;

		if (fd >= 0) {
			int rc = ys_ctl_call(fd, 1, "status", NULL,
			                     CTL_TIMEOUT_MS, &reply);

			close(fd);
			if (rc == 0 &&
			    json_is_true(json_object_get(reply, "ok"))) {
				json_decref(reply);
				return 0;
			}
			json_decref(reply);
		}
		if (ys_sec_now_ms() >= deadline) {
			YS_ERR("primary not ready on %s after %d s", path,
			       s->wait_s);
			return -ETIMEDOUT;
		}
		if (!said++)
			YS_INFO("waiting up to %d s for the primary on %s",
			        s->wait_s, path);
		usleep(100 * 1000);
	}
	return -EINTR;
}

static int eal_attach(struct ys_secondary *s)
{
	char prefix[64], lcores[32];
	char *argv[EAL_MAX_ARGS];
	int argc = 0;

	snprintf(prefix, sizeof(prefix), "--file-prefix=%s",
	         s->cfg.eal.file_prefix);
	snprintf(lcores, sizeof(lcores), "--lcores=%u@%u", s->id + 1,
	         s->cfg.secondaries.cpus[s->id]);
	argv[argc++] = "ys-secondary";
	argv[argc++] = "--proc-type=secondary";
	argv[argc++] = prefix;
	argv[argc++] = lcores;
	argv[argc++] = "--no-pci";
	for (uint32_t i = 0; i < s->cfg.eal.n_args && argc < EAL_MAX_ARGS - 1;
	     i++)
		argv[argc++] = s->cfg.eal.args[i];
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
		YS_ERR("EAL attach failed: %s", rte_strerror(rte_errno));
		return -1;
	}
	s->eal_up = 1;
	return 0;
}

static int lookup_shared(struct ys_secondary *s)
{
	const struct rte_memzone *mz = rte_memzone_lookup(YS_SHARED_MZ_NAME);
	char name[RTE_RING_NAMESIZE];

	if (mz == NULL) {
		YS_ERR("memzone %s not found: is the primary a yastack "
		       "primary?",
		       YS_SHARED_MZ_NAME);
		return -ENOENT;
	}
	s->shm = mz->addr;
	if (s->shm->magic != YS_CONTRACT_MAGIC ||
	    s->shm->version != YS_CONTRACT_VERSION) {
		YS_ERR("primary's contract version %u differs from ours (%u)",
		       s->shm->version, YS_CONTRACT_VERSION);
		return -EPROTO;
	}
	if (s->shm->shared_size != sizeof(*s->shm) ||
	    s->shm->sec_stats_size != sizeof(struct ys_secondary_stats) ||
	    s->shm->port_stats_size != sizeof(struct ys_port_stats)) {
		YS_ERR("primary was built with another shared-memory layout "
		       "(size %u, ours %zu): rebuild both from one tree",
		       s->shm->shared_size, sizeof(*s->shm));
		return -EPROTO;
	}
	if (!s->shm->ready || s->id >= s->shm->n_secondaries) {
		YS_ERR("primary not ready, or runs %u secondaries (we are %u)",
		       s->shm->n_secondaries, s->id);
		return -EINVAL;
	}
	s->stats = &s->shm->sec_stats[s->id];
	s->pool = rte_mempool_lookup(YS_MBUF_POOL_NAME);
	snprintf(name, sizeof(name), YS_RX_RING_FMT, s->id);
	s->rx_ring = rte_ring_lookup(name);
	snprintf(name, sizeof(name), YS_TX_RING_FMT, s->id);
	s->tx_ring = rte_ring_lookup(name);
	s->meta_offset = rte_mbuf_dynfield_lookup(YS_MBUF_META_DYNFIELD, NULL);
	if (s->pool == NULL || s->rx_ring == NULL || s->tx_ring == NULL ||
	    s->meta_offset < 0) {
		YS_ERR("shared pool, rings or mbuf field not found");
		return -ENOENT;
	}
	s->owner.offset = s->meta_offset;
	s->owner.owner = (uint16_t)(s->id + 1);
	s->owner.in_pool = &s->stats->in_mempool;
	return 0;
}

/*
 * Where our frames leave, per port, as the primary decided at start. A
 * port in queue mode is attached in this process too (EAL brings the
 * primary's devices along) and has our queue, tx_queue_base + id.
 */
static int init_tx(struct ys_secondary *s)
{
	for (uint32_t i = 0; i < s->shm->n_ports && i < YS_MAX_PORTS; i++) {
		const struct ys_port_info *pi = &s->shm->ports[i];
		uint16_t q = (uint16_t)(pi->tx_queue_base + s->id);
		struct rte_eth_dev_info info;
		struct rte_eth_link link;

		if (pi->tx_via_ring)
			continue;
		if (pi->port_id >= RTE_MAX_ETHPORTS ||
		    !rte_eth_dev_is_valid_port(pi->port_id) ||
		    rte_eth_dev_info_get(pi->port_id, &info) != 0 ||
		    q >= info.nb_tx_queues) {
			YS_ERR("port %s: DPDK port %u or its tx queue %u is "
			       "not usable in this process",
			       pi->name, pi->port_id, q);
			return -ENODEV;
		}
		/* memif maps the primary's regions here on a link update. */
		if (strcmp(pi->driver, "net_memif") == 0)
			rte_eth_link_get(pi->port_id, &link);
		s->tx_routes[pi->port_id].direct = true;
		s->tx_routes[pi->port_id].queue = q;
		s->n_direct++;
		YS_INFO("port %s: transmitting on own tx queue %u", pi->name,
		        q);
	}
	return 0;
}

/*
 * The stack's view of `cfg`: interfaces with their addresses, MACs from
 * the primary (ys_port_info), MTUs; static routes and ARP entries; the
 * diagnostic UDP echo port.
 */
void ys_sec_stack_conf(const struct ys_secondary *s,
                       const struct ys_config *cfg, struct ys_stack_conf *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->n_ifaces = cfg->n_interfaces;
	for (uint32_t i = 0; i < cfg->n_interfaces; i++) {
		const struct ys_cfg_interface *ci = &cfg->interfaces[i];
		const struct ys_port_info *pi = &s->shm->ports[ci->port];
		struct ys_stack_iface *si = &sc->ifaces[i];

		si->port_id = pi->port_id;
		si->mac = pi->mac;
		si->n_addrs = ci->n_addrs;
		for (uint32_t a = 0; a < ci->n_addrs; a++) {
			si->addrs[a] = ci->addrs[a].addr;
			si->prefix_lens[a] = ci->addrs[a].prefix_len;
		}
		si->gateway = ci->gateway;
		si->vlan = ci->vlan;
		si->mtu = cfg->ports[ci->port].mtu;
	}
	sc->n_routes = cfg->n_static_routes;
	for (uint32_t i = 0; i < cfg->n_static_routes; i++) {
		sc->routes[i].prefix = cfg->static_routes[i].prefix;
		sc->routes[i].prefix_len = cfg->static_routes[i].prefix_len;
		sc->routes[i].via = cfg->static_routes[i].via;
	}
	sc->n_static_arp = cfg->arp.n_entries;
	for (uint32_t i = 0; i < cfg->arp.n_entries; i++) {
		sc->static_arp[i].ip = cfg->arp.entries[i].ip;
		memcpy(sc->static_arp[i].mac.addr_bytes,
		       cfg->arp.entries[i].mac, RTE_ETHER_ADDR_LEN);
		sc->static_arp[i].iface = cfg->arp.entries[i].interface;
	}
	sc->arp.cache_size = cfg->arp.cache_size;
	sc->arp.reachable_ms = cfg->arp.reachable_ms;
	sc->arp.retries = cfg->arp.retries;
	sc->arp.retry_ms = cfg->arp.retry_ms;
	sc->arp.queue_per_entry = cfg->arp.queue_per_entry;
	sc->arp.queue_total = cfg->arp.queue_total;
	sc->diag_udp_echo_port = cfg->diag.udp_echo;
	sc->icmp_rate = cfg->icmp.rate_limit;
	sc->icmp_burst = cfg->icmp.burst;
	sc->owner = s->owner;
	sc->pool = s->pool;
	sc->tx = stack_tx;
	sc->tx_ctx = (void *)s;
	sc->stats = &s->stats->stack;
}

static int init_stack(struct ys_secondary *s)
{
	struct ys_stack_conf sc;
	char err[256];

	ys_sec_stack_conf(s, &s->cfg, &sc);
	if (ys_stack_validate_conf(&sc, err, sizeof(err)) != 0) {
		YS_ERR("invalid stack configuration: %s", err);
		return -EINVAL;
	}
	if (ys_stack_init(&s->stack, &sc) != 0) {
		YS_ERR("cannot start the stack: out of memory");
		return -ENOMEM;
	}
	s->stack_up = 1;
	ys_stack_tick(&s->stack, ys_sec_now_ms());
	return 0;
}

/*
 * Gratuitous ARP for our addresses (RFC 5227 3) at start and after a
 * reload. Every instance shares the host's addresses and MACs, so
 * secondary 0 alone speaks for them.
 */
void ys_sec_announce(struct ys_secondary *s)
{
	if (s->id != 0)
		return;
	ys_stack_announce(&s->stack);
	tx_flush(s);
}

/* ---- the poll loop ----------------------------------------------------- */

static inline uint32_t rx_flags(const struct ys_secondary *s,
                                struct rte_mbuf *m)
{
	const struct ys_mbuf_meta *meta =
	        RTE_MBUF_DYNFIELD(m, s->meta_offset, struct ys_mbuf_meta *);

	return (meta->flags & YS_MBUF_F_ARP_RESPONDER) ? YS_RX_F_ARP_RESPONDER
	                                               : 0;
}

static void run_loop(struct ys_secondary *s)
{
	const uint64_t event_period = rte_get_tsc_hz() / 1000; /* 1 ms */
	uint64_t last_events = rte_rdtsc(), last_tick = last_events;
	struct ys_idle idle;

	if (ys_idle_init(&idle, s->base) != 0) {
		YS_ERR("cannot allocate the idle timer");
		s->exit_code = EXIT_START_FAILED;
		return;
	}
	while (!s->stop) {
		struct rte_mbuf *pkts[BURST];
		unsigned n = rte_ring_sc_dequeue_burst(
		        s->rx_ring, (void **)pkts, BURST, NULL);

		s->stats->rx_packets += n;
		for (unsigned i = 0; i < n; i++)
			ys_stack_input(&s->stack, pkts[i],
			               rx_flags(s, pkts[i]));
		tx_flush(s);
		s->stats->loops++;
		s->stats->heartbeat_tsc = rte_rdtsc();
		if (ys_idle_poll(&idle, n > 0) != 0) {
			s->stats->idle_sleeps++;
		} else if (s->stats->heartbeat_tsc - last_events >
		           event_period) {
			event_base_loop(s->base, EVLOOP_NONBLOCK);
			last_events = rte_rdtsc();
		}
		/* Timers: the stack's (ARP), the primary's liveness, drain. */
		if (s->stats->heartbeat_tsc - last_tick > event_period) {
			last_tick = s->stats->heartbeat_tsc;
			ys_stack_tick(&s->stack, ys_sec_now_ms());
			tx_flush(s); /* ARP requests the tick sent */
			ys_sec_ctl_poll(s);
		}
	}
	ys_idle_fini(&idle);
}

/* ---- main -----------------------------------------------------------------
 */

static void usage(FILE *f)
{
	fprintf(f, "usage: ys-secondary -c FILE -i K [--wait SECONDS]\n"
	           "  -c, --config FILE  yastack JSON configuration\n"
	           "  -i, --id K         secondary id, 0..secondaries.count-1\n"
	           "  -w, --wait S       wait up to S seconds for the primary "
	           "(default 30)\n");
}

static int parse_args(struct ys_secondary *s, int argc, char **argv,
                      const char **config)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"id", required_argument, NULL, 'i'},
	        {"wait", required_argument, NULL, 'w'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	long id = -1;
	char *end;
	int c;

	s->wait_s = 30;
	while ((c = getopt_long(argc, argv, "c:i:w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 'i':
			id = strtol(optarg, &end, 10);
			if (*end != '\0' || end == optarg || id < 0 ||
			    id >= YS_MAX_SECONDARIES)
				id = -2;
			break;
		case 'w':
			s->wait_s = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (*config == NULL || id < 0 || optind != argc || s->wait_s < 0) {
		usage(stderr);
		return -EINVAL;
	}
	s->id = (uint32_t)id;
	return 0;
}

static int start(struct ys_secondary *s)
{
	int rc = wait_for_primary(s);

	if (rc == 0)
		rc = eal_attach(s);
	if (rc == 0)
		rc = lookup_shared(s);
	if (rc == 0)
		rc = init_tx(s);
	if (rc == 0)
		rc = init_stack(s);
	if (rc == 0) {
		s->base = event_base_new();
		rc = s->base ? ys_sec_ctl_register(s) : -ENOMEM;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static struct ys_secondary secondary;
	struct ys_secondary *s = &secondary;
	const char *config = NULL;
	char err[YS_CFG_ERR_LEN];

	ys_log_init("ys-secondary", YS_LOG_INFO);
	if (parse_args(s, argc, argv, &config) != 0)
		return EXIT_USAGE;
	if (ys_config_load(&s->cfg, config,
	                   (unsigned)sysconf(_SC_NPROCESSORS_ONLN), err,
	                   sizeof(err)) != 0) {
		YS_ERR("%s", err);
		return EXIT_START_FAILED;
	}
	if (s->id >= s->cfg.secondaries.count) {
		YS_ERR("secondary id %u out of range: secondaries.count is %u",
		       s->id, s->cfg.secondaries.count);
		return EXIT_START_FAILED;
	}
	g_secondary = s;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (start(s) != 0) {
		s->exit_code = EXIT_START_FAILED;
	} else {
		YS_INFO("secondary %u running on lcore %u, cpu %u", s->id,
		        s->id + 1, s->cfg.secondaries.cpus[s->id]);
		ys_sec_announce(s);
		run_loop(s);
		YS_INFO("secondary %u stopping", s->id);
	}
	if (s->stack_up)
		ys_stack_fini(&s->stack); /* frees frames waiting for ARP */
	tx_flush(s);
	/*
	 * Mbufs parked in our lcore's pool cache go back to the pool. Only
	 * once registered: a refused duplicate shares the live secondary's
	 * lcore id, and flushing would corrupt that process's cache.
	 */
	if (s->registered) {
		/* Flagged: a kill half way must not have the primary flush
		 * the same cache again (ys_mbuf.h). */
		ys_mbuf_pool_enter(&s->owner);
		rte_mempool_cache_flush(
		        rte_mempool_default_cache(s->pool, rte_lcore_id()),
		        s->pool);
		ys_mbuf_pool_leave(&s->owner);
	}
	ys_sec_ctl_fini(s);
	if (s->base != NULL)
		event_base_free(s->base);
	if (s->eal_up)
		rte_eal_cleanup();
	return s->exit_code;
}
