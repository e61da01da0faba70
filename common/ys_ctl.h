/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Framing of the control protocol (ARCHITECTURE.md, "Control channel"):
 * newline-delimited JSON over a unix stream socket, one request object
 * per line, one reply per request.
 *
 *   request  {"id": 7, "cmd": "status", "args": {...}}
 *   reply    {"id": 7, "ok": true, "result": {...}}
 *            {"id": 7, "ok": false, "error": {"code": "...", "message": "..."}}
 *
 * Server and client helpers; jansson only, no DPDK, so ysctl links this
 * alone.
 */
#ifndef YS_CTL_H
#define YS_CTL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define YS_CTL_MAX_LINE (64 * 1024) /* bytes in one request line */
/*
 * Bytes in one reply line, and in any line between the primary and a
 * secondary (trusted peers; a reloaded config travels in one). Replies
 * grow with the number of secondaries and their tables, requests do not.
 */
#define YS_CTL_MAX_REPLY          (16 * 1024 * 1024)
#define YS_CTL_CONNECT_TIMEOUT_MS 2000 /* while the listen backlog is full */

enum ys_ctl_err {
	YS_CTL_E_BAD_REQUEST,
	YS_CTL_E_UNKNOWN_COMMAND,
	YS_CTL_E_INVALID_ARGUMENT,
	YS_CTL_E_NOT_FOUND,
	YS_CTL_E_CONFIG_INVALID,
	YS_CTL_E_TIMEOUT,
	YS_CTL_E_UNAVAILABLE,
	YS_CTL_E_INTERNAL,
};

/* The wire name of an error code, e.g. "unknown_command". */
const char *ys_ctl_err_str(enum ys_ctl_err code);

/* A parsed request; `cmd` and `args` point into `root`. */
struct ys_ctl_request {
	json_t *root;
	json_t *id;      /* integer, or JSON null when the request had none */
	const char *cmd; /* dotted command name */
	json_t *args;    /* object; empty when the request had none */
};

/*
 * Parse one request line (without its newline). Returns 0, or -EINVAL
 * with *err_reply set to the error reply to send (caller decrefs).
 */
int ys_ctl_request_parse(const char *line, size_t len,
                         struct ys_ctl_request *req, json_t **err_reply);
void ys_ctl_request_free(struct ys_ctl_request *req);

/* Build replies. `result` is stolen; `id` is borrowed (copied). */
json_t *ys_ctl_reply_ok(json_t *id, json_t *result);
json_t *ys_ctl_reply_error(json_t *id, enum ys_ctl_err code, const char *fmt,
                           ...) __attribute__((format(printf, 3, 4)));

/*
 * Encode `msg` on one line ending in '\n'. Returns a malloc'd string and
 * its length, or NULL (errno set) when it does not fit `max` bytes
 * (ys_ctl_encode: YS_CTL_MAX_LINE, for requests).
 */
char *ys_ctl_encode_max(const json_t *msg, size_t *len, size_t max);
char *ys_ctl_encode(const json_t *msg, size_t *len);

/*
 * Encode `reply` (stolen) for sending, up to YS_CTL_MAX_REPLY; a larger
 * one is replaced by an `internal` error with the same id. NULL only when
 * memory ran out. The caller frees the line.
 */
char *ys_ctl_encode_reply(json_t *reply, size_t *len);

/*
 * Client side. Connect to the unix socket, giving up after
 * YS_CTL_CONNECT_TIMEOUT_MS: a non-blocking fd, or -errno (-ETIMEDOUT,
 * -ENOENT, -ECONNREFUSED...).
 */
int ys_ctl_connect(const char *path);

/*
 * Send one request and wait up to `timeout_ms` (in all) for its reply
 * (at most YS_CTL_MAX_REPLY bytes). Nothing after the reply's line is
 * read: on a connection that stays open (a secondary's registration)
 * what the peer sends next is left in the socket. `args`
 * is stolen (may be NULL). Returns 0 with *reply set (caller decrefs), or
 * -ETIMEDOUT, -ECONNRESET (peer closed), -EPROTO (reply not JSON or id
 * mismatch), -EMSGSIZE, or another -errno.
 */
int ys_ctl_call(int fd, int64_t id, const char *cmd, json_t *args,
                int timeout_ms, json_t **reply);

#endif /* YS_CTL_H */
