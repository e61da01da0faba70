/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ysctl: the operator's command line. Speaks the JSON control protocol to
 * the primary's unix socket and prints tables, or the raw result with
 * --json.
 *
 * Exit codes: 0 ok, 1 the command failed (error reply), 2 usage,
 * 3 cannot reach the daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ys_ctl.h"

#define DEFAULT_SOCKET "/run/yastack/ys.sock"
#define TIMEOUT_MS     5000

enum { EXIT_OK = 0, EXIT_CMD = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

struct ysctl_cmd {
	const char *word; /* as typed: "status" */
	const char *wire; /* dotted wire name */
	const char *help;
	void (*print)(json_t *result);
};

static json_int_t ival(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *sval(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static json_int_t sum_drops(json_t *drops)
{
	const char *k;
	json_t *v;
	json_int_t n = 0;

	json_object_foreach(drops, k, v) n += json_integer_value(v);
	return n;
}

static void print_status(json_t *r)
{
	json_t *pr = json_object_get(r, "primary"), *v;
	size_t i;

	printf("primary  pid %" JSON_INTEGER_FORMAT
	       "  %s  version %s  uptime %" JSON_INTEGER_FORMAT
	       "s  file prefix %s\n\n",
	       ival(pr, "pid"), sval(pr, "state"), sval(pr, "version"),
	       ival(pr, "uptime_s"), sval(pr, "file_prefix"));
	json_array_foreach(json_object_get(r, "mempools"), i, v)
	        printf("mempool  %s  in use %" JSON_INTEGER_FORMAT
	               " of %" JSON_INTEGER_FORMAT
	               " (consumers can hold %" JSON_INTEGER_FORMAT ")\n\n",
	               sval(v, "name"), ival(v, "in_use"), ival(v, "size"),
	               ival(v, "needed"));
	printf("%-8s %4s %-5s %-7s %12s %12s %12s %10s\n", "PORT", "ID", "LINK",
	       "TX-MODE", "RX-PKTS", "TX-PKTS", "DISPATCHED", "DROPS");
	json_array_foreach(json_object_get(r, "ports"), i, v) printf(
	        "%-8s %4" JSON_INTEGER_FORMAT
	        " %-5s %-7s %12" JSON_INTEGER_FORMAT " %12" JSON_INTEGER_FORMAT
	        " %12" JSON_INTEGER_FORMAT " %10" JSON_INTEGER_FORMAT "\n",
	        sval(v, "name"), ival(v, "port_id"), sval(v, "link"),
	        sval(v, "tx_mode"), ival(v, "rx_packets"),
	        ival(v, "tx_packets"), ival(v, "dispatched"),
	        sum_drops(json_object_get(v, "drops")));
	printf("\n%-9s %8s %-9s %5s %4s %12s %12s %12s %10s\n", "SECONDARY",
	       "PID", "STATE", "LCORE", "CPU", "RX-PKTS", "TX-PKTS",
	       "ECHO-REPLIES", "DROPS");
	json_array_foreach(json_object_get(r, "secondaries"), i, v)
	{
		json_t *st = json_object_get(v, "stack");
		char pid[16] = "-";

		if (json_is_integer(json_object_get(v, "pid")))
			snprintf(pid, sizeof(pid), "%" JSON_INTEGER_FORMAT,
			         ival(v, "pid"));
		printf("%-9" JSON_INTEGER_FORMAT
		       " %8s %-9s %5" JSON_INTEGER_FORMAT
		       " %4" JSON_INTEGER_FORMAT " %12" JSON_INTEGER_FORMAT
		       " %12" JSON_INTEGER_FORMAT " %12" JSON_INTEGER_FORMAT
		       " %10" JSON_INTEGER_FORMAT "\n",
		       ival(v, "id"), pid, sval(v, "state"), ival(v, "lcore"),
		       ival(v, "cpu"), ival(v, "rx_packets"),
		       ival(v, "tx_packets"), ival(st, "icmp_echo_replies"),
		       sum_drops(json_object_get(st, "drops")) +
		               ival(v, "tx_ring_full"));
	}
}

static const struct ysctl_cmd commands[] = {
        {"status", "status",
         "the primary, ports and secondaries with packet counters",
         print_status},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ysctl [-s SOCKET] [--json] COMMAND\n"
	           "  -s, --socket PATH  control socket (default $YS_SOCKET "
	           "or " DEFAULT_SOCKET ")\n"
	           "  -j, --json         print the raw JSON result\n"
	           "commands:\n"
	           "  help      this list\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].word, commands[i].help);
}

static const struct ysctl_cmd *find_cmd(const char *word)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].word, word) == 0)
			return &commands[i];
	return NULL;
}

static int run(const char *sock, const struct ysctl_cmd *cmd, int json_out)
{
	json_t *reply = NULL, *result, *err;
	int fd = ys_ctl_connect(sock), rc;

	if (fd < 0) {
		fprintf(stderr, "ysctl: cannot reach the primary at %s: %s\n",
		        sock, strerror(-fd));
		return EXIT_UNREACHABLE;
	}
	rc = ys_ctl_call(fd, 1, cmd->wire, NULL, TIMEOUT_MS, &reply);
	close(fd);
	if (rc != 0) {
		fprintf(stderr, "ysctl: no reply from %s: %s\n", sock,
		        strerror(-rc));
		return EXIT_UNREACHABLE;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		err = json_object_get(reply, "error");
		fprintf(stderr, "ysctl: %s: %s\n", sval(err, "code"),
		        sval(err, "message"));
		json_decref(reply);
		return EXIT_CMD;
	}
	result = json_object_get(reply, "result");
	if (json_out) {
		json_dumpf(result, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else {
		cmd->print(result);
	}
	json_decref(reply);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"socket", required_argument, NULL, 's'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *sock = getenv("YS_SOCKET");
	const struct ysctl_cmd *cmd;
	int json_out = 0, c;

	if (sock == NULL || *sock == '\0')
		sock = DEFAULT_SOCKET;
	while ((c = getopt_long(argc, argv, "s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'j':
			json_out = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	cmd = find_cmd(argv[optind]);
	if (cmd == NULL) {
		fprintf(stderr,
		        "ysctl: unknown command '%s' (see ysctl help)\n",
		        argv[optind]);
		return EXIT_USAGE;
	}
	return run(sock, cmd, json_out);
}
