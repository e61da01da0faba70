/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The primary's control server, private to primary/ctl_*.c.
 *
 *   ctl_server.c   connections, framing, the command table, the socket
 *   ctl_forward.c  requests the primary forwards to secondaries over
 *                  their own control connections, with a deadline
 *   ctl_status.c   status, ports, secondaries, stats and stats.reset
 *   ctl_config.c   config.show, config.validate, config.reload
 *   ctl_cmds.c     secondary.register, arp, routes, conns, log.level,
 *                  drain, shutdown
 *
 * A handler returns the reply to send now, or CTL_ASYNC when it started
 * a forwarded request (struct ctl_op): the reply is sent when every
 * secondary asked has answered, died, or missed the deadline. A client
 * has at most one such request in flight and its later requests wait,
 * so replies always come back in request order.
 */
#ifndef YS_PRIMARY_CTL_H
#define YS_PRIMARY_CTL_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/un.h>

#include <jansson.h>

#include "primary.h"
#include "ys_ctl.h"
#include "ys_stats.h"

#define CTL_FWD_TIMEOUT_MS     1000  /* default deadline for secondaries */
#define CTL_FWD_MAX_TIMEOUT_MS 60000 /* largest `timeout_ms` accepted */
#define CTL_FWD_QUEUE_CAP      (4 * 1024 * 1024) /* unread, per secondary */

struct bufferevent;
struct event;
struct ctl_op;

struct ctl_client {
	struct ys_ctl_server *srv;
	struct bufferevent *bev;
	int secondary_id; /* registry slot this connection owns, or -1 */
	pid_t peer_pid;   /* from SO_PEERCRED: who really is on the other end */
	uid_t peer_uid;   /* likewise; (uid_t)-1 when unknown */
	gid_t peer_gid;
	int counted;       /* counts against CTL_MAX_CLIENTS */
	int probation;     /* beyond CTL_MAX_CLIENTS: one request (accept_cb) */
	int closing;       /* answer nothing more; free once flushed */
	int peer_eof;      /* the client has shut down its side */
	struct ctl_op *op; /* this client's forwarded request, or NULL */
	TAILQ_ENTRY(ctl_client) next;
};

/* Counters as they were at the last stats.reset (ctl_status.c). */
struct ctl_stats_base {
	uint64_t reset_tsc; /* when the whole set was last reset */
	struct ys_primary_stats primary;
	struct ys_port_stats ports[YS_MAX_PORTS];
	struct ys_secondary_stats secondaries[YS_MAX_SECONDARIES];
};

struct ys_ctl_server {
	struct ys_primary *p;
	struct evconnlistener *listener;
	unsigned n_clients;   /* connections not registered as a secondary */
	unsigned n_probation; /* more, on probation (ctl_server.c accept_cb) */
	TAILQ_HEAD(, ctl_client) clients;
	TAILQ_HEAD(, ctl_op) ops; /* forwarded requests in flight */
	uint64_t next_seq;        /* request id towards secondaries */
	struct ctl_client *slot_owner[YS_MAX_SECONDARIES];
	/* The running configuration as JSON (config.show); live sections
	 * replaced by each successful config.reload (ctl_config.c). */
	json_t *config_json;
	uint64_t config_generation;     /* 0: as loaded at start */
	int reload_in_flight;           /* between config.prepare and the end */
	uint32_t arp_queue_total_sized; /* what the pool was planned for */
	struct ctl_stats_base base;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* A handler's answer meaning "the reply will come later". */
extern json_t ctl_async_reply;
#define CTL_ASYNC (&ctl_async_reply)

typedef json_t *(*ctl_handler)(struct ctl_client *c,
                               const struct ys_ctl_request *req);

/* ---- ctl_forward.c ---- */

/*
 * Called once every secondary asked has an entry in op->entries (its
 * reply, or a timeout/unavailable error). Returns the reply for the
 * client (op->client may be NULL: it left; the reply is then dropped),
 * or CTL_ASYNC when it started another forwarded request for the same
 * client (config.reload's commit after its prepare).
 */
typedef json_t *(*ctl_op_done_fn)(struct ctl_op *op);

struct ctl_op {
	struct ys_ctl_server *srv;
	struct ctl_client *client; /* NULL once the client is gone */
	json_t *req_id;            /* the client's request id (owned) */
	uint64_t seq;              /* id of our request to the secondaries */
	uint64_t waiting;          /* bit k: secondary k has not answered */
	json_t *entries[YS_MAX_SECONDARIES]; /* NULL: not asked */
	/* slots[k].registrations when asked: an answer is about that
	 * process, not a successor that registered since. */
	uint32_t asked_registrations[YS_MAX_SECONDARIES];
	struct event *timer;
	int timeout_ms;
	ctl_op_done_fn done;
	json_t *data; /* the handler's own state (owned) */
	TAILQ_ENTRY(ctl_op) next;
};

/*
 * The optional integer `key` of the request's args in lo..hi (both >= 0
 * and < INT_MAX): its value, `absent` when it is not there, -EINVAL
 * otherwise.
 */
int ctl_int_arg(const struct ys_ctl_request *req, const char *key,
                json_int_t lo, json_int_t hi, json_int_t absent);

/*
 * `timeout_ms` from the request's args: CTL_FWD_TIMEOUT_MS when absent,
 * -EINVAL when not an integer in 1..CTL_FWD_MAX_TIMEOUT_MS.
 */
int ctl_fwd_timeout(const struct ys_ctl_request *req);

/*
 * The `secondary` argument: -1 when absent (every secondary), K when
 * valid, -EINVAL when not an integer in 0..count-1.
 */
int ctl_secondary_arg(const struct ys_ctl_server *srv,
                      const struct ys_ctl_request *req);

/* The invalid_argument replies for a bad `secondary` or `timeout_ms`. */
json_t *ctl_bad_secondary(const struct ys_ctl_server *srv,
                          const struct ys_ctl_request *req);
json_t *ctl_bad_timeout(const struct ys_ctl_request *req);

/*
 * Send {"cmd": cmd, "args": args} to secondary `target` (-1: every
 * secondary) on behalf of client `c` (may be NULL) answering request
 * `req_id`. `args` and `data` are stolen. Secondaries that are not
 * running get an `unavailable` entry at once. Returns CTL_ASYNC, or an
 * error reply (out of memory).
 */
json_t *ctl_forward(struct ys_ctl_server *srv, struct ctl_client *c,
                    json_t *req_id, int target, const char *cmd, json_t *args,
                    int timeout_ms, ctl_op_done_fn done, json_t *data);

/*
 * Send {"id": 0, "cmd": cmd, "args": args} to every running secondary
 * and wait for nobody (config.abort). `args` is stolen.
 */
void ctl_notify(struct ys_ctl_server *srv, const char *cmd, json_t *args);

/* {"secondaries": [entries in id order]}; a new reference. */
json_t *ctl_op_envelope(const struct ctl_op *op);

/* A line from secondary k that is a reply (has "ok"): route it. */
void ctl_fwd_reply(struct ys_ctl_server *srv, uint32_t k, json_t *msg);

/* Secondary k's connection is gone: it answers nothing more. */
void ctl_fwd_secondary_gone(struct ys_ctl_server *srv, uint32_t k);

/* The client is gone: its requests finish without it. */
void ctl_fwd_client_gone(struct ctl_client *c);

/* Free every request in flight without replying (server stop). */
void ctl_fwd_stop(struct ys_ctl_server *srv);

/* ---- ctl_server.c ---- */

/*
 * Answer one request line from `c`: the reply to send, NULL when there
 * is none (it was a secondary's answer), or CTL_ASYNC.
 */
json_t *ctl_handle_line(struct ctl_client *c, const char *line, size_t len);

/* Queue `reply` (stolen) on the client's connection. */
void ctl_send_reply(struct ctl_client *c, json_t *reply);

/*
 * hold(): a forwarded request of the client's is in flight (no idle
 * timeout meanwhile); resume(): it is over: read its next requests.
 */
void ctl_client_hold(struct ctl_client *c);
void ctl_client_resume(struct ctl_client *c);

/* ---- handlers ---- */

json_t *ctl_cmd_status(struct ctl_client *c, const struct ys_ctl_request *req);
json_t *ctl_cmd_ports(struct ctl_client *c, const struct ys_ctl_request *req);
json_t *ctl_cmd_secondaries(struct ctl_client *c,
                            const struct ys_ctl_request *req);
json_t *ctl_cmd_stats(struct ctl_client *c, const struct ys_ctl_request *req);
json_t *ctl_cmd_stats_reset(struct ctl_client *c,
                            const struct ys_ctl_request *req);
json_t *ctl_cmd_config_show(struct ctl_client *c,
                            const struct ys_ctl_request *req);
json_t *ctl_cmd_config_validate(struct ctl_client *c,
                                const struct ys_ctl_request *req);
json_t *ctl_cmd_config_reload(struct ctl_client *c,
                              const struct ys_ctl_request *req);
json_t *ctl_cmd_register(struct ctl_client *c,
                         const struct ys_ctl_request *req);
json_t *ctl_cmd_stopping(struct ctl_client *c,
                         const struct ys_ctl_request *req);
json_t *ctl_cmd_arp(struct ctl_client *c, const struct ys_ctl_request *req);
json_t *ctl_cmd_routes(struct ctl_client *c, const struct ys_ctl_request *req);
json_t *ctl_cmd_conns(struct ctl_client *c, const struct ys_ctl_request *req);
json_t *ctl_cmd_log_level(struct ctl_client *c,
                          const struct ys_ctl_request *req);
json_t *ctl_cmd_drain(struct ctl_client *c, const struct ys_ctl_request *req);
json_t *ctl_cmd_shutdown(struct ctl_client *c,
                         const struct ys_ctl_request *req);

/* ctl_config.c: keep the running config's JSON (0 or -errno). */
int ctl_config_init(struct ys_ctl_server *srv);

/*
 * ctl_cmds.c: a secondary's connection closed, or it registered: slot
 * bookkeeping shared with ctl_server.c.
 */
void ctl_slot_release(struct ys_ctl_server *srv, uint32_t k, const char *why);

#endif /* YS_PRIMARY_CTL_H */
