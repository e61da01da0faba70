/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the primary's control request dispatcher
 * (primary/ctl_server.c, ctl_forward.c, ctl_status.c, ctl_config.c,
 * ctl_cmds.c) serving an operator and a fake secondary 0 over real
 * connections. fuzz_ctl_request covers the line parser alone.
 *
 * Input: up to MAX_LINES lines ('\n'), each an event picked by its first
 * byte:
 *   's' LINE  secondary 0 sends LINE on its control connection
 *   'a'       secondary 0 answers the oldest forwarded request it was
 *             sent and has not answered: {"id":SEQ,"ok":true,"result":{}}
 *   'r' REST  the same with the answer {"id":SEQ,REST
 *   't'       the deadline of every forwarded request in flight passes
 *   'k'       secondary 0 exits (its connection closes); when it has
 *             exited, it starts again and registers
 *   'z'       secondary 0's process exits, its connection not yet seen
 *             closed (SIGKILL before the server reads the EOF)
 *   'x'       the operator disconnects and a new one connects
 *   'o' LINE  the operator sends LINE
 *   other     the whole line is the operator's
 * "$C" and "$V" stand for the contract and build versions (seeds stay
 * valid across a bump); "$D" in a line stands for this process's directory,
 * which holds the running configuration and others to validate and reload
 * (configs[]).
 *
 * Clients are accepted by the server's own listener (accept_cb). Their
 * lines go to ctl_handle_line() as the server's reader hands them over
 * (the framing is fuzz_ctl_request's), and, as that reader does, a
 * client's lines wait while it has a forwarded request in flight. What
 * the server writes to a client is taken from its output buffer (writing
 * is disabled; it is read when the connection closes), so a run does not
 * depend on socket timing; idle timeouts are off (a fuzzing session
 * outlives them).
 *
 * Checks: every line written is one JSON object. A client gets one reply
 * per request, in request order, carrying the request's id (null where
 * the id was unusable, or for "reply too large"); errors carry a known
 * code and a message; per-secondary lists are in id order; forwarded
 * entries follow docs/control.md ({"id","ok":true,"result"} or
 * {"id","ok":false,"error":{"code","message"}}); forwarded requests go to
 * registered connections only. After each input every deadline is made
 * to pass until nothing is in flight; then no reload may be half done,
 * and the primary's live configuration must be the one config.show
 * reports.
 *
 * State carried over is restored after each input: the registry
 * (secondary 0 registered and running on a live connection, secondary 1
 * not), the running configuration, the log level, the shutdown deadline
 * and the request sequence, so that an input replays the same way.
 *
 * One-time set-up in LLVMFuzzerInitialize: the EAL (ys_test_eal.h), a
 * net_null port plus a port id that does not exist (so `ports` sees a
 * device and rte_eth_* errors), the shared struct in plain memory, a
 * pool, rings and a reassembly table (the registry reaps into them), and
 * the server, its socket and config files in the EAL runtime directory
 * (removed by the ctest entry when a finding aborts the run).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ys_test_eal.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>
#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "../../primary/ctl.h"
#include "../../primary/reasm.h"
#include "ys_log.h"

#define N_SEC      2
#define N_PORTS    2 /* a net_null device and a port id that has none */
#define MAX_LINES  64
#define MAX_ASKED  256       /* forwarded requests secondary 0 remembers */
#define DEAD_PID   INT32_MAX /* above any pid_max: ys_process_gone() */
#define LOOP_TRIES 1000      /* event loop turns to accept or to close */
#define NULL_PORT  "net_null0"
#define NO_PORT    (RTE_MAX_ETHPORTS - 1)

/* A line the client sent that the server has not read yet. */
struct queued {
	char *text;
	size_t len;
};

struct fuzz_client {
	struct ctl_client *c; /* NULL: not connected */
	int fd;               /* our end of the connection */
	bool was_secondary; /* registered at some time: may be sent requests */
	struct queued q[MAX_LINES];
	unsigned q_head, q_n;
	json_t *want; /* ids of the requests not answered yet, in order */
	uint64_t asked[MAX_ASKED]; /* forwarded requests not answered yet */
	unsigned asked_head, asked_n;
};

struct fuzz_env {
	struct ys_primary p;
	struct ys_ctl_server *srv;
	struct ys_config cfg0; /* as loaded at start */
	json_t *config0;       /* its JSON, as config.show reports it */
	char dir[PATH_MAX];    /* the socket and configs[] */
	unsigned ncpus;
	bool trace; /* FUZZ_CTL_TRACE set: print the conversation */
	struct fuzz_client op, sec0;
};

static struct fuzz_env g_env;

/* ---- configuration files ------------------------------------------------ */

/*
 * The running file pins the primary off CPU 0 (as production configs do)
 * where the machine has a second CPU.
 */
#define CFG_FMT                                                                \
	"{\"eal\": {\"file_prefix\": \"ysfuzz\", \"cpu\": %u},\n"              \
	" \"ports\": [{\"name\": \"p0\", \"device\": \"net_null0\"},\n"        \
	"           {\"name\": \"p1\", \"device\": \"net_null1\"}%s],\n"       \
	" \"secondaries\": {\"count\": %u},\n"                                 \
	" \"interfaces\": [%s],\n"                                             \
	" \"control\": {\"socket\": \"%s/ctl.sock\"}}\n"

#define IF_RUNNING                                                             \
	"{\"port\": \"p0\", \"address\": \"198.18.0.2/24\", "                  \
	"\"gateway\": \"198.18.0.1\"}"
#define IF_NEW                                                                 \
	"{\"port\": \"p0\", \"address\": [\"198.18.0.3/24\", "                 \
	"\"198.18.2.3/24\"]}, {\"port\": \"p1\", \"address\": "                \
	"\"198.18.1.2/24\"}"

static const struct {
	const char *name;
	const char *extra_ports; /* after p0 and p1 */
	unsigned count;          /* secondaries */
	const char *interfaces;
} configs[] = {
        {"running.json", "", N_SEC, IF_RUNNING},
        {"same.json", "", N_SEC, IF_RUNNING}, /* nothing changed */
        {"live.json", "", N_SEC, IF_NEW},     /* a live section */
        {"restart.json", "", 1, IF_RUNNING},  /* a restart section */
        {"both.json", "", 1, IF_NEW},         /* one of each */
        {"unknown_port.json", "", N_SEC,      /* a rule broken */
         "{\"port\": \"p9\", \"address\": \"198.18.0.2/24\"}"},
        {"notfit.json", ", {\"name\": \"p2\", \"device\": \"net_null2\"}",
         N_SEC, /* valid alone, not with the running ports */
         "{\"port\": \"p2\", \"address\": \"198.18.0.2/24\"}"},
};

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static void write_configs(struct fuzz_env *e)
{
	char text[4096];
	unsigned cpu = e->ncpus > 1 ? 1 : 0;

	for (size_t i = 0; i < RTE_DIM(configs); i++) {
		snprintf(text, sizeof(text), CFG_FMT, cpu,
		         configs[i].extra_ports, configs[i].count,
		         configs[i].interfaces, e->dir);
		write_file(e->dir, configs[i].name, text);
	}
	write_file(e->dir, "syntax.json",
	           "{\"eal\": {\"cpu\": 0},\n \"ports\"");
}

static void remove_configs(const struct fuzz_env *e)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < RTE_DIM(configs); i++) {
		snprintf(path, sizeof(path), "%s/%s", e->dir, configs[i].name);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/syntax.json", e->dir);
	unlink(path);
}

/* ---- checks on what the server writes ----------------------------------- */

static bool is_error_code(const char *code)
{
	static const char *const codes[] = {
	        "bad_request", "unknown_command", "invalid_argument",
	        "not_found",   "config_invalid",  "timeout",
	        "unavailable", "internal",
	};

	for (size_t i = 0; code != NULL && i < RTE_DIM(codes); i++)
		if (strcmp(code, codes[i]) == 0)
			return true;
	return false;
}

/* {"code": known, "message": string}; its code. */
static const char *check_error(const json_t *err)
{
	const char *code = json_string_value(json_object_get(err, "code"));

	if (!json_is_object(err) || !is_error_code(code) ||
	    !json_is_string(json_object_get(err, "message")))
		abort();
	return code;
}

/*
 * One secondary's entry of a forwarded request (docs/control.md). The
 * error may be the secondary's own: its code is not checked against the
 * primary's list.
 */
static void check_entry(const json_t *entry)
{
	json_t *ok = json_object_get(entry, "ok");
	json_t *err = json_object_get(entry, "error");

	if (!json_is_boolean(ok))
		abort();
	if (json_is_true(ok) && json_object_get(entry, "result") == NULL)
		abort();
	if (!json_is_true(ok) &&
	    (!json_is_string(json_object_get(err, "code")) ||
	     !json_is_string(json_object_get(err, "message"))))
		abort();
}

/*
 * Per-secondary lists (status, secondaries, stats, stats.reset and every
 * forwarded envelope): ids in 0..N_SEC-1, each once, in order.
 */
static void check_result(const json_t *result)
{
	json_t *secs = json_object_get(result, "secondaries"), *s;
	json_int_t last = -1;
	size_t i;

	if (!json_is_array(secs))
		return;
	json_array_foreach(secs, i, s)
	{
		json_t *id = json_is_integer(s) ? s : json_object_get(s, "id");

		if (!json_is_integer(id) || json_integer_value(id) <= last ||
		    json_integer_value(id) >= N_SEC)
			abort();
		last = json_integer_value(id);
		if (json_is_object(s) && json_object_get(s, "ok") != NULL)
			check_entry(s);
	}
}

/* A reply: to the oldest request of this client not answered yet. */
static void check_reply(struct fuzz_client *fc, const json_t *msg)
{
	json_t *want = json_array_get(fc->want, 0);
	json_t *ok = json_object_get(msg, "ok");
	json_t *id = json_object_get(msg, "id");
	bool id_ok;

	if (want == NULL || !json_is_boolean(ok) || id == NULL)
		abort(); /* unasked, or not a reply */
	id_ok = json_equal(id, want);
	if (json_is_true(ok)) {
		if (!id_ok || !json_is_object(json_object_get(msg, "result")))
			abort();
		check_result(json_object_get(msg, "result"));
	} else {
		const char *code = check_error(json_object_get(msg, "error"));

		/* ctl_send_reply(): a reply too large becomes this one. */
		if (!id_ok &&
		    !(json_is_null(id) && strcmp(code, "internal") == 0))
			abort();
	}
	json_array_remove(fc->want, 0);
}

/* A request the primary forwarded: only to a registered connection. */
static void check_forwarded(struct fuzz_env *e, struct fuzz_client *fc,
                            const json_t *msg)
{
	json_t *id = json_object_get(msg, "id");

	/* A notice nobody waits for (ctl_notify: config.abort) has id 0. */
	if (fc->was_secondary && json_is_integer(id) &&
	    json_integer_value(id) == 0 &&
	    json_is_string(json_object_get(msg, "cmd")) &&
	    strcmp(json_string_value(json_object_get(msg, "cmd")),
	           "config.abort") == 0)
		return;
	if (!fc->was_secondary || !json_is_integer(id) ||
	    json_integer_value(id) < 1 ||
	    (uint64_t)json_integer_value(id) > e->srv->next_seq ||
	    !json_is_string(json_object_get(msg, "cmd")) ||
	    !json_is_object(json_object_get(msg, "args")))
		abort();
	if (fc->asked_n == MAX_ASKED) { /* forget the oldest */
		fc->asked_head = (fc->asked_head + 1) % MAX_ASKED;
		fc->asked_n--;
	}
	fc->asked[(fc->asked_head + fc->asked_n++) % MAX_ASKED] =
	        (uint64_t)json_integer_value(id);
}

/*
 * Take and check every line the server wrote to the client. The output
 * buffer's front is frozen (only the bufferevent may drain it): thawed
 * while we read.
 */
static void take_output(struct fuzz_env *e, struct fuzz_client *fc)
{
	struct evbuffer *out;
	size_t len;
	char *line;

	if (fc->c == NULL)
		return;
	out = bufferevent_get_output(fc->c->bev);
	evbuffer_unfreeze(out, 1);
	while ((line = evbuffer_readln(out, &len, EVBUFFER_EOL_LF)) != NULL) {
		json_t *msg =
		        json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);

		if (e->trace)
			fprintf(stderr, "%s < %.*s\n",
			        fc == &e->op ? "op" : "s0", (int)len, line);
		if (!json_is_object(msg))
			abort(); /* not one JSON object per line */
		if (json_object_get(msg, "cmd") != NULL)
			check_forwarded(e, fc, msg);
		else
			check_reply(fc, msg);
		json_decref(msg);
		free(line);
	}
	if (evbuffer_get_length(out) != 0)
		abort(); /* a partial line */
	evbuffer_freeze(out, 1);
}

/* ---- connections -------------------------------------------------------- */

static bool client_present(const struct ys_ctl_server *srv,
                           const struct ctl_client *c)
{
	const struct ctl_client *it;

	TAILQ_FOREACH(it, &srv->clients, next)
	if (it == c)
		return true;
	return false;
}

static struct ctl_client *last_client(const struct ys_ctl_server *srv)
{
	struct ctl_client *it, *last = NULL;

	TAILQ_FOREACH(it, &srv->clients, next)
	last = it;
	return last;
}

/* Connect to the listener and run the loop until accept_cb has us. */
static void client_connect(struct fuzz_env *e, struct fuzz_client *fc)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ctl_client *before = last_client(e->srv), *c = before;

	memcpy(sa.sun_path, e->srv->path, sizeof(sa.sun_path));
	fc->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fc->fd < 0 ||
	    connect(fc->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		abort();
	for (int i = 0; i < LOOP_TRIES && c == before; i++) {
		event_base_loop(e->p.base, EVLOOP_NONBLOCK);
		c = last_client(e->srv);
	}
	if (c == before)
		abort(); /* never accepted */
	fc->c = c;
	fc->was_secondary = false;
	fc->want = json_array();
	/* Replies stay in the output buffer for take_output(). */
	bufferevent_disable(c->bev, EV_WRITE);
	bufferevent_set_timeouts(c->bev, NULL, NULL);
}

static void client_forget(struct fuzz_client *fc)
{
	for (; fc->q_n > 0; fc->q_n--) {
		free(fc->q[fc->q_head].text);
		fc->q_head = (fc->q_head + 1) % MAX_LINES;
	}
	json_decref(fc->want);
	fc->want = NULL;
	fc->asked_n = 0;
	fc->c = NULL;
	fc->fd = -1;
}

/*
 * Close our end and run the loop until the server has freed the client
 * (event_cb, client_free). A registered client closing is a secondary
 * that exited: its pid is gone, so the registry reaps it at once.
 */
static void expire_all(struct fuzz_env *e);

static void client_close(struct fuzz_env *e, struct fuzz_client *fc)
{
	struct ctl_client *c = fc->c;
	int i;

	if (c == NULL)
		return;
	/* The server answers a closed (it cannot tell: half-closed) client
	 * to its last request before it lets go: finish what it waits on
	 * (a reload's phases are one request each, hence the loop). */
	for (i = 0; i < LOOP_TRIES && c->op != NULL; i++)
		expire_all(e);
	if (c->secondary_id >= 0)
		e->p.shm->slots[c->secondary_id].pid = DEAD_PID;
	take_output(e, fc);
	json_array_clear(fc->want); /* it will not read them */
	/* What is still written to it fails (the peer is gone). */
	bufferevent_enable(c->bev, EV_WRITE);
	close(fc->fd);
	for (i = 0; i < LOOP_TRIES && client_present(e->srv, c); i++)
		event_base_loop(e->p.base, EVLOOP_NONBLOCK);
	if (i == LOOP_TRIES)
		abort(); /* the server kept a closed connection */
	client_forget(fc);
}

/* ---- requests ----------------------------------------------------------- */

/* The id a reply to this line carries: the request's, or null. */
static json_t *request_id(const char *line, size_t len)
{
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *id = json_object_get(root, "id");

	id = json_incref(json_is_integer(id) ? id : json_null());
	json_decref(root);
	return id;
}

/* The server reads one line of the client's (read_cb). */
static void serve_line(struct fuzz_env *e, struct fuzz_client *fc,
                       const char *line, size_t len)
{
	struct ctl_client *c = fc->c;
	bool registered = c->secondary_id >= 0;
	json_t *reply;

	if (e->trace)
		fprintf(stderr, "%s > %.*s\n", fc == &e->op ? "op" : "s0",
		        (int)len, line);
	reply = ctl_handle_line(c, line, len);

	if (c->secondary_id >= 0)
		fc->was_secondary = true;
	if (reply == NULL) {
		if (!registered)
			abort(); /* only a secondary's answer gets no reply */
		return;
	}
	json_array_append_new(fc->want, request_id(line, len));
	if (reply != CTL_ASYNC)
		ctl_send_reply(c, reply);
}

/*
 * Serve every line that can be served: a client's lines wait while it
 * has a forwarded request in flight, as read_cb leaves them unread.
 */
static void pump(struct fuzz_env *e)
{
	struct fuzz_client *fcs[] = {&e->op, &e->sec0};
	bool progress = true;

	while (progress) {
		progress = false;
		for (size_t i = 0; i < RTE_DIM(fcs); i++) {
			struct fuzz_client *fc = fcs[i];
			struct queued *q = &fc->q[fc->q_head];

			take_output(e, fc);
			if (fc->c == NULL || fc->c->op != NULL || fc->q_n == 0)
				continue;
			fc->q_head = (fc->q_head + 1) % MAX_LINES;
			fc->q_n--;
			serve_line(e, fc, q->text, q->len);
			free(q->text);
			q->text = NULL;
			progress = true;
		}
	}
	take_output(e, &e->op);
	take_output(e, &e->sec0);
}

/* The client sends `text` (taken); lines of a closed client are lost. */
static void send_line(struct fuzz_client *fc, char *text, size_t len)
{
	if (fc->c == NULL || len > YS_CTL_MAX_LINE || fc->q_n == MAX_LINES) {
		free(text); /* the reader refuses a longer line unread */
		return;
	}
	fc->q[(fc->q_head + fc->q_n++) % MAX_LINES] =
	        (struct queued){.text = text, .len = len};
}

/*
 * What "$X" stands for in a line: D the directory with the test config
 * files, C the contract version, V the build version, so that seeds
 * survive a version bump. NULL: no such token.
 */
static const char *seed_token(const struct fuzz_env *e, uint8_t x)
{
	static char contract[16];

	if (contract[0] == '\0')
		snprintf(contract, sizeof(contract), "%u",
		         (unsigned)YS_CONTRACT_VERSION);
	return x == 'D'   ? e->dir
	       : x == 'C' ? contract
	       : x == 'V' ? YS_VERSION
	                  : NULL;
}

/* `in` with every "$D", "$C" and "$V" expanded; malloc'd. */
static char *expand(const struct fuzz_env *e, const uint8_t *in, size_t len,
                    size_t *out_len)
{
	size_t n = len + 1, o = 0;
	const char *v;
	char *out;

	for (size_t i = 0; i + 1 < len; i++)
		if (in[i] == '$' && (v = seed_token(e, in[i + 1])) != NULL)
			n += strlen(v);
	out = malloc(n);
	if (out == NULL)
		abort();
	for (size_t i = 0; i < len; i++) {
		if (i + 1 < len && in[i] == '$' &&
		    (v = seed_token(e, in[i + 1])) != NULL) {
			memcpy(out + o, v, strlen(v));
			o += strlen(v);
			i++;
		} else {
			out[o++] = (char)in[i];
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

/* Secondary 0's answer to the oldest request it has not answered. */
static void sec0_answer(struct fuzz_env *e, const char *rest, size_t len)
{
	struct fuzz_client *fc = &e->sec0;
	uint64_t seq = 0; /* none pending: an id nobody waits for */
	char head[48];
	size_t hlen;
	char *text;

	if (fc->asked_n > 0) {
		seq = fc->asked[fc->asked_head];
		fc->asked_head = (fc->asked_head + 1) % MAX_ASKED;
		fc->asked_n--;
	}
	hlen = (size_t)snprintf(head, sizeof(head), "{\"id\":%llu,",
	                        (unsigned long long)seq);
	text = malloc(hlen + len + 1);
	if (text == NULL)
		abort();
	memcpy(text, head, hlen);
	memcpy(text + hlen, rest, len);
	text[hlen + len] = '\0';
	send_line(fc, text, hlen + len);
}

/*
 * Secondary 0 starts: connects and registers as ys-secondary does, and
 * exits when it is refused (its slot is held). Returns whether it runs.
 */
static bool sec0_start(struct fuzz_env *e)
{
	struct fuzz_client *fc = &e->sec0;
	char line[256], *text;
	int len;

	client_connect(e, fc);
	len = snprintf(line, sizeof(line),
	               "{\"id\":1,\"cmd\":\"secondary.register\",\"args\":"
	               "{\"id\":0,\"pid\":%d,\"lcore\":1,\"contract\":%u,"
	               "\"version\":\"%s\"}}",
	               (int)getpid(), YS_CONTRACT_VERSION, YS_VERSION);
	text = strdup(line);
	if (text == NULL)
		abort();
	send_line(fc, text, (size_t)len);
	pump(e);
	if (fc->c->secondary_id == 0)
		return true;
	client_close(e, fc);
	return false;
}

/*
 * Every forwarded request's deadline passes: its timer fires now, in the
 * loop, as it would at the deadline. Each must finish (a later phase of
 * config.reload is a new request, with a new seq).
 */
static void expire_all(struct fuzz_env *e)
{
	uint64_t last = e->srv->next_seq;
	struct ctl_op *op;

	TAILQ_FOREACH(op, &e->srv->ops, next)
	event_active(op->timer, EV_TIMEOUT, 1);
	event_base_loop(e->p.base, EVLOOP_NONBLOCK);
	TAILQ_FOREACH(op, &e->srv->ops, next)
	if (op->seq <= last)
		abort(); /* a request outlived its deadline */
}

static void on_event(struct fuzz_env *e, const uint8_t *line, size_t len)
{
	char ev = len > 0 ? (char)line[0] : '\0';
	size_t n;
	char *text;

	switch (ev) {
	case 's':
		text = expand(e, line + 1, len - 1, &n);
		send_line(&e->sec0, text, n);
		break;
	case 'a':
		sec0_answer(e, "\"ok\":true,\"result\":{}}", 22);
		break;
	case 'r':
		text = expand(e, line + 1, len - 1, &n);
		sec0_answer(e, text, n);
		free(text);
		break;
	case 't':
		expire_all(e);
		break;
	case 'k':
		if (e->sec0.c != NULL)
			client_close(e, &e->sec0);
		else
			sec0_start(e);
		break;
	case 'z':
		if (e->sec0.c != NULL && e->sec0.c->secondary_id >= 0)
			e->p.shm->slots[e->sec0.c->secondary_id].pid = DEAD_PID;
		if (e->sec0.c != NULL)
			e->sec0.c->peer_pid = DEAD_PID;
		break;
	case 'x':
		client_close(e, &e->op);
		client_connect(e, &e->op);
		break;
	case 'o':
		text = expand(e, line + 1, len - 1, &n);
		send_line(&e->op, text, n);
		break;
	default:
		text = expand(e, line, len, &n);
		send_line(&e->op, text, n);
		break;
	}
	pump(e);
}

/* ---- after each input --------------------------------------------------- */

/* Let every deadline pass until nothing is in flight or waiting. */
static void settle(struct fuzz_env *e)
{
	for (unsigned round = 0;
	     !TAILQ_EMPTY(&e->srv->ops) || e->op.q_n > 0 || e->sec0.q_n > 0;
	     round++) {
		if (round > 4 * MAX_LINES)
			abort(); /* requests that never finish */
		expire_all(e);
		pump(e);
	}
}

/* The primary runs the live sections that config.show reports. */
static void check_live_config(const struct fuzz_env *e)
{
	struct ys_config *shown = malloc(sizeof(*shown));
	char *text = json_dumps(e->srv->config_json, JSON_COMPACT);
	char err[YS_CFG_ERR_LEN];

	if (shown == NULL || text == NULL)
		abort();
	if (ys_config_load_string(shown, text, "shown", e->ncpus, err,
	                          sizeof(err)) != 0)
		abort(); /* config.show reports a config that does not load */
	if (shown->n_interfaces != e->p.cfg.n_interfaces ||
	    memcmp(shown->interfaces, e->p.cfg.interfaces,
	           sizeof(shown->interfaces)) != 0)
		abort(); /* the primary runs other interfaces */
	free(text);
	free(shown);
}

static void check_clients(const struct fuzz_env *e)
{
	const struct fuzz_client *fcs[] = {&e->op, &e->sec0};

	for (size_t i = 0; i < RTE_DIM(fcs); i++) {
		const struct ctl_client *c = fcs[i]->c;

		if (c == NULL)
			continue;
		if (c->op != NULL || c->closing ||
		    json_array_size(fcs[i]->want) != 0)
			abort(); /* in flight, closed, or a reply missing */
	}
}

/* Secondary 0 registered on a live connection, secondary 1 absent. */
static void restore_registry(struct fuzz_env *e)
{
	struct ys_shared *shm = e->p.shm;

	if (e->op.c->secondary_id >= 0) {
		client_close(e, &e->op);
		client_connect(e, &e->op);
	}
	if (e->sec0.c == NULL || e->sec0.c->secondary_id != 0 ||
	    e->sec0.c->peer_pid != getpid() ||
	    shm->slots[0].state != YS_SEC_RUNNING) {
		client_close(e, &e->sec0);
		if (!sec0_start(e))
			abort(); /* slot 0 is free: registering must work */
	}
	for (uint32_t k = 1; k < N_SEC; k++)
		if (shm->slots[k].state != YS_SEC_DEAD ||
		    e->srv->slot_owner[k] != NULL)
			abort();
	for (uint32_t k = 0; k < N_SEC; k++)
		if (e->p.reap_pending[k])
			abort(); /* a dead secondary not reaped */
	if (e->srv->n_clients != 1)
		abort(); /* the operator is the one client counted */
	if (!TAILQ_EMPTY(&e->srv->ops))
		abort();
}

static void restore(struct fuzz_env *e)
{
	ys_log_set_level(YS_LOG_ERR);
	if (e->srv->reload_in_flight)
		abort(); /* a reload neither committed nor aborted */
	if (e->srv->config_generation != 0) {
		check_live_config(e);
		memcpy(&e->p.cfg, &e->cfg0, sizeof(e->p.cfg));
		json_decref(e->srv->config_json);
		e->srv->config_json = json_deep_copy(e->config0);
		e->srv->config_generation = 0;
	}
	/* Before the registry: a stopping primary refuses registrations. */
	e->p.shutdown_deadline_tsc = 0;
	e->p.shutdown_started = 0;
	restore_registry(e);
	take_output(e, &e->op);
	take_output(e, &e->sec0);
	e->sec0.asked_n = 0;
	e->srv->next_seq = 0;
}

/* ---- set-up ------------------------------------------------------------- */

static void setup_shared(struct fuzz_env *e, uint16_t null_port)
{
	struct ys_primary *p = &e->p;
	struct ys_shared *shm =
	        rte_zmalloc("fz_shm", sizeof(*shm), RTE_CACHE_LINE_SIZE);

	if (shm == NULL)
		abort();
	shm->magic = YS_CONTRACT_MAGIC;
	shm->version = YS_CONTRACT_VERSION;
	shm->shared_size = sizeof(*shm);
	shm->sec_stats_size = sizeof(struct ys_secondary_stats);
	shm->port_stats_size = sizeof(struct ys_port_stats);
	shm->primary_pid = getpid();
	shm->n_secondaries = N_SEC;
	shm->n_ports = N_PORTS;
	shm->reta_size = p->cfg.secondaries.reta_size;
	shm->tsc_hz = rte_get_tsc_hz();
	shm->start_tsc = rte_rdtsc();
	ys_reta_fill(shm->reta, shm->reta_size, N_SEC);
	for (uint16_t i = 0; i < N_PORTS; i++) {
		struct ys_port_info *info = &shm->ports[i];

		snprintf(info->name, sizeof(info->name), "p%u", i);
		snprintf(info->driver, sizeof(info->driver), "net_null");
		info->port_id = i == 0 ? null_port : NO_PORT;
		info->mac.addr_bytes[0] = 0x02;
		info->mac.addr_bytes[5] = (uint8_t)(i + 1);
		info->tx_via_ring = i;
		info->tx_queue_base = 1;
		info->n_tx_queues = i == 0 ? 1 + N_SEC : 1;
		info->n_rx_queues = 1;
		info->mtu = 1500;
		info->rx_offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM;
		info->tx_offloads = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		info->rx_offload_capa = ~UINT64_C(0);
		info->tx_offload_capa = ~UINT64_C(0);
		info->rss_types_capa = ~UINT64_C(0); /* bit 63 set */
		info->rss_key_capa = 40;
	}
	p->shm = shm;
	p->n_ports = N_PORTS;
}

static void setup_datapath(struct fuzz_env *e)
{
	struct ys_primary *p = &e->p;
	char name[32];

	/* No per-lcore cache: a reaped secondary has none to flush. */
	p->pool = rte_pktmbuf_pool_create("fz_ctl_pool", 255, 0, 0,
	                                  RTE_MBUF_DEFAULT_BUF_SIZE,
	                                  SOCKET_ID_ANY);
	p->dispatch.meta_offset = ys_test_register_meta();
	p->dispatch.reasm = ys_reasm_create(&p->cfg.reassembly,
	                                    rte_get_tsc_hz(), SOCKET_ID_ANY);
	if (p->pool == NULL || p->dispatch.meta_offset < 0 ||
	    p->dispatch.reasm == NULL)
		abort();
	ys_pool_plan(&p->cfg, p->shm->ports, &p->pool_plan);
	for (uint32_t k = 0; k < N_SEC; k++) {
		snprintf(name, sizeof(name), "fz_ctl_rx_%u", k);
		p->rx_rings[k] = rte_ring_create(name, 64, SOCKET_ID_ANY,
		                                 RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "fz_ctl_tx_%u", k);
		p->tx_rings[k] = rte_ring_create(name, 64, SOCKET_ID_ANY,
		                                 RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (p->rx_rings[k] == NULL || p->tx_rings[k] == NULL)
			abort();
	}
	ys_reta_lend(p->shm->reta, p->shm->reta_size, p->shm->slots, N_SEC,
	             p->cfg.secondaries.failover, p->live_reta);
}

static void fuzz_fini(void)
{
	struct fuzz_env *e = &g_env;
	struct ys_primary *p = &e->p;

	/* The server frees its clients; ours are only fds then. */
	if (e->op.fd >= 0)
		close(e->op.fd);
	if (e->sec0.fd >= 0)
		close(e->sec0.fd);
	json_decref(e->op.want);
	json_decref(e->sec0.want);
	ys_ctl_server_stop(e->srv);
	/* A bufferevent freed with a deferred callback pending goes then. */
	event_base_loop(p->base, EVLOOP_NONBLOCK);
	json_decref(e->config0);
	event_base_free(p->base);
	ys_reasm_free(p->dispatch.reasm);
	for (uint32_t k = 0; k < N_SEC; k++) {
		rte_ring_free(p->rx_rings[k]);
		rte_ring_free(p->tx_rings[k]);
	}
	rte_mempool_free(p->pool);
	rte_free(p->shm);
	rte_vdev_uninit(NULL_PORT);
	remove_configs(e);
	ys_test_eal_fini();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct fuzz_env *e = &g_env;
	char path[PATH_MAX + 16], err[YS_CFG_ERR_LEN];
	uint16_t null_port;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN); /* writes to a closed client fail */
	ys_log_init("fuzz_ctl_dispatch", YS_LOG_ERR);
	if (ys_test_eal_init("fuzz_ctl_dispatch") != 0)
		abort();
	/* `ports` on a port id with no device: ethdev logs each call. */
	rte_log_set_level_pattern("lib.ethdev", RTE_LOG_CRIT);
	e->ncpus = n > 0 ? (unsigned)n : 1;
	e->trace = getenv("FUZZ_CTL_TRACE") != NULL;
	e->op.fd = e->sec0.fd = -1;
	snprintf(e->dir, sizeof(e->dir), "%s", rte_eal_get_runtime_dir());
	write_configs(e);
	snprintf(path, sizeof(path), "%s/running.json", e->dir);
	if (ys_config_load(&e->p.cfg, path, e->ncpus, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_ctl_dispatch: %s\n", err);
		abort();
	}
	if (rte_vdev_init(NULL_PORT, NULL) != 0 ||
	    rte_eth_dev_get_port_by_name(NULL_PORT, &null_port) != 0)
		abort();
	setup_shared(e, null_port);
	setup_datapath(e);
	e->p.base = event_base_new();
	if (e->p.base == NULL)
		abort();
	e->srv = e->p.ctl = ys_ctl_server_start(&e->p);
	if (e->srv == NULL)
		abort();
	memcpy(&e->cfg0, &e->p.cfg, sizeof(e->cfg0));
	e->config0 = json_deep_copy(e->srv->config_json);
	client_connect(e, &e->op);
	if (!sec0_start(e))
		abort();
	atexit(fuzz_fini);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_env *e = &g_env;
	size_t start = 0;

	for (unsigned lines = 0; start < size && lines < MAX_LINES; lines++) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t end = nl ? (size_t)(nl - data) : size;

		on_event(e, data + start, end - start);
		start = end + 1;
	}
	settle(e);
	check_clients(e);
	restore(e);
	return 0;
}
