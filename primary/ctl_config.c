/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.show, config.validate and config.reload (docs/control.md).
 *
 * The primary keeps the running configuration as JSON. A reload reads
 * the file once, validates it completely (the same loader every process
 * uses), and works out which top-level sections changed. Sections that
 * size or open something at start (eal, ports, secondaries, ...) are
 * reported as needing a restart and keep their running values; the live
 * sections (ys_config_section_live()) are merged into the running JSON,
 * the merge is validated again, and then applied in two phases so that
 * either every running secondary takes it or none does:
 *
 *   config.prepare  each secondary parses and checks the merged config
 *                   and keeps it aside;
 *   config.commit   each swaps it in (cannot fail) — or config.abort,
 *                   when any secondary refused or did not answer.
 *
 * A secondary that is not running then picks the running configuration
 * up when it registers (ctl_cmds.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ys_log.h"

#define CONFIG_MAX_BYTES (1024 * 1024)

/*
 * The whole file as a NUL-terminated string, or NULL with `err` set.
 * Only a regular file, opened non-blocking: a FIFO or a device named by
 * a client must not stall the primary's loop.
 */
/*
 * The primary reads with its own (root) rights on behalf of clients that
 * may have fewer (members of control.group): a file named by a client is
 * opened only if that client could read it itself, by the mode bits for
 * its uid and primary gid, so that errors quoting the file's first bytes
 * leak nothing it could not see anyway.
 */
static bool client_may_read(const struct ctl_client *who, const struct stat *st)
{
	if (who == NULL || who->peer_uid == 0)
		return true;
	if (who->peer_uid == (uid_t)-1)
		return false;
	if (st->st_uid == who->peer_uid)
		return (st->st_mode & S_IRUSR) != 0;
	if (st->st_gid == who->peer_gid)
		return (st->st_mode & S_IRGRP) != 0;
	return (st->st_mode & S_IROTH) != 0;
}

static char *read_config_file(const char *path, const struct ctl_client *who,
                              char *err, size_t err_len)
{
	struct stat before, st;
	char *text = NULL;
	ssize_t n = -1;
	int fd = -1;

	/* Checked before opening: opening a device can have effects (a
	 * watchdog arms on open); checked again after, against a swap. */
	if (stat(path, &before) != 0) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
	} else if (!S_ISREG(before.st_mode)) {
		snprintf(err, err_len, "%s: not a regular file", path);
	} else if (!client_may_read(who, &before)) {
		snprintf(err, err_len, "%s: %s", path, strerror(EACCES));
	} else if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 ||
	           fstat(fd, &st) != 0) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
	} else if (st.st_dev != before.st_dev || st.st_ino != before.st_ino) {
		snprintf(err, err_len, "%s: replaced while being read", path);
	} else if (st.st_size > CONFIG_MAX_BYTES) {
		snprintf(err, err_len, "%s: larger than %d bytes", path,
		         CONFIG_MAX_BYTES);
	} else if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, err_len, "%s: out of memory", path);
	} else if ((n = read(fd, text, (size_t)st.st_size)) < 0) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		free(text);
		return NULL;
	}
	text[n] = '\0'; /* a short read: the file shrank; parsing will tell */
	return text;
}

int ctl_config_init(struct ys_ctl_server *srv)
{
	char err[YS_CFG_ERR_LEN] = "not JSON any more";
	char *text = read_config_file(srv->p->cfg.path, NULL, err, sizeof(err));

	if (text != NULL)
		srv->config_json = json_loads(text, 0, NULL);
	free(text);
	if (srv->config_json == NULL) {
		YS_ERR("cannot keep the running configuration: %s", err);
		return -EIO;
	}
	return 0;
}

json_t *ctl_cmd_config_show(struct ctl_client *c,
                            const struct ys_ctl_request *req)
{
	const struct ys_ctl_server *srv = c->srv;

	return ys_ctl_reply_ok(req->id,
	                       json_pack("{s:s, s:I, s:O}", "path",
	                                 srv->p->cfg.path, "generation",
	                                 (json_int_t)srv->config_generation,
	                                 "config", srv->config_json));
}

/* A candidate configuration: its file, text, JSON and parsed form. */
struct candidate {
	char file[YS_CFG_STR_LEN];
	json_t *json;
	struct ys_config cfg;
	json_t *changed, *live, *restart; /* top-level section names */
};

static void candidate_free(struct candidate *cand)
{
	json_decref(cand->json);
	json_decref(cand->changed);
	json_decref(cand->live);
	json_decref(cand->restart);
	free(cand);
}

static void note_changed(struct candidate *cand, const char *section)
{
	json_array_append_new(cand->changed, json_string(section));
	json_array_append_new(ys_config_section_live(section) ? cand->live
	                                                      : cand->restart,
	                      json_string(section));
}

/* Sort every section that differs from the running one. */
static void diff_sections(const json_t *running, struct candidate *cand)
{
	const char *key;
	json_t *v;

	cand->changed = json_array();
	cand->live = json_array();
	cand->restart = json_array();
	json_object_foreach((json_t *)running, key, v)
	{
		if (!json_equal(v, json_object_get(cand->json, key)))
			note_changed(cand, key);
	}
	json_object_foreach(cand->json, key, v)
	{
		if (json_object_get(running, key) == NULL)
			note_changed(cand, key);
	}
}

/*
 * Read and validate `file`. Returns the candidate, or NULL with *reply
 * set to the error to send.
 */
static struct candidate *load_candidate(const struct ys_ctl_server *srv,
                                        const struct ctl_client *who,
                                        const struct ys_ctl_request *req,
                                        const char *file, json_t **reply)
{
	char err[YS_CFG_ERR_LEN];
	struct candidate *cand = calloc(1, sizeof(*cand));
	char *text = NULL;

	*reply = NULL;
	if (cand == NULL ||
	    (text = read_config_file(file, who, err, sizeof(err))) == NULL ||
	    ys_config_load_string(&cand->cfg, text, file,
	                          (unsigned)sysconf(_SC_NPROCESSORS_ONLN), err,
	                          sizeof(err)) != 0) {
		*reply = ys_ctl_reply_error(req->id, YS_CTL_E_CONFIG_INVALID,
		                            "%s", cand ? err : "out of memory");
		free(text);
		free(cand);
		return NULL;
	}
	cand->json = json_loads(text, 0, NULL);
	free(text);
	snprintf(cand->file, sizeof(cand->file), "%s", file);
	diff_sections(srv->config_json, cand);
	return cand;
}

/* `file` from args: absolute (ysctl resolves relative paths). */
static const char *file_arg(const struct ys_ctl_request *req, json_t **reply)
{
	json_t *v = json_object_get(req->args, "file");

	*reply = NULL;
	if (v == NULL)
		return NULL;
	if (!json_is_string(v) || json_string_value(v)[0] != '/' ||
	    json_string_length(v) >= YS_CFG_STR_LEN) {
		*reply = ys_ctl_reply_error(req->id, YS_CTL_E_INVALID_ARGUMENT,
		                            "file must be an absolute path");
		return NULL;
	}
	return json_string_value(v);
}

json_t *ctl_cmd_config_validate(struct ctl_client *c,
                                const struct ys_ctl_request *req)
{
	json_t *reply;
	const char *file = file_arg(req, &reply);
	struct candidate *cand;

	if (reply != NULL)
		return reply;
	if (file == NULL)
		return ys_ctl_reply_error(req->id, YS_CTL_E_INVALID_ARGUMENT,
		                          "file is required");
	cand = load_candidate(c->srv, c, req, file, &reply);
	if (cand == NULL)
		return reply;
	reply = ys_ctl_reply_ok(req->id,
	                        json_pack("{s:s, s:b, s:O, s:O, s:O}", "file",
	                                  cand->file, "valid", 1, "changed",
	                                  cand->changed, "live", cand->live,
	                                  "restart_required", cand->restart));
	candidate_free(cand);
	return reply;
}

/* ---- config.reload ------------------------------------------------------ */

/*
 * The running JSON with the candidate's live sections in it, validated
 * as a whole (new interfaces may not fit the running ports). NULL with
 * *reply set when it does not.
 */
static json_t *merge_live(const struct ys_ctl_server *srv,
                          const struct ys_ctl_request *req,
                          struct candidate *cand, json_t **reply)
{
	json_t *merged = json_deep_copy(srv->config_json), *name;
	char err[YS_CFG_ERR_LEN] = "out of memory", *text;
	size_t i;
	int rc;

	json_array_foreach(cand->live, i, name)
	{
		const char *key = json_string_value(name);
		json_t *v = json_object_get(cand->json, key);

		if (v != NULL)
			json_object_set(merged, key, v);
		else
			json_object_del(merged, key);
	}
	text = json_dumps(merged, JSON_COMPACT);
	rc = text ? ys_config_load_string(
	                    &cand->cfg, text, cand->file,
	                    (unsigned)sysconf(_SC_NPROCESSORS_ONLN), err,
	                    sizeof(err))
	          : -ENOMEM;
	free(text);
	if (rc == 0 && cand->cfg.arp.queue_total > srv->arp_queue_total_sized) {
		snprintf(
		        err, sizeof(err),
		        "arp.queue_total: %u is more than the %u the mbuf pool "
		        "was sized for; raising it needs a restart",
		        cand->cfg.arp.queue_total, srv->arp_queue_total_sized);
		rc = -EINVAL;
	}
	if (rc != 0) {
		*reply = ys_ctl_reply_error(
		        req->id, YS_CTL_E_CONFIG_INVALID,
		        "%s does not fit the running configuration (sections "
		        "that need a restart keep their running values): %s",
		        cand->file, err);
		json_decref(merged);
		return NULL;
	}
	return merged;
}

/* A failed entry that stops the reload: anything but "not running". */
static const json_t *blocking_failure(const struct ctl_op *op)
{
	for (uint32_t k = 0; k < YS_MAX_SECONDARIES; k++) {
		const json_t *e = op->entries[k];
		const char *code;

		if (e == NULL || json_is_true(json_object_get(e, "ok")))
			continue;
		code = json_string_value(
		        json_object_get(json_object_get(e, "error"), "code"));
		if (code == NULL || strcmp(code, "unavailable") != 0)
			return e;
	}
	return NULL;
}

static json_t *reload_result(struct ctl_op *op, json_t *applied)
{
	json_t *r = json_pack("{s:O, s:I, s:O, s:o, s:O}", "file",
	                      json_object_get(op->data, "file"), "generation",
	                      (json_int_t)op->srv->config_generation, "changed",
	                      json_object_get(op->data, "changed"), "applied",
	                      applied, "restart_required",
	                      json_object_get(op->data, "restart_required"));
	json_t *env = ctl_op_envelope(op);

	json_object_set(r, "secondaries", json_object_get(env, "secondaries"));
	json_decref(env);
	return r;
}

/* Every secondary asked has committed (or left): adopt the config. */
static json_t *commit_done(struct ctl_op *op)
{
	struct ys_ctl_server *srv = op->srv;
	struct ys_primary *p = srv->p;
	json_t *merged = json_object_get(op->data, "merged");
	char err[YS_CFG_ERR_LEN], *text = json_dumps(merged, JSON_COMPACT);
	struct ys_config *cfg = malloc(sizeof(*cfg));

	srv->reload_in_flight = 0;
	if (text != NULL && cfg != NULL &&
	    ys_config_load_string(cfg, text, "merged",
	                          (unsigned)sysconf(_SC_NPROCESSORS_ONLN), err,
	                          sizeof(err)) == 0)
		ys_config_apply_live(&p->cfg, cfg);
	free(text);
	free(cfg);
	json_decref(srv->config_json);
	srv->config_json = json_incref(merged);
	srv->config_generation =
	        (uint64_t)json_integer_value(json_object_get(op->data, "gen"));
	snprintf(p->cfg.path, sizeof(p->cfg.path), "%s",
	         json_string_value(json_object_get(op->data, "file")));
	p->shm->primary_stats.config_reloads++;
	YS_INFO("configuration generation %" PRIu64 " from %s applied",
	        srv->config_generation, p->cfg.path);
	/* A running secondary that did not commit (it missed the deadline:
	 * it commits when it reads the request) shows in its entry, and the
	 * reply's consumer (ysctl) fails on it. */
	if (blocking_failure(op) != NULL) {
		p->shm->primary_stats.config_reload_failures++;
		YS_WARN("configuration generation %" PRIu64
		        ": not every running secondary confirmed the commit",
		        srv->config_generation);
	}
	return ys_ctl_reply_ok(op->req_id,
	                       reload_result(op, json_deep_copy(json_object_get(
	                                                 op->data, "live"))));
}

/*
 * ctl_forward() for a phase of the reload: a phase that could not start
 * (out of memory) ends the reload.
 */
static json_t *reload_phase(struct ys_ctl_server *srv, struct ctl_client *c,
                            json_t *req_id, const char *cmd, json_t *args,
                            int timeout_ms, ctl_op_done_fn done, json_t *data)
{
	json_t *r = ctl_forward(srv, c, req_id, -1, cmd, args, timeout_ms, done,
	                        data);

	if (r != CTL_ASYNC)
		srv->reload_in_flight = 0;
	return r;
}

static enum ys_ctl_err reload_error_code(const char *code)
{
	return code != NULL && strcmp(code, "timeout") == 0
	               ? YS_CTL_E_TIMEOUT
	               : YS_CTL_E_CONFIG_INVALID;
}

/* Every secondary asked has prepared, refused, or missed the deadline. */
static json_t *prepare_done(struct ctl_op *op)
{
	const json_t *bad = blocking_failure(op);
	json_t *args = json_pack("{s:O}", "generation",
	                         json_object_get(op->data, "gen"));
	const char *code, *msg;

	if (bad == NULL)
		return reload_phase(op->srv, op->client, op->req_id,
		                    "config.commit", args, op->timeout_ms,
		                    commit_done, json_incref(op->data));
	code = json_string_value(
	        json_object_get(json_object_get(bad, "error"), "code"));
	msg = json_string_value(
	        json_object_get(json_object_get(bad, "error"), "message"));
	YS_WARN("config.reload aborted: secondary %d: %s",
	        (int)json_integer_value(json_object_get(bad, "id")),
	        msg ? msg : "?");
	/* Nobody waits for the abort: a secondary that missed the prepare
	 * deadline may not answer this either. */
	ctl_notify(op->srv, "config.abort", args);
	op->srv->reload_in_flight = 0;
	op->srv->p->shm->primary_stats.config_reload_failures++;
	/* The parts, not `why`: its cut may split a UTF-8 sequence, which
	 * ys_ctl_reply_error() repairs in its own output. */
	if (msg != NULL && strncmp(msg, "secondary ", 10) == 0)
		return ys_ctl_reply_error(op->req_id, reload_error_code(code),
		                          "%s; nothing was changed", msg);
	return ys_ctl_reply_error(
	        op->req_id, reload_error_code(code),
	        "secondary %d: %s; nothing was changed",
	        (int)json_integer_value(json_object_get(bad, "id")),
	        msg ? msg : "?");
}

/* Nothing live changed: report, apply nothing. */
static json_t *nothing_to_apply(const struct ys_ctl_request *req,
                                const struct ys_ctl_server *srv,
                                const struct candidate *cand)
{
	return ys_ctl_reply_ok(req->id,
	                       json_pack("{s:s, s:I, s:O, s:[], s:O, s:[]}",
	                                 "file", cand->file, "generation",
	                                 (json_int_t)srv->config_generation,
	                                 "changed", cand->changed, "applied",
	                                 "restart_required", cand->restart,
	                                 "secondaries"));
}

json_t *ctl_cmd_config_reload(struct ctl_client *c,
                              const struct ys_ctl_request *req)
{
	struct ys_ctl_server *srv = c->srv;
	int timeout = ctl_fwd_timeout(req);
	json_t *reply, *merged, *data;
	const char *file = file_arg(req, &reply);
	struct candidate *cand;

	if (reply != NULL)
		return reply;
	if (timeout < 0)
		return ctl_bad_timeout(req);
	if (srv->reload_in_flight)
		return ys_ctl_reply_error(req->id, YS_CTL_E_UNAVAILABLE,
		                          "another config.reload is in "
		                          "progress; retry");
	/* The running file is the operator's own (config.show shows it). */
	cand = load_candidate(srv, file ? c : NULL, req,
	                      file ? file : srv->p->cfg.path, &reply);
	if (cand == NULL) {
		srv->p->shm->primary_stats.config_reload_failures++;
		return reply;
	}
	if (json_array_size(cand->live) == 0) {
		reply = nothing_to_apply(req, srv, cand);
		candidate_free(cand);
		return reply;
	}
	merged = merge_live(srv, req, cand, &reply);
	if (merged == NULL) {
		srv->p->shm->primary_stats.config_reload_failures++;
		candidate_free(cand);
		return reply;
	}
	data = json_pack("{s:s, s:o, s:O, s:O, s:O, s:I}", "file", cand->file,
	                 "merged", merged, "changed", cand->changed, "live",
	                 cand->live, "restart_required", cand->restart, "gen",
	                 (json_int_t)(srv->config_generation + 1));
	candidate_free(cand);
	srv->reload_in_flight = 1;
	return reload_phase(srv, c, req->id, "config.prepare",
	                    json_pack("{s:O, s:O}", "generation",
	                              json_object_get(data, "gen"), "config",
	                              json_object_get(data, "merged")),
	                    timeout, prepare_done, data);
}
