/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ysctl's aligned tables and the JSON accessors its printers share. A
 * missing or mistyped field prints as "-" (or 0 in sums) rather than
 * failing: the primary may be older or newer than this ysctl.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ysctl.h"

json_int_t ysctl_ival(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

const char *ysctl_sval(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

json_int_t ysctl_sum(json_t *o)
{
	const char *k;
	json_t *v;
	json_int_t n = 0;

	json_object_foreach(o, k, v) n += json_integer_value(v);
	return n;
}

json_int_t ysctl_secondary_drops(json_t *v)
{
	json_t *st = json_object_get(v, "stack");

	return ysctl_sum(json_object_get(st, "drops")) +
	       ysctl_ival(v, "tx_ring_full") + ysctl_ival(v, "tx_queue_full");
}

void ysctl_print_list(const char *label, json_t *array)
{
	size_t i;
	json_t *v;

	printf("%s: ", label);
	if (json_array_size(array) == 0)
		fputs("(none)", stdout);
	json_array_foreach(array, i, v)
	        printf("%s%s", i ? ", " : "",
	               json_is_string(v) ? json_string_value(v) : "?");
	putchar('\n');
}

void ysctl_print_failures(FILE *f, json_t *result)
{
	json_t *e, *err;
	size_t i;

	json_array_foreach(json_object_get(result, "secondaries"), i, e)
	{
		if (json_is_true(json_object_get(e, "ok")))
			continue;
		err = json_object_get(e, "error");
		fprintf(f, "secondary %" JSON_INTEGER_FORMAT ": %s: %s\n",
		        ysctl_ival(e, "id"), ysctl_sval(err, "code"),
		        ysctl_sval(err, "message"));
	}
}

int ysctl_any_failed(json_t *result)
{
	json_t *e;
	size_t i;

	json_array_foreach(
	        json_object_get(result, "secondaries"), i,
	        e) if (!json_is_true(json_object_get(e, "ok"))) return 1;
	return 0;
}

void ysctl_table_init(struct ysctl_table *t, const char *const *heads,
                      const char *align)
{
	memset(t, 0, sizeof(*t));
	t->heads = heads;
	t->align = align;
	t->ncols = strlen(align);
	if (t->ncols == 0 || t->ncols > YSCTL_TABLE_MAX_COLS)
		abort(); /* a printer's table is wrong */
}

static void add_cell(struct ysctl_table *t, char *s)
{
	if (t->ncells == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		char **cells = realloc(t->cells, cap * sizeof(*cells));

		if (cells == NULL) {
			/* A command-line tool: out of memory ends it. */
			perror("ysctl");
			exit(EXIT_CMD);
		}
		t->cells = cells;
		t->cap = cap;
	}
	t->cells[t->ncells++] = s;
}

void ysctl_cell(struct ysctl_table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = n < 0 ? NULL : malloc((size_t)n + 1);
	if (s == NULL) {
		perror("ysctl");
		exit(EXIT_CMD);
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	add_cell(t, s);
}

void ysctl_cell_num(struct ysctl_table *t, json_t *v)
{
	if (json_is_integer(v))
		ysctl_cell(t, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		ysctl_cell(t, "%.0f", json_real_value(v));
	else
		ysctl_cell(t, "-");
}

void ysctl_cell_str(struct ysctl_table *t, json_t *o, const char *key)
{
	ysctl_cell(t, "%s", ysctl_sval(o, key));
}

static void print_row(const struct ysctl_table *t, const char *const *row,
                      const size_t *width)
{
	for (size_t j = 0; j < t->ncols; j++) {
		int w = (int)width[j];
		int last = j + 1 == t->ncols;

		if (j > 0)
			fputs("  ", stdout);
		if (t->align[j] == 'r')
			printf("%*s", w, row[j]);
		else if (last) /* no trailing blanks */
			fputs(row[j], stdout);
		else
			printf("%-*s", w, row[j]);
	}
	putchar('\n');
}

void ysctl_table_print(struct ysctl_table *t)
{
	size_t width[YSCTL_TABLE_MAX_COLS] = {0}, i, j;

	for (j = 0; j < t->ncols; j++)
		width[j] = strlen(t->heads[j]);
	for (i = 0; i < t->ncells; i++) {
		size_t n = strlen(t->cells[i]);

		if (n > width[i % t->ncols])
			width[i % t->ncols] = n;
	}
	print_row(t, t->heads, width);
	/* A partly filled last row is a printer bug; it is left out. */
	for (i = 0; i + t->ncols <= t->ncells; i += t->ncols)
		print_row(t, (const char *const *)&t->cells[i], width);
	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->ncells = t->cap = 0;
}
