/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stack counters compared one by one, every difference named, for the
 * unit tests of proto/ (include after cmocka.h).
 */
#ifndef YS_TEST_STATS_H
#define YS_TEST_STATS_H

#include <inttypes.h>
#include <stdbool.h>

#include "ys_stack.h"

/* Fails the test when any counter or drop reason differs. */
static inline void ys_test_check_stack_stats(const struct ys_stack_stats *got,
                                             const struct ys_stack_stats *want)
{
	bool bad = false;
	int r;

#define YS_X_CMP(name, help)                                                   \
	if (got->name != want->name) {                                         \
		print_error("counter %s: got %" PRIu64 ", want %" PRIu64 "\n", \
		            #name, got->name, want->name);                     \
		bad = true;                                                    \
	}
	YS_STACK_COUNTERS(YS_X_CMP)
#undef YS_X_CMP
	for (r = 0; r < YS_STACK_DROP_MAX; r++) {
		if (got->drops[r] != want->drops[r]) {
			print_error("drop %s: got %" PRIu64 ", want %" PRIu64
			            "\n",
			            ys_stack_drop_str(r), got->drops[r],
			            want->drops[r]);
			bad = true;
		}
	}
	if (bad)
		fail();
}

#endif /* YS_TEST_STATS_H */
