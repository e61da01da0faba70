/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ys_log.h"

/*
 * Process-wide by nature (one stderr per process); never touched on the
 * packet path, so this is not the per-instance state STYLE.md forbids.
 */
static const char *log_name = "yastack";
static enum ys_log_level log_level = YS_LOG_INFO;

static const char *const level_names[] = {"err", "warn", "info", "debug"};

void ys_log_init(const char *name, enum ys_log_level level)
{
	log_name = name;
	log_level = level;
}

void ys_log_set_level(enum ys_log_level level)
{
	log_level = level;
}

enum ys_log_level ys_log_get_level(void)
{
	return log_level;
}

const char *ys_log_level_str(enum ys_log_level level)
{
	return (unsigned)level <= YS_LOG_DEBUG ? level_names[level] : "?";
}

int ys_log_level_parse(const char *s, enum ys_log_level *out)
{
	for (unsigned i = 0; i <= YS_LOG_DEBUG; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum ys_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void ys_log(enum ys_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One write per line so lines from several processes do not mix. */
	fprintf(stderr, "%s[%d]: %s: %s\n", log_name, (int)getpid(),
	        level_names[level], msg);
}
