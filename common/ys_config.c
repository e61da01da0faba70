/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration as data: every JSON object in the file is described by one
 * table (struct cfg_table) of keys, each with its type, the offset of the
 * field it fills, its range, its default and whether it is required. One
 * walker applies a table to a JSON object; keys that need more than a
 * range check (CIDR strings, the RSS key, lists) name a parse function in
 * their row. Adding a section is adding a table and a row in root_keys[].
 *
 * The walker stops at the first error and reports it as
 * "FILE: key.path[i].key: rule broken". Nothing here keeps state between
 * calls: the whole walk lives in a struct cfg_ctx on the caller's stack.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "ys_config.h"

#define CFG_PATH_LEN  256 /* longest key path kept for messages */
#define SUN_PATH_LEN  108 /* sizeof(((struct sockaddr_un *)0)->sun_path) */
#define CFG_MAX_CPU   1023
#define STRING_SOURCE "<string>"

/* The Microsoft RSS key, the default of most NICs and of DPDK's tests. */
static const char ms_rss_key_hex[] = "6d5a56da255b0ec24167253d43a38fb0"
                                     "d0ca2bcbae7b30b477cb2da38030f20c"
                                     "6a42b73bbeac01fa";
_Static_assert(sizeof(ms_rss_key_hex) == 2 * YS_RSS_KEY_LEN + 1,
               "the default RSS key must be YS_RSS_KEY_LEN bytes");

/* State of one walk: where the error goes and the key path so far. */
struct cfg_ctx {
	const char *file;      /* file name used in messages */
	struct ys_config *cfg; /* the config being filled (cross-key rules) */
	unsigned ncpus;
	char *err;
	size_t err_len;
	size_t path_len;
	char path[CFG_PATH_LEN]; /* e.g. "interfaces[1].address" */
};

enum cfg_type {
	CFG_INT,    /* JSON integer stored in a uint8/16/32_t */
	CFG_STRING, /* JSON string copied into a char[] */
	CFG_OBJECT, /* JSON object filled by `sub` */
	CFG_ARRAY,  /* JSON array of objects, each filled by `sub` */
	CFG_BOOL,   /* JSON true/false stored in a bool */
	CFG_ENUM, /* JSON string, one of `names`, stored as its uint32 index */
	CFG_PERCENT, /* JSON number 0..100 stored in a double */
	CFG_CUSTOM,  /* anything else: `parse` does it all */
};

#define CFG_REQUIRED (1u << 0) /* absent: error, not default */
#define CFG_POW2     (1u << 1) /* integer must be a power of two */
#define CFG_CPU      (1u << 2) /* integer must be below ncpus */
#define CFG_IDENT    (1u << 3) /* string of [A-Za-z0-9_-] only */
#define CFG_ABSPATH  (1u << 4) /* string must start with '/' */

struct cfg_key;

/*
 * Fill the field `k` describes in `base` (the struct of the object that
 * holds the key) from `val`. `val` is NULL when the key is absent and
 * optional: apply the default. Returns 0 or -EINVAL with ctx->err set.
 */
typedef int (*cfg_parse_fn)(struct cfg_ctx *ctx, const struct cfg_key *k,
                            json_t *val, void *base);

struct cfg_table {
	const struct cfg_key *keys; /* walked in order: later keys may rely */
	size_t n_keys;              /* on earlier ones being filled */
	size_t size;                /* struct filled; array element stride */
	/* Rules that span several keys of one object; may be NULL. */
	int (*finish)(struct cfg_ctx *ctx, void *base);
};

struct cfg_key {
	const char *key;
	enum cfg_type type;
	unsigned flags;      /* CFG_REQUIRED, CFG_POW2, ... */
	size_t offset;       /* of the field in the object's struct */
	size_t size;         /* of that field */
	long long min, max;  /* INT: value; STRING: length; lists: entries */
	long long def_int;   /* INT default */
	const char *def_str; /* STRING (or custom) default */
	cfg_parse_fn parse;  /* CFG_CUSTOM only */
	const struct cfg_table *sub; /* CFG_OBJECT, CFG_ARRAY */
	size_t count_offset;         /* CFG_ARRAY: uint32_t entry count */
	const char *const *names;    /* CFG_ENUM: NULL-terminated */
};

/*
 * One row per key. `st` is the struct the object fills, `m` the member a
 * key fills, `fl` its CFG_* flags, `lo`..`hi` its range (see struct
 * cfg_key). Keys of a table are walked in row order.
 */
#define FIELD(st, m) .offset = offsetof(st, m), .size = sizeof(((st *)0)->m)
#define INT_KEY(st, name, m, fl, lo, hi, def)                                  \
	{                                                                      \
		.key = name, .type = CFG_INT, .flags = fl, FIELD(st, m),       \
		.min = lo, .max = hi, .def_int = def                           \
	}
#define STR_KEY(st, name, m, fl, lo, hi, def)                                  \
	{                                                                      \
		.key = name, .type = CFG_STRING, .flags = fl, FIELD(st, m),    \
		.min = lo, .max = hi, .def_str = def                           \
	}
#define CUSTOM_KEY(st, name, m, fl, lo, hi, def, fn)                           \
	{                                                                      \
		.key = name, .type = CFG_CUSTOM, .flags = fl, FIELD(st, m),    \
		.min = lo, .max = hi, .def_str = def, .parse = fn              \
	}
#define BOOL_KEY(st, name, m, def)                                             \
	{                                                                      \
		.key = name, .type = CFG_BOOL, FIELD(st, m), .def_int = def    \
	}
#define ENUM_KEY(st, name, m, list, def)                                       \
	{                                                                      \
		.key = name, .type = CFG_ENUM, FIELD(st, m), .names = list,    \
		.def_int = def                                                 \
	}
#define PERCENT_KEY(st, name, m)                                               \
	{                                                                      \
		.key = name, .type = CFG_PERCENT, FIELD(st, m), .min = 0,      \
		.max = 100                                                     \
	}
#define OBJECT_KEY(st, name, m, fl, table)                                     \
	{                                                                      \
		.key = name, .type = CFG_OBJECT, .flags = fl, FIELD(st, m),    \
		.sub = &table                                                  \
	}
#define ARRAY_KEY(st, name, m, n, fl, lo, hi, table)                           \
	{                                                                      \
		.key = name, .type = CFG_ARRAY, .flags = fl, FIELD(st, m),     \
		.min = lo, .max = hi, .sub = &table,                           \
		.count_offset = offsetof(st, n)                                \
	}
#define TABLE(keys_, st, finish_)                                              \
	{                                                                      \
		.keys = keys_, .n_keys = sizeof(keys_) / sizeof(keys_[0]),     \
		.size = sizeof(st), .finish = finish_                          \
	}

/* ---- errors and key paths ---- */

static int cfg_fail(struct cfg_ctx *ctx, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static int cfg_fail(struct cfg_ctx *ctx, const char *fmt, ...)
{
	char msg[YS_CFG_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ctx->path_len)
		snprintf(ctx->err, ctx->err_len, "%s: %s: %s", ctx->file,
		         ctx->path, msg);
	else
		snprintf(ctx->err, ctx->err_len, "%s: %s", ctx->file, msg);
	return -EINVAL;
}

/* Append to the key path; returns the mark to give path_pop(). */
static size_t path_push(struct cfg_ctx *ctx, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static size_t path_push(struct cfg_ctx *ctx, const char *fmt, ...)
{
	size_t mark = ctx->path_len, room = sizeof(ctx->path) - mark;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(ctx->path + mark, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		ctx->path_len += (size_t)n < room ? (size_t)n : room - 1;
	return mark;
}

static size_t path_push_key(struct cfg_ctx *ctx, const char *key)
{
	return path_push(ctx, "%s%s", ctx->path_len ? "." : "", key);
}

static size_t path_push_index(struct cfg_ctx *ctx, size_t i)
{
	return path_push(ctx, "[%zu]", i);
}

static void path_pop(struct cfg_ctx *ctx, size_t mark)
{
	ctx->path_len = mark;
	ctx->path[mark] = '\0';
}

/* "must have ..." for a list of n entries bounded by k->min..k->max. */
static int check_entries(struct cfg_ctx *ctx, const struct cfg_key *k, size_t n)
{
	if ((long long)n >= k->min && (long long)n <= k->max)
		return 0;
	if (k->min == 0)
		return cfg_fail(ctx, "must have at most %lld entries", k->max);
	return cfg_fail(ctx, "must have between %lld and %lld entries", k->min,
	                k->max);
}

/* ---- generic parsers, one per enum cfg_type ---- */

static void store_uint(void *field, size_t size, unsigned long long v)
{
	switch (size) {
	case sizeof(uint8_t):
		*(uint8_t *)field = (uint8_t)v;
		break;
	case sizeof(uint16_t):
		*(uint16_t *)field = (uint16_t)v;
		break;
	case sizeof(uint32_t):
		*(uint32_t *)field = (uint32_t)v;
		break;
	default:
		*(uint64_t *)field = v;
		break;
	}
}

static int parse_int(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *val,
                     void *base)
{
	long long v = k->def_int;

	if (val) {
		if (!json_is_integer(val))
			return cfg_fail(ctx, "must be an integer");
		v = json_integer_value(val);
	}
	if (v < k->min || v > k->max)
		return cfg_fail(ctx, "must be between %lld and %lld", k->min,
		                k->max);
	if ((k->flags & CFG_POW2) && (v & (v - 1)) != 0)
		return cfg_fail(ctx, "must be a power of two");
	if ((k->flags & CFG_CPU) && v >= (long long)ctx->ncpus)
		return cfg_fail(ctx,
		                "must be less than the number of CPUs (%u)",
		                ctx->ncpus);
	store_uint((char *)base + k->offset, k->size, (unsigned long long)v);
	return 0;
}

static int parse_bool(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *val,
                      void *base)
{
	bool v = k->def_int != 0;

	if (val) {
		if (!json_is_boolean(val))
			return cfg_fail(ctx, "must be true or false");
		v = json_is_true(val);
	}
	*(bool *)((char *)base + k->offset) = v;
	return 0;
}

static int parse_enum(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *val,
                      void *base)
{
	uint32_t v = (uint32_t)k->def_int;
	char allowed[CFG_PATH_LEN] = "";
	size_t used = 0;

	if (val) {
		const char *s =
		        json_is_string(val) ? json_string_value(val) : NULL;

		for (v = 0; k->names[v] != NULL; v++)
			if (s != NULL && strcmp(s, k->names[v]) == 0)
				break;
		if (k->names[v] == NULL) {
			for (size_t i = 0; k->names[i] != NULL; i++)
				used += (size_t)snprintf(
				        allowed + used, sizeof(allowed) - used,
				        "%s\"%s\"", i ? ", " : "", k->names[i]);
			return cfg_fail(ctx, "must be one of %s", allowed);
		}
	}
	*(uint32_t *)((char *)base + k->offset) = v;
	return 0;
}

static int parse_percent(struct cfg_ctx *ctx, const struct cfg_key *k,
                         json_t *val, void *base)
{
	double v = 0;

	if (val) {
		if (!json_is_number(val))
			return cfg_fail(ctx, "must be a number (a percentage)");
		v = json_number_value(val);
	}
	if (!(v >= (double)k->min && v <= (double)k->max))
		return cfg_fail(ctx, "must be between %lld and %lld", k->min,
		                k->max);
	*(double *)((char *)base + k->offset) = v;
	return 0;
}

static const char ident_rule[] =
        "must contain only letters, digits, '_' and '-'";

static bool is_ident(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

static int parse_string(struct cfg_ctx *ctx, const struct cfg_key *k,
                        json_t *val, void *base)
{
	const char *s = k->def_str ? k->def_str : "";
	size_t len, max = (size_t)k->max;

	if (val) {
		if (!json_is_string(val))
			return cfg_fail(ctx, "must be a string");
		s = json_string_value(val);
	}
	len = strlen(s);
	if (max > k->size - 1)
		max = k->size - 1; /* never overflow, whatever the table says */
	if (len == 0 && k->min > 0)
		return cfg_fail(ctx, "must not be empty");
	if ((long long)len < k->min)
		return cfg_fail(ctx, "must be at least %lld characters",
		                k->min);
	if (len > max)
		return cfg_fail(ctx, "must be at most %zu characters", max);
	if ((k->flags & CFG_IDENT) && !is_ident(s))
		return cfg_fail(ctx, "%s", ident_rule);
	if ((k->flags & CFG_ABSPATH) && s[0] != '/')
		return cfg_fail(ctx, "must be an absolute path");
	memcpy((char *)base + k->offset, s, len + 1);
	return 0;
}

static int walk_table(struct cfg_ctx *ctx, const struct cfg_table *t,
                      json_t *obj, void *base);

static int parse_object(struct cfg_ctx *ctx, const struct cfg_key *k,
                        json_t *val, void *base)
{
	if (val && !json_is_object(val))
		return cfg_fail(ctx, "must be an object");
	return walk_table(ctx, k->sub, val, (char *)base + k->offset);
}

static int parse_array(struct cfg_ctx *ctx, const struct cfg_key *k,
                       json_t *val, void *base)
{
	char *first = (char *)base + k->offset;
	uint32_t *count = (uint32_t *)((char *)base + k->count_offset);
	size_t i, mark;
	json_t *v;
	int rc;

	*count = 0;
	if (!val)
		return 0;
	if (!json_is_array(val))
		return cfg_fail(ctx, "must be an array");
	rc = check_entries(ctx, k, json_array_size(val));
	json_array_foreach(val, i, v)
	{
		if (rc)
			break;
		mark = path_push_index(ctx, i);
		if (!json_is_object(v))
			rc = cfg_fail(ctx, "must be an object");
		else
			rc = walk_table(ctx, k->sub, v,
			                first + i * k->sub->size);
		path_pop(ctx, mark);
		*count = (uint32_t)i + 1;
	}
	return rc;
}

static const cfg_parse_fn generic_parse[] = {
        [CFG_INT] = parse_int,         [CFG_STRING] = parse_string,
        [CFG_OBJECT] = parse_object,   [CFG_ARRAY] = parse_array,
        [CFG_BOOL] = parse_bool,       [CFG_ENUM] = parse_enum,
        [CFG_PERCENT] = parse_percent,
};

/* ---- the walker ---- */

static const struct cfg_key *find_key(const struct cfg_table *t,
                                      const char *key)
{
	for (size_t i = 0; i < t->n_keys; i++)
		if (strcmp(t->keys[i].key, key) == 0)
			return &t->keys[i];
	return NULL;
}

/* Unknown keys first: a misspelt key must not pass as "required". */
static int check_unknown(struct cfg_ctx *ctx, const struct cfg_table *t,
                         json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		if (!find_key(t, key)) {
			path_push_key(ctx, key);
			return cfg_fail(ctx, "unknown key");
		}
	}
	return 0;
}

static int walk_key(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *obj,
                    void *base)
{
	json_t *val = obj ? json_object_get(obj, k->key) : NULL;
	cfg_parse_fn parse = k->parse ? k->parse : generic_parse[k->type];
	size_t mark = path_push_key(ctx, k->key);
	int rc;

	if (!val && (k->flags & CFG_REQUIRED))
		rc = cfg_fail(ctx, "required");
	else
		rc = parse(ctx, k, val, base);
	path_pop(ctx, mark);
	return rc;
}

/* Fill `base` from `obj` (NULL: an absent optional object, all defaults). */
static int walk_table(struct cfg_ctx *ctx, const struct cfg_table *t,
                      json_t *obj, void *base)
{
	int rc = obj ? check_unknown(ctx, t, obj) : 0;

	for (size_t i = 0; rc == 0 && i < t->n_keys; i++)
		rc = walk_key(ctx, &t->keys[i], obj, base);
	if (rc == 0 && t->finish)
		rc = t->finish(ctx, base);
	return rc;
}

/* ---- eal ---- */

static int parse_eal_args(struct cfg_ctx *ctx, const struct cfg_key *k,
                          json_t *val, void *base)
{
	static const struct cfg_key arg = {
	        .type = CFG_STRING,
	        .size = YS_CFG_STR_LEN,
	        .min = 1, /* "" would reach rte_eal_init() as a stray operand */
	        .max = YS_CFG_STR_LEN - 1,
	};
	struct ys_cfg_eal *eal = base;
	size_t i, mark;
	json_t *v;
	int rc;

	eal->n_args = 0;
	if (!val)
		return 0;
	if (!json_is_array(val))
		return cfg_fail(ctx, "must be an array");
	rc = check_entries(ctx, k, json_array_size(val));
	json_array_foreach(val, i, v)
	{
		if (rc)
			return rc;
		mark = path_push_index(ctx, i);
		rc = parse_string(ctx, &arg, v, eal->args[i]);
		path_pop(ctx, mark);
		eal->n_args = (uint32_t)i + 1;
	}
	return rc;
}

#define EAL struct ys_cfg_eal
static const struct cfg_key eal_keys[] = {
        /* key, member, flags, min, max, default */
        STR_KEY(EAL, "file_prefix", file_prefix, CFG_IDENT, 1,
                YS_CFG_NAME_LEN - 1, "ys"),
        INT_KEY(EAL, "memory_mb", memory_mb, 0, 64, 65536, 512),
        INT_KEY(EAL, "cpu", primary_cpu, CFG_CPU, 0, CFG_MAX_CPU, 0),
        INT_KEY(EAL, "mbufs", mbufs, 0, 0, 1048575, 0),
        CUSTOM_KEY(EAL, "args", args, 0, 0, YS_CFG_MAX_EAL_ARGS, NULL,
                   parse_eal_args),
};
/* 0 sizes the pool from the config; a count given must be usable. */
static int eal_finish(struct cfg_ctx *ctx, void *base)
{
	const struct ys_cfg_eal *eal = base;

	if (eal->mbufs == 0 || eal->mbufs >= YS_CFG_MIN_MBUFS)
		return 0;
	path_push_key(ctx, "mbufs");
	return cfg_fail(ctx, "must be 0 (sized automatically) or at least %u",
	                YS_CFG_MIN_MBUFS);
}

static const struct cfg_table eal_table = TABLE(eal_keys, EAL, eal_finish);
#undef EAL

/* ---- ports ---- */

/* Names are unique: interfaces refer to ports by name. */
static int parse_port_name(struct cfg_ctx *ctx, const struct cfg_key *k,
                           json_t *val, void *base)
{
	const struct ys_cfg_port *port = base, *p;
	int rc = parse_string(ctx, k, val, base);

	for (p = ctx->cfg->ports; rc == 0 && p < port; p++)
		if (strcmp(p->name, port->name) == 0)
			return cfg_fail(ctx, "duplicates ports[%td].name",
			                p - ctx->cfg->ports);
	return rc;
}

/* Does `s` start with `pattern`, where 'x' stands for any hex digit? */
static bool match_hex(const char *s, const char *pattern)
{
	for (; *pattern; s++, pattern++) {
		bool hex = (*s >= '0' && *s <= '9') ||
		           (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F');

		if (*pattern == 'x' ? !hex : *s != *pattern)
			return false;
	}
	return true;
}

/* DDDD:BB:DD.F or BB:DD.F, then the end or ",devargs". */
static bool is_pci_device(const char *s)
{
	static const char *const forms[] = {"xxxx:xx:xx.x", "xx:xx.x"};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		size_t n = strlen(forms[i]);

		if (match_hex(s, forms[i]) && (s[n] == '\0' || s[n] == ','))
			return true;
	}
	return false;
}

/* A DPDK ethdev vdev: "net_" and a driver name, e.g. net_af_packet0. */
static bool is_vdev(const char *s)
{
	if (strncmp(s, "net_", 4) != 0)
		return false;
	s += 4;
	return (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	       (*s >= '0' && *s <= '9');
}

static int parse_device(struct cfg_ctx *ctx, const struct cfg_key *k,
                        json_t *val, void *base)
{
	struct ys_cfg_port *port = base;
	int rc = parse_string(ctx, k, val, base);

	if (rc)
		return rc;
	port->is_pci = is_pci_device(port->device);
	if (!port->is_pci && !is_vdev(port->device))
		return cfg_fail(ctx, "must be a PCI address or a net_* vdev");
	return 0;
}

static const char *const tx_mode_names[] = {
        [YS_TX_MODE_AUTO] = "auto",
        [YS_TX_MODE_RING] = "ring",
        [YS_TX_MODE_QUEUE] = "queue",
        NULL,
};

#define DIR struct ys_cfg_impair_dir
static const struct cfg_key impair_dir_keys[] = {
        PERCENT_KEY(DIR, "drop", drop),
        PERCENT_KEY(DIR, "duplicate", duplicate),
        PERCENT_KEY(DIR, "reorder", reorder),
        PERCENT_KEY(DIR, "corrupt", corrupt),
        INT_KEY(DIR, "delay_us", delay_us, 0, 0, YS_CFG_MAX_DELAY_US, 0),
};
static const struct cfg_table impair_dir_table =
        TABLE(impair_dir_keys, DIR, NULL);
#undef DIR

#define IMPAIR struct ys_cfg_impair
static const struct cfg_key impair_keys[] = {
        INT_KEY(IMPAIR, "seed", seed, 0, 0, UINT32_MAX, 1),
        OBJECT_KEY(IMPAIR, "rx", rx, 0, impair_dir_table),
        OBJECT_KEY(IMPAIR, "tx", tx, 0, impair_dir_table),
};
static const struct cfg_table impair_table = TABLE(impair_keys, IMPAIR, NULL);
#undef IMPAIR

/* An impair object that is present turns the stage on, even if all 0. */
static int parse_impair(struct cfg_ctx *ctx, const struct cfg_key *k,
                        json_t *val, void *base)
{
	int rc = parse_object(ctx, k, val, base);

	((struct ys_cfg_port *)base)->impair.enabled = rc == 0 && val != NULL;
	return rc;
}

#define PORT struct ys_cfg_port
static const struct cfg_key port_keys[] = {
        CUSTOM_KEY(PORT, "name", name, CFG_REQUIRED | CFG_IDENT, 1,
                   YS_CFG_NAME_LEN - 1, NULL, parse_port_name),
        CUSTOM_KEY(PORT, "device", device, CFG_REQUIRED, 1, YS_CFG_STR_LEN - 1,
                   NULL, parse_device),
        INT_KEY(PORT, "rx_desc", rx_desc, CFG_POW2, 64, 16384, 1024),
        INT_KEY(PORT, "tx_desc", tx_desc, CFG_POW2, 64, 16384, 1024),
        INT_KEY(PORT, "mtu", mtu, 0, YS_CFG_MIN_MTU, YS_CFG_MAX_MTU, 1500),
        BOOL_KEY(PORT, "promiscuous", promiscuous, 1),
        ENUM_KEY(PORT, "tx_mode", tx_mode, tx_mode_names, YS_TX_MODE_AUTO),
        {.key = "impair",
         .type = CFG_OBJECT,
         FIELD(PORT, impair),
         .sub = &impair_table,
         .parse = parse_impair},
};
static const struct cfg_table port_table = TABLE(port_keys, PORT, NULL);
#undef PORT

/* ---- secondaries ---- */

/* Needs `count`, so its row comes after count's. */
static int parse_cpus(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *val,
                      void *base)
{
	static const struct cfg_key cpu = {
	        .type = CFG_INT,
	        .flags = CFG_CPU,
	        .size = sizeof(uint32_t),
	        .min = 0,
	        .max = CFG_MAX_CPU,
	};
	struct ys_cfg_secondaries *sec = base;
	size_t i, mark;
	json_t *v;
	int rc = 0;

	(void)k;
	sec->cpus_given = val != NULL;
	if (!val) {
		/* CPU 0 is the primary's by default: start at 1. */
		for (i = 0; i < sec->count; i++)
			sec->cpus[i] = (uint32_t)((i + 1) % ctx->ncpus);
		return 0;
	}
	if (!json_is_array(val))
		return cfg_fail(ctx, "must be an array");
	if (json_array_size(val) != sec->count)
		return cfg_fail(ctx, "must have exactly %u entries (%s)",
		                sec->count, "one per secondary");
	json_array_foreach(val, i, v)
	{
		mark = path_push_index(ctx, i);
		rc = parse_int(ctx, &cpu, v, &sec->cpus[i]);
		path_pop(ctx, mark);
		if (rc)
			return rc;
	}
	return 0;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode 2 * n hex digits into n bytes; false on any other character. */
static bool decode_hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hex_nibble(s[2 * i]), lo = hex_nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static int parse_rss_key(struct cfg_ctx *ctx, const struct cfg_key *k,
                         json_t *val, void *base)
{
	uint8_t *key = (uint8_t *)base + k->offset;
	const char *s = k->def_str;

	if (val)
		s = json_is_string(val) ? json_string_value(val) : NULL;
	if (s == NULL || strlen(s) != 2 * YS_RSS_KEY_LEN ||
	    !decode_hex(s, key, YS_RSS_KEY_LEN))
		return cfg_fail(ctx,
		                "must be a string of %d hex digits (%d bytes)",
		                2 * YS_RSS_KEY_LEN, YS_RSS_KEY_LEN);
	return 0;
}

/*
 * Every secondary owns at least one RETA entry. The ranges of count and
 * reta_size make this hold today; the rule stays for when they change.
 */
static int secondaries_finish(struct cfg_ctx *ctx, void *base)
{
	const struct ys_cfg_secondaries *sec = base;

	if (sec->reta_size >= sec->count)
		return 0;
	path_push_key(ctx, "reta_size");
	return cfg_fail(ctx, "must be at least count (%u)", sec->count);
}

static const char *const failover_names[] = {
        [YS_FAILOVER_DROP] = "drop",
        [YS_FAILOVER_REBALANCE] = "rebalance",
        NULL,
};

#define SEC struct ys_cfg_secondaries
static const struct cfg_key secondaries_keys[] = {
        INT_KEY(SEC, "count", count, CFG_REQUIRED, 1, YS_CFG_MAX_SECONDARIES,
                0),
        CUSTOM_KEY(SEC, "cpus", cpus, 0, 0, 0, NULL, parse_cpus),
        INT_KEY(SEC, "ring_size", ring_size, CFG_POW2, 256, 65536, 4096),
        INT_KEY(SEC, "reta_size", reta_size, CFG_POW2, 64, 512, 128),
        CUSTOM_KEY(SEC, "rss_key", rss_key, 0, 0, 0, ms_rss_key_hex,
                   parse_rss_key),
        ENUM_KEY(SEC, "failover", failover, failover_names, YS_FAILOVER_DROP),
};
static const struct cfg_table secondaries_table =
        TABLE(secondaries_keys, SEC, secondaries_finish);
#undef SEC

/* ---- interfaces ---- */

static int parse_iface_port(struct cfg_ctx *ctx, const struct cfg_key *k,
                            json_t *val, void *base)
{
	struct ys_cfg_interface *ifc = base;
	const char *name;

	(void)k;
	if (!json_is_string(val))
		return cfg_fail(ctx, "must be a string");
	name = json_string_value(val);
	for (uint32_t i = 0; i < ctx->cfg->n_ports; i++) {
		if (strcmp(ctx->cfg->ports[i].name, name) == 0) {
			ifc->port = i;
			return 0;
		}
	}
	return cfg_fail(ctx, "no port named \"%s\" in ports", name);
}

static uint32_t prefix_mask(uint8_t len)
{
	return len ? UINT32_MAX << (32 - len) : 0; /* host order */
}

/* Addresses a host may not claim as its own. */
static int check_host_address(struct cfg_ctx *ctx, const struct ys_cfg_addr *a)
{
	uint32_t h = ntohl(a->addr);

	if (a->prefix_len < 1)
		return cfg_fail(ctx, "prefix length must be between 1 and 32");
	if (h == 0)
		return cfg_fail(ctx, "must not be 0.0.0.0");
	if (h == UINT32_MAX)
		return cfg_fail(ctx, "must not be the broadcast address");
	if ((h >> 28) == 0xe)
		return cfg_fail(ctx, "must not be a multicast address");
	if ((h >> 24) == 127)
		return cfg_fail(ctx, "must not be a loopback address");
	return 0;
}

/* One address, one interface: earlier interfaces and this one so far. */
static int check_unique_address(struct cfg_ctx *ctx,
                                const struct ys_cfg_interface *self,
                                uint32_t addr)
{
	const struct ys_cfg_interface *ifc;
	char text[INET_ADDRSTRLEN];

	for (ifc = ctx->cfg->interfaces; ifc <= self; ifc++) {
		for (uint32_t i = 0; i < ifc->n_addrs; i++) {
			if (ifc->addrs[i].addr != addr)
				continue;
			inet_ntop(AF_INET, &addr, text, sizeof(text));
			return cfg_fail(ctx, "%s is already on interfaces[%td]",
			                text, ifc - ctx->cfg->interfaces);
		}
	}
	return 0;
}

static int add_address(struct cfg_ctx *ctx, struct ys_cfg_interface *ifc,
                       json_t *val)
{
	struct ys_cfg_addr a;
	int rc;

	if (!json_is_string(val) || ys_parse_cidr(json_string_value(val), &a))
		return cfg_fail(ctx, "must be a CIDR string a.b.c.d/len");
	rc = check_host_address(ctx, &a);
	if (rc == 0)
		rc = check_unique_address(ctx, ifc, a.addr);
	if (rc == 0)
		ifc->addrs[ifc->n_addrs++] = a;
	return rc;
}

/* "a.b.c.d/len" or a list of them. */
static int parse_addresses(struct cfg_ctx *ctx, const struct cfg_key *k,
                           json_t *val, void *base)
{
	struct ys_cfg_interface *ifc = base;
	size_t i, mark;
	json_t *v;
	int rc;

	ifc->n_addrs = 0;
	if (json_is_string(val))
		return add_address(ctx, ifc, val);
	if (!json_is_array(val))
		return cfg_fail(ctx,
		                "must be a CIDR string or an array of them");
	rc = check_entries(ctx, k, json_array_size(val));
	json_array_foreach(val, i, v)
	{
		if (rc)
			return rc;
		mark = path_push_index(ctx, i);
		rc = add_address(ctx, ifc, v);
		path_pop(ctx, mark);
	}
	return rc;
}

static const char gateway_is_addr[] =
        "must not be one of the interface's addresses";

/* Needs the addresses, so its row comes after address's. */
static int parse_gateway(struct cfg_ctx *ctx, const struct cfg_key *k,
                         json_t *val, void *base)
{
	struct ys_cfg_interface *ifc = base;
	uint32_t gw, i;

	(void)k;
	ifc->gateway = 0; /* absent */
	if (!val)
		return 0;
	if (!json_is_string(val) || ys_parse_ipv4(json_string_value(val), &gw))
		return cfg_fail(ctx, "must be an IPv4 address a.b.c.d");
	if (gw == 0)
		return cfg_fail(ctx, "must not be 0.0.0.0");
	for (i = 0; i < ifc->n_addrs; i++)
		if (ifc->addrs[i].addr == gw)
			return cfg_fail(ctx, "%s", gateway_is_addr);
	for (i = 0; i < ifc->n_addrs; i++) {
		uint32_t mask = prefix_mask(ifc->addrs[i].prefix_len);

		if (((ntohl(gw) ^ ntohl(ifc->addrs[i].addr)) & mask) == 0) {
			ifc->gateway = gw;
			return 0;
		}
	}
	return cfg_fail(ctx, "must be inside one of the interface's prefixes");
}

/* 802.1Q: VIDs 0 and 4095 are reserved; absent means untagged. */
static int parse_vlan(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *val,
                      void *base)
{
	struct ys_cfg_interface *ifc = base;
	json_int_t v;

	(void)k;
	ifc->vlan = 0;
	if (!val)
		return 0;
	if (!json_is_integer(val))
		return cfg_fail(ctx, "must be an integer between 1 and 4094");
	v = json_integer_value(val);
	if (v < 1 || v > 4094)
		return cfg_fail(ctx, "must be an integer between 1 and 4094");
	ifc->vlan = (uint16_t)v;
	return 0;
}

/* A received frame's port and VLAN must name one interface: interfaces
 * on one port differ in `vlan`, at most one of them untagged. */
static int interface_finish(struct cfg_ctx *ctx, void *base)
{
	const struct ys_cfg_interface *self = base, *p;
	const char *port = ctx->cfg->ports[self->port].name;

	for (p = ctx->cfg->interfaces; p < self; p++) {
		if (p->port != self->port || p->vlan != self->vlan)
			continue;
		if (self->vlan == 0)
			return cfg_fail(ctx,
			                "port \"%s\" already has an untagged "
			                "interface (interfaces[%td]); give one "
			                "of them a vlan",
			                port, p - ctx->cfg->interfaces);
		path_push_key(ctx, "vlan");
		return cfg_fail(ctx,
		                "%u is already interfaces[%td]'s on port "
		                "\"%s\"",
		                self->vlan, p - ctx->cfg->interfaces, port);
	}
	return 0;
}

#define IFACE struct ys_cfg_interface
static const struct cfg_key interface_keys[] = {
        CUSTOM_KEY(IFACE, "port", port, CFG_REQUIRED, 0, 0, NULL,
                   parse_iface_port),
        CUSTOM_KEY(IFACE, "address", addrs, CFG_REQUIRED, 1, YS_CFG_MAX_ADDRS,
                   NULL, parse_addresses),
        CUSTOM_KEY(IFACE, "gateway", gateway, 0, 0, 0, NULL, parse_gateway),
        CUSTOM_KEY(IFACE, "vlan", vlan, 0, 0, 0, NULL, parse_vlan),
};
static const struct cfg_table interface_table =
        TABLE(interface_keys, IFACE, interface_finish);
#undef IFACE

/* ---- static routes ---- */

/* Whether `ip` (network order) is one of any interface's addresses. */
static bool is_our_address(const struct ys_config *cfg, uint32_t ip)
{
	for (uint32_t i = 0; i < cfg->n_interfaces; i++)
		for (uint32_t j = 0; j < cfg->interfaces[i].n_addrs; j++)
			if (cfg->interfaces[i].addrs[j].addr == ip)
				return true;
	return false;
}

/* Whether `ip` (network order) is inside a prefix of interface i. */
static bool on_interface(const struct ys_config *cfg, uint32_t i, uint32_t ip)
{
	const struct ys_cfg_interface *ifc = &cfg->interfaces[i];

	for (uint32_t j = 0; j < ifc->n_addrs; j++) {
		uint32_t mask = prefix_mask(ifc->addrs[j].prefix_len);

		if (((ntohl(ip) ^ ntohl(ifc->addrs[j].addr)) & mask) == 0)
			return true;
	}
	return false;
}

/* "a.b.c.d/len", host bits clear, not a duplicate of an earlier route. */
static int parse_route_prefix(struct cfg_ctx *ctx, const struct cfg_key *k,
                              json_t *val, void *base)
{
	struct ys_cfg_route *r = base;
	const struct ys_cfg_route *p;
	struct ys_cfg_addr a;
	char text[INET_ADDRSTRLEN];
	uint32_t net;

	(void)k;
	if (!json_is_string(val) || ys_parse_cidr(json_string_value(val), &a))
		return cfg_fail(ctx, "must be a CIDR string a.b.c.d/len");
	net = htonl(ntohl(a.addr) & prefix_mask(a.prefix_len));
	if (net != a.addr) {
		inet_ntop(AF_INET, &net, text, sizeof(text));
		return cfg_fail(ctx, "has host bits set (the network is %s/%u)",
		                text, a.prefix_len);
	}
	r->prefix = a.addr;
	r->prefix_len = a.prefix_len;
	for (p = ctx->cfg->static_routes; p < r; p++)
		if (p->prefix == r->prefix && p->prefix_len == r->prefix_len)
			return cfg_fail(ctx, "duplicates static_routes[%td]",
			                p - ctx->cfg->static_routes);
	return 0;
}

/* A neighbour: inside some interface's prefix (RFC 1122 3.3.1.1, a
 * gateway is on a connected network), not one of our addresses. */
static int parse_route_via(struct cfg_ctx *ctx, const struct cfg_key *k,
                           json_t *val, void *base)
{
	struct ys_cfg_route *r = base;
	char text[INET_ADDRSTRLEN];

	(void)k;
	if (!json_is_string(val) ||
	    ys_parse_ipv4(json_string_value(val), &r->via))
		return cfg_fail(ctx, "must be an IPv4 address a.b.c.d");
	if (is_our_address(ctx->cfg, r->via))
		return cfg_fail(ctx, "must not be one of our addresses");
	for (uint32_t i = 0; i < ctx->cfg->n_interfaces; i++)
		if (on_interface(ctx->cfg, i, r->via))
			return 0;
	inet_ntop(AF_INET, &r->via, text, sizeof(text));
	return cfg_fail(ctx, "%s is not inside any interface's prefix", text);
}

#define ROUTE struct ys_cfg_route
static const struct cfg_key route_keys[] = {
        CUSTOM_KEY(ROUTE, "prefix", prefix, CFG_REQUIRED, 0, 0, NULL,
                   parse_route_prefix),
        CUSTOM_KEY(ROUTE, "via", via, CFG_REQUIRED, 0, 0, NULL,
                   parse_route_via),
};
static const struct cfg_table route_table = TABLE(route_keys, ROUTE, NULL);
#undef ROUTE

/* ---- arp ---- */

/* "aa:bb:cc:dd:ee:ff" (hex, either case), unicast and not all zeros. */
static int parse_mac(struct cfg_ctx *ctx, const struct cfg_key *k, json_t *val,
                     void *base)
{
	uint8_t *mac = (uint8_t *)base + k->offset;
	const char *s = json_is_string(val) ? json_string_value(val) : "";
	static const uint8_t zero[6];

	if (strlen(s) != 17)
		return cfg_fail(ctx, "must be a MAC address aa:bb:cc:dd:ee:ff");
	for (size_t i = 0; i < 6; i++) {
		char pair[2] = {s[3 * i], s[3 * i + 1]};

		if ((i < 5 && s[3 * i + 2] != ':') ||
		    !decode_hex(pair, &mac[i], 1))
			return cfg_fail(
			        ctx, "must be a MAC address aa:bb:cc:dd:ee:ff");
	}
	/* An ARP entry maps to one host: not a group, not nobody. */
	if ((mac[0] & 1) || memcmp(mac, zero, sizeof(zero)) == 0)
		return cfg_fail(ctx, "must be a unicast MAC address, not all "
		                     "zeros");
	return 0;
}

static int parse_arp_interface(struct cfg_ctx *ctx, const struct cfg_key *k,
                               json_t *val, void *base)
{
	struct ys_cfg_arp_entry *e = base;
	int rc = parse_int(ctx, k, val, base);

	if (rc == 0 && e->interface >= ctx->cfg->n_interfaces)
		return cfg_fail(ctx, "no interfaces[%u]", e->interface);
	return rc;
}

static int parse_arp_ip(struct cfg_ctx *ctx, const struct cfg_key *k,
                        json_t *val, void *base)
{
	struct ys_cfg_arp_entry *e = base;

	(void)k;
	if (!json_is_string(val) ||
	    ys_parse_ipv4(json_string_value(val), &e->ip))
		return cfg_fail(ctx, "must be an IPv4 address a.b.c.d");
	if (is_our_address(ctx->cfg, e->ip))
		return cfg_fail(ctx, "must not be one of our addresses");
	return 0;
}

/* Needs ip and interface: inside that interface's prefixes, unique. */
static int arp_entry_finish(struct cfg_ctx *ctx, void *base)
{
	const struct ys_cfg_arp_entry *e = base, *p;
	char text[INET_ADDRSTRLEN];

	if (!on_interface(ctx->cfg, e->interface, e->ip)) {
		inet_ntop(AF_INET, &e->ip, text, sizeof(text));
		path_push_key(ctx, "ip");
		return cfg_fail(ctx,
		                "%s is not inside a prefix of "
		                "interfaces[%u]",
		                text, e->interface);
	}
	for (p = ctx->cfg->arp.entries; p < e; p++) {
		if (p->ip == e->ip && p->interface == e->interface) {
			path_push_key(ctx, "ip");
			return cfg_fail(ctx, "duplicates arp.entries[%td]",
			                p - ctx->cfg->arp.entries);
		}
	}
	return 0;
}

#define ENTRY struct ys_cfg_arp_entry
static const struct cfg_key arp_entry_keys[] = {
        CUSTOM_KEY(ENTRY, "ip", ip, CFG_REQUIRED, 0, 0, NULL, parse_arp_ip),
        CUSTOM_KEY(ENTRY, "mac", mac, CFG_REQUIRED, 0, 0, NULL, parse_mac),
        {.key = "interface",
         .type = CFG_INT,
         .flags = CFG_REQUIRED,
         FIELD(ENTRY, interface),
         .min = 0,
         .max = YS_CFG_MAX_INTERFACES - 1,
         .parse = parse_arp_interface},
};
static const struct cfg_table arp_entry_table =
        TABLE(arp_entry_keys, ENTRY, arp_entry_finish);
#undef ENTRY

#define ARP struct ys_cfg_arp
static const struct cfg_key arp_keys[] = {
        ARRAY_KEY(ARP, "entries", entries, n_entries, 0, 0,
                  YS_CFG_MAX_STATIC_ARP, arp_entry_table),
        INT_KEY(ARP, "cache_size", cache_size, 0, 16, 65536, 1024),
        INT_KEY(ARP, "reachable_ms", reachable_ms, 0, 1000, 3600000, 30000),
        INT_KEY(ARP, "retries", retries, 0, 1, 10, 3),
        INT_KEY(ARP, "retry_ms", retry_ms, 0, 100, 60000, 1000),
        INT_KEY(ARP, "queue_per_entry", queue_per_entry, 0, 1, 64, 8),
        INT_KEY(ARP, "queue_total", queue_total, 0, 1, 65536, 256),
};
static const struct cfg_table arp_table = TABLE(arp_keys, ARP, NULL);
#undef ARP

/* ---- icmp ---- */

#define ICMP struct ys_cfg_icmp
static const struct cfg_key icmp_keys[] = {
        /* RFC 1812 4.3.2.8: errors per second per stack instance. */
        INT_KEY(ICMP, "rate_limit", rate_limit, 0, 1, 1000000, 100),
        INT_KEY(ICMP, "burst", burst, 0, 1, 1000000, 50),
};
static const struct cfg_table icmp_table = TABLE(icmp_keys, ICMP, NULL);
#undef ICMP

/* ---- control ---- */

#define CONTROL struct ys_cfg_control
static const struct cfg_key control_keys[] = {
        STR_KEY(CONTROL, "socket", socket, CFG_ABSPATH, 1, SUN_PATH_LEN - 1,
                "/run/yastack/ys.sock"),
        /* Group name or number; resolved by the primary at start. */
        STR_KEY(CONTROL, "group", group, 0, 0, YS_CFG_NAME_LEN - 1, ""),
};
static const struct cfg_table control_table =
        TABLE(control_keys, CONTROL, NULL);
#undef CONTROL

const char *ys_cfg_failover_str(uint32_t failover)
{
	return failover < sizeof(failover_names) / sizeof(failover_names[0]) - 1
	               ? failover_names[failover]
	               : "unknown";
}

/* ---- reassembly ---- */

#define REASM struct ys_cfg_reassembly
static const struct cfg_key reassembly_keys[] = {
        INT_KEY(REASM, "max_flows", max_flows, 0, 16, 1048576, 1024),
        INT_KEY(REASM, "timeout_ms", timeout_ms, 0, 100, 60000, 5000),
};
static const struct cfg_table reassembly_table =
        TABLE(reassembly_keys, REASM, NULL);
#undef REASM

/* ---- diag ---- */

#define DIAG struct ys_cfg_diag
static const struct cfg_key diag_keys[] = {
        /* The UDP echo service's port on every interface address. */
        INT_KEY(DIAG, "udp_echo", udp_echo, 0, 0, 65535, 0),
};
static const struct cfg_table diag_table = TABLE(diag_keys, DIAG, NULL);
#undef DIAG

/* ---- admin ---- */

static const char metrics_rule[] =
        "must be \"ADDRESS:PORT\" (an IPv4 address and a port), \"\" or "
        "\"off\"";

/* "1".."65535": decimal digits only, no sign, no leading zero. */
static int parse_port_number(const char *s, uint16_t *out)
{
	unsigned long v = 0;

	if (*s == '\0' || *s == '0' || strlen(s) > 5)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/*
 * "ADDRESS:PORT" of the Prometheus endpoint. The default is loopback: the
 * counters say how much traffic goes where, which is nobody else's
 * business unless the operator opens it up.
 */
static int parse_metrics(struct cfg_ctx *ctx, const struct cfg_key *k,
                         json_t *val, void *base)
{
	struct ys_cfg_admin *a = base;
	char host[YS_CFG_STR_LEN];
	const char *s = k->def_str, *colon;

	if (val && !json_is_string(val))
		return cfg_fail(ctx, "must be a string");
	if (val)
		s = json_string_value(val);
	if (strlen(s) >= sizeof(a->metrics))
		return cfg_fail(ctx, "%s", metrics_rule);
	memcpy(a->metrics, s, strlen(s) + 1);
	a->metrics_enabled = false;
	if (s[0] == '\0' || strcmp(s, "off") == 0)
		return 0;
	colon = strrchr(s, ':');
	if (colon == NULL || colon == s)
		return cfg_fail(ctx, "%s", metrics_rule);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (ys_parse_ipv4(host, &a->metrics_addr))
		return cfg_fail(ctx, "address must be an IPv4 address a.b.c.d");
	if (parse_port_number(colon + 1, &a->metrics_port))
		return cfg_fail(ctx, "port must be between 1 and 65535");
	a->metrics_enabled = true;
	return 0;
}

#define ADMIN struct ys_cfg_admin
static const struct cfg_key admin_keys[] = {
        CUSTOM_KEY(ADMIN, "metrics", metrics, 0, 0, 0, "127.0.0.1:9180",
                   parse_metrics),
};
static const struct cfg_table admin_table = TABLE(admin_keys, ADMIN, NULL);
#undef ADMIN

/* ---- the file ---- */

/* Order matters: interfaces name ports, so ports come first. */
#define ROOT struct ys_config
static const struct cfg_key root_keys[] = {
        OBJECT_KEY(ROOT, "eal", eal, 0, eal_table),
        ARRAY_KEY(ROOT, "ports", ports, n_ports, CFG_REQUIRED, 1,
                  YS_CFG_MAX_PORTS, port_table),
        OBJECT_KEY(ROOT, "secondaries", secondaries, CFG_REQUIRED,
                   secondaries_table),
        ARRAY_KEY(ROOT, "interfaces", interfaces, n_interfaces, CFG_REQUIRED, 1,
                  YS_CFG_MAX_INTERFACES, interface_table),
        /* After interfaces: next hops and entries must be on them. */
        ARRAY_KEY(ROOT, "static_routes", static_routes, n_static_routes, 0, 0,
                  YS_CFG_MAX_ROUTES, route_table),
        OBJECT_KEY(ROOT, "arp", arp, 0, arp_table),
        OBJECT_KEY(ROOT, "icmp", icmp, 0, icmp_table),
        OBJECT_KEY(ROOT, "reassembly", reassembly, 0, reassembly_table),
        OBJECT_KEY(ROOT, "diag", diag, 0, diag_table),
        OBJECT_KEY(ROOT, "admin", admin, 0, admin_table),
        OBJECT_KEY(ROOT, "control", control, 0, control_table),
};
static const struct cfg_table root_table = TABLE(root_keys, ROOT, NULL);
#undef ROOT

/* Messages are one line: escape whatever jansson or a key smuggled in. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static int load_json(struct ys_config *cfg, json_t *root, const char *name,
                     unsigned ncpus, char *err, size_t err_len)
{
	struct cfg_ctx ctx = {
	        .file = name,
	        .cfg = cfg,
	        .ncpus = ncpus,
	        .err = err,
	        .err_len = err_len,
	};

	memset(cfg, 0, sizeof(*cfg));
	if (ncpus == 0)
		return cfg_fail(&ctx, "ncpus must be at least 1");
	if (!json_is_object(root))
		return cfg_fail(&ctx, "must be a JSON object");
	return walk_table(&ctx, &root_table, root, cfg);
}

static int syntax_error(const json_error_t *je, const char *name, char *err,
                        size_t err_len)
{
	snprintf(err, err_len, "%s:%d:%d: %s", name, je->line, je->column,
	         je->text);
	return -EINVAL;
}

int ys_config_load_string(struct ys_config *cfg, const char *text,
                          const char *name, unsigned ncpus, char *err,
                          size_t err_len)
{
	char scratch[YS_CFG_ERR_LEN];
	json_error_t je;
	json_t *root;
	int rc;

	if (err == NULL || err_len == 0) {
		err = scratch;
		err_len = sizeof(scratch);
	}
	err[0] = '\0';
	name = name ? name : STRING_SOURCE;
	if (cfg == NULL || text == NULL) {
		snprintf(err, err_len, "%s: no config given", name);
		return -EINVAL;
	}
	root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		rc = syntax_error(&je, name, err, err_len);
	} else {
		rc = load_json(cfg, root, name, ncpus, err, err_len);
		json_decref(root);
	}
	if (rc == 0)
		snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	one_line(err);
	return rc;
}

/* realpath(), or -ENOENT / -EIO / -EINVAL with the reason in err. */
static int resolve_path(const char *path, char *real, char *err, size_t err_len)
{
	struct stat st;
	int e;

	if (realpath(path, real) == NULL) {
		e = errno;
		snprintf(err, err_len, "%s: %s", path, strerror(e));
		return e == ENOENT || e == ENOTDIR ? -ENOENT : -EIO;
	}
	if (strlen(real) >= YS_CFG_STR_LEN) {
		snprintf(err, err_len, "%s: path longer than %d characters",
		         path, YS_CFG_STR_LEN - 1);
		return -EINVAL;
	}
	if (stat(real, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, err_len, "%s: %s", path, strerror(EISDIR));
		return -EIO;
	}
	return 0;
}

int ys_config_load(struct ys_config *cfg, const char *path, unsigned ncpus,
                   char *err, size_t err_len)
{
	char scratch[YS_CFG_ERR_LEN], real[PATH_MAX];
	json_error_t je;
	json_t *root;
	int rc;

	if (err == NULL || err_len == 0) {
		err = scratch;
		err_len = sizeof(scratch);
	}
	err[0] = '\0';
	if (cfg == NULL || path == NULL) {
		snprintf(err, err_len, "no config file given");
		return -EINVAL;
	}
	rc = resolve_path(path, real, err, err_len);
	if (rc)
		goto out;
	root = json_load_file(real, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL &&
	    json_error_code(&je) == json_error_cannot_open_file) {
		snprintf(err, err_len, "%s: %s", path, je.text);
		rc = -EIO;
	} else if (root == NULL) {
		rc = syntax_error(&je, path, err, err_len);
	} else {
		rc = load_json(cfg, root, path, ncpus, err, err_len);
		json_decref(root);
	}
	if (rc == 0)
		memcpy(cfg->path, real, strlen(real) + 1);
out:
	one_line(err);
	return rc;
}

/* ---- live reload ---- */

/*
 * Top-level sections that `config.reload` applies to running processes.
 * Every other section (eal, ports, secondaries, reassembly, admin,
 * control, and any added later until it is listed here) sizes or opens
 * something at start and needs a restart.
 */
static const char *const live_sections[] = {
        "interfaces", "static_routes", "arp", "icmp", "diag",
};

bool ys_config_section_live(const char *section)
{
	for (size_t i = 0; i < sizeof(live_sections) / sizeof(live_sections[0]);
	     i++)
		if (strcmp(live_sections[i], section) == 0)
			return true;
	return false;
}

void ys_config_apply_live(struct ys_config *dst, const struct ys_config *src)
{
	dst->n_interfaces = src->n_interfaces;
	memcpy(dst->interfaces, src->interfaces, sizeof(dst->interfaces));
	dst->n_static_routes = src->n_static_routes;
	memcpy(dst->static_routes, src->static_routes,
	       sizeof(dst->static_routes));
	dst->arp = src->arp;
	dst->diag = src->diag;
	dst->icmp = src->icmp;
}

/* ---- address parsers ---- */

int ys_parse_ipv4(const char *s, uint32_t *out_be)
{
	struct in_addr a;

	/*
	 * inet_pton() takes exactly four decimal parts of 0..255 with no
	 * sign, no leading zero and nothing after; unlike inet_aton() it
	 * refuses "10.1" and "0x0a.0.0.1".
	 */
	if (s == NULL || out_be == NULL || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out_be = a.s_addr;
	return 0;
}

/* 1 or 2 decimal digits, no sign, no leading zero, 0..32. */
static int parse_prefix_len(const char *s, uint8_t *out)
{
	size_t n = strlen(s);
	unsigned v = 0;

	if (n < 1 || n > 2 || (n == 2 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 32)
		return -EINVAL;
	*out = (uint8_t)v;
	return 0;
}

int ys_parse_cidr(const char *s, struct ys_cfg_addr *out)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash;
	uint32_t a;
	uint8_t len;

	if (s == NULL || out == NULL)
		return -EINVAL;
	slash = strchr(s, '/');
	if (slash == NULL || (size_t)(slash - s) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (ys_parse_ipv4(addr, &a) || parse_prefix_len(slash + 1, &len))
		return -EINVAL;
	out->addr = a;
	out->prefix_len = len;
	return 0;
}
