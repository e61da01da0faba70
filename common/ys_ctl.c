/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ys_ctl.h"

static const char *const err_names[] = {
        [YS_CTL_E_BAD_REQUEST] = "bad_request",
        [YS_CTL_E_UNKNOWN_COMMAND] = "unknown_command",
        [YS_CTL_E_INVALID_ARGUMENT] = "invalid_argument",
        [YS_CTL_E_NOT_FOUND] = "not_found",
        [YS_CTL_E_CONFIG_INVALID] = "config_invalid",
        [YS_CTL_E_TIMEOUT] = "timeout",
        [YS_CTL_E_UNAVAILABLE] = "unavailable",
        [YS_CTL_E_INTERNAL] = "internal",
};

const char *ys_ctl_err_str(enum ys_ctl_err code)
{
	if ((unsigned)code >= sizeof(err_names) / sizeof(err_names[0]))
		return "internal";
	return err_names[code];
}

json_t *ys_ctl_reply_ok(json_t *id, json_t *result)
{
	return json_pack("{s:O, s:b, s:o}", "id", id ? id : json_null(), "ok",
	                 1, "result", result ? result : json_object());
}

/*
 * Length of the valid UTF-8 sequence at s (RFC 3629 section 4: no
 * overlongs, no surrogates, nothing above U+10FFFF), or 0.
 */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Error messages quote what the client sent (jansson's "near '...'"),
 * and vsnprintf may cut a multibyte character: jansson refuses invalid
 * UTF-8, and the client would get no error reply at all. Every byte that
 * does not start a valid sequence becomes '?'.
 */
static void utf8_sanitize(char *str)
{
	unsigned char *s = (unsigned char *)str;

	while (*s != '\0') {
		size_t n = utf8_seq_len(s);

		if (n == 0)
			*s++ = '?';
		else
			s += n;
	}
}

json_t *ys_ctl_reply_error(json_t *id, enum ys_ctl_err code, const char *fmt,
                           ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	utf8_sanitize(msg);
	return json_pack("{s:O, s:b, s:{s:s, s:s}}", "id",
	                 id ? id : json_null(), "ok", 0, "error", "code",
	                 ys_ctl_err_str(code), "message", msg);
}

int ys_ctl_request_parse(const char *line, size_t len,
                         struct ys_ctl_request *req, json_t **err_reply)
{
	json_error_t jerr;
	json_t *root, *id, *cmd, *args;

	memset(req, 0, sizeof(*req));
	*err_reply = NULL;
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		*err_reply = ys_ctl_reply_error(NULL, YS_CTL_E_BAD_REQUEST,
		                                "invalid JSON at column %d: %s",
		                                jerr.column, jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		*err_reply = ys_ctl_reply_error(NULL, YS_CTL_E_BAD_REQUEST,
		                                "request must be an object");
		goto fail;
	}
	id = json_object_get(root, "id");
	if (id != NULL && !json_is_integer(id)) {
		*err_reply = ys_ctl_reply_error(NULL, YS_CTL_E_BAD_REQUEST,
		                                "\"id\" must be an integer");
		goto fail;
	}
	cmd = json_object_get(root, "cmd");
	if (!json_is_string(cmd) || json_string_length(cmd) == 0) {
		*err_reply = ys_ctl_reply_error(
		        id, YS_CTL_E_BAD_REQUEST,
		        "\"cmd\" must be a non-empty string");
		goto fail;
	}
	args = json_object_get(root, "args");
	if (args != NULL && !json_is_object(args)) {
		*err_reply = ys_ctl_reply_error(id, YS_CTL_E_BAD_REQUEST,
		                                "\"args\" must be an object");
		goto fail;
	}
	if (args == NULL) {
		args = json_object();
		json_object_set_new(root, "args", args);
	}
	req->root = root;
	req->id = id ? id : json_null();
	req->cmd = json_string_value(cmd);
	req->args = args;
	return 0;
fail:
	json_decref(root);
	return -EINVAL;
}

void ys_ctl_request_free(struct ys_ctl_request *req)
{
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
}

char *ys_ctl_encode_reply(json_t *reply, size_t *len)
{
	char *line =
	        reply ? ys_ctl_encode_max(reply, len, YS_CTL_MAX_REPLY) : NULL;
	json_t *err;

	if (line == NULL && reply != NULL) {
		err = ys_ctl_reply_error(
		        json_object_get(reply, "id"), YS_CTL_E_INTERNAL,
		        "reply larger than %d bytes", YS_CTL_MAX_REPLY);
		line = ys_ctl_encode(err, len);
		json_decref(err);
	}
	json_decref(reply);
	return line;
}

char *ys_ctl_encode(const json_t *msg, size_t *len)
{
	return ys_ctl_encode_max(msg, len, YS_CTL_MAX_LINE);
}

char *ys_ctl_encode_max(const json_t *msg, size_t *len, size_t max)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	size_t n;
	char *line;

	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	n = strlen(s);
	if (n + 1 > max) {
		free(s);
		errno = EMSGSIZE;
		return NULL;
	}
	line = realloc(s, n + 2);
	if (line == NULL) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The socket is non-blocking: a wedged server whose listen backlog is
 * full makes connect() fail with EAGAIN (retried until the deadline)
 * instead of hanging the caller.
 */
int ys_ctl_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int64_t deadline = now_ms() + YS_CTL_CONNECT_TIMEOUT_MS;
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		if ((e == EAGAIN || e == EINTR) && now_ms() < deadline) {
			poll(NULL, 0, 10);
			continue;
		}
		close(fd);
		return e == EAGAIN ? -ETIMEDOUT : -e;
	}
	return fd;
}

/* Waits for `events` on fd until `deadline`: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int64_t left = deadline - now_ms();
		int rc;

		if (left <= 0)
			return -ETIMEDOUT;
		rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return 0;
		if (rc == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int write_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		int rc;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			rc = wait_fd(fd, POLLOUT, deadline);
			if (rc < 0)
				return rc;
			continue;
		}
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read one line into a malloc'd buffer (without the newline), and not a
 * byte more: the data is peeked first and only the line is consumed, so
 * whatever the peer sends after it stays in the socket for its next
 * reader.
 */
static int read_line(int fd, int64_t deadline, char **out, size_t *out_len)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap), *nb;
	int rc = 0;

	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		char *nl;
		ssize_t n;

		if (len == cap) {
			if (cap >= YS_CTL_MAX_REPLY) {
				rc = -EMSGSIZE;
				break;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = recv(fd, buf + len, cap - len, MSG_PEEK);
		if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
			rc = errno == EAGAIN ? wait_fd(fd, POLLIN, deadline)
			                     : 0;
			if (rc < 0)
				break;
			continue;
		}
		if (n <= 0) {
			rc = n == 0 ? -ECONNRESET : -errno;
			break;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		if (nl != NULL)
			n = nl - (buf + len) + 1;
		/* Consume what was peeked, up to the newline. */
		if (recv(fd, buf + len, (size_t)n, 0) != n) {
			rc = -EIO;
			break;
		}
		len += (size_t)n;
		if (nl != NULL) {
			*out_len = len - 1;
			*out = buf;
			return 0;
		}
	}
	free(buf);
	return rc;
}

int ys_ctl_call(int fd, int64_t id, const char *cmd, json_t *args,
                int timeout_ms, json_t **reply)
{
	int64_t deadline = now_ms() + timeout_ms;
	json_t *req = json_pack("{s:I, s:s}", "id", (json_int_t)id, "cmd", cmd);
	json_t *rep, *rid;
	char *line, *in = NULL;
	size_t len, in_len = 0;
	int rc;

	*reply = NULL;
	if (req == NULL) {
		json_decref(args);
		return -ENOMEM;
	}
	if (args != NULL)
		json_object_set_new(req, "args", args);
	line = ys_ctl_encode(req, &len);
	json_decref(req);
	if (line == NULL)
		return -errno;
	rc = write_all(fd, line, len, deadline);
	free(line);
	if (rc < 0)
		return rc;
	rc = read_line(fd, deadline, &in, &in_len);
	if (rc < 0)
		return rc;
	rep = json_loadb(in, in_len, 0, NULL);
	free(in);
	rid = json_object_get(rep, "id");
	if (!json_is_object(rep) || !json_is_integer(rid) ||
	    json_integer_value(rid) != id) {
		json_decref(rep);
		return -EPROTO;
	}
	*reply = rep;
	return 0;
}
