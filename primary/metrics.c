/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus endpoint: GET /metrics on admin.metrics (default
 * 127.0.0.1:9180) answers the text exposition format 0.0.4
 * (docs/observability.md, "Metrics").
 *
 * Families come from the same X-macro lists (ys_stats.h,
 * ys_stack_stats.h) that `ysctl --json status` and the telemetry
 * commands print, so a new counter shows up everywhere at once:
 *
 *   yastack_port_<name>_total{port}            dispatcher, per port
 *   yastack_port_drops_total{port,reason}
 *   yastack_primary_<name>_total               the primary as a whole
 *   yastack_secondary_<name>_total{secondary}  outside the stack
 *   yastack_stack_<name>_total{secondary}      each secondary's stack
 *   yastack_stack_drops_total{secondary,reason}
 *   gauges: yastack_secondary_up, yastack_secondary_state,
 *   yastack_secondary_heartbeat_age_seconds, yastack_mempool_size,
 *   yastack_mempool_in_use, yastack_primary_uptime_seconds
 *
 * evhttp runs on the primary's event base, which run_loop() services
 * between bursts, so a scrape costs the datapath one pass over the
 * shared counters and never a lock. Counters are read like the control
 * server and telemetry read them: whole 64-bit loads of values with a
 * single writer each (maybe a few packets stale, never torn).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <rte_cycles.h>
#include <rte_mempool.h>

#include "primary.h"
#include "ys_log.h"

/*
 * Bounds on what a client may make the server hold: a scrape is a
 * request line and a few headers, never a body; a client that stalls
 * is dropped after the timeout.
 */
#define METRICS_MAX_HEADERS  8192
#define METRICS_MAX_BODY     1024
#define METRICS_TIMEOUT_S    10
#define METRICS_NAME_LEN     128
#define METRICS_LABEL_LEN    160 /* `port="<escaped name>"` */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct ys_metrics {
	struct ys_primary *p;
	struct evhttp *http;
};

/* One load of a counter another process writes (see ys_stats.h). */
#define METRICS_READ(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* A counter of a stats block: its name, help and place in the block. */
struct metric_desc {
	const char *name;
	const char *help;
	size_t offset;
};

#define DESC(st, name, help) {#name, help, offsetof(st, name)},

static const struct metric_desc port_counters[] = {
#define YS_X(name, help) DESC(struct ys_port_stats, name, help)
        YS_PORT_COUNTERS(YS_X)
#undef YS_X
};

static const struct metric_desc primary_counters[] = {
#define YS_X(name, help) DESC(struct ys_primary_stats, name, help)
        YS_PRIMARY_COUNTERS(YS_X)
#undef YS_X
};

/* heartbeat_tsc is a timestamp, not a count: exported as an age below. */
static const struct metric_desc secondary_counters[] = {
#define YS_X(name, help) DESC(struct ys_secondary_stats, name, help)
        YS_SECONDARY_COUNTERS(YS_X)
#undef YS_X
};

static const struct metric_desc stack_counters[] = {
#define YS_X(name, help) DESC(struct ys_stack_stats, name, help)
        YS_STACK_COUNTERS(YS_X)
#undef YS_X
};

static const char *const port_drop_names[] = {
#define YS_X(name, help) #name,
        YS_PORT_DROPS(YS_X)
#undef YS_X
};

static const char *const stack_drop_names[] = {
#define YS_X(name, help) #name,
        YS_STACK_DROPS(YS_X)
#undef YS_X
};

/*
 * One family's stats blocks: block i is at base + i * stride and is
 * labelled labels[i] (`port="p0"`, `secondary="1"`).
 */
struct metric_blocks {
	const char *base;
	size_t stride;
	uint32_t n;
	const char (*labels)[METRICS_LABEL_LEN];
};

static uint64_t block_u64(const struct metric_blocks *b, uint32_t i,
                          size_t offset)
{
	const uint64_t *v =
	        (const uint64_t *)(b->base + i * b->stride + offset);

	return METRICS_READ(*v);
}

/* ---- the text format ------------------------------------------------ */

/*
 * Label values escape backslash, double quote and newline; HELP text
 * escapes backslash and newline (exposition format 0.0.4).
 */
static void put_escaped(char *out, size_t len, const char *s, bool quote)
{
	size_t j = 0;

	for (; *s && j + 2 < len; s++) {
		if (*s == '\\' || (quote && *s == '"')) {
			out[j++] = '\\';
			out[j++] = *s;
		} else if (*s == '\n') {
			out[j++] = '\\';
			out[j++] = 'n';
		} else {
			out[j++] = *s;
		}
	}
	out[j] = '\0';
}

static void family_header(struct evbuffer *b, const char *name,
                          const char *help, const char *type)
{
	char esc[2 * 256];

	put_escaped(esc, sizeof(esc), help, false);
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, esc, name,
	                    type);
}

/* One `<prefix><name>_total` family per counter of `d`, over all blocks. */
static void counter_families(struct evbuffer *out, const char *prefix,
                             const struct metric_desc *d, size_t nd,
                             const struct metric_blocks *b, const char *skip)
{
	char name[METRICS_NAME_LEN];

	for (size_t c = 0; c < nd; c++) {
		if (skip != NULL && strcmp(d[c].name, skip) == 0)
			continue;
		snprintf(name, sizeof(name), "%s%s_total", prefix, d[c].name);
		family_header(out, name, d[c].help, "counter");
		for (uint32_t i = 0; i < b->n; i++)
			evbuffer_add_printf(out, "%s{%s} %" PRIu64 "\n", name,
			                    b->labels[i],
			                    block_u64(b, i, d[c].offset));
	}
}

/* `name{<block label>,reason="..."}`: drops[] at `offset` in each block. */
static void drop_family(struct evbuffer *out, const char *name,
                        const char *help, const char *const *reasons, size_t nr,
                        const struct metric_blocks *b, size_t offset)
{
	family_header(out, name, help, "counter");
	for (uint32_t i = 0; i < b->n; i++)
		for (size_t r = 0; r < nr; r++)
			evbuffer_add_printf(
			        out, "%s{%s,reason=\"%s\"} %" PRIu64 "\n", name,
			        b->labels[i], reasons[r],
			        block_u64(b, i, offset + r * sizeof(uint64_t)));
}

/* ---- the families --------------------------------------------------- */

static void port_families(struct evbuffer *out, const struct ys_shared *shm)
{
	char labels[YS_MAX_PORTS][METRICS_LABEL_LEN];
	char esc[METRICS_LABEL_LEN - 16];
	struct metric_blocks b = {
	        .base = (const char *)shm->port_stats,
	        .stride = sizeof(shm->port_stats[0]),
	        .n = RTE_MIN(shm->n_ports, (uint32_t)YS_MAX_PORTS),
	        .labels = labels,
	};

	for (uint32_t i = 0; i < b.n; i++) {
		put_escaped(esc, sizeof(esc), shm->ports[i].name, true);
		snprintf(labels[i], sizeof(labels[i]), "port=\"%s\"", esc);
	}
	counter_families(out, "yastack_port_", port_counters,
	                 RTE_DIM(port_counters), &b, NULL);
	drop_family(out, "yastack_port_drops_total",
	            "frames the primary's dispatcher dropped, by reason",
	            port_drop_names, RTE_DIM(port_drop_names), &b,
	            offsetof(struct ys_port_stats, drops));
}

static void primary_families(struct evbuffer *out, const struct ys_shared *shm)
{
	static const char no_label[1][METRICS_LABEL_LEN] = {""};
	char name[METRICS_NAME_LEN];
	struct metric_blocks b = {
	        .base = (const char *)&shm->primary_stats,
	        .stride = 0,
	        .n = 1,
	        .labels = no_label,
	};

	/* No labels: print `name value`, not `name{} value`. */
	for (size_t c = 0; c < RTE_DIM(primary_counters); c++) {
		snprintf(name, sizeof(name), "yastack_primary_%s_total",
		         primary_counters[c].name);
		family_header(out, name, primary_counters[c].help, "counter");
		evbuffer_add_printf(
		        out, "%s %" PRIu64 "\n", name,
		        block_u64(&b, 0, primary_counters[c].offset));
	}
	family_header(out, "yastack_primary_uptime_seconds",
	              "seconds since the primary created the shared memory",
	              "gauge");
	evbuffer_add_printf(out, "yastack_primary_uptime_seconds %.3f\n",
	                    (double)(rte_rdtsc() - shm->start_tsc) /
	                            (double)shm->tsc_hz);
}

/* up, state (one sample per state, 1 for the current one), heartbeat. */
static void secondary_gauges(struct evbuffer *out, const struct ys_shared *shm,
                             const struct metric_blocks *b)
{
	uint64_t now = rte_rdtsc();

	family_header(out, "yastack_secondary_up",
	              "1 while the secondary is attached (not dead)", "gauge");
	for (uint32_t k = 0; k < b->n; k++)
		evbuffer_add_printf(
		        out, "yastack_secondary_up{%s} %d\n", b->labels[k],
		        METRICS_READ(shm->slots[k].state) != YS_SEC_DEAD);
	family_header(out, "yastack_secondary_state",
	              "1 for the registry state the secondary is in", "gauge");
	for (uint32_t k = 0; k < b->n; k++) {
		uint32_t st = METRICS_READ(shm->slots[k].state);

		for (uint32_t s = 0; s < YS_SEC_STATE_MAX; s++)
			evbuffer_add_printf(
			        out,
			        "yastack_secondary_state{%s,state=\"%s\"} "
			        "%d\n",
			        b->labels[k], ys_secondary_state_str(s),
			        st == s);
	}
	family_header(out, "yastack_secondary_heartbeat_age_seconds",
	              "seconds since the secondary's poll loop last ran "
	              "(attached secondaries only)",
	              "gauge");
	for (uint32_t k = 0; k < b->n; k++) {
		uint64_t hb = METRICS_READ(shm->sec_stats[k].heartbeat_tsc);

		if (METRICS_READ(shm->slots[k].state) == YS_SEC_DEAD || hb == 0)
			continue;
		evbuffer_add_printf(
		        out,
		        "yastack_secondary_heartbeat_age_seconds{%s} %.3f\n",
		        b->labels[k],
		        now > hb ? (double)(now - hb) / (double)shm->tsc_hz
		                 : 0.0);
	}
}

/* Registry counters kept in the slot rather than the stats block. */
static void slot_counters(struct evbuffer *out, const struct ys_shared *shm,
                          const struct metric_blocks *b)
{
	static const char regs[] = "yastack_secondary_registrations_total";
	static const char mbufs[] = "yastack_secondary_reclaimed_mbufs_total";

	family_header(out, regs,
	              "times this secondary id registered with the primary",
	              "counter");
	for (uint32_t k = 0; k < b->n; k++)
		evbuffer_add_printf(out, "%s{%s} %u\n", regs, b->labels[k],
		                    METRICS_READ(shm->slots[k].registrations));
	family_header(out, mbufs,
	              "mbufs this secondary held that the primary freed "
	              "after its deaths",
	              "counter");
	for (uint32_t k = 0; k < b->n; k++)
		evbuffer_add_printf(
		        out, "%s{%s} %" PRIu64 "\n", mbufs, b->labels[k],
		        METRICS_READ(shm->slots[k].reclaimed_mbufs));
}

static void secondary_families(struct evbuffer *out,
                               const struct ys_shared *shm)
{
	char labels[YS_MAX_SECONDARIES][METRICS_LABEL_LEN];
	struct metric_blocks b = {
	        .base = (const char *)shm->sec_stats,
	        .stride = sizeof(shm->sec_stats[0]),
	        .n = RTE_MIN(shm->n_secondaries, (uint32_t)YS_MAX_SECONDARIES),
	        .labels = labels,
	};
	struct metric_blocks stack = b;

	for (uint32_t k = 0; k < b.n; k++)
		snprintf(labels[k], sizeof(labels[k]), "secondary=\"%u\"", k);
	secondary_gauges(out, shm, &b);
	slot_counters(out, shm, &b);
	counter_families(out, "yastack_secondary_", secondary_counters,
	                 RTE_DIM(secondary_counters), &b, "heartbeat_tsc");
	stack.base += offsetof(struct ys_secondary_stats, stack);
	counter_families(out, "yastack_stack_", stack_counters,
	                 RTE_DIM(stack_counters), &stack, "pmtu_entries");
	/* The one stack value that is a level, not a count. */
	family_header(out, "yastack_stack_pmtu_entries",
	              "path MTU estimates a secondary's stack holds now",
	              "gauge");
	for (uint32_t k = 0; k < stack.n; k++)
		evbuffer_add_printf(
		        out, "yastack_stack_pmtu_entries{%s} %" PRIu64 "\n",
		        labels[k],
		        block_u64(
		                &stack, k,
		                offsetof(struct ys_stack_stats, pmtu_entries)));
	drop_family(out, "yastack_stack_drops_total",
	            "frames a secondary's stack dropped, by reason",
	            stack_drop_names, RTE_DIM(stack_drop_names), &stack,
	            offsetof(struct ys_stack_stats, drops));
}

static void mempool_families(struct evbuffer *out,
                             const struct rte_mempool *pool)
{
	char esc[METRICS_LABEL_LEN];

	put_escaped(esc, sizeof(esc), pool->name, true);
	family_header(out, "yastack_mempool_size", "mbufs in the shared pool",
	              "gauge");
	evbuffer_add_printf(out, "yastack_mempool_size{pool=\"%s\"} %u\n", esc,
	                    pool->size);
	family_header(out, "yastack_mempool_in_use",
	              "mbufs of the shared pool in use (rings, stacks, "
	              "caches' complement)",
	              "gauge");
	evbuffer_add_printf(out, "yastack_mempool_in_use{pool=\"%s\"} %u\n",
	                    esc, rte_mempool_in_use_count(pool));
}

/* ---- HTTP ------------------------------------------------------------ */

static void send_plain(struct evhttp_request *req, int code, const char *reason,
                       const char *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	if (code == HTTP_BADMETHOD)
		evhttp_add_header(h, "Allow",
		                  "GET, HEAD"); /* RFC 9110 15.5.6 */
	if (b != NULL)
		evbuffer_add_printf(b, "%s\n", body);
	evhttp_send_reply(req, code, reason, b);
	if (b != NULL)
		evbuffer_free(b);
}

/*
 * Every request lands here: only /metrics exists, and only GET (and
 * HEAD, which RFC 9110 9.3.2 asks of every resource that has GET;
 * evhttp leaves its body out) reads it.
 */
static void on_request(struct evhttp_request *req, void *arg)
{
	const struct ys_metrics *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evbuffer *body;

	if (path == NULL || strcmp(path, "/metrics") != 0) {
		send_plain(req, HTTP_NOTFOUND, "Not Found", "not found");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		send_plain(req, HTTP_BADMETHOD, "Method Not Allowed",
		           "method not allowed");
		return;
	}
	body = evbuffer_new();
	if (body == NULL) {
		send_plain(req, HTTP_INTERNAL, "Internal Server Error",
		           "out of memory");
		return;
	}
	port_families(body, m->p->shm);
	primary_families(body, m->p->shm);
	secondary_families(body, m->p->shm);
	mempool_families(body, m->p->pool);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", METRICS_CONTENT_TYPE);
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

/* A listening socket on addr:port (network/host order), or -errno. */
static int listen_socket(uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = {
	        .sin_family = AF_INET,
	        .sin_port = htons(port),
	        .sin_addr.s_addr = addr,
	};
	int one = 1, fd, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * SO_REUSEADDR lets a restarted primary bind over its predecessor's
	 * TIME_WAIT connections; Linux still refuses a port another socket
	 * listens on, which is the error an operator must see.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (const struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(fd, 64) != 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

int ys_metrics_start(struct ys_primary *p)
{
	const struct ys_cfg_admin *cfg = &p->cfg.admin;
	char addr[INET_ADDRSTRLEN];
	struct ys_metrics *m;
	int fd;

	p->metrics = NULL;
	if (!cfg->metrics_enabled) {
		YS_INFO("metrics endpoint off (admin.metrics)");
		return 0;
	}
	inet_ntop(AF_INET, &cfg->metrics_addr, addr, sizeof(addr));
	fd = listen_socket(cfg->metrics_addr, cfg->metrics_port);
	if (fd < 0) {
		YS_ERR("admin.metrics: cannot listen on %s:%u: %s", addr,
		       cfg->metrics_port, strerror(-fd));
		return fd;
	}
	m = calloc(1, sizeof(*m));
	if (m != NULL)
		m->http = evhttp_new(p->base);
	if (m == NULL || m->http == NULL ||
	    evhttp_accept_socket_with_handle(m->http, fd) == NULL) {
		YS_ERR("admin.metrics: cannot serve on %s:%u: out of memory",
		       addr, cfg->metrics_port);
		close(fd); /* evhttp closes it only once it accepted it */
		ys_metrics_stop(m);
		return -ENOMEM;
	}
	m->p = p;
	/* Every method reaches on_request, which answers 405 itself. */
	evhttp_set_allowed_methods(
	        m->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                         EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	                         EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(m->http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, METRICS_MAX_BODY);
	evhttp_set_timeout(m->http, METRICS_TIMEOUT_S);
	evhttp_set_gencb(m->http, on_request, m);
	p->metrics = m;
	YS_INFO("metrics: http://%s:%u/metrics", addr, cfg->metrics_port);
	return 0;
}

void ys_metrics_stop(struct ys_metrics *m)
{
	if (m == NULL)
		return;
	if (m->http != NULL)
		evhttp_free(m->http); /* closes the listener and connections */
	free(m);
}
