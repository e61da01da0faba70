/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Adaptive idle back-off for the poll loops. Only two busy pollers fit on
 * two cores (TESTBED.md): after a run of empty polls a loop sleeps, in
 * its libevent base so that control events still wake it, for a time
 * that doubles up to YS_IDLE_MAX_US. Any work resets it to spinning.
 */
#ifndef YS_IDLE_H
#define YS_IDLE_H

#include <stdint.h>

#define YS_IDLE_SPINS  512 /* empty polls before the first sleep */
#define YS_IDLE_MIN_US 16
#define YS_IDLE_MAX_US 512

struct event;
struct event_base;

struct ys_idle {
	struct event_base *base;
	struct event *wake; /* a timer that ends a sleep */
	uint32_t empty_polls;
	uint32_t sleep_us;
};

/* Returns 0 or -ENOMEM. */
int ys_idle_init(struct ys_idle *s, struct event_base *base);
void ys_idle_fini(struct ys_idle *s);

/*
 * Account one poll. `worked` is non-zero when the poll found work.
 * Spins (rte_pause) or sleeps in the event base as the policy says, and
 * returns the microseconds slept (0 when it did not sleep). Events that
 * became ready while sleeping have had their callbacks run.
 */
uint32_t ys_idle_poll(struct ys_idle *s, int worked);

#endif /* YS_IDLE_H */
