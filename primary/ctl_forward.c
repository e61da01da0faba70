/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Requests the primary forwards to secondaries (arp, routes, conns,
 * log.level, drain, shutdown, config.reload's two phases). Each
 * secondary keeps the control connection it registered on; the primary
 * writes the request there with its own id (`seq`) and the secondary
 * answers on the same connection. The client's reply is sent once every
 * secondary asked has an entry: its answer, `unavailable` (not running,
 * or died before answering) or `timeout` (no answer by the deadline), so
 * a stuck secondary never hangs the client or anyone else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "ctl.h"
#include "ys_log.h"

json_t ctl_async_reply; /* only its address is used */

int ctl_int_arg(const struct ys_ctl_request *req, const char *key,
                json_int_t lo, json_int_t hi, json_int_t absent)
{
	json_t *v = json_object_get(req->args, key);

	if (v == NULL)
		return (int)absent;
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi)
		return -EINVAL;
	return (int)json_integer_value(v);
}

int ctl_fwd_timeout(const struct ys_ctl_request *req)
{
	return ctl_int_arg(req, "timeout_ms", 1, CTL_FWD_MAX_TIMEOUT_MS,
	                   CTL_FWD_TIMEOUT_MS);
}

int ctl_secondary_arg(const struct ys_ctl_server *srv,
                      const struct ys_ctl_request *req)
{
	return ctl_int_arg(req, "secondary", 0,
	                   (json_int_t)srv->p->shm->n_secondaries - 1, -1);
}

json_t *ctl_bad_secondary(const struct ys_ctl_server *srv,
                          const struct ys_ctl_request *req)
{
	return ys_ctl_reply_error(req->id, YS_CTL_E_INVALID_ARGUMENT,
	                          "secondary must be an integer in 0..%u",
	                          srv->p->shm->n_secondaries - 1);
}

json_t *ctl_bad_timeout(const struct ys_ctl_request *req)
{
	return ys_ctl_reply_error(req->id, YS_CTL_E_INVALID_ARGUMENT,
	                          "timeout_ms must be an integer in 1..%d",
	                          CTL_FWD_MAX_TIMEOUT_MS);
}

static json_t *entry_error(uint32_t k, enum ys_ctl_err code, const char *msg)
{
	return json_pack("{s:i, s:b, s:{s:s, s:s}}", "id", (int)k, "ok", 0,
	                 "error", "code", ys_ctl_err_str(code), "message", msg);
}

static void op_free(struct ctl_op *op)
{
	TAILQ_REMOVE(&op->srv->ops, op, next);
	if (op->timer != NULL)
		event_free(op->timer);
	for (uint32_t k = 0; k < YS_MAX_SECONDARIES; k++)
		json_decref(op->entries[k]);
	json_decref(op->req_id);
	json_decref(op->data);
	free(op);
}

/*
 * Every entry is in: build the client's reply. `done` may start the next
 * phase for the same client, which then owns client->op.
 */
static void op_finish(struct ctl_op *op)
{
	struct ctl_client *c = op->client;
	json_t *reply;

	if (c != NULL)
		c->op = NULL;
	reply = op->done(op);
	if (reply == NULL)
		reply = ys_ctl_reply_error(op->req_id, YS_CTL_E_INTERNAL,
		                           "out of memory");
	if (reply != CTL_ASYNC && c != NULL) {
		ctl_send_reply(c, reply);
		ctl_client_resume(c);
	} else if (reply != CTL_ASYNC) {
		json_decref(reply); /* the client left */
	}
	op_free(op);
}

static void op_set_entry(struct ctl_op *op, uint32_t k, json_t *entry)
{
	json_decref(op->entries[k]);
	op->entries[k] = entry;
	op->waiting &= ~(UINT64_C(1) << k);
}

static void op_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_op *op = arg;
	char msg[96];

	(void)fd;
	(void)what;
	for (uint32_t k = 0; k < YS_MAX_SECONDARIES; k++) {
		if (!(op->waiting & (UINT64_C(1) << k)))
			continue;
		snprintf(msg, sizeof(msg),
		         "secondary %u did not answer within %d ms", k,
		         op->timeout_ms);
		op_set_entry(op, k, entry_error(k, YS_CTL_E_TIMEOUT, msg));
		op->srv->p->shm->primary_stats.ctl_forward_timeouts++;
	}
	op_finish(op);
}

/* Whether secondary k can be asked: running or draining, and connected. */
static const char *not_reachable(const struct ys_ctl_server *srv, uint32_t k)
{
	uint32_t state = srv->p->shm->slots[k].state;

	if (state == YS_SEC_DEAD)
		return "is dead";
	if (state == YS_SEC_STARTING || srv->slot_owner[k] == NULL)
		return "is not registered";
	return NULL;
}

/* Write the request to secondary k; 0, or -errno. */
static int send_to_secondary(struct ys_ctl_server *srv, uint32_t k,
                             const json_t *msg)
{
	struct bufferevent *bev = srv->slot_owner[k]->bev;
	size_t len;
	char *line;
	int rc;

	/* A stopped secondary (a debugger, SIGSTOP) reads nothing: what we
	 * queue for it is bounded. */
	if (evbuffer_get_length(bufferevent_get_output(bev)) >=
	    CTL_FWD_QUEUE_CAP)
		return -ENOBUFS;
	line = ys_ctl_encode_max(msg, &len, YS_CTL_MAX_REPLY);
	if (line == NULL)
		return -EMSGSIZE;
	rc = bufferevent_write(bev, line, len);
	free(line);
	return rc == 0 ? 0 : -EIO;
}

static struct ctl_op *op_new(struct ys_ctl_server *srv, struct ctl_client *c,
                             json_t *req_id, int timeout_ms,
                             ctl_op_done_fn done, json_t *data)
{
	struct ctl_op *op = calloc(1, sizeof(*op));

	if (op == NULL) {
		json_decref(data);
		return NULL;
	}
	op->srv = srv;
	op->client = c;
	op->req_id = json_incref(req_id);
	op->seq = ++srv->next_seq;
	op->timeout_ms = timeout_ms;
	op->done = done;
	op->data = data;
	TAILQ_INSERT_TAIL(&srv->ops, op, next);
	op->timer = evtimer_new(srv->p->base, op_timeout_cb, op);
	if (op->timer == NULL) {
		op_free(op);
		return NULL;
	}
	if (c != NULL) {
		c->op = op;
		ctl_client_hold(c);
	}
	return op;
}

/* Ask secondary k, or give it its `unavailable` entry now. */
static void op_ask(struct ctl_op *op, uint32_t k, const json_t *msg)
{
	const char *why = not_reachable(op->srv, k);
	char text[96];
	int rc = why == NULL ? send_to_secondary(op->srv, k, msg) : 0;

	if (why == NULL && rc == 0) {
		op->waiting |= UINT64_C(1) << k;
		op->asked_registrations[k] =
		        op->srv->p->shm->slots[k].registrations;
		op->srv->p->shm->primary_stats.ctl_forwarded++;
		return;
	}
	if (why == NULL)
		why = rc == -ENOBUFS ? "is not reading its control connection"
		                     : "cannot be written to";
	snprintf(text, sizeof(text), "secondary %u %s", k, why);
	op->entries[k] = entry_error(k, YS_CTL_E_UNAVAILABLE, text);
}

json_t *ctl_forward(struct ys_ctl_server *srv, struct ctl_client *c,
                    json_t *req_id, int target, const char *cmd, json_t *args,
                    int timeout_ms, ctl_op_done_fn done, json_t *data)
{
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	struct ctl_op *op = op_new(srv, c, req_id, timeout_ms, done, data);
	json_t *msg;

	if (op == NULL) {
		json_decref(args);
		return ys_ctl_reply_error(req_id, YS_CTL_E_INTERNAL,
		                          "out of memory");
	}
	msg = json_pack("{s:I, s:s, s:o}", "id", (json_int_t)op->seq, "cmd",
	                cmd, "args", args ? args : json_object());
	for (uint32_t k = 0; msg != NULL && k < srv->p->shm->n_secondaries; k++)
		if (target < 0 || (uint32_t)target == k)
			op_ask(op, k, msg);
	json_decref(msg);
	if (op->waiting == 0)
		op_finish(op); /* nobody to wait for: reply now */
	else
		evtimer_add(op->timer, &tv);
	return CTL_ASYNC;
}

void ctl_notify(struct ys_ctl_server *srv, const char *cmd, json_t *args)
{
	json_t *msg = json_pack("{s:i, s:s, s:o}", "id", 0, "cmd", cmd, "args",
	                        args ? args : json_object());

	for (uint32_t k = 0; msg != NULL && k < srv->p->shm->n_secondaries; k++)
		if (not_reachable(srv, k) == NULL)
			send_to_secondary(srv, k, msg);
	json_decref(msg);
}

json_t *ctl_op_envelope(const struct ctl_op *op)
{
	json_t *a = json_array();

	for (uint32_t k = 0; k < YS_MAX_SECONDARIES; k++)
		if (op->entries[k] != NULL)
			json_array_append(a, op->entries[k]);
	return json_pack("{s:o}", "secondaries", a);
}

/*
 * Secondary k's answer as its envelope entry. One that breaks the
 * protocol ("ok" not a boolean, no result, an error without a string
 * code and message) becomes an `internal` error entry: clients and
 * config.reload's abort path read those fields.
 */
static json_t *answer_entry(uint32_t k, json_t *msg)
{
	json_t *ok = json_object_get(msg, "ok");
	json_t *result = json_object_get(msg, "result");
	json_t *err = json_object_get(msg, "error");
	char text[96];

	if (json_is_true(ok) && result != NULL)
		return json_pack("{s:i, s:b, s:O}", "id", (int)k, "ok", 1,
		                 "result", result);
	if (json_is_false(ok) && json_is_string(json_object_get(err, "code")) &&
	    json_is_string(json_object_get(err, "message")))
		return json_pack("{s:i, s:b, s:O}", "id", (int)k, "ok", 0,
		                 "error", err);
	snprintf(text, sizeof(text), "secondary %u sent a malformed answer", k);
	return entry_error(k, YS_CTL_E_INTERNAL, text);
}

void ctl_fwd_reply(struct ys_ctl_server *srv, uint32_t k, json_t *msg)
{
	json_t *id = json_object_get(msg, "id"), *entry;
	struct ctl_op *op;

	if (json_is_integer(id) && json_integer_value(id) == 0)
		return; /* the answer to a notice (ctl_notify) */
	TAILQ_FOREACH(op, &srv->ops, next)
	if (json_is_integer(id) && (uint64_t)json_integer_value(id) == op->seq)
		break;
	if (op == NULL || !(op->waiting & (UINT64_C(1) << k))) {
		/* Late (after its deadline) or unasked: nobody waits. */
		srv->p->shm->primary_stats.ctl_late_replies++;
		return;
	}
	entry = answer_entry(k, msg);
	op_set_entry(op, k, entry);
	if (op->waiting == 0) {
		evtimer_del(op->timer);
		op_finish(op);
	}
}

void ctl_fwd_secondary_gone(struct ys_ctl_server *srv, uint32_t k)
{
	struct ctl_op *op, *tmp;
	char msg[96];

	snprintf(msg, sizeof(msg), "secondary %u exited before answering", k);
	for (op = TAILQ_FIRST(&srv->ops); op != NULL; op = tmp) {
		tmp = TAILQ_NEXT(op, next);
		if (!(op->waiting & (UINT64_C(1) << k)))
			continue;
		op_set_entry(op, k, entry_error(k, YS_CTL_E_UNAVAILABLE, msg));
		if (op->waiting == 0) {
			evtimer_del(op->timer);
			op_finish(op);
		}
	}
}

void ctl_fwd_client_gone(struct ctl_client *c)
{
	struct ctl_op *op;

	TAILQ_FOREACH(op, &c->srv->ops, next)
	if (op->client == c)
		op->client = NULL;
	c->op = NULL;
}

void ctl_fwd_stop(struct ys_ctl_server *srv)
{
	while (!TAILQ_EMPTY(&srv->ops))
		op_free(TAILQ_FIRST(&srv->ops));
}
