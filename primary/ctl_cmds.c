/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * secondary.register, and the commands forwarded to secondaries: arp,
 * routes, conns, log.level, drain, shutdown (docs/control.md).
 */
#include <errno.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <rte_cycles.h>

#include "ctl.h"
#include "ys_log.h"

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
void ctl_slot_release(struct ys_ctl_server *srv, uint32_t k, const char *why)
{
	if (srv->slot_owner[k] != NULL)
		srv->slot_owner[k]->secondary_id = -1;
	srv->slot_owner[k] = NULL;
	ys_registry_lost(srv->p, k, why);
	ctl_fwd_secondary_gone(srv, k);
}

/*
 * What a secondary needs beyond its own config file: after a
 * config.reload, the running configuration (its live sections differ
 * from the file the secondary was started with).
 */
static json_t *register_result(const struct ys_ctl_server *srv, uint32_t k)
{
	json_t *r = json_pack("{s:i, s:I}", "id", (int)k, "generation",
	                      (json_int_t)srv->config_generation);

	if (srv->config_generation > 0)
		json_object_set(r, "config", srv->config_json);
	return r;
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

json_t *ctl_cmd_register(struct ctl_client *c, const struct ys_ctl_request *req)
{
	struct ys_ctl_server *srv = c->srv;
	struct ys_shared *shm = srv->p->shm;
	json_int_t id, pid, lcore, contract;
	struct ys_secondary_slot *slot;
	const char *version;

	if (get_int_arg(req, "id", &id) || get_int_arg(req, "pid", &pid) ||
	    get_int_arg(req, "lcore", &lcore) ||
	    get_int_arg(req, "contract", &contract))
		return ys_ctl_reply_error(
		        req->id, YS_CTL_E_INVALID_ARGUMENT,
		        "id, pid, lcore and contract must be integers");
	version = json_string_value(json_object_get(req->args, "version"));
	if (version == NULL || strcmp(version, YS_VERSION) != 0)
		return ys_ctl_reply_error(
		        req->id, YS_CTL_E_INVALID_ARGUMENT,
		        "secondary version %s differs from the primary's %s: "
		        "run binaries of one build",
		        version ? version : "(none)", YS_VERSION);
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
	/* Nothing joins half way through a reload (it would miss either
	 * phase) or a shutdown (it would never be told to stop). */
	if (srv->reload_in_flight || srv->p->shutdown_started ||
	    srv->p->shutdown_deadline_tsc != 0)
		return ys_ctl_reply_error(
		        req->id, YS_CTL_E_UNAVAILABLE,
		        srv->reload_in_flight
		                ? "a config.reload is in progress; retry"
		                : "the primary is stopping");
	if (slot_busy(srv, (uint32_t)id))
		return ys_ctl_reply_error(
		        req->id, YS_CTL_E_INVALID_ARGUMENT,
		        "secondary %lld is already running (pid %d)",
		        (long long)id, shm->slots[id].pid);
	if (srv->slot_owner[id] != NULL)
		ctl_slot_release(srv, (uint32_t)id, "its process is gone");
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
	/*
	 * Secondaries never lock out operators, nor vice versa. A connection
	 * that lost its slot to a successor and registers again is no
	 * longer counted: decrementing again would wrap n_clients and lock
	 * every operator out.
	 */
	if (c->probation) {
		c->probation = 0;
		srv->n_probation--;
	}
	if (c->counted) {
		c->counted = 0;
		srv->n_clients--;
	}
	/* A secondary is never idle-timed out: its connection is its life;
	 * and its answers may exceed a request line (max_line()). */
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	rte_smp_wmb();
	slot->state = YS_SEC_RUNNING;
	ys_registry_joined(srv->p, (uint32_t)id);
	YS_INFO("secondary %lld registered (pid %d, lcore %lld)", (long long)id,
	        slot->pid, (long long)lcore);
	return ys_ctl_reply_ok(req->id, register_result(srv, (uint32_t)id));
}

/*
 * secondary.stopping: a registered secondary stops cleanly (SIGTERM) and
 * says so on its way out; its exit is then not counted as a death.
 */
json_t *ctl_cmd_stopping(struct ctl_client *c, const struct ys_ctl_request *req)
{
	struct ys_secondary_slot *slot;

	if (c->secondary_id < 0)
		return ys_ctl_reply_error(req->id, YS_CTL_E_INVALID_ARGUMENT,
		                          "only a registered secondary's "
		                          "connection may say it stops");
	slot = &c->srv->p->shm->slots[c->secondary_id];
	if (slot->state == YS_SEC_RUNNING)
		slot->state = YS_SEC_DRAINING;
	return ys_ctl_reply_ok(req->id, json_object());
}

/* ---- forwarded commands ------------------------------------------------ */

/* The request's args minus what the primary consumes itself. */
static json_t *forward_args(const struct ys_ctl_request *req)
{
	json_t *args = json_deep_copy(req->args);

	json_object_del(args, "secondary");
	json_object_del(args, "timeout_ms");
	return args;
}

/* Reply to a forwarded request: the secondaries' entries. */
static json_t *envelope_done(struct ctl_op *op)
{
	return ys_ctl_reply_ok(op->req_id, ctl_op_envelope(op));
}

/*
 * The arguments the primary itself reads from a forwarded command: the
 * error reply for a bad one, or NULL.
 */
static json_t *forward_args_error(const struct ctl_client *c,
                                  const struct ys_ctl_request *req)
{
	if (ctl_secondary_arg(c->srv, req) < -1)
		return ctl_bad_secondary(c->srv, req);
	if (ctl_fwd_timeout(req) < 0)
		return ctl_bad_timeout(req);
	return NULL;
}

/* Forward `cmd` with the request's own arguments; the secondaries check
 * the rest. */
static json_t *forward_cmd(struct ctl_client *c,
                           const struct ys_ctl_request *req, const char *cmd,
                           ctl_op_done_fn done)
{
	json_t *err = forward_args_error(c, req);

	if (err != NULL)
		return err;
	return ctl_forward(c->srv, c, req->id, ctl_secondary_arg(c->srv, req),
	                   cmd, forward_args(req), ctl_fwd_timeout(req), done,
	                   NULL);
}

json_t *ctl_cmd_arp(struct ctl_client *c, const struct ys_ctl_request *req)
{
	return forward_cmd(c, req, "arp", envelope_done);
}

json_t *ctl_cmd_routes(struct ctl_client *c, const struct ys_ctl_request *req)
{
	return forward_cmd(c, req, "routes", envelope_done);
}

json_t *ctl_cmd_conns(struct ctl_client *c, const struct ys_ctl_request *req)
{
	return forward_cmd(c, req, "conns", envelope_done);
}

/* ---- log.level --------------------------------------------------------- */

static json_t *log_level_done(struct ctl_op *op)
{
	json_t *r = ctl_op_envelope(op);

	json_object_set_new(r, "primary",
	                    json_string(ys_log_level_str(ys_log_get_level())));
	return ys_ctl_reply_ok(op->req_id, r);
}

/*
 * log.level [level] [secondary]: without `secondary` the primary and
 * every secondary; with it, that secondary only. Without `level`, each
 * reports its level.
 */
json_t *ctl_cmd_log_level(struct ctl_client *c,
                          const struct ys_ctl_request *req)
{
	json_t *v = json_object_get(req->args, "level"), *reply;
	enum ys_log_level level;

	if (v != NULL &&
	    (!json_is_string(v) ||
	     ys_log_level_parse(json_string_value(v), &level) != 0))
		return ys_ctl_reply_error(
		        req->id, YS_CTL_E_INVALID_ARGUMENT,
		        "level must be one of err, warn, info, debug");
	/* Nothing changes anywhere unless every argument is good. */
	reply = forward_args_error(c, req);
	if (reply != NULL)
		return reply;
	if (v != NULL && json_object_get(req->args, "secondary") == NULL) {
		ys_log_set_level(level);
		YS_INFO("log level set to %s", ys_log_level_str(level));
	}
	return forward_cmd(c, req, "log.level", log_level_done);
}

/* ---- drain and shutdown ------------------------------------------------- */

#define DRAIN_DEFAULT_MS 30000
#define DRAIN_MAX_MS     3600000

/*
 * Secondaries that agreed to stop are `draining` until they exit; their
 * exit is then expected, not a death (registry.c).
 */
static void mark_draining(struct ctl_op *op)
{
	struct ys_shared *shm = op->srv->p->shm;

	for (uint32_t k = 0; k < shm->n_secondaries; k++)
		if (op->entries[k] != NULL &&
		    json_is_true(json_object_get(op->entries[k], "ok")) &&
		    shm->slots[k].state == YS_SEC_RUNNING &&
		    shm->slots[k].registrations == op->asked_registrations[k])
			shm->slots[k].state = YS_SEC_DRAINING;
}

static json_t *drain_done(struct ctl_op *op)
{
	mark_draining(op);
	return envelope_done(op);
}

/*
 * drain [secondary] [deadline_ms]: each secondary stops accepting, lets
 * its connections finish, and exits 0 once they have, or at the
 * deadline (it closes what is left).
 */
json_t *ctl_cmd_drain(struct ctl_client *c, const struct ys_ctl_request *req)
{
	int deadline = ctl_int_arg(req, "deadline_ms", 0, DRAIN_MAX_MS,
	                           DRAIN_DEFAULT_MS);

	if (deadline < 0)
		return ys_ctl_reply_error(req->id, YS_CTL_E_INVALID_ARGUMENT,
		                          "deadline_ms must be an integer in "
		                          "0..%d",
		                          DRAIN_MAX_MS);
	/* The secondaries get it explicitly, default or not. */
	json_object_set_new(req->args, "deadline_ms", json_integer(deadline));
	return forward_cmd(c, req, "drain", drain_done);
}

void ys_primary_stop_after_secondaries(struct ys_primary *p)
{
	if (p->shutdown_deadline_tsc == 0)
		p->shutdown_deadline_tsc =
		        rte_rdtsc() +
		        rte_get_tsc_hz() * YS_SHUTDOWN_WAIT_MS / 1000;
}

static json_t *shutdown_done(struct ctl_op *op)
{
	struct ys_primary *p = op->srv->p;
	int n = 0;

	mark_draining(op);
	for (uint32_t k = 0; k < YS_MAX_SECONDARIES; k++)
		n += op->entries[k] != NULL &&
		     json_is_true(json_object_get(op->entries[k], "ok"));
	ys_primary_stop_after_secondaries(p);
	return ys_ctl_reply_ok(op->req_id, json_pack("{s:b, s:i}", "stopping",
	                                             1, "secondaries", n));
}

/*
 * shutdown: every secondary stops (exit 0), then the primary, once they
 * are gone or after YS_SHUTDOWN_WAIT_MS: stopping secondaries first
 * leaves nothing attached to the shared memory the primary frees.
 */
json_t *ctl_cmd_shutdown(struct ctl_client *c, const struct ys_ctl_request *req)
{
	YS_INFO("shutdown requested over the control socket");
	return ctl_forward(c->srv, c, req->id, -1, "shutdown", NULL,
	                   CTL_FWD_TIMEOUT_MS, shutdown_done, NULL);
}

void ys_ctl_shutdown(struct ys_primary *p)
{
	json_t *r;

	if (p->ctl == NULL) {
		ys_primary_stop_after_secondaries(p);
		return;
	}
	r = ctl_forward(p->ctl, NULL, NULL, -1, "shutdown", NULL,
	                CTL_FWD_TIMEOUT_MS, shutdown_done, NULL);
	if (r != CTL_ASYNC) { /* out of memory: stop without them */
		json_decref(r);
		ys_primary_stop_after_secondaries(p);
	}
}
