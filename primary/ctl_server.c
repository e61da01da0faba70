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
#include <grp.h>

#include "ctl.h"
#include "ys_log.h"

#define CTL_MAX_CLIENTS           128 /* not counting registered secondaries */
#define CTL_IDLE_TIMEOUT_SEC      60  /* for clients that are not secondaries */
#define CTL_CLOSE_TIMEOUT_SEC     10  /* to flush the last reply */
#define CTL_LINES_PER_READ        8   /* then let the datapath run */
#define CTL_OUTPUT_CAP            (256 * 1024) /* unread replies per client */
#define CTL_BACKLOG               512 /* kernel caps it at net.core.somaxconn */
#define CTL_INPUT_CAP             (2 * YS_CTL_MAX_LINE + 2) /* unparsed input */
#define CTL_PROBATION             4 /* beyond one per secondary, see accept_cb */
#define CTL_PROBATION_TIMEOUT_SEC 2

/* ---- dispatch and connections ----------------------------------------- */

static const struct {
	const char *name;
	ctl_handler fn;
} commands[] = {
        {"status", ctl_cmd_status},
        {"ports", ctl_cmd_ports},
        {"secondaries", ctl_cmd_secondaries},
        {"stats", ctl_cmd_stats},
        {"stats.reset", ctl_cmd_stats_reset},
        {"arp", ctl_cmd_arp},
        {"routes", ctl_cmd_routes},
        {"conns", ctl_cmd_conns},
        {"config.show", ctl_cmd_config_show},
        {"config.validate", ctl_cmd_config_validate},
        {"config.reload", ctl_cmd_config_reload},
        {"log.level", ctl_cmd_log_level},
        {"drain", ctl_cmd_drain},
        {"shutdown", ctl_cmd_shutdown},
        {"secondary.register", ctl_cmd_register},
        {"secondary.stopping", ctl_cmd_stopping},
};

/*
 * A line from a registered secondary that carries "ok" is its answer to
 * a forwarded request (ctl_forward.c), not a request of its own.
 */
static bool route_secondary_reply(struct ctl_client *c, const char *line,
                                  size_t len)
{
	json_t *msg;

	if (c->secondary_id < 0)
		return false;
	msg = json_loadb(line, len, 0, NULL);
	if (!json_is_object(msg) || json_object_get(msg, "ok") == NULL) {
		json_decref(msg);
		return false;
	}
	ctl_fwd_reply(c->srv, (uint32_t)c->secondary_id, msg);
	json_decref(msg);
	return true;
}

/*
 * Answer one request line: the reply to send, NULL when there is none
 * (a secondary's answer), or CTL_ASYNC (the reply comes later).
 */
json_t *ctl_handle_line(struct ctl_client *c, const char *line, size_t len)
{
	struct ys_ctl_request req;
	json_t *reply = NULL;

	if (route_secondary_reply(c, line, len))
		return NULL;
	if (ys_ctl_request_parse(line, len, &req, &reply) != 0)
		return reply;
	if (c->probation && strcmp(req.cmd, "status") != 0 &&
	    strcmp(req.cmd, "secondary.register") != 0) {
		reply = ys_ctl_reply_error(
		        req.id, YS_CTL_E_UNAVAILABLE,
		        "%d control clients are connected: this connection may "
		        "only ask for status or register a secondary",
		        CTL_MAX_CLIENTS);
		ys_ctl_request_free(&req);
		return reply;
	}
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

	ctl_fwd_client_gone(c);
	if (k >= 0 && srv->slot_owner[k] == c)
		ctl_slot_release(srv, (uint32_t)k, "control connection closed");
	bufferevent_free(c->bev);
	TAILQ_REMOVE(&srv->clients, c, next);
	if (c->counted)
		srv->n_clients--;
	if (c->probation)
		srv->n_probation--;
	free(c);
}

void ctl_send_reply(struct ctl_client *c, json_t *reply)
{
	size_t len;
	char *line = ys_ctl_encode_reply(reply, &len);

	if (line == NULL)
		return;
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
	ctl_send_reply(
	        c, ys_ctl_reply_error(NULL, YS_CTL_E_BAD_REQUEST, "%s", why));
	start_closing(c);
}

static int output_full(const struct ctl_client *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev)) >=
	       CTL_OUTPUT_CAP;
}

static bool has_line(struct ctl_client *c)
{
	return evbuffer_search_eol(bufferevent_get_input(c->bev), NULL, NULL,
	                           EVBUFFER_EOL_LF)
	               .pos >= 0;
}

/* Secondaries are trusted peers whose answers may be large. */
static size_t max_line(const struct ctl_client *c)
{
	return c->secondary_id >= 0 ? YS_CTL_MAX_REPLY : YS_CTL_MAX_LINE;
}

/*
 * A client that has shut down its side is answered to the end (its
 * forwarded request, every complete line it sent), then dropped once
 * the replies are out. Returns true when `c` was freed.
 */
static bool finish_half_closed(struct ctl_client *c)
{
	if (!c->peer_eof || c->op != NULL || has_line(c))
		return false;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		client_free(c);
		return true;
	}
	start_closing(c); /* write_cb frees it once flushed */
	return false;
}

/*
 * Answer at most CTL_LINES_PER_READ requests per call, so a client that
 * pipelines thousands of requests cannot hold the datapath, and stop
 * reading while CTL_OUTPUT_CAP bytes of replies wait for a client that
 * does not read them (write_cb resumes). While a request waits on the
 * secondaries nothing more is answered (ctl_client_resume() resumes).
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
	while (!c->closing && c->op == NULL && !output_full(c) &&
	       handled < CTL_LINES_PER_READ &&
	       (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (len > max_line(c)) {
			reject_and_close(c, "request line too long");
		} else {
			json_t *reply = ctl_handle_line(c, line, len);

			if (reply != NULL && reply != CTL_ASYNC)
				ctl_send_reply(c, reply);
			/* On probation: one request, then goodbye. */
			if (c->probation && c->secondary_id < 0)
				start_closing(c);
		}
		free(line);
		handled++;
	}
	if (c->closing || c->op != NULL || finish_half_closed(c))
		return;
	if (output_full(c)) {
		bufferevent_disable(bev, EV_READ);
		return;
	}
	if (has_line(c))
		/* More complete lines: answer them on a later loop turn. */
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
	else if (evbuffer_get_length(in) > max_line(c))
		reject_and_close(c, "request line too long");
}

/* A forwarded request of the client's is in flight: no idle timeout. */
void ctl_client_hold(struct ctl_client *c)
{
	bufferevent_set_timeouts(c->bev, NULL, NULL);
}

void ctl_client_resume(struct ctl_client *c)
{
	struct timeval idle = {CTL_IDLE_TIMEOUT_SEC, 0};

	if (c->closing)
		return;
	if (c->secondary_id < 0)
		bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
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
	if (c->peer_eof) { /* nothing more to read: answer what is left */
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
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
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR)) {
		c->peer_eof = 1;
		bufferevent_disable(bev, EV_READ);
		if (c->closing) {
			if (evbuffer_get_length(bufferevent_get_output(bev)) ==
			    0)
				client_free(c);
			return;
		}
		if (!finish_half_closed(c))
			bufferevent_trigger(bev, EV_READ,
			                    BEV_TRIG_DEFER_CALLBACKS);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		client_free(c);
}

/* Who is on the other end, by the kernel's word (SO_PEERCRED). */
static void peer_cred(struct ctl_client *c, evutil_socket_t fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	c->peer_pid = 0;
	c->peer_uid = (uid_t)-1;
	c->peer_gid = (gid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return;
	c->peer_pid = cred.pid;
	c->peer_uid = cred.uid;
	c->peer_gid = cred.gid;
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
	/*
	 * Past CTL_MAX_CLIENTS a few more connections are taken on
	 * probation: one `status` or `secondary.register` each, so that
	 * operators holding every slot never lock secondaries out.
	 */
	if (srv->n_clients >= CTL_MAX_CLIENTS &&
	    srv->n_probation >= srv->p->shm->n_secondaries + CTL_PROBATION) {
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
	peer_cred(c, fd);
	if (srv->n_clients < CTL_MAX_CLIENTS) {
		c->counted = 1;
		srv->n_clients++;
	} else {
		c->probation = 1;
		srv->n_probation++;
		idle.tv_sec = CTL_PROBATION_TIMEOUT_SEC;
	}
	TAILQ_INSERT_TAIL(&srv->clients, c, next);
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	/* Idle, or not reading its replies: dropped after a while. */
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	/*
	 * Input is bounded while a request waits on secondaries (nothing is
	 * read off the buffer then): the kernel holds the rest.
	 */
	bufferevent_setwatermark(c->bev, EV_READ, 0, CTL_INPUT_CAP);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* ---- socket ------------------------------------------------------------ */

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

/*
 * control.group: the group that may use the socket (mode 0660) and
 * enter the directories we created for it (mode 0750). Returns the gid,
 * (gid_t)-1 for "leave ours", or -errno with the reason logged.
 */
static int resolve_group(const char *name, gid_t *gid)
{
	struct group *g;
	char *end;
	unsigned long n;

	*gid = (gid_t)-1;
	if (name[0] == '\0')
		return 0;
	n = strtoul(name, &end, 10);
	if (*end == '\0' && end != name) {
		*gid = (gid_t)n;
		return 0;
	}
	g = getgrnam(name);
	if (g == NULL) {
		YS_ERR("control.group: no group named '%s'", name);
		return -ENOENT;
	}
	*gid = g->gr_gid;
	return 0;
}

static int apply_group(const char *path, gid_t gid)
{
	if (gid == (gid_t)-1)
		return 0;
	if (chown(path, (uid_t)-1, gid) != 0) {
		YS_ERR("control.group: chown %s to gid %u: %s", path,
		       (unsigned)gid, strerror(errno));
		return -errno;
	}
	return 0;
}

static int listen_socket(struct ys_ctl_server *srv, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memcpy(sa.sun_path, path, strlen(path) + 1);
	srv->listener = evconnlistener_new_bind(
	        srv->p->base, accept_cb, srv,
	        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, CTL_BACKLOG,
	        (struct sockaddr *)&sa, sizeof(sa));
	if (srv->listener == NULL) {
		YS_ERR("cannot listen on control socket %s: %s", path,
		       strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * mkdir -p of the socket's directory. Directories we create are mode
 * 0750 and get control.group, so that group can reach the socket and
 * nobody else can; existing ones are left as the operator made them.
 */
static int make_parent_dirs(const char *path, gid_t gid)
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
		if (mkdir(dir, 0750) == 0) {
			if (apply_group(dir, gid) != 0)
				return -EPERM;
		} else if (errno != EEXIST) {
			YS_ERR("cannot create %s: %s", dir, strerror(errno));
			return -errno;
		}
		*s = '/';
	}
	return 0;
}

struct ys_ctl_server *ys_ctl_server_start(struct ys_primary *p)
{
	const char *path = p->cfg.control.socket;
	struct ys_ctl_server *srv;
	mode_t old_mask;
	gid_t gid;
	int rc;

	if (strlen(path) >= sizeof(srv->path)) {
		YS_ERR("control socket path %s too long", path);
		return NULL;
	}
	if (resolve_group(p->cfg.control.group, &gid) != 0 ||
	    make_parent_dirs(path, gid) != 0 || remove_stale_socket(path) != 0)
		return NULL;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return NULL;
	srv->p = p;
	TAILQ_INIT(&srv->clients);
	TAILQ_INIT(&srv->ops);
	srv->base.reset_tsc = p->shm->start_tsc;
	srv->arp_queue_total_sized = p->cfg.arp.queue_total;
	memcpy(srv->path, path, strlen(path) + 1);
	/* Created 0660 from the start: no window with wider permissions. */
	old_mask = umask(0117);
	rc = listen_socket(srv, path);
	umask(old_mask);
	if (rc == 0 && (apply_group(path, gid) != 0 || chmod(path, 0660) != 0))
		rc = -EPERM;
	if (rc == 0)
		rc = ctl_config_init(srv);
	if (rc != 0) {
		ys_ctl_server_stop(srv);
		return NULL;
	}
	YS_INFO("control socket %s (mode 0660%s%s)", path,
	        gid != (gid_t)-1 ? ", group " : "", p->cfg.control.group);
	return srv;
}

bool ys_ctl_server_flushed(const struct ys_ctl_server *srv)
{
	const struct ctl_client *c;

	if (srv == NULL)
		return true;
	TAILQ_FOREACH(c, &srv->clients, next)
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
		return false;
	return true;
}

void ys_ctl_server_stop(struct ys_ctl_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->listener != NULL) {
		evconnlistener_free(srv->listener);
		unlink(srv->path);
	}
	ctl_fwd_stop(srv);
	while (!TAILQ_EMPTY(&srv->clients))
		client_free(TAILQ_FIRST(&srv->clients));
	json_decref(srv->config_json);
	free(srv);
}
