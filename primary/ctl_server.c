/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The primary's control server: newline-delimited JSON on a unix socket
 * (ARCHITECTURE.md, "Control channel"). Runs in the primary's own
 * libevent base, polled by the main loop, so the datapath never waits on
 * a client. A client that misbehaves gets an error reply or is dropped;
 * the server keeps serving everyone else.
 *
 * Secondaries are clients too: `secondary.register` binds the connection
 * to a registry slot, and the connection closing marks the slot dead.
 */
#define _GNU_SOURCE /* struct ucred, SO_PEERCRED */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "primary.h"
#include "reasm.h"
#include "ys_ctl.h"
#include "ys_log.h"

#define CTL_MAX_CLIENTS       128 /* not counting registered secondaries */
#define CTL_IDLE_TIMEOUT_SEC  60  /* for clients that are not secondaries */
#define CTL_CLOSE_TIMEOUT_SEC 10  /* to flush the last reply */
#define CTL_LINES_PER_READ    8   /* then let the datapath run */
#define CTL_OUTPUT_CAP        (256 * 1024) /* unread replies per client */
#define CTL_BACKLOG           512 /* kernel caps it at net.core.somaxconn */

struct ctl_client {
	struct ys_ctl_server *srv;
	struct bufferevent *bev;
	int secondary_id; /* registry slot this connection owns, or -1 */
	pid_t peer_pid;   /* from SO_PEERCRED: who really is on the other end */
	int counted;      /* counts against CTL_MAX_CLIENTS */
	int closing;      /* answer nothing more; free once flushed */
	int peer_eof;     /* the client has shut down its side */
	TAILQ_ENTRY(ctl_client) next;
};

struct ys_ctl_server {
	struct ys_primary *p;
	struct evconnlistener *listener;
	unsigned n_clients; /* connections not registered as a secondary */
	TAILQ_HEAD(, ctl_client) clients;
	struct ctl_client *slot_owner[YS_MAX_SECONDARIES];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

typedef json_t *(*ctl_handler)(struct ctl_client *c,
                               const struct ys_ctl_request *req);

/* ---- status ---------------------------------------------------------- */

static json_t *port_drops_json(const struct ys_port_stats *st)
{
	json_t *o = json_object();

#define YS_X_SET(name, help)                                                   \
	json_object_set_new(                                                   \
	        o, #name,                                                      \
	        json_integer((json_int_t)st->drops[YS_PORT_DROP_##name]));
	YS_PORT_DROPS(YS_X_SET)
#undef YS_X_SET
	return o;
}

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
#define YS_X_SET(name, help)                                                   \
	json_object_set_new(o, #name, json_integer((json_int_t)st->name));
	YS_PORT_COUNTERS(YS_X_SET)
#undef YS_X_SET
	json_object_set_new(o, "drops", port_drops_json(st));
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

static json_t *stack_json(const struct ys_stack_stats *st)
{
	json_t *o = json_object(), *drops = json_object();

#define YS_X_SET(name, help)                                                   \
	json_object_set_new(o, #name, json_integer((json_int_t)st->name));
	YS_STACK_COUNTERS(YS_X_SET)
#undef YS_X_SET
#define YS_X_SET(name, help)                                                   \
	json_object_set_new(                                                   \
	        drops, #name,                                                  \
	        json_integer((json_int_t)st->drops[YS_STACK_DROP_##name]));
	YS_STACK_DROPS(YS_X_SET)
#undef YS_X_SET
	json_object_set_new(o, "drops", drops);
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
#define YS_X_SET(name, help)                                                   \
	json_object_set_new(o, #name, json_integer((json_int_t)st->name));
	YS_SECONDARY_COUNTERS(YS_X_SET)
#undef YS_X_SET
	json_object_set_new(o, "reclaimed_mbufs",
	                    json_integer((json_int_t)slot->reclaimed_mbufs));
	json_object_set_new(o, "reta_entries",
	                    json_integer(reta_entries(p, k, 0)));
	json_object_set_new(o, "reta_entries_lent",
	                    json_integer(reta_entries(p, k, 1)));
	json_object_set_new(o, "stack", stack_json(&st->stack));
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
	const struct ys_primary_stats *st = &p->shm->primary_stats;

#define YS_X_SET(name, help)                                                   \
	json_object_set_new(o, #name, json_integer((json_int_t)st->name));
	YS_PRIMARY_COUNTERS(YS_X_SET)
#undef YS_X_SET
	json_object_set_new(
	        o, "failover",
	        json_string(ys_cfg_failover_str(p->cfg.secondaries.failover)));
	json_object_set_new(o, "reassembly_held",
	                    json_integer(ys_reasm_held(p->dispatch.reasm)));
}

static json_t *cmd_status(struct ctl_client *c,
                          const struct ys_ctl_request *req)
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
	primary_counters_add(p, primary);
	return ys_ctl_reply_ok(req->id,
	                       json_pack("{s:o, s:o, s:o, s:o}", "primary",
	                                 primary, "mempools", mempools_json(p),
	                                 "ports", ports, "secondaries", secs));
}

/* ---- secondary.register ------------------------------------------------ */

static int get_int_arg(const struct ys_ctl_request *req, const char *key,
                       json_int_t *out)
{
	json_t *v = json_object_get(req->args, key);

	if (!json_is_integer(v))
		return -EINVAL;
	*out = json_integer_value(v);
	return 0;
}

/*
 * The slot's connection is gone: the secondary is lost (registry.c marks
 * it dead now, and frees its rings and the mbufs it held once its
 * process has exited).
 */
static void slot_release(struct ys_ctl_server *srv, uint32_t k, const char *why)
{
	if (srv->slot_owner[k] != NULL)
		srv->slot_owner[k]->secondary_id = -1;
	srv->slot_owner[k] = NULL;
	ys_registry_lost(srv->p, k, why);
}

/*
 * A slot is busy while its owner's connection is open and the process on
 * the other end (by SO_PEERCRED, not by what it claimed) is alive. A
 * process killed with SIGKILL may not have had its EOF noticed yet.
 */
static int slot_busy(const struct ys_ctl_server *srv, uint32_t k)
{
	const struct ctl_client *owner = srv->slot_owner[k];

	if (owner == NULL)
		return 0;
	return owner->peer_pid <= 0 || !ys_process_gone(owner->peer_pid);
}

static json_t *cmd_register(struct ctl_client *c,
                            const struct ys_ctl_request *req)
{
	struct ys_ctl_server *srv = c->srv;
	struct ys_shared *shm = srv->p->shm;
	json_int_t id, pid, lcore, contract;
	struct ys_secondary_slot *slot;

	if (get_int_arg(req, "id", &id) || get_int_arg(req, "pid", &pid) ||
	    get_int_arg(req, "lcore", &lcore) ||
	    get_int_arg(req, "contract", &contract))
		return ys_ctl_reply_error(
		        req->id, YS_CTL_E_INVALID_ARGUMENT,
		        "id, pid, lcore and contract must be integers");
	if (contract != YS_CONTRACT_VERSION)
		return ys_ctl_reply_error(
		        req->id, YS_CTL_E_INVALID_ARGUMENT,
		        "contract version %lld differs from the primary's %u",
		        (long long)contract, YS_CONTRACT_VERSION);
	if (id < 0 || id >= (json_int_t)shm->n_secondaries)
		return ys_ctl_reply_error(
		        req->id, YS_CTL_E_INVALID_ARGUMENT,
		        "secondary id %lld out of range 0..%u", (long long)id,
		        shm->n_secondaries - 1);
	if (lcore != id + 1)
		return ys_ctl_reply_error(
		        req->id, YS_CTL_E_INVALID_ARGUMENT,
		        "secondary %lld must run on lcore %lld, not %lld "
		        "(mempool caches are per lcore id)",
		        (long long)id, (long long)id + 1, (long long)lcore);
	if (c->secondary_id >= 0)
		return ys_ctl_reply_error(req->id, YS_CTL_E_INVALID_ARGUMENT,
		                          "connection already registered as %d",
		                          c->secondary_id);
	if (slot_busy(srv, (uint32_t)id))
		return ys_ctl_reply_error(
		        req->id, YS_CTL_E_INVALID_ARGUMENT,
		        "secondary %lld is already running (pid %d)",
		        (long long)id, shm->slots[id].pid);
	if (srv->slot_owner[id] != NULL)
		slot_release(srv, (uint32_t)id, "its process is gone");
	if (!ys_registry_reap(srv->p, (uint32_t)id))
		return ys_ctl_reply_error(
		        req->id, YS_CTL_E_UNAVAILABLE,
		        "secondary %lld's previous process (pid %d) is still "
		        "exiting; retry",
		        (long long)id, shm->slots[id].pid);
	if (ys_registry_pool_at_risk(srv->p))
		return ys_ctl_reply_error(
		        req->id, YS_CTL_E_UNAVAILABLE,
		        "up to %llu mbufs were lost to secondaries that died "
		        "inside the mempool, more than the pool's headroom: "
		        "restart the primary",
		        (unsigned long long)
		                shm->primary_stats.mbufs_maybe_lost);
	slot = &shm->slots[id];
	/* The kernel's word for who registered, where it has one. */
	slot->pid = c->peer_pid > 0 ? (int32_t)c->peer_pid : (int32_t)pid;
	slot->lcore_id = (uint32_t)lcore;
	slot->registrations++;
	slot->registered_tsc = rte_rdtsc();
	srv->slot_owner[id] = c;
	c->secondary_id = (int)id;
	c->counted =
	        0; /* secondaries never lock out operators, nor vice versa */
	srv->n_clients--;
	/* A secondary is never idle-timed out: its connection is its life. */
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	rte_smp_wmb();
	slot->state = YS_SEC_RUNNING;
	ys_registry_joined(srv->p, (uint32_t)id);
	YS_INFO("secondary %lld registered (pid %d, lcore %lld)", (long long)id,
	        slot->pid, (long long)lcore);
	return ys_ctl_reply_ok(req->id, json_pack("{s:i}", "id", (int)id));
}

/* ---- dispatch and connections ----------------------------------------- */

static const struct {
	const char *name;
	ctl_handler fn;
} commands[] = {
        {"status", cmd_status},
        {"secondary.register", cmd_register},
};

static json_t *handle_line(struct ctl_client *c, const char *line, size_t len)
{
	struct ys_ctl_request req;
	json_t *reply = NULL;

	if (ys_ctl_request_parse(line, len, &req, &reply) != 0)
		return reply;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(req.cmd, commands[i].name) != 0)
			continue;
		reply = commands[i].fn(c, &req);
		if (reply == NULL)
			reply = ys_ctl_reply_error(req.id, YS_CTL_E_INTERNAL,
			                           "out of memory");
		ys_ctl_request_free(&req);
		return reply;
	}
	reply = ys_ctl_reply_error(req.id, YS_CTL_E_UNKNOWN_COMMAND,
	                           "unknown command '%s'", req.cmd);
	ys_ctl_request_free(&req);
	return reply;
}

static void client_free(struct ctl_client *c)
{
	struct ys_ctl_server *srv = c->srv;
	int k = c->secondary_id;

	if (k >= 0 && srv->slot_owner[k] == c)
		slot_release(srv, (uint32_t)k, "control connection closed");
	bufferevent_free(c->bev);
	TAILQ_REMOVE(&srv->clients, c, next);
	if (c->counted)
		srv->n_clients--;
	free(c);
}

static void send_reply(struct ctl_client *c, json_t *reply)
{
	size_t len;
	char *line = ys_ctl_encode(reply, &len);

	json_decref(reply);
	if (line == NULL) {
		reply = ys_ctl_reply_error(NULL, YS_CTL_E_INTERNAL,
		                           "reply too large");
		line = ys_ctl_encode(reply, &len);
		json_decref(reply);
		if (line == NULL)
			return;
	}
	bufferevent_write(c->bev, line, len);
	free(line);
}

/*
 * Answer nothing more. Once the last reply is out we shut down our side
 * and discard input until the client closes (or a timeout): closing a
 * unix socket with unread input would reset the connection and could
 * destroy the reply before the client reads it.
 */
static void start_closing(struct ctl_client *c)
{
	struct timeval flush = {CTL_CLOSE_TIMEOUT_SEC, 0};

	c->closing = 1;
	bufferevent_set_timeouts(c->bev, &flush, &flush);
	if (!c->peer_eof)
		bufferevent_enable(c->bev, EV_READ);
}

/* Reply with an error and drop the client once the reply is out. */
static void reject_and_close(struct ctl_client *c, const char *why)
{
	send_reply(c,
	           ys_ctl_reply_error(NULL, YS_CTL_E_BAD_REQUEST, "%s", why));
	start_closing(c);
}

static int output_full(const struct ctl_client *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev)) >=
	       CTL_OUTPUT_CAP;
}

/*
 * Answer at most CTL_LINES_PER_READ requests per call, so a client that
 * pipelines thousands of requests cannot hold the datapath, and stop
 * reading while CTL_OUTPUT_CAP bytes of replies wait for a client that
 * does not read them (write_cb resumes).
 */
static void read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	unsigned handled = 0;
	size_t len;
	char *line;

	if (c->closing) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	while (!c->closing && !output_full(c) && handled < CTL_LINES_PER_READ &&
	       (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (len > YS_CTL_MAX_LINE)
			reject_and_close(c, "request line too long");
		else
			send_reply(c, handle_line(c, line, len));
		free(line);
		handled++;
	}
	if (c->closing)
		return;
	if (output_full(c)) {
		bufferevent_disable(bev, EV_READ);
		return;
	}
	if (evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF).pos >= 0)
		/* More complete lines: answer them on a later loop turn. */
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
	else if (evbuffer_get_length(in) > YS_CTL_MAX_LINE)
		reject_and_close(c, "request line too long");
}

/* Called when the output has drained. */
static void write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;

	if (c->closing) {
		if (c->peer_eof)
			client_free(c);
		else
			shutdown(bufferevent_getfd(bev), SHUT_WR);
		return;
	}
	if (!(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_enable(bev, EV_READ);
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
	}
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *c = arg;

	/* A client that half-closes still gets the replies it asked for. */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		c->peer_eof = 1;
		start_closing(c);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		client_free(c);
}

static pid_t peer_pid(evutil_socket_t fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return 0;
	return cred.pid;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
                      struct sockaddr *sa, int socklen, void *arg)
{
	struct ys_ctl_server *srv = arg;
	struct timeval idle = {CTL_IDLE_TIMEOUT_SEC, 0};
	struct ctl_client *c;

	(void)l;
	(void)sa;
	(void)socklen;
	if (srv->n_clients >= CTL_MAX_CLIENTS) {
		YS_WARN("control: %u clients, refusing another",
		        srv->n_clients);
		evutil_closesocket(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c != NULL)
		c->bev = bufferevent_socket_new(srv->p->base, fd,
		                                BEV_OPT_CLOSE_ON_FREE);
	if (c == NULL || c->bev == NULL) {
		free(c);
		evutil_closesocket(fd);
		return;
	}
	c->srv = srv;
	c->secondary_id = -1;
	c->peer_pid = peer_pid(fd);
	c->counted = 1;
	srv->n_clients++;
	TAILQ_INSERT_TAIL(&srv->clients, c, next);
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	/* Idle, or not reading its replies: dropped after a while. */
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* ---- socket ------------------------------------------------------------ */

/* mkdir -p of the socket's directory; new directories are mode 0750. */
static int make_parent_dirs(const char *path)
{
	char dir[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, n + 1);
	for (char *s = dir + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(dir, 0750) != 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

/*
 * A socket file left by a killed primary is replaced; one that a live
 * process still answers on is not (another primary uses this path).
 */
static int remove_stale_socket(const char *path)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		YS_ERR("control socket %s exists and is not a socket", path);
		return -EEXIST;
	}
	fd = ys_ctl_connect(path);
	if (fd >= 0) {
		close(fd);
		YS_ERR("control socket %s is in use by a running process",
		       path);
		return -EADDRINUSE;
	}
	YS_WARN("replacing stale control socket %s", path);
	return unlink(path) == 0 ? 0 : -errno;
}

struct ys_ctl_server *ys_ctl_server_start(struct ys_primary *p)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = p->cfg.control.socket;
	struct ys_ctl_server *srv;

	if (make_parent_dirs(path) != 0 || remove_stale_socket(path) != 0)
		return NULL;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		YS_ERR("control socket path %s too long", path);
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return NULL;
	srv->p = p;
	TAILQ_INIT(&srv->clients);
	memcpy(srv->path, path, strlen(path) + 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	srv->listener = evconnlistener_new_bind(
	        p->base, accept_cb, srv,
	        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, CTL_BACKLOG,
	        (struct sockaddr *)&sa, sizeof(sa));
	if (srv->listener == NULL) {
		YS_ERR("cannot listen on control socket %s: %s", path,
		       strerror(errno));
		free(srv);
		return NULL;
	}
	if (chmod(path, 0660) != 0)
		YS_WARN("chmod 0660 %s: %s", path, strerror(errno));
	YS_INFO("control socket %s", path);
	return srv;
}

void ys_ctl_server_stop(struct ys_ctl_server *srv)
{
	if (srv == NULL)
		return;
	evconnlistener_free(srv->listener);
	unlink(srv->path);
	while (!TAILQ_EMPTY(&srv->clients))
		client_free(TAILQ_FIRST(&srv->clients));
	free(srv);
}
