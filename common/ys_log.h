/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Process logging to stderr: "ys-primary[1234]: warn: message". Never
 * called per packet (STYLE.md, fast path discipline).
 */
#ifndef YS_LOG_H
#define YS_LOG_H

enum ys_log_level { YS_LOG_ERR, YS_LOG_WARN, YS_LOG_INFO, YS_LOG_DEBUG };

/* `name` must outlive the process (a string literal). */
void ys_log_init(const char *name, enum ys_log_level level);
void ys_log_set_level(enum ys_log_level level);
enum ys_log_level ys_log_get_level(void);
/* Parse "err", "warn", "info", "debug"; returns 0 or -EINVAL. */
int ys_log_level_parse(const char *s, enum ys_log_level *out);
const char *ys_log_level_str(enum ys_log_level level);

void ys_log(enum ys_log_level level, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

#define YS_ERR(...)   ys_log(YS_LOG_ERR, __VA_ARGS__)
#define YS_WARN(...)  ys_log(YS_LOG_WARN, __VA_ARGS__)
#define YS_INFO(...)  ys_log(YS_LOG_INFO, __VA_ARGS__)
#define YS_DEBUG(...) ys_log(YS_LOG_DEBUG, __VA_ARGS__)

#endif /* YS_LOG_H */
