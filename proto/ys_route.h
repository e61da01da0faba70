/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPv4 routing table of one stack instance: a host's forwarding
 * decision (RFC 1122 3.3.1) made the way RFC 1812 5.2.4.3 describes for a
 * router, by longest prefix match.
 *
 * Routes come from the configuration only: one connected route per
 * interface address (its prefix, on link), the static routes (a prefix via
 * a neighbour on a connected prefix), and a default route via each
 * interface's gateway. A lookup gives the interface, the next hop (the
 * destination itself on a connected prefix) and the source address to use.
 *
 * Not rte_lpm: rte_lpm_create() registers its table by name in the EAL's
 * tailq, which lives in the primary's shared memory, and allocates its
 * 2^24-entry tbl24 (64 MiB) from the shared hugepage heap. Every secondary
 * would need a unique name, a secondary killed with SIGKILL would leak the
 * table and its name (the restarted one then fails with EEXIST), and unit
 * tests (-m 64, --no-huge) could not even hold one. A host has a few dozen
 * routes: this table is a plain array, sorted once when it is built, with
 * one binary search per prefix length in use (lengths tracked in a
 * bitmap), in the instance's own memory.
 *
 * Types first, then the functions ys_stack.c uses; the operator's view
 * (ys_stack_route_foreach, ys_stack_route_lookup) is in ys_stack.h.
 */
#ifndef YS_ROUTE_H
#define YS_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- types ---------------------------------------------------------------
 */

/* Where a route comes from, in order of preference for equal prefixes. */
enum ys_route_source {
	YS_ROUTE_CONNECTED = 0, /* an interface address's prefix: on link */
	YS_ROUTE_STATIC,        /* static_routes[]: via a neighbour */
	YS_ROUTE_DEFAULT,       /* 0.0.0.0/0 via an interface's gateway */
	YS_ROUTE_SOURCE_MAX
};

/* Room for every route a valid configuration can give (ys_stack.c
 * checks the sum of its limits against it). */
#define YS_ROUTE_MAX  256
#define YS_ROUTE_NLEN 33 /* prefix lengths 0..32 */

/* One route; addresses in host byte order, so that masks apply. */
struct ys_route {
	uint32_t prefix; /* host bits clear */
	uint32_t via;    /* next hop; 0: on link (the destination itself) */
	uint32_t src;    /* our address on the next hop's prefix */
	uint16_t iface;  /* index into ys_stack_conf.ifaces */
	uint8_t len;     /* prefix length 0..32 */
	uint8_t source;  /* enum ys_route_source */
};

/*
 * routes[] in configuration order (connected, static, default), as a dump
 * shows them; sorted[] indexes them by (length descending, prefix,
 * source, order), so that for one length the routes of one prefix are
 * adjacent and the preferred one comes first. first[len]/count[len]
 * delimit a length's run in sorted[]; bit len of `lens` is set when the
 * run is not empty.
 */
struct ys_route_table {
	uint32_t n;
	uint64_t lens;
	uint16_t first[YS_ROUTE_NLEN];
	uint16_t count[YS_ROUTE_NLEN];
	uint16_t sorted[YS_ROUTE_MAX];
	struct ys_route routes[YS_ROUTE_MAX];
};

/* ---- functions ----------------------------------------------------------
 */

struct ys_stack_conf;

/*
 * The route checks of ys_stack_validate_conf(): static routes (length,
 * host bits, duplicates, a next hop on a connected prefix that is not one
 * of our addresses) and gateways. 0, or -EINVAL with the reason in err
 * (may be NULL).
 */
int ys_route_check_conf(const struct ys_stack_conf *conf, char *err,
                        size_t err_len);

/* Fills `t` from a configuration that passed ys_route_check_conf(). */
void ys_route_build(struct ys_route_table *t, const struct ys_stack_conf *conf);

/* The longest-prefix route to `dst` (host order), or NULL. */
const struct ys_route *ys_route_lookup(const struct ys_route_table *t,
                                       uint32_t dst);

/*
 * The longest connected prefix holding `ip` (network order) among the
 * addresses of interface `iface` of conf, or of every interface when
 * `iface` is UINT32_MAX. On success *ifout (may be NULL) is the interface
 * and *src (network order, may be NULL) the address of that prefix.
 */
bool ys_route_on_link(const struct ys_stack_conf *conf, uint32_t iface,
                      uint32_t ip, uint32_t *ifout, uint32_t *src);

#endif /* YS_ROUTE_H */
