/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <sys/time.h>

#include <event2/event.h>
#include <rte_pause.h>

#include "ys_idle.h"

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int ys_idle_init(struct ys_idle *s, struct event_base *base)
{
	s->base = base;
	s->empty_polls = 0;
	s->sleep_us = 0;
	s->wake = evtimer_new(base, wake_cb, s);
	return s->wake ? 0 : -ENOMEM;
}

void ys_idle_fini(struct ys_idle *s)
{
	if (s->wake != NULL)
		event_free(s->wake);
	s->wake = NULL;
}

uint32_t ys_idle_poll(struct ys_idle *s, int worked)
{
	struct timeval tv;

	if (worked) {
		s->empty_polls = 0;
		s->sleep_us = 0;
		return 0;
	}
	if (++s->empty_polls < YS_IDLE_SPINS) {
		rte_pause();
		return 0;
	}
	s->sleep_us = s->sleep_us ? s->sleep_us * 2 : YS_IDLE_MIN_US;
	if (s->sleep_us > YS_IDLE_MAX_US)
		s->sleep_us = YS_IDLE_MAX_US;
	tv.tv_sec = 0;
	tv.tv_usec = s->sleep_us;
	/* Re-adding a pending timer reschedules it: no timers pile up. */
	evtimer_add(s->wake, &tv);
	event_base_loop(s->base, EVLOOP_ONCE);
	return s->sleep_us;
}
