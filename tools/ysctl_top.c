/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ysctl top: once a second, `stats` and `conns` (limit 0), and per
 * secondary the rx and tx packets per second, drops per second (stack
 * drops + tx_ring_full + tx_queue_full) and open connections.
 *
 * Rates are counter deltas over the measured interval between two
 * `stats` replies on a monotonic clock, never an assumed second. The
 * first refresh has no previous sample, so its rates are "-" (null in
 * --json); so is a rate whose counter went backwards (a `stats reset`
 * in between). Connections are "-" where that secondary's conns entry
 * failed, or everywhere when conns itself failed: top goes on.
 *
 * The screen is cleared (ANSI) only when stdout is a terminal; --json
 * prints one compact object per refresh. --count N stops after N
 * refreshes; SIGINT stops it with exit 0.
 */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ysctl.h"

#define TOP_INTERVAL_MS 1000

/* Set by SIGINT; the one piece of state a signal handler can reach. */
static volatile sig_atomic_t top_stop;

static void on_sigint(int sig)
{
	(void)sig;
	top_stop = 1;
}

struct top_sample {
	int64_t t_ms;  /* when the stats reply arrived */
	json_t *stats; /* stats result */
	json_t *conns; /* conns result, NULL when conns failed */
};

static void sample_free(struct top_sample *s)
{
	json_decref(s->stats);
	json_decref(s->conns);
	memset(s, 0, sizeof(*s));
}

/* conns' failure (an error reply) only blanks the connections column. */
static int sample_conns(struct ysctl *c, json_t **conns)
{
	json_t *args = json_pack("{s:i}", "limit", 0), *reply, *result;
	int rc;

	*conns = NULL;
	ysctl_add_timeout(c, args);
	rc = ysctl_request(c, "conns", args, &reply);
	if (rc != EXIT_OK)
		return rc;
	if (json_is_true(json_object_get(reply, "ok"))) {
		result = json_object_get(reply, "result");
		*conns = json_incref(result);
	}
	json_decref(reply);
	return EXIT_OK;
}

static int sample_take(struct ysctl *c, struct top_sample *s)
{
	int rc = ysctl_call(c, "stats", NULL, &s->stats);

	if (rc != EXIT_OK)
		return rc;
	s->t_ms = ysctl_now_ms();
	return sample_conns(c, &s->conns);
}

static json_t *find_by_id(json_t *array, json_t *id)
{
	json_t *v;
	size_t i;

	json_array_foreach(array, i, v)
	{
		if (json_equal(json_object_get(v, "id"), id))
			return v;
	}
	return NULL;
}

/* Per second from two readings; null without a previous reading or when
 * the counter went backwards (reset). */
static json_t *rate(json_t *prev, json_int_t before, json_int_t now,
                    int64_t dt_ms)
{
	if (prev == NULL || dt_ms <= 0 || now < before)
		return json_null();
	return json_integer((json_int_t)llround((double)(now - before) *
	                                        1000.0 / (double)dt_ms));
}

static json_t *connections(const struct top_sample *s, json_t *id)
{
	json_t *e, *total;

	if (s->conns == NULL)
		return json_null();
	e = find_by_id(json_object_get(s->conns, "secondaries"), id);
	total = json_object_get(json_object_get(e, "result"), "total");
	if (!json_is_true(json_object_get(e, "ok")) || !json_is_integer(total))
		return json_null();
	return json_incref(total);
}

static json_t *top_row(const struct top_sample *prev,
                       const struct top_sample *cur, json_t *v)
{
	json_t *id = json_object_get(v, "id");
	/* NULL on the first refresh: no previous stats. */
	json_t *p = find_by_id(json_object_get(prev->stats, "secondaries"), id);
	int64_t dt = cur->t_ms - prev->t_ms;

	return json_pack(
	        "{s:O?, s:s, s:o, s:o, s:o, s:o}", "id", id, "state",
	        ysctl_sval(v, "state"), "rx_pps",
	        rate(p, ysctl_ival(p, "rx_packets"),
	             ysctl_ival(v, "rx_packets"), dt),
	        "tx_pps",
	        rate(p, ysctl_ival(p, "tx_packets"),
	             ysctl_ival(v, "tx_packets"), dt),
	        "drops_ps",
	        rate(p, ysctl_secondary_drops(p), ysctl_secondary_drops(v), dt),
	        "connections", connections(cur, id));
}

/* One refresh as JSON: what --json prints and the table shows. */
static json_t *top_frame(const struct top_sample *prev,
                         const struct top_sample *cur, long n)
{
	json_t *rows = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(cur->stats, "secondaries"), i, v)
	        json_array_append_new(rows, top_row(prev, cur, v));
	return json_pack("{s:i, s:o, s:o}", "refresh", (int)n, "interval_ms",
	                 prev->stats ? json_integer(cur->t_ms - prev->t_ms)
	                             : json_null(),
	                 "secondaries", rows);
}

static void top_print(json_t *frame, int tty)
{
	static const char *const heads[] = {"SECONDARY", "STATE",
	                                    "RX-PPS",    "TX-PPS",
	                                    "DROPS/S",   "CONNECTIONS"};
	json_t *ms = json_object_get(frame, "interval_ms"), *v;
	struct ysctl_table t;
	size_t i;

	if (tty)
		fputs("\033[H\033[2J", stdout); /* home, clear screen */
	else if (ysctl_ival(frame, "refresh") > 1)
		putchar('\n');
	printf("ysctl top: refresh %" JSON_INTEGER_FORMAT ", interval ",
	       ysctl_ival(frame, "refresh"));
	if (json_is_integer(ms))
		printf("%" JSON_INTEGER_FORMAT " ms\n", json_integer_value(ms));
	else
		puts("-");
	ysctl_table_init(&t, heads, "rlrrrr");
	json_array_foreach(json_object_get(frame, "secondaries"), i, v)
	{
		ysctl_cell_num(&t, json_object_get(v, "id"));
		ysctl_cell_str(&t, v, "state");
		ysctl_cell_num(&t, json_object_get(v, "rx_pps"));
		ysctl_cell_num(&t, json_object_get(v, "tx_pps"));
		ysctl_cell_num(&t, json_object_get(v, "drops_ps"));
		ysctl_cell_num(&t, json_object_get(v, "connections"));
	}
	ysctl_table_print(&t);
}

static void top_show(const struct ysctl *c, const struct top_sample *prev,
                     const struct top_sample *cur, long n, int tty)
{
	json_t *frame = top_frame(prev, cur, n);

	if (c->json) {
		json_dumpf(frame, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		putchar('\n');
	} else {
		top_print(frame, tty);
	}
	fflush(stdout);
	json_decref(frame);
}

static void catch_sigint(void)
{
	struct sigaction sa;

	/* No SA_RESTART: the sleep between refreshes ends at once. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

static int top_loop(struct ysctl *c, int tty)
{
	struct top_sample prev = {0}, cur = {0};
	int64_t next = ysctl_now_ms();
	int rc = EXIT_OK;

	for (long n = 1; !top_stop; n++) {
		rc = sample_take(c, &cur);
		if (rc != EXIT_OK)
			break;
		top_show(c, &prev, &cur, n, tty);
		sample_free(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
		if ((c->seen & YSCTL_O_COUNT) && n >= c->count)
			break;
		/* Keep the cadence; after a slow reply, restart it. */
		next += TOP_INTERVAL_MS;
		if (next < ysctl_now_ms())
			next = ysctl_now_ms() + TOP_INTERVAL_MS;
		while (!top_stop && ysctl_sleep_until(next) != 0)
			;
	}
	sample_free(&prev);
	sample_free(&cur);
	return top_stop ? EXIT_OK : rc;
}

int ysctl_top(struct ysctl *c, json_t *unused)
{
	(void)unused;
	catch_sigint();
	return top_loop(c, isatty(STDOUT_FILENO));
}
