/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ysctl internals: the invocation context, the command table's entry type,
 * the table printer and the helpers the printers share. Private to
 * tools/; the protocol itself is docs/control.md.
 */
#ifndef YSCTL_H
#define YSCTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

enum { EXIT_OK = 0, EXIT_CMD = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

/* Command flags. */
#define YSCTL_F_SECONDARY 0x1u /* accepts -i K */
#define YSCTL_F_FORWARDED 0x2u /* result holds an envelope; timeout_ms */
#define YSCTL_F_LOCAL     0x4u /* runs without a request (help, top) */

/* Command-specific options, as bits of ysctl.seen and ysctl_cmd.opts. */
#define YSCTL_O_STATE    0x01u
#define YSCTL_O_LOCAL    0x02u
#define YSCTL_O_REMOTE   0x04u
#define YSCTL_O_LIMIT    0x08u
#define YSCTL_O_DEADLINE 0x10u
#define YSCTL_O_NO_WAIT  0x20u
#define YSCTL_O_COUNT    0x40u
#define YSCTL_O_CONNS                                                          \
	(YSCTL_O_STATE | YSCTL_O_LOCAL | YSCTL_O_REMOTE | YSCTL_O_LIMIT)

struct ysctl;

struct ysctl_cmd {
	const char *words[2]; /* as typed: {"stats", "reset"} */
	const char *wire;     /* dotted wire name */
	const char *synopsis; /* positional arguments, or NULL */
	const char *help;
	unsigned int flags;     /* YSCTL_F_* */
	unsigned int opts;      /* YSCTL_O_* it accepts */
	int min_args, max_args; /* positional arguments after the words */
	/* Adds the command's own args; 0 or EXIT_USAGE (message printed). */
	int (*args)(struct ysctl *c, json_t *args);
	void (*print)(struct ysctl *c, json_t *result);
	/* Runs after printing (drain's wait) or instead (help, top). */
	int (*run)(struct ysctl *c, json_t *result);
};

/* One invocation: global options, command options, the connection. */
struct ysctl {
	const char *sock;
	int json;         /* --json */
	long secondary;   /* -i K, or -1 */
	double timeout_s; /* --timeout */
	int timeout_given;
	const struct ysctl_cmd *cmd;
	char **argv; /* positional arguments after the command words */
	int argc;
	/* command options, valid where `seen` has their bit */
	unsigned int seen;
	const char *state, *local, *remote;
	long limit, count;
	double deadline_s;
	/* the connection, opened by the first call */
	int fd;
	int64_t next_id;
};

/* ---- requests (ysctl.c) -------------------------------------------- */

/*
 * Send `wire` with `args` (stolen, may be NULL) and return the whole
 * reply in *reply (caller decrefs): EXIT_OK, or EXIT_UNREACHABLE with
 * the reason on stderr.
 */
int ysctl_request(struct ysctl *c, const char *wire, json_t *args,
                  json_t **reply);
/*
 * The result of an ok reply in *result (borrowed from `reply`), or
 * EXIT_CMD with "ysctl: CODE: MESSAGE" on stderr.
 */
int ysctl_result(json_t *reply, json_t **result);
/* ysctl_request + ysctl_result; *result is a new reference. */
int ysctl_call(struct ysctl *c, const char *wire, json_t *args,
               json_t **result);
/* {"secondary": K} when -i was given, else an empty object. */
json_t *ysctl_base_args(const struct ysctl *c);
/* Add "timeout_ms" for a forwarded command when --timeout was given. */
void ysctl_add_timeout(const struct ysctl *c, json_t *args);
/* Milliseconds of a monotonic clock. */
int64_t ysctl_now_ms(void);
/* Sleep until ysctl_now_ms() reaches `t_ms`: 0, or -1 when a signal
 * interrupted the sleep. */
int ysctl_sleep_until(int64_t t_ms);
void ysctl_usage(FILE *f);

/* ---- JSON values (ysctl_table.c) ----------------------------------- */

json_int_t ysctl_ival(json_t *o, const char *key);
/* The string at `key`, or "-" when absent or not a string. */
const char *ysctl_sval(json_t *o, const char *key);
/* Sum of the integer values of an object ({reason: n}). */
json_int_t ysctl_sum(json_t *o);
/* All a secondary dropped (stats/status object): its stack's drop
 * reasons, tx_ring_full and tx_queue_full. */
json_int_t ysctl_secondary_drops(json_t *v);
/* "a, b, c" from an array of strings, "(none)" when empty. */
void ysctl_print_list(const char *label, json_t *array);
/* Print "secondary K: CODE: MESSAGE" to `f` per failed envelope entry. */
void ysctl_print_failures(FILE *f, json_t *result);
/* 1 when any entry of result's envelope has "ok": false. */
int ysctl_any_failed(json_t *result);

/* ---- tables (ysctl_table.c) ---------------------------------------- */

/*
 * An aligned table: upper-case headers, columns as wide as their widest
 * cell, two spaces apart. `align` has one letter per column: 'l' or 'r'
 * (numbers are right-aligned). Cells are added left to right; a row ends
 * after the last column.
 */
#define YSCTL_TABLE_MAX_COLS 16

struct ysctl_table {
	const char *const *heads;
	const char *align;
	size_t ncols, ncells, cap;
	char **cells;
};

void ysctl_table_init(struct ysctl_table *t, const char *const *heads,
                      const char *align);
void ysctl_cell(struct ysctl_table *t, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* An integer cell; "-" when `v` is not a number (null, absent). */
void ysctl_cell_num(struct ysctl_table *t, json_t *v);
/* The string at `key` of `o`, or "-". */
void ysctl_cell_str(struct ysctl_table *t, json_t *o, const char *key);
/* Print to stdout and free the cells. */
void ysctl_table_print(struct ysctl_table *t);

/* ---- printers (ysctl_print.c, ysctl_drain.c, ysctl_top.c) ---------- */

void ysctl_print_status(struct ysctl *c, json_t *r);
void ysctl_print_ports(struct ysctl *c, json_t *r);
void ysctl_print_secondaries(struct ysctl *c, json_t *r);
void ysctl_print_stats(struct ysctl *c, json_t *r);
void ysctl_print_stats_reset(struct ysctl *c, json_t *r);
void ysctl_print_arp(struct ysctl *c, json_t *r);
void ysctl_print_routes(struct ysctl *c, json_t *r);
void ysctl_print_conns(struct ysctl *c, json_t *r);
void ysctl_print_config_show(struct ysctl *c, json_t *r);
void ysctl_print_config_validate(struct ysctl *c, json_t *r);
void ysctl_print_config_reload(struct ysctl *c, json_t *r);
void ysctl_print_log_level(struct ysctl *c, json_t *r);
void ysctl_print_shutdown(struct ysctl *c, json_t *r);
void ysctl_print_drain(struct ysctl *c, json_t *r);

int ysctl_drain_wait(struct ysctl *c, json_t *result);
int ysctl_top(struct ysctl *c, json_t *unused);

#endif /* YSCTL_H */
