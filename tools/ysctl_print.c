/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ysctl's human output: one printer per command, each given the reply's
 * "result" (docs/control.md). Forwarded commands (arp, routes, conns,
 * log-level, config reload) list the secondaries that answered in their
 * table and one "secondary K: CODE: MESSAGE" line per one that did not.
 */
#include <string.h>

#include "ysctl.h"

/* The result of an envelope entry that is ok, else NULL. */
static json_t *entry_result(json_t *entry)
{
	if (!json_is_true(json_object_get(entry, "ok")))
		return NULL;
	return json_object_get(entry, "result");
}

/* "NAME: key n, key n" for each nonzero integer member of `counters`
 * (an object of counters or of drop reasons), one per line. */
static void print_nonzero(const char *name, json_t *counters)
{
	const char *key;
	json_t *v;

	json_object_foreach(counters, key, v)
	{
		if (json_is_integer(v) && json_integer_value(v) != 0)
			printf("  %s: %s %" JSON_INTEGER_FORMAT "\n", name, key,
			       json_integer_value(v));
	}
}

/* ---- status (unchanged layout: tests and operators read it) ------------ */

static void print_status_ports(json_t *r)
{
	json_t *v;
	size_t i;

	printf("%-8s %4s %-5s %-7s %12s %12s %12s %10s\n", "PORT", "ID", "LINK",
	       "TX-MODE", "RX-PKTS", "TX-PKTS", "DISPATCHED", "DROPS");
	json_array_foreach(json_object_get(r, "ports"), i, v) printf(
	        "%-8s %4" JSON_INTEGER_FORMAT
	        " %-5s %-7s %12" JSON_INTEGER_FORMAT " %12" JSON_INTEGER_FORMAT
	        " %12" JSON_INTEGER_FORMAT " %10" JSON_INTEGER_FORMAT "\n",
	        ysctl_sval(v, "name"), ysctl_ival(v, "port_id"),
	        ysctl_sval(v, "link"), ysctl_sval(v, "tx_mode"),
	        ysctl_ival(v, "rx_packets"), ysctl_ival(v, "tx_packets"),
	        ysctl_ival(v, "dispatched"),
	        ysctl_sum(json_object_get(v, "drops")));
}

static void print_status_secondary(json_t *v)
{
	json_t *st = json_object_get(v, "stack");
	char pid[24] = "-";

	if (json_is_integer(json_object_get(v, "pid")))
		snprintf(pid, sizeof(pid), "%" JSON_INTEGER_FORMAT,
		         ysctl_ival(v, "pid"));
	printf("%-9" JSON_INTEGER_FORMAT " %8s %-9s %5" JSON_INTEGER_FORMAT
	       " %4" JSON_INTEGER_FORMAT " %12" JSON_INTEGER_FORMAT
	       " %12" JSON_INTEGER_FORMAT " %12" JSON_INTEGER_FORMAT
	       " %10" JSON_INTEGER_FORMAT "\n",
	       ysctl_ival(v, "id"), pid, ysctl_sval(v, "state"),
	       ysctl_ival(v, "lcore"), ysctl_ival(v, "cpu"),
	       ysctl_ival(v, "rx_packets"), ysctl_ival(v, "tx_packets"),
	       ysctl_ival(st, "icmp_echo_replies"),
	       ysctl_sum(json_object_get(st, "drops")) +
	               ysctl_ival(v, "tx_ring_full"));
}

void ysctl_print_status(struct ysctl *c, json_t *r)
{
	json_t *pr = json_object_get(r, "primary"), *v;
	size_t i;

	(void)c;
	printf("primary  pid %" JSON_INTEGER_FORMAT
	       "  %s  version %s  uptime %" JSON_INTEGER_FORMAT
	       "s  file prefix %s\n\n",
	       ysctl_ival(pr, "pid"), ysctl_sval(pr, "state"),
	       ysctl_sval(pr, "version"), ysctl_ival(pr, "uptime_s"),
	       ysctl_sval(pr, "file_prefix"));
	json_array_foreach(json_object_get(r, "mempools"), i, v)
	        printf("mempool  %s  in use %" JSON_INTEGER_FORMAT
	               " of %" JSON_INTEGER_FORMAT
	               " (consumers can hold %" JSON_INTEGER_FORMAT ")\n\n",
	               ysctl_sval(v, "name"), ysctl_ival(v, "in_use"),
	               ysctl_ival(v, "size"), ysctl_ival(v, "needed"));
	print_status_ports(r);
	printf("\n%-9s %8s %-9s %5s %4s %12s %12s %12s %10s\n", "SECONDARY",
	       "PID", "STATE", "LCORE", "CPU", "RX-PKTS", "TX-PKTS",
	       "ECHO-REPLIES", "DROPS");
	json_array_foreach(json_object_get(r, "secondaries"), i, v)
	        print_status_secondary(v);
}

/* ---- ports, secondaries ------------------------------------------------ */

void ysctl_print_ports(struct ysctl *c, json_t *r)
{
	static const char *const heads[] = {
	        "PORT",    "ID",      "DEVICE",  "MAC",        "LINK",
	        "TX-MODE", "RX-PKTS", "TX-PKTS", "DISPATCHED", "DROPS"};
	struct ysctl_table t;
	json_t *v;
	size_t i;

	(void)c;
	ysctl_table_init(&t, heads, "lrllllrrrr");
	json_array_foreach(json_object_get(r, "ports"), i, v)
	{
		ysctl_cell_str(&t, v, "name");
		ysctl_cell_num(&t, json_object_get(v, "port_id"));
		ysctl_cell_str(&t, v, "device");
		ysctl_cell_str(&t, v, "mac");
		ysctl_cell_str(&t, v, "link");
		ysctl_cell_str(&t, v, "tx_mode");
		ysctl_cell_num(&t, json_object_get(v, "rx_packets"));
		ysctl_cell_num(&t, json_object_get(v, "tx_packets"));
		ysctl_cell_num(&t, json_object_get(v, "dispatched"));
		ysctl_cell(&t, "%" JSON_INTEGER_FORMAT,
		           ysctl_sum(json_object_get(v, "drops")));
	}
	ysctl_table_print(&t);
}

void ysctl_print_secondaries(struct ysctl *c, json_t *r)
{
	static const char *const heads[] = {
	        "SECONDARY",     "PID",          "STATE",   "LCORE",  "CPU",
	        "REGISTRATIONS", "HEARTBEAT-MS", "RX-PKTS", "TX-PKTS"};
	struct ysctl_table t;
	json_t *v;
	size_t i;

	(void)c;
	ysctl_table_init(&t, heads, "rrlrrrrrr");
	json_array_foreach(json_object_get(r, "secondaries"), i, v)
	{
		ysctl_cell_num(&t, json_object_get(v, "id"));
		ysctl_cell_num(&t, json_object_get(v, "pid"));
		ysctl_cell_str(&t, v, "state");
		ysctl_cell_num(&t, json_object_get(v, "lcore"));
		ysctl_cell_num(&t, json_object_get(v, "cpu"));
		ysctl_cell_num(&t, json_object_get(v, "registrations"));
		ysctl_cell_num(&t, json_object_get(v, "heartbeat_age_ms"));
		ysctl_cell_num(&t, json_object_get(v, "rx_packets"));
		ysctl_cell_num(&t, json_object_get(v, "tx_packets"));
	}
	ysctl_table_print(&t);
}

/* ---- stats ------------------------------------------------------------- */

static void print_stats_ports(json_t *ports)
{
	static const char *const heads[] = {"PORT",    "ID",         "RX-PKTS",
	                                    "TX-PKTS", "DISPATCHED", "DROPS"};
	struct ysctl_table t;
	json_t *v;
	size_t i;

	ysctl_table_init(&t, heads, "lrrrrr");
	json_array_foreach(ports, i, v)
	{
		ysctl_cell_str(&t, v, "name");
		ysctl_cell_num(&t, json_object_get(v, "port_id"));
		ysctl_cell_num(&t, json_object_get(v, "rx_packets"));
		ysctl_cell_num(&t, json_object_get(v, "tx_packets"));
		ysctl_cell_num(&t, json_object_get(v, "dispatched"));
		ysctl_cell(&t, "%" JSON_INTEGER_FORMAT,
		           ysctl_sum(json_object_get(v, "drops")));
	}
	ysctl_table_print(&t);
	json_array_foreach(ports, i, v) print_nonzero(
	        ysctl_sval(v, "name"), json_object_get(v, "drops"));
}

static void print_secondary_drops(json_t *v)
{
	json_t *tx = json_object();
	char name[40];

	snprintf(name, sizeof(name), "secondary %" JSON_INTEGER_FORMAT,
	         ysctl_ival(v, "id"));
	print_nonzero(name,
	              json_object_get(json_object_get(v, "stack"), "drops"));
	json_object_set(tx, "tx_ring_full", json_object_get(v, "tx_ring_full"));
	json_object_set(tx, "tx_queue_full",
	                json_object_get(v, "tx_queue_full"));
	print_nonzero(name, tx);
	json_decref(tx);
}

static void print_stats_secondaries(json_t *secs)
{
	static const char *const heads[] = {"SECONDARY",    "STATE",
	                                    "RX-PKTS",      "TX-PKTS",
	                                    "ECHO-REPLIES", "DROPS"};
	struct ysctl_table t;
	json_t *v;
	size_t i;

	ysctl_table_init(&t, heads, "rlrrrr");
	json_array_foreach(secs, i, v)
	{
		json_t *st = json_object_get(v, "stack");

		ysctl_cell_num(&t, json_object_get(v, "id"));
		ysctl_cell_str(&t, v, "state");
		ysctl_cell_num(&t, json_object_get(v, "rx_packets"));
		ysctl_cell_num(&t, json_object_get(v, "tx_packets"));
		ysctl_cell_num(&t, json_object_get(st, "icmp_echo_replies"));
		ysctl_cell(&t, "%" JSON_INTEGER_FORMAT,
		           ysctl_secondary_drops(v));
	}
	ysctl_table_print(&t);
	json_array_foreach(secs, i, v) print_secondary_drops(v);
}

/* Listeners and clusters: not yet described by the protocol, so each
 * item prints as its scalar members. */
static void print_items(const char *label, json_t *items)
{
	const char *key;
	json_t *v, *m;
	size_t i;

	json_array_foreach(items, i, v)
	{
		printf("%s", label);
		json_object_foreach(v, key, m)
		{
			if (json_is_string(m))
				printf("  %s %s", key, json_string_value(m));
			else if (json_is_integer(m))
				printf("  %s %" JSON_INTEGER_FORMAT, key,
				       json_integer_value(m));
		}
		putchar('\n');
	}
}

void ysctl_print_stats(struct ysctl *c, json_t *r)
{
	(void)c;
	printf("counters since the last reset, %" JSON_INTEGER_FORMAT
	       " s ago\n",
	       ysctl_ival(r, "since_reset_s"));
	print_nonzero("primary", json_object_get(r, "primary"));
	/* No port table without ports. */
	if (json_array_size(json_object_get(r, "ports")) > 0) {
		putchar('\n');
		print_stats_ports(json_object_get(r, "ports"));
	}
	putchar('\n');
	print_stats_secondaries(json_object_get(r, "secondaries"));
	print_items("listener", json_object_get(r, "listeners"));
	print_items("cluster", json_object_get(r, "clusters"));
}

void ysctl_print_stats_reset(struct ysctl *c, json_t *r)
{
	json_t *secs = json_object_get(r, "secondaries"), *v;
	json_int_t ports = ysctl_ival(r, "ports");
	size_t i;

	(void)c;
	printf("reset counters: %" JSON_INTEGER_FORMAT " port%s, ", ports,
	       ports == 1 ? "" : "s");
	if (json_array_size(secs) == 0)
		fputs("no secondaries", stdout);
	else
		printf("secondar%s", json_array_size(secs) == 1 ? "y" : "ies");
	json_array_foreach(secs, i, v)
	        printf("%s%" JSON_INTEGER_FORMAT, i ? ", " : " ",
	               json_integer_value(v));
	putchar('\n');
}

/* ---- forwarded tables: arp, routes, conns ------------------------------ */

typedef void (*ysctl_row_fn)(struct ysctl_table *t, json_t *item);

/* One row per item of result[list] of each secondary that answered,
 * led by its id. */
static void forwarded_table(json_t *r, const char *list,
                            const char *const *heads, const char *align,
                            ysctl_row_fn row)
{
	struct ysctl_table t;
	json_t *e, *res, *v;
	size_t i, j;

	ysctl_table_init(&t, heads, align);
	json_array_foreach(json_object_get(r, "secondaries"), i, e)
	{
		res = entry_result(e);
		json_array_foreach(json_object_get(res, list), j, v)
		{
			ysctl_cell_num(&t, json_object_get(e, "id"));
			row(&t, v);
		}
	}
	ysctl_table_print(&t);
}

static void arp_row(struct ysctl_table *t, json_t *v)
{
	ysctl_cell_str(t, v, "ip");
	ysctl_cell_str(t, v, "mac"); /* null while incomplete: "-" */
	ysctl_cell_str(t, v, "port");
	ysctl_cell_str(t, v, "state");
	ysctl_cell_num(t, json_object_get(v, "age_ms"));
	ysctl_cell_num(t, json_object_get(v, "queued"));
}

void ysctl_print_arp(struct ysctl *c, json_t *r)
{
	static const char *const heads[] = {
	        "SECONDARY", "IP", "MAC", "PORT", "STATE", "AGE-MS", "QUEUED"};

	(void)c;
	forwarded_table(r, "entries", heads, "rllllrr", arp_row);
	ysctl_print_failures(stdout, r);
}

static void route_row(struct ysctl_table *t, json_t *v)
{
	ysctl_cell_str(t, v, "prefix");
	ysctl_cell_str(t, v, "via"); /* null: on-link, "-" */
	ysctl_cell_str(t, v, "port");
	ysctl_cell_str(t, v, "src");
	ysctl_cell_str(t, v, "source");
}

void ysctl_print_routes(struct ysctl *c, json_t *r)
{
	static const char *const heads[] = {"SECONDARY", "PREFIX", "VIA",
	                                    "PORT",      "SRC",    "SOURCE"};

	(void)c;
	forwarded_table(r, "routes", heads, "rlllll", route_row);
	ysctl_print_failures(stdout, r);
}

static void conn_row(struct ysctl_table *t, json_t *v)
{
	ysctl_cell_str(t, v, "proto");
	ysctl_cell_str(t, v, "local");
	ysctl_cell_str(t, v, "remote");
	ysctl_cell_str(t, v, "state");
}

void ysctl_print_conns(struct ysctl *c, json_t *r)
{
	static const char *const heads[] = {"SECONDARY", "PROTO", "LOCAL",
	                                    "REMOTE", "STATE"};
	json_t *e, *res;
	size_t i, shown;

	(void)c;
	forwarded_table(r, "connections", heads, "rllll", conn_row);
	json_array_foreach(json_object_get(r, "secondaries"), i, e)
	{
		res = entry_result(e);
		if (res == NULL)
			continue;
		shown = json_array_size(json_object_get(res, "connections"));
		printf("secondary %" JSON_INTEGER_FORMAT
		       ": %" JSON_INTEGER_FORMAT " connection%s",
		       ysctl_ival(e, "id"), ysctl_ival(res, "total"),
		       ysctl_ival(res, "total") == 1 ? "" : "s");
		if ((json_int_t)shown < ysctl_ival(res, "total"))
			printf(" (%zu shown)", shown);
		putchar('\n');
	}
	ysctl_print_failures(stdout, r);
}

/* ---- config ------------------------------------------------------------ */

void ysctl_print_config_show(struct ysctl *c, json_t *r)
{
	(void)c;
	printf("# %s, generation %" JSON_INTEGER_FORMAT "\n",
	       ysctl_sval(r, "path"), ysctl_ival(r, "generation"));
	/* The file's own key order, not sorted: it reads like the file. */
	json_dumpf(json_object_get(r, "config"), stdout, JSON_INDENT(2));
	putchar('\n');
}

void ysctl_print_config_validate(struct ysctl *c, json_t *r)
{
	(void)c;
	printf("%s: %s\n", ysctl_sval(r, "file"),
	       json_is_true(json_object_get(r, "valid")) ? "valid"
	                                                 : "not valid");
	ysctl_print_list("changed", json_object_get(r, "changed"));
	ysctl_print_list("live", json_object_get(r, "live"));
	ysctl_print_list("restart required",
	                 json_object_get(r, "restart_required"));
}

void ysctl_print_config_reload(struct ysctl *c, json_t *r)
{
	json_t *e;
	size_t i;

	(void)c;
	printf("reloaded %s, generation %" JSON_INTEGER_FORMAT "\n",
	       ysctl_sval(r, "file"), ysctl_ival(r, "generation"));
	ysctl_print_list("changed", json_object_get(r, "changed"));
	ysctl_print_list("applied", json_object_get(r, "applied"));
	ysctl_print_list("restart required",
	                 json_object_get(r, "restart_required"));
	json_array_foreach(json_object_get(r, "secondaries"), i, e)
	{
		if (entry_result(e) != NULL)
			printf("secondary %" JSON_INTEGER_FORMAT ": ok\n",
			       ysctl_ival(e, "id"));
	}
	ysctl_print_failures(stdout, r);
}

/* ---- log-level, shutdown ----------------------------------------------- */

void ysctl_print_log_level(struct ysctl *c, json_t *r)
{
	static const char *const heads[] = {"PROCESS", "LEVEL"};
	struct ysctl_table t;
	json_t *e, *res;
	size_t i;

	(void)c;
	ysctl_table_init(&t, heads, "ll");
	ysctl_cell(&t, "primary");
	ysctl_cell_str(&t, r, "primary");
	json_array_foreach(json_object_get(r, "secondaries"), i, e)
	{
		res = entry_result(e);
		if (res == NULL)
			continue;
		ysctl_cell(&t, "secondary %" JSON_INTEGER_FORMAT,
		           ysctl_ival(e, "id"));
		ysctl_cell_str(&t, res, "level");
	}
	ysctl_table_print(&t);
	ysctl_print_failures(stdout, r);
}

void ysctl_print_shutdown(struct ysctl *c, json_t *r)
{
	json_int_t n = ysctl_ival(r, "secondaries");

	(void)c;
	printf("primary stopping (%" JSON_INTEGER_FORMAT " secondar%s)\n", n,
	       n == 1 ? "y" : "ies");
}
