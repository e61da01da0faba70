/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ysctl: the operator's command line. Speaks the JSON control protocol
 * (docs/control.md) to the primary's unix socket and prints tables, or
 * the raw result with --json. docs/ysctl.md is the manual.
 *
 * Exit codes: 0 ok; 1 the command failed (an error reply, or a
 * secondary's entry of a forwarded command failed); 2 usage; 3 cannot
 * reach the daemon (connect failed or no reply).
 *
 * This file holds the command table, option parsing and the request
 * helpers; the printers are in ysctl_print.c, drain's wait in
 * ysctl_drain.c, top in ysctl_top.c.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ys_ctl.h"
#include "ysctl.h"

#define DEFAULT_SOCKET    "/run/yastack/ys.sock"
#define DEFAULT_TIMEOUT_S 5.0
#define MAX_SECONDS       86400.0
/* Forwarded commands: leave the primary 500 ms to build its reply after
 * the secondaries' time is up, within the protocol's 100..60000 ms. */
#define FORWARD_MARGIN_MS  500
#define FORWARD_MIN_MS     100
#define FORWARD_MAX_MS     60000
#define DEFAULT_DEADLINE_S 30.0

static int print_help(struct ysctl *c, json_t *unused);
static int conns_args(struct ysctl *c, json_t *args);
static int file_args(struct ysctl *c, json_t *args);
static int log_level_args(struct ysctl *c, json_t *args);
static int drain_args(struct ysctl *c, json_t *args);

#define SEC YSCTL_F_SECONDARY
#define FWD YSCTL_F_FORWARDED
#define LOC YSCTL_F_LOCAL

/* Per-secondary commands (-i K) are marked SEC; forwarded ones FWD. */
static const struct ysctl_cmd commands[] = {
        {.words = {"status"},
         .wire = "status",
         .print = ysctl_print_status,
         .help = "the primary, ports and secondaries"},
        {.words = {"ports"},
         .wire = "ports",
         .print = ysctl_print_ports,
         .help = "ports: link, tx mode, packet counters"},
        {.words = {"secondaries"},
         .wire = "secondaries",
         .flags = SEC,
         .print = ysctl_print_secondaries,
         .help = "secondaries: pid, state, heartbeat age"},
        {.words = {"stats"},
         .wire = "stats",
         .flags = SEC,
         .print = ysctl_print_stats,
         .help = "counters since the last reset, drop reasons"},
        {.words = {"stats", "reset"},
         .wire = "stats.reset",
         .flags = SEC,
         .print = ysctl_print_stats_reset,
         .help = "reset the counters"},
        {.words = {"arp"},
         .wire = "arp",
         .flags = SEC | FWD,
         .print = ysctl_print_arp,
         .help = "each secondary's ARP cache"},
        {.words = {"routes"},
         .wire = "routes",
         .flags = SEC | FWD,
         .print = ysctl_print_routes,
         .help = "each secondary's routing table"},
        {.words = {"conns"},
         .wire = "conns",
         .flags = SEC | FWD,
         .opts = YSCTL_O_CONNS,
         .args = conns_args,
         .print = ysctl_print_conns,
         .help = "each secondary's connections"},
        {.words = {"config", "show"},
         .wire = "config.show",
         .print = ysctl_print_config_show,
         .help = "the running configuration"},
        {.words = {"config", "validate"},
         .wire = "config.validate",
         .synopsis = "FILE",
         .min_args = 1,
         .max_args = 1,
         .args = file_args,
         .print = ysctl_print_config_validate,
         .help = "check FILE and what reloading it would change"},
        {.words = {"config", "reload"},
         .wire = "config.reload",
         .flags = FWD,
         .synopsis = "[FILE]",
         .max_args = 1,
         .args = file_args,
         .print = ysctl_print_config_reload,
         .help = "apply FILE (default: the running file again)"},
        {.words = {"log-level"},
         .wire = "log.level",
         .flags = SEC | FWD,
         .synopsis = "[LEVEL]",
         .max_args = 1,
         .args = log_level_args,
         .print = ysctl_print_log_level,
         .help = "show or set the log level (err, warn, info, debug)"},
        {.words = {"drain"},
         .wire = "drain",
         .flags = SEC | FWD,
         .opts = YSCTL_O_DEADLINE | YSCTL_O_NO_WAIT,
         .args = drain_args,
         .print = ysctl_print_drain,
         .run = ysctl_drain_wait,
         .help = "stop accepting, finish connections, exit"},
        {.words = {"shutdown"},
         .wire = "shutdown",
         .print = ysctl_print_shutdown,
         .help = "stop every secondary, then the primary"},
        {.words = {"top"},
         .flags = LOC,
         .opts = YSCTL_O_COUNT,
         .run = ysctl_top,
         .help = "per-secondary packet rates, once a second"},
        {.words = {"help"},
         .flags = LOC,
         .run = print_help,
         .help = "this list"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* ---- help -------------------------------------------------------------- */

void ysctl_usage(FILE *f)
{
	fputs("usage: ysctl [-s SOCKET] [-j] [-i K] [-t SECONDS] COMMAND "
	      "[ARGS...]\n"
	      "  -s, --socket PATH      control socket (default $YS_SOCKET or "
	      "" DEFAULT_SOCKET ")\n"
	      "  -j, --json             print the raw JSON result\n"
	      "  -i, --secondary K      only secondary K (commands marked "
	      "-i)\n"
	      "  -t, --timeout SECONDS  wait this long for a reply (default "
	      "5)\n"
	      "  -h, --help             this list\n"
	      "commands:\n",
	      f);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct ysctl_cmd *k = &commands[i];
		char word[64];

		snprintf(word, sizeof(word), "%s%s%s%s%s", k->words[0],
		         k->words[1] ? " " : "", k->words[1] ? k->words[1] : "",
		         k->synopsis ? " " : "",
		         k->synopsis ? k->synopsis : "");
		fprintf(f, "  %-21s %-3s %s\n", word,
		        k->flags & YSCTL_F_SECONDARY ? "-i" : "", k->help);
	}
	fputs("command options:\n"
	      "  conns  --state S  --local ADDR  --remote ADDR  --limit N\n"
	      "  drain  --deadline SECONDS (default 30)  --no-wait\n"
	      "  top    --count N (stop after N refreshes)\n",
	      f);
}

static int print_help(struct ysctl *c, json_t *unused)
{
	(void)c;
	(void)unused;
	ysctl_usage(stdout);
	return EXIT_OK;
}

/* ---- requests ---------------------------------------------------------- */

int64_t ysctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ysctl_sleep_until(int64_t t_ms)
{
	int64_t left = t_ms - ysctl_now_ms();
	struct timespec ts;

	if (left <= 0)
		return 0;
	ts.tv_sec = left / 1000;
	ts.tv_nsec = (long)(left % 1000) * 1000000;
	return nanosleep(&ts, NULL) == 0 ? 0 : -1;
}

int ysctl_request(struct ysctl *c, const char *wire, json_t *args,
                  json_t **reply)
{
	int timeout_ms = (int)(c->timeout_s * 1000), rc;

	if (c->fd < 0) {
		c->fd = ys_ctl_connect(c->sock);
		if (c->fd < 0) {
			fprintf(stderr,
			        "ysctl: cannot reach the primary at %s: %s\n",
			        c->sock, strerror(-c->fd));
			json_decref(args);
			return EXIT_UNREACHABLE;
		}
	}
	rc = ys_ctl_call(c->fd, c->next_id++, wire, args, timeout_ms, reply);
	if (rc == 0)
		return EXIT_OK;
	if (rc == -ETIMEDOUT)
		fprintf(stderr, "ysctl: no reply from %s within %d ms\n",
		        c->sock, timeout_ms);
	else
		fprintf(stderr, "ysctl: no reply from %s: %s\n", c->sock,
		        strerror(-rc));
	close(c->fd);
	c->fd = -1;
	return EXIT_UNREACHABLE;
}

int ysctl_result(json_t *reply, json_t **result)
{
	json_t *err;

	if (json_is_true(json_object_get(reply, "ok"))) {
		*result = json_object_get(reply, "result");
		return EXIT_OK;
	}
	err = json_object_get(reply, "error");
	fprintf(stderr, "ysctl: %s: %s\n", ysctl_sval(err, "code"),
	        ysctl_sval(err, "message"));
	*result = NULL;
	return EXIT_CMD;
}

int ysctl_call(struct ysctl *c, const char *wire, json_t *args, json_t **result)
{
	json_t *reply;
	int rc = ysctl_request(c, wire, args, &reply);

	*result = NULL;
	if (rc != EXIT_OK)
		return rc;
	rc = ysctl_result(reply, result);
	json_incref(*result);
	json_decref(reply);
	return rc;
}

json_t *ysctl_base_args(const struct ysctl *c)
{
	json_t *args = json_object();

	if (c->secondary >= 0)
		json_object_set_new(args, "secondary",
		                    json_integer(c->secondary));
	return args;
}

/* ---- command arguments ------------------------------------------------- */

/* JSON strings are UTF-8: anything else is the caller's mistake. */
static int set_str(json_t *args, const char *key, const char *v)
{
	if (json_object_set_new(args, key, json_string(v)) == 0)
		return 0;
	fprintf(stderr, "ysctl: %s '%s' is not valid UTF-8\n", key, v);
	return EXIT_USAGE;
}

static int conns_args(struct ysctl *c, json_t *args)
{
	int rc = 0;

	if (c->seen & YSCTL_O_STATE)
		rc = set_str(args, "state", c->state);
	if (rc == 0 && (c->seen & YSCTL_O_LOCAL))
		rc = set_str(args, "local", c->local);
	if (rc == 0 && (c->seen & YSCTL_O_REMOTE))
		rc = set_str(args, "remote", c->remote);
	if (c->seen & YSCTL_O_LIMIT)
		json_object_set_new(args, "limit", json_integer(c->limit));
	return rc;
}

/* The primary may run in another directory: send an absolute path. */
static int file_args(struct ysctl *c, json_t *args)
{
	char *abs;
	int rc;

	if (c->argc == 0)
		return 0;
	abs = realpath(c->argv[0], NULL);
	if (abs == NULL) {
		fprintf(stderr, "ysctl: config file %s: %s\n", c->argv[0],
		        strerror(errno));
		return EXIT_USAGE;
	}
	rc = set_str(args, "file", abs);
	free(abs);
	return rc;
}

/* The primary judges the level: it knows which ones it has. */
static int log_level_args(struct ysctl *c, json_t *args)
{
	return c->argc > 0 ? set_str(args, "level", c->argv[0]) : 0;
}

static int drain_args(struct ysctl *c, json_t *args)
{
	if (c->seen & YSCTL_O_DEADLINE)
		json_object_set_new(args, "deadline_ms",
		                    json_integer((json_int_t)llround(
		                            c->deadline_s * 1000)));
	return 0;
}

/* timeout_ms for forwarded commands: what --timeout leaves after the
 * primary's margin, within the protocol's range. */
static json_int_t forward_timeout_ms(const struct ysctl *c)
{
	double ms = c->timeout_s * 1000 - FORWARD_MARGIN_MS;

	if (ms > FORWARD_MAX_MS)
		ms = FORWARD_MAX_MS;
	if (ms < FORWARD_MIN_MS)
		ms = FORWARD_MIN_MS;
	return (json_int_t)ms;
}

void ysctl_add_timeout(const struct ysctl *c, json_t *args)
{
	/* Without --timeout the primary's default (1000 ms) applies. */
	if (c->timeout_given)
		json_object_set_new(args, "timeout_ms",
		                    json_integer(forward_timeout_ms(c)));
}

/* ---- running a command ------------------------------------------------- */

static void print_json(json_t *result)
{
	json_dumpf(result, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
}

static int run_remote(struct ysctl *c)
{
	const struct ysctl_cmd *k = c->cmd;
	json_t *args = ysctl_base_args(c), *result;
	int rc = k->args ? k->args(c, args) : 0, rc2;

	if (rc != 0) {
		json_decref(args);
		return rc;
	}
	if (k->flags & YSCTL_F_FORWARDED)
		ysctl_add_timeout(c, args);
	rc = ysctl_call(c, k->wire, args, &result);
	if (rc != EXIT_OK)
		return rc;
	if (c->json)
		print_json(result);
	else
		k->print(c, result);
	if ((k->flags & YSCTL_F_FORWARDED) && ysctl_any_failed(result)) {
		/* The printers list failures with their table. */
		if (c->json)
			ysctl_print_failures(stderr, result);
		rc = EXIT_CMD;
	}
	if (k->run != NULL) {
		rc2 = k->run(c, result);
		rc = rc2 > rc ? rc2 : rc;
	}
	json_decref(result);
	return rc;
}

/* ---- command line ------------------------------------------------------ */

/* The command whose words start argv, the longest such; *nwords set. */
static const struct ysctl_cmd *find_cmd(int argc, char **argv, int *nwords)
{
	const struct ysctl_cmd *best = NULL;

	*nwords = 0;
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct ysctl_cmd *k = &commands[i];
		int n = k->words[1] ? 2 : 1;

		if (n > argc || n <= *nwords)
			continue;
		if (strcmp(argv[0], k->words[0]) != 0)
			continue;
		if (n == 2 && strcmp(argv[1], k->words[1]) != 0)
			continue;
		best = k;
		*nwords = n;
	}
	return best;
}

/* "config" alone, or "config frob": name the words that may follow. */
static void unknown_cmd(char **argv)
{
	int first = 1;

	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (!commands[i].words[1] ||
		    strcmp(commands[i].words[0], argv[0]) != 0)
			continue;
		if (first)
			fprintf(stderr, "ysctl: %s needs one of:", argv[0]);
		fprintf(stderr, "%s %s", first ? "" : ",",
		        commands[i].words[1]);
		first = 0;
	}
	if (!first) {
		fputc('\n', stderr);
		return;
	}
	fprintf(stderr, "ysctl: unknown command '%s' (see ysctl help)\n",
	        argv[0]);
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_seconds(const char *s, double min, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min ||
	    v > MAX_SECONDS)
		return -1;
	*out = v;
	return 0;
}

enum {
	OPT_STATE = 256,
	OPT_LOCAL,
	OPT_REMOTE,
	OPT_LIMIT,
	OPT_DEADLINE,
	OPT_NO_WAIT,
	OPT_COUNT,
};

static const struct option long_opts[] = {
        {"socket", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"secondary", required_argument, NULL, 'i'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {"state", required_argument, NULL, OPT_STATE},
        {"local", required_argument, NULL, OPT_LOCAL},
        {"remote", required_argument, NULL, OPT_REMOTE},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"deadline", required_argument, NULL, OPT_DEADLINE},
        {"no-wait", no_argument, NULL, OPT_NO_WAIT},
        {"count", required_argument, NULL, OPT_COUNT},
        {NULL, 0, NULL, 0},
};

static int bad_value(const char *opt, const char *v, const char *want)
{
	fprintf(stderr, "ysctl: %s '%s': want %s\n", opt, v, want);
	return EXIT_USAGE;
}

/* Command options: remember the value and that it was given. */
static int parse_cmd_opt(struct ysctl *c, int opt, const char *v)
{
	switch (opt) {
	case OPT_STATE:
		c->state = v;
		c->seen |= YSCTL_O_STATE;
		return 0;
	case OPT_LOCAL:
		c->local = v;
		c->seen |= YSCTL_O_LOCAL;
		return 0;
	case OPT_REMOTE:
		c->remote = v;
		c->seen |= YSCTL_O_REMOTE;
		return 0;
	case OPT_LIMIT:
		c->seen |= YSCTL_O_LIMIT;
		return parse_long(v, 0, INT_MAX, &c->limit)
		               ? bad_value("--limit", v, "an integer >= 0")
		               : 0;
	case OPT_DEADLINE:
		c->seen |= YSCTL_O_DEADLINE;
		return parse_seconds(v, 0, &c->deadline_s)
		               ? bad_value("--deadline", v, "seconds >= 0")
		               : 0;
	case OPT_NO_WAIT:
		c->seen |= YSCTL_O_NO_WAIT;
		return 0;
	case OPT_COUNT:
		c->seen |= YSCTL_O_COUNT;
		return parse_long(v, 1, INT_MAX, &c->count)
		               ? bad_value("--count", v, "an integer >= 1")
		               : 0;
	}
	return EXIT_USAGE;
}

static int parse_opt(struct ysctl *c, int opt, const char *v, char **argv)
{
	switch (opt) {
	case 's':
		c->sock = v;
		return 0;
	case 'j':
		c->json = 1;
		return 0;
	case 'i':
		return parse_long(v, 0, INT_MAX, &c->secondary)
		               ? bad_value("-i", v, "a secondary id >= 0")
		               : 0;
	case 't':
		c->timeout_given = 1;
		return parse_seconds(v, 0.001, &c->timeout_s)
		               ? bad_value("--timeout", v, "seconds > 0")
		               : 0;
	case 'h':
		return -1; /* help: handled by the caller */
	case ':':
		fprintf(stderr, "ysctl: %s needs a value\n", argv[optind - 1]);
		return EXIT_USAGE;
	case '?':
		if (optopt)
			fprintf(stderr, "ysctl: unknown option -%c\n", optopt);
		else
			fprintf(stderr, "ysctl: unknown option %s\n",
			        argv[optind - 1]);
		return EXIT_USAGE;
	}
	return parse_cmd_opt(c, opt, v);
}

/* Options may come before or after the words: getopt permutes argv. */
static int parse_options(struct ysctl *c, int argc, char **argv)
{
	int opt, rc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":s:ji:t:h", long_opts, NULL)) !=
	       -1) {
		rc = parse_opt(c, opt, optarg, argv);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static const char *opt_name(unsigned int bit)
{
	static const char *const names[] = {
	        "--state",    "--local",   "--remote", "--limit",
	        "--deadline", "--no-wait", "--count"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bit == 1u << i)
			return names[i];
	return "?";
}

/* What the command line asks of the chosen command is what it takes. */
static int check_cmd(const struct ysctl *c, const char *name)
{
	const struct ysctl_cmd *k = c->cmd;
	unsigned int extra = c->seen & ~k->opts;

	if (c->secondary >= 0 && !(k->flags & YSCTL_F_SECONDARY)) {
		fprintf(stderr, "ysctl: -i does not apply to %s\n", name);
		return EXIT_USAGE;
	}
	if (extra) {
		fprintf(stderr, "ysctl: %s is not an option of %s\n",
		        opt_name(extra & -extra), name);
		return EXIT_USAGE;
	}
	if (c->argc > k->max_args)
		fprintf(stderr, "ysctl: unexpected argument '%s' ",
		        c->argv[k->max_args]);
	else if (c->argc < k->min_args)
		fprintf(stderr, "ysctl: missing argument ");
	else
		return 0;
	fprintf(stderr, "(usage: ysctl %s%s%s)\n", name, k->synopsis ? " " : "",
	        k->synopsis ? k->synopsis : "");
	return EXIT_USAGE;
}

static int choose_cmd(struct ysctl *c, int argc, char **argv)
{
	char name[64];
	int nwords;

	if (argc == 0) {
		ysctl_usage(stderr);
		return EXIT_USAGE;
	}
	c->cmd = find_cmd(argc, argv, &nwords);
	if (c->cmd == NULL) {
		unknown_cmd(argv);
		return EXIT_USAGE;
	}
	snprintf(name, sizeof(name), "%s%s%s", c->cmd->words[0],
	         nwords > 1 ? " " : "", nwords > 1 ? c->cmd->words[1] : "");
	c->argv = argv + nwords;
	c->argc = argc - nwords;
	return check_cmd(c, name);
}

int main(int argc, char **argv)
{
	struct ysctl c = {
	        .sock = getenv("YS_SOCKET"),
	        .secondary = -1,
	        .timeout_s = DEFAULT_TIMEOUT_S,
	        .deadline_s = DEFAULT_DEADLINE_S,
	        .fd = -1,
	        .next_id = 1,
	};
	int rc;

	if (c.sock == NULL || *c.sock == '\0')
		c.sock = DEFAULT_SOCKET;
	rc = parse_options(&c, argc, argv);
	if (rc < 0)
		return print_help(&c, NULL);
	if (rc == 0)
		rc = choose_cmd(&c, argc - optind, argv + optind);
	if (rc != 0)
		return rc;
	if (c.cmd->flags & YSCTL_F_LOCAL)
		rc = c.cmd->run(&c, NULL);
	else
		rc = run_remote(&c);
	if (c.fd >= 0)
		close(c.fd);
	return rc;
}
