/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ysctl drain: print what each secondary answered, then (unless
 * --no-wait) watch `secondaries` every 100 ms until every secondary that
 * accepted the drain is "dead" (it exits 0 once its connections are done,
 * at its deadline at the latest), or until the deadline plus 5 s, after
 * which the ones still running are named and ysctl exits 1.
 */
#include <inttypes.h>
#include <string.h>

#include "ysctl.h"

#define DRAIN_POLL_MS  100
#define DRAIN_GRACE_MS 5000 /* past the deadline: exit, reap, report */

void ysctl_print_drain(struct ysctl *c, json_t *r)
{
	static const char *const heads[] = {"SECONDARY", "STATE", "CONNECTIONS",
	                                    "DEADLINE-MS"};
	struct ysctl_table t;
	json_t *e, *res;
	size_t i;

	(void)c;
	ysctl_table_init(&t, heads, "rlrr");
	json_array_foreach(json_object_get(r, "secondaries"), i, e)
	{
		if (!json_is_true(json_object_get(e, "ok")))
			continue;
		res = json_object_get(e, "result");
		ysctl_cell_num(&t, json_object_get(e, "id"));
		ysctl_cell_str(&t, res, "state");
		ysctl_cell_num(&t, json_object_get(res, "connections"));
		ysctl_cell_num(&t, json_object_get(res, "deadline_ms"));
	}
	ysctl_table_print(&t);
	ysctl_print_failures(stdout, r);
}

/* Ids of the secondaries that accepted; *deadline_ms the latest of their
 * deadlines (the requested one when none said). */
static json_t *accepted(const struct ysctl *c, json_t *r,
                        json_int_t *deadline_ms)
{
	json_t *ids = json_array(), *e, *d;
	size_t i;

	*deadline_ms = -1;
	json_array_foreach(json_object_get(r, "secondaries"), i, e)
	{
		if (!json_is_true(json_object_get(e, "ok")))
			continue;
		json_array_append(ids, json_object_get(e, "id"));
		d = json_object_get(json_object_get(e, "result"),
		                    "deadline_ms");
		if (json_is_integer(d) && json_integer_value(d) > *deadline_ms)
			*deadline_ms = json_integer_value(d);
	}
	if (*deadline_ms < 0)
		*deadline_ms = (json_int_t)(c->deadline_s * 1000);
	return ids;
}

static const char *state_of(json_t *secs, json_t *id)
{
	json_t *v;
	size_t i;

	json_array_foreach(secs, i, v)
	{
		if (json_equal(json_object_get(v, "id"), id))
			return ysctl_sval(v, "state");
	}
	return "-";
}

/* Drop from `pending` the ids `secondaries` reports dead. */
static void remove_dead(const struct ysctl *c, json_t *pending, json_t *secs,
                        int64_t t0)
{
	size_t i = 0;

	while (i < json_array_size(pending)) {
		json_t *id = json_array_get(pending, i);

		if (strcmp(state_of(secs, id), "dead") != 0) {
			i++;
			continue;
		}
		if (!c->json)
			printf("secondary %" JSON_INTEGER_FORMAT
			       ": exited after %" PRId64 " ms\n",
			       json_integer_value(id), ysctl_now_ms() - t0);
		json_array_remove(pending, i);
	}
	fflush(stdout);
}

static int report_running(json_t *pending, json_int_t waited_ms)
{
	json_t *id;
	size_t i;

	fputs("ysctl: still running", stderr);
	json_array_foreach(pending, i, id)
	        fprintf(stderr, "%s secondary %" JSON_INTEGER_FORMAT,
	                i ? "," : "", json_integer_value(id));
	fprintf(stderr, " after %" JSON_INTEGER_FORMAT " ms\n", waited_ms);
	return EXIT_CMD;
}

static int poll_until_dead(struct ysctl *c, json_t *pending,
                           json_int_t deadline_ms)
{
	int64_t t0 = ysctl_now_ms();
	int64_t give_up = t0 + deadline_ms + DRAIN_GRACE_MS, next;
	json_t *r;
	int rc;

	for (;;) {
		next = ysctl_now_ms() + DRAIN_POLL_MS;
		rc = ysctl_call(c, "secondaries", ysctl_base_args(c), &r);
		if (rc != EXIT_OK)
			return rc;
		remove_dead(c, pending, json_object_get(r, "secondaries"), t0);
		json_decref(r);
		if (json_array_size(pending) == 0)
			return EXIT_OK;
		if (ysctl_now_ms() >= give_up)
			return report_running(pending, ysctl_now_ms() - t0);
		ysctl_sleep_until(next);
	}
}

int ysctl_drain_wait(struct ysctl *c, json_t *result)
{
	json_int_t deadline_ms;
	json_t *pending;
	int rc;

	if (c->seen & YSCTL_O_NO_WAIT)
		return EXIT_OK;
	pending = accepted(c, result, &deadline_ms);
	if (json_array_size(pending) > 0 && !c->json) {
		printf("waiting up to %" JSON_INTEGER_FORMAT
		       " ms for %zu secondar%s to exit\n",
		       deadline_ms + DRAIN_GRACE_MS, json_array_size(pending),
		       json_array_size(pending) == 1 ? "y" : "ies");
		fflush(stdout);
	}
	rc = json_array_size(pending) ? poll_until_dead(c, pending, deadline_ms)
	                              : EXIT_OK;
	json_decref(pending);
	return rc;
}
