/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The secondary's control connection to the primary (docs/control.md).
 *
 * It registers on it, synchronously, before touching any ring; the
 * connection then stands for the secondary's life: the primary notices
 * our death by it closing, and we notice the primary's the same way (a
 * DPDK secondary cannot outlive its primary safely: we exit with
 * EXIT_PRIMARY_GONE). The primary forwards operators' per-secondary
 * commands on it and we answer each, in order, on the same connection.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <rte_ether.h>

#include "secondary.h"
#include "ys_ctl.h"
#include "ys_log.h"
#include "ys_udp.h"

#define PRIMARY_CHECK_MS    100 /* well inside the 1 s an exit must take */
#define CONNS_DEFAULT_LIMIT 1000

typedef json_t *(*sec_handler)(struct ys_secondary *s,
                               const struct ys_ctl_request *req);

/* ---- arp, routes, conns -------------------------------------------------- */

static const char *port_name(const struct ys_secondary *s, uint16_t port_id)
{
	for (uint32_t i = 0; i < s->shm->n_ports && i < YS_MAX_PORTS; i++)
		if (s->shm->ports[i].port_id == port_id)
			return s->shm->ports[i].name;
	return "?";
}

static json_t *ipv4_json(uint32_t be)
{
	char buf[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &be, buf, sizeof(buf));
	return json_string(buf);
}

struct visit_ctx {
	const struct ys_secondary *s;
	json_t *list;
};

static void arp_visit(void *arg, const struct ys_arp_entry_info *e)
{
	struct visit_ctx *v = arg;
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	json_t *o;

	rte_ether_format_addr(mac, sizeof(mac), &e->mac);
	o = json_pack("{s:o, s:o, s:s, s:s, s:I, s:i}", "ip", ipv4_json(e->ip),
	              "mac", e->has_mac ? json_string(mac) : json_null(),
	              "port", port_name(v->s, e->port_id), "state",
	              ys_arp_state_str(e->state), "age_ms",
	              (json_int_t)e->age_ms, "queued", (int)e->queued);
	json_array_append_new(v->list, o);
}

static json_t *sec_cmd_arp(struct ys_secondary *s,
                           const struct ys_ctl_request *req)
{
	struct visit_ctx v = {s, json_array()};

	ys_stack_arp_foreach(&s->stack, arp_visit, &v);
	return ys_ctl_reply_ok(req->id, json_pack("{s:o}", "entries", v.list));
}

static json_t *prefix_json(uint32_t be, uint8_t len)
{
	char buf[INET_ADDRSTRLEN + 4];

	inet_ntop(AF_INET, &be, buf, INET_ADDRSTRLEN);
	snprintf(buf + strlen(buf), 5, "/%u", len);
	return json_string(buf);
}

static void route_visit(void *arg, const struct ys_route_info *r)
{
	struct visit_ctx *v = arg;

	json_array_append_new(
	        v->list,
	        json_pack("{s:o, s:o, s:s, s:o, s:s}", "prefix",
	                  prefix_json(r->prefix, r->prefix_len), "via",
	                  r->via ? ipv4_json(r->via) : json_null(), "port",
	                  port_name(v->s, r->port_id), "src", ipv4_json(r->src),
	                  "source", ys_route_source_str(r->source)));
}

static json_t *sec_cmd_routes(struct ys_secondary *s,
                              const struct ys_ctl_request *req)
{
	struct visit_ctx v = {s, json_array()};

	ys_stack_route_foreach(&s->stack, route_visit, &v);
	return ys_ctl_reply_ok(req->id, json_pack("{s:o}", "routes", v.list));
}

/* An optional string argument; -EINVAL when present and not a string. */
static int opt_string(const struct ys_ctl_request *req, const char *key)
{
	json_t *v = json_object_get(req->args, key);

	return v == NULL || json_is_string(v) ? 0 : -EINVAL;
}

/* conns' filters: each optional, each must match exactly. */
struct conns_filter {
	const char *state, *local, *remote;
	json_int_t limit;
	json_t *list;
	json_int_t total;
};

/* "a.b.c.d:port" matches the filter "a.b.c.d:port" or "a.b.c.d". */
static bool endpoint_match(const char *filter, const char *endpoint)
{
	size_t n;

	if (filter == NULL)
		return true;
	n = strlen(filter);
	return strncmp(filter, endpoint, n) == 0 &&
	       (endpoint[n] == '\0' || endpoint[n] == ':');
}

/*
 * The stack's only connection-like objects today are bound UDP ports
 * (TCP is a later issue): each is listed as proto "udp", state "bound",
 * with no remote end.
 */
static void udp_visit(void *arg, uint32_t addr_be, uint16_t port)
{
	struct conns_filter *f = arg;
	char local[INET_ADDRSTRLEN + 8];

	inet_ntop(AF_INET, &addr_be, local, INET_ADDRSTRLEN);
	snprintf(local + strlen(local), 8, ":%u", port);
	if ((f->state != NULL && strcmp(f->state, "bound") != 0) ||
	    !endpoint_match(f->local, local) || f->remote != NULL)
		return;
	if (f->total++ < f->limit)
		json_array_append_new(f->list,
		                      json_pack("{s:s, s:s, s:n, s:s}", "proto",
		                                "udp", "local", local, "remote",
		                                "state", "bound"));
}

/*
 * conns [state] [local] [remote] [limit]: this instance's connections
 * (bound UDP ports until TCP arrives), filtered; at most `limit` listed
 * (default 1000), `total` counts every match.
 */
static json_t *sec_cmd_conns(struct ys_secondary *s,
                             const struct ys_ctl_request *req)
{
	json_t *limit = json_object_get(req->args, "limit");
	struct conns_filter f = {.limit = CONNS_DEFAULT_LIMIT};

	if (opt_string(req, "state") || opt_string(req, "local") ||
	    opt_string(req, "remote"))
		return ys_ctl_reply_error(req->id, YS_CTL_E_INVALID_ARGUMENT,
		                          "state, local and remote must be "
		                          "strings");
	if (limit != NULL &&
	    (!json_is_integer(limit) || json_integer_value(limit) < 0))
		return ys_ctl_reply_error(req->id, YS_CTL_E_INVALID_ARGUMENT,
		                          "limit must be an integer >= 0");
	if (limit != NULL)
		f.limit = json_integer_value(limit);
	f.state = json_string_value(json_object_get(req->args, "state"));
	f.local = json_string_value(json_object_get(req->args, "local"));
	f.remote = json_string_value(json_object_get(req->args, "remote"));
	f.list = json_array();
	ys_udp_foreach(&s->stack, udp_visit, &f);
	return ys_ctl_reply_ok(req->id,
	                       json_pack("{s:I, s:o}", "total", f.total,
	                                 "connections", f.list));
}

/* ---- log.level ------------------------------------------------------------
 */

static json_t *sec_cmd_log_level(struct ys_secondary *s,
                                 const struct ys_ctl_request *req)
{
	json_t *v = json_object_get(req->args, "level");
	enum ys_log_level level;

	(void)s;
	if (v != NULL) {
		if (!json_is_string(v) ||
		    ys_log_level_parse(json_string_value(v), &level) != 0)
			return ys_ctl_reply_error(
			        req->id, YS_CTL_E_INVALID_ARGUMENT,
			        "level must be one of err, warn, info, debug");
		ys_log_set_level(level);
		YS_INFO("log level set to %s", ys_log_level_str(level));
	}
	return ys_ctl_reply_ok(req->id,
	                       json_pack("{s:s}", "level",
	                                 ys_log_level_str(ys_log_get_level())));
}

/* ---- config.prepare / commit / abort ---------------------------------------
 */

static void drop_pending(struct ys_secondary *s)
{
	free(s->pending_cfg);
	s->pending_cfg = NULL;
	s->pending_generation = 0;
}

/*
 * Parse and check `config` (the primary's running configuration with its
 * new live sections) and keep it for config.commit. 0, or -EINVAL with
 * the reason in err.
 */
static int prepare_config(struct ys_secondary *s, const json_t *config,
                          uint64_t generation, char *err, size_t err_len)
{
	struct ys_config *cfg = malloc(sizeof(*cfg));
	char name[64], *text = json_dumps(config, JSON_COMPACT);
	struct ys_stack_conf sc;
	int rc = -ENOMEM;

	snprintf(err, err_len, "out of memory");
	snprintf(name, sizeof(name), "configuration generation %llu",
	         (unsigned long long)generation);
	if (cfg != NULL && text != NULL)
		rc = ys_config_load_string(
		        cfg, text, name,
		        (unsigned)sysconf(_SC_NPROCESSORS_ONLN), err, err_len);
	free(text);
	if (rc == 0) {
		ys_sec_stack_conf(s, cfg, &sc);
		rc = ys_stack_validate_conf(&sc, err, err_len);
	}
	if (rc != 0) {
		free(cfg);
		return -EINVAL;
	}
	drop_pending(s);
	s->pending_cfg = cfg;
	s->pending_generation = generation;
	return 0;
}

/* Swap the prepared configuration in. Validated already: cannot fail. */
static void commit_config(struct ys_secondary *s)
{
	struct ys_stack_conf sc;

	ys_sec_stack_conf(s, s->pending_cfg, &sc);
	if (ys_stack_reconfigure(&s->stack, &sc) != 0)
		YS_ERR("configuration generation %llu: the stack refused what "
		       "it validated; keeping the previous one",
		       (unsigned long long)s->pending_generation);
	ys_config_apply_live(&s->cfg, s->pending_cfg);
	s->config_generation = s->pending_generation;
	YS_INFO("configuration generation %llu applied",
	        (unsigned long long)s->config_generation);
	drop_pending(s);
	if (s->registered)
		ys_sec_announce(s); /* new addresses, maybe */
}

static int generation_arg(const struct ys_ctl_request *req, uint64_t *gen)
{
	json_t *v = json_object_get(req->args, "generation");

	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return -EINVAL;
	*gen = (uint64_t)json_integer_value(v);
	return 0;
}

static json_t *sec_cmd_config_prepare(struct ys_secondary *s,
                                      const struct ys_ctl_request *req)
{
	json_t *config = json_object_get(req->args, "config");
	char err[YS_CFG_ERR_LEN];
	uint64_t gen;

	if (generation_arg(req, &gen) != 0 || !json_is_object(config))
		return ys_ctl_reply_error(
		        req->id, YS_CTL_E_INVALID_ARGUMENT,
		        "generation (integer >= 1) and config "
		        "(object) are required");
	if (prepare_config(s, config, gen, err, sizeof(err)) != 0)
		return ys_ctl_reply_error(req->id, YS_CTL_E_CONFIG_INVALID,
		                          "%s", err);
	return ys_ctl_reply_ok(
	        req->id, json_pack("{s:I}", "generation", (json_int_t)gen));
}

static json_t *sec_cmd_config_commit(struct ys_secondary *s,
                                     const struct ys_ctl_request *req)
{
	uint64_t gen;

	if (generation_arg(req, &gen) != 0)
		return ys_ctl_reply_error(req->id, YS_CTL_E_INVALID_ARGUMENT,
		                          "generation must be an integer >= 1");
	if (s->pending_cfg == NULL || s->pending_generation != gen)
		return ys_ctl_reply_error(req->id, YS_CTL_E_NOT_FOUND,
		                          "configuration generation %llu was "
		                          "not prepared here",
		                          (unsigned long long)gen);
	commit_config(s);
	return ys_ctl_reply_ok(
	        req->id, json_pack("{s:I}", "generation", (json_int_t)gen));
}

static json_t *sec_cmd_config_abort(struct ys_secondary *s,
                                    const struct ys_ctl_request *req)
{
	drop_pending(s);
	return ys_ctl_reply_ok(req->id, json_object());
}

/* ---- drain and shutdown -----------------------------------------------------
 */

/*
 * Connections still open. Nothing in the stack holds connections yet
 * (TCP and the proxy are later issues), so a drain completes at once.
 */
static unsigned open_connections(const struct ys_secondary *s)
{
	(void)s;
	return 0;
}

static void start_drain(struct ys_secondary *s, uint64_t deadline_ms,
                        const char *why)
{
	if (!s->draining ||
	    ys_sec_now_ms() + deadline_ms < s->drain_deadline_ms)
		s->drain_deadline_ms = ys_sec_now_ms() + deadline_ms;
	s->draining = true;
	YS_INFO("%s: %u connections to finish within %llu ms", why,
	        open_connections(s), (unsigned long long)deadline_ms);
}

static json_t *sec_cmd_drain(struct ys_secondary *s,
                             const struct ys_ctl_request *req)
{
	json_t *v = json_object_get(req->args, "deadline_ms");

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return ys_ctl_reply_error(
		        req->id, YS_CTL_E_INVALID_ARGUMENT,
		        "deadline_ms must be an integer >= 0");
	start_drain(s, (uint64_t)json_integer_value(v), "draining");
	return ys_ctl_reply_ok(
	        req->id,
	        json_pack("{s:s, s:i, s:I}", "state", "draining", "connections",
	                  (int)open_connections(s), "deadline_ms",
	                  (json_int_t)json_integer_value(v)));
}

static json_t *sec_cmd_shutdown(struct ys_secondary *s,
                                const struct ys_ctl_request *req)
{
	start_drain(s, 0, "shutdown requested by the primary");
	return ys_ctl_reply_ok(req->id,
	                       json_pack("{s:s}", "state", "stopping"));
}

/* ---- the connection -------------------------------------------------------
 */

static const struct {
	const char *name;
	sec_handler fn;
} commands[] = {
        {"arp", sec_cmd_arp},
        {"routes", sec_cmd_routes},
        {"conns", sec_cmd_conns},
        {"log.level", sec_cmd_log_level},
        {"config.prepare", sec_cmd_config_prepare},
        {"config.commit", sec_cmd_config_commit},
        {"config.abort", sec_cmd_config_abort},
        {"drain", sec_cmd_drain},
        {"shutdown", sec_cmd_shutdown},
};

static json_t *handle_line(struct ys_secondary *s, const char *line, size_t len)
{
	struct ys_ctl_request req;
	json_t *reply = NULL;

	if (ys_ctl_request_parse(line, len, &req, &reply) != 0)
		return reply;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(req.cmd, commands[i].name) == 0) {
			reply = commands[i].fn(s, &req);
			break;
		}
	if (reply == NULL)
		reply = ys_ctl_reply_error(req.id, YS_CTL_E_UNKNOWN_COMMAND,
		                           "unknown command '%s'", req.cmd);
	ys_ctl_request_free(&req);
	return reply;
}

static void send_reply(struct ys_secondary *s, json_t *reply)
{
	size_t len;
	char *line = ys_ctl_encode_reply(reply, &len);

	if (line != NULL)
		bufferevent_write(s->ctl, line, len);
	free(line);
}

/* Requests from the primary, one per line (a trusted peer, but bounded). */
static void ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct ys_secondary *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		send_reply(s, len > YS_CTL_MAX_REPLY
		                      ? ys_ctl_reply_error(
		                                NULL, YS_CTL_E_BAD_REQUEST,
		                                "request line too long")
		                      : handle_line(s, line, len));
		free(line);
	}
	if (evbuffer_get_length(in) > YS_CTL_MAX_REPLY) {
		evbuffer_drain(in, evbuffer_get_length(in));
		send_reply(s, ys_ctl_reply_error(NULL, YS_CTL_E_BAD_REQUEST,
		                                 "request line too long"));
	}
}

static void primary_gone(struct ys_secondary *s, const char *how)
{
	if (s->stop && s->exit_code == EXIT_PRIMARY_GONE)
		return;
	YS_ERR("the primary %s: exiting (a DPDK secondary cannot outlive its "
	       "primary; exit code %d)",
	       how, EXIT_PRIMARY_GONE);
	s->exit_code = EXIT_PRIMARY_GONE;
	s->stop = 1;
}

static void ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		primary_gone(arg, "closed the control connection");
}

/*
 * Called about once a millisecond by the poll loop. The primary's death
 * shows first as the control connection closing; the pid check covers a
 * connection that stays open without a primary behind it (a descriptor
 * leaked to a child). A drain ends once our connections are done (or at
 * its deadline) and our last reply is out.
 */
void ys_sec_ctl_poll(struct ys_secondary *s)
{
	pid_t primary = (pid_t)s->shm->primary_pid;
	uint64_t now = ys_sec_now_ms();

	if (now >= s->next_primary_check_ms) {
		s->next_primary_check_ms = now + PRIMARY_CHECK_MS;
		if (primary > 0 && kill(primary, 0) != 0 && errno == ESRCH)
			primary_gone(s, "process is gone");
	}
	if (!s->draining || s->stop)
		return;
	if (open_connections(s) > 0 && now < s->drain_deadline_ms)
		return;
	if (s->ctl != NULL &&
	    evbuffer_get_length(bufferevent_get_output(s->ctl)) > 0 &&
	    now < s->drain_deadline_ms + 1000)
		return; /* let the reply reach the primary first */
	YS_INFO("drained (%u connections left): stopping", open_connections(s));
	s->exit_code = EXIT_STOPPED;
	s->stop = 1;
}

/* ---- registration ----------------------------------------------------------
 */

/*
 * After a config.reload the primary's running configuration differs from
 * our file: take its live sections, as a reload would have.
 */
static int adopt_running_config(struct ys_secondary *s, const json_t *result)
{
	json_t *gen = json_object_get(result, "generation");
	json_t *config = json_object_get(result, "config");
	char err[YS_CFG_ERR_LEN];

	if (!json_is_integer(gen) || json_integer_value(gen) < 1 ||
	    config == NULL)
		return 0;
	if (prepare_config(s, config, (uint64_t)json_integer_value(gen), err,
	                   sizeof(err)) != 0) {
		YS_ERR("the primary's running configuration does not fit this "
		       "secondary: %s",
		       err);
		return -EINVAL;
	}
	commit_config(s);
	return 0;
}

/* One attempt. 0; -EAGAIN when the primary says retry; another -errno. */
static int register_once(struct ys_secondary *s, int fd, json_t **result)
{
	json_t *reply = NULL, *e, *args;
	const char *code;
	int rc;

	args = json_pack("{s:i, s:i, s:i, s:i, s:s}", "id", (int)s->id, "pid",
	                 (int)getpid(), "lcore", (int)(s->id + 1), "contract",
	                 (int)YS_CONTRACT_VERSION, "version", YS_VERSION);
	rc = ys_ctl_call(fd, 1, "secondary.register", args, CTL_TIMEOUT_MS,
	                 &reply);
	if (rc != 0) {
		YS_ERR("registration failed: %s", strerror(-rc));
		return rc;
	}
	if (json_is_true(json_object_get(reply, "ok"))) {
		*result = json_incref(json_object_get(reply, "result"));
		json_decref(reply);
		return 0;
	}
	e = json_object_get(reply, "error");
	code = json_string_value(json_object_get(e, "code"));
	rc = code && strcmp(code, "unavailable") == 0 ? -EAGAIN : -EPERM;
	YS_ERR("primary refused registration: %s%s",
	       json_string_value(json_object_get(e, "message")),
	       rc == -EAGAIN ? " (retrying)" : "");
	json_decref(reply);
	return rc;
}

int ys_sec_ctl_register(struct ys_secondary *s)
{
	uint64_t deadline = ys_sec_now_ms() + (uint64_t)s->wait_s * 1000;
	json_t *result = NULL;
	int fd, rc;

	do {
		fd = ys_ctl_connect(s->cfg.control.socket);
		if (fd < 0) {
			YS_ERR("cannot connect to %s: %s",
			       s->cfg.control.socket, strerror(-fd));
			return fd;
		}
		rc = register_once(s, fd, &result);
		if (rc == -EAGAIN) {
			close(fd);
			usleep(100 * 1000); /* the old process is exiting */
		}
	} while (rc == -EAGAIN && !s->stop && ys_sec_now_ms() < deadline);
	if (rc != 0) {
		if (rc != -EAGAIN)
			close(fd);
		return rc;
	}
	s->registered = 1;
	rc = adopt_running_config(s, result);
	json_decref(result);
	s->ctl = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (s->ctl == NULL) {
		close(fd);
		return -ENOMEM;
	}
	bufferevent_setcb(s->ctl, ctl_read_cb, NULL, ctl_event_cb, s);
	bufferevent_enable(s->ctl, EV_READ);
	return rc;
}

/*
 * One non-blocking send; the bufferevent is about to go away. True when
 * all of it went (a cut line must not be followed by another).
 */
static bool send_now(int fd, const void *data, size_t len)
{
	ssize_t n =
	        len > 0 ? send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT) : 0;

	if (n < 0)
		YS_DEBUG("last control write: %s", strerror(errno));
	return n == (ssize_t)len;
}

void ys_sec_ctl_fini(struct ys_secondary *s)
{
	static const char stopping[] =
	        "{\"id\": 0, \"cmd\": \"secondary.stopping\"}\n";

	if (s->ctl != NULL) {
		struct evbuffer *out = bufferevent_get_output(s->ctl);
		int fd = bufferevent_getfd(s->ctl);

		/* The last replies (drain, shutdown) the loop did not send;
		 * then, for a clean stop, the notice that this is not a
		 * death (its reply is not awaited). The output buffer is
		 * the bufferevent's to drain: copy, do not consume. */
		if (send_now(fd, evbuffer_pullup(out, -1),
		             evbuffer_get_length(out)) &&
		    s->exit_code == EXIT_STOPPED)
			send_now(fd, stopping, sizeof(stopping) - 1);
		bufferevent_free(s->ctl);
		s->ctl = NULL;
	}
	drop_pending(s);
}
