/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The routing table (ys_route.h): built from the configuration, looked up
 * by longest prefix match (RFC 1812 5.2.4.3), never changed in between
 * (a reconfiguration builds a new one).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>

#include <rte_byteorder.h>

#include "ys_route.h"
#include "ys_stack.h"
#include "ys_stack_pvt.h"

#define ANY_IFACE UINT32_MAX

/* ---- connected prefixes ------------------------------------------------- */

bool ys_route_on_link(const struct ys_stack_conf *conf, uint32_t iface,
                      uint32_t ip, uint32_t *ifout, uint32_t *src)
{
	uint32_t h = rte_be_to_cpu_32(ip), i, j;
	int best = -1;

	for (i = 0; i < conf->n_ifaces; i++) {
		const struct ys_stack_iface *ifp = &conf->ifaces[i];

		if (iface != ANY_IFACE && i != iface)
			continue;
		for (j = 0; j < ifp->n_addrs; j++) {
			uint8_t len = ifp->prefix_lens[j];
			uint32_t mask = ys_prefix_mask(len);

			if (((h ^ rte_be_to_cpu_32(ifp->addrs[j])) & mask) ||
			    (int)len <= best)
				continue;
			best = len;
			if (ifout != NULL)
				*ifout = i;
			if (src != NULL)
				*src = ifp->addrs[j];
		}
	}
	return best >= 0;
}

/* ---- checks ------------------------------------------------------------- */

/* "a.b.c.d" of a network-order address, in buf (INET_ADDRSTRLEN). */
static const char *ip_str(uint32_t ip, char *buf)
{
	inet_ntop(AF_INET, &ip, buf, INET_ADDRSTRLEN);
	return buf;
}

/* A next hop (network order) must be a neighbour: on a connected prefix
 * of `iface` (or of any interface), and not one of our addresses. */
static int check_next_hop(const struct ys_stack_conf *conf, uint32_t iface,
                          uint32_t via, const char *key, char *err,
                          size_t err_len)
{
	char a[INET_ADDRSTRLEN];
	uint32_t k;

	for (k = 0; k < conf->n_ifaces; k++) {
		if (ys_iface_owns(&conf->ifaces[k], via)) {
			ys_conf_err(err, err_len,
			            "%s: %s is one of our addresses", key,
			            ip_str(via, a));
			return -EINVAL;
		}
	}
	if (!ys_route_on_link(conf, iface, via, NULL, NULL)) {
		ys_conf_err(err, err_len, "%s: %s is not on %s", key,
		            ip_str(via, a),
		            iface == ANY_IFACE ? "a connected prefix"
		                               : "the interface's prefixes");
		return -EINVAL;
	}
	return 0;
}

/* One static route: prefix, length, next hop; not a duplicate. */
static int check_static(const struct ys_stack_conf *conf, uint32_t i, char *err,
                        size_t err_len)
{
	const struct ys_stack_route *r = &conf->routes[i];
	char a[INET_ADDRSTRLEN], key[48];
	uint32_t k;

	if (r->prefix_len > 32) {
		ys_conf_err(err, err_len,
		            "static_routes[%u].prefix: length must be at most "
		            "32",
		            i);
		return -EINVAL;
	}
	/* RFC 1812 2.2.5.2: a prefix is an address and a mask; bits past
	 * the mask are a typo, not a route. */
	if (rte_be_to_cpu_32(r->prefix) & ~ys_prefix_mask(r->prefix_len)) {
		ys_conf_err(err, err_len,
		            "static_routes[%u].prefix: %s/%u has host bits set",
		            i, ip_str(r->prefix, a), r->prefix_len);
		return -EINVAL;
	}
	for (k = 0; k < i; k++) {
		if (conf->routes[k].prefix == r->prefix &&
		    conf->routes[k].prefix_len == r->prefix_len) {
			ys_conf_err(err, err_len,
			            "static_routes[%u].prefix: duplicates "
			            "static_routes[%u]",
			            i, k);
			return -EINVAL;
		}
	}
	if (r->via == 0) {
		ys_conf_err(err, err_len, "static_routes[%u].via: required", i);
		return -EINVAL;
	}
	snprintf(key, sizeof(key), "static_routes[%u].via", i);
	return check_next_hop(conf, ANY_IFACE, r->via, key, err, err_len);
}

int ys_route_check_conf(const struct ys_stack_conf *conf, char *err,
                        size_t err_len)
{
	char key[48];
	uint32_t i;
	int rc;

	if (conf->n_routes > YS_STACK_MAX_ROUTES) {
		ys_conf_err(err, err_len,
		            "static_routes: must have at most %u entries",
		            YS_STACK_MAX_ROUTES);
		return -EINVAL;
	}
	for (i = 0; i < conf->n_routes; i++) {
		rc = check_static(conf, i, err, err_len);
		if (rc)
			return rc;
	}
	for (i = 0; i < conf->n_ifaces; i++) {
		if (conf->ifaces[i].gateway == 0)
			continue;
		snprintf(key, sizeof(key), "interfaces[%u].gateway", i);
		rc = check_next_hop(conf, i, conf->ifaces[i].gateway, key, err,
		                    err_len);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- building ----------------------------------------------------------- */

static void add_route(struct ys_route_table *t, enum ys_route_source source,
                      uint32_t prefix, uint8_t len, uint32_t via,
                      uint32_t iface, uint32_t src)
{
	struct ys_route *r = &t->routes[t->n++];

	r->prefix = prefix;
	r->len = len;
	r->via = via;
	r->iface = (uint16_t)iface;
	r->src = src;
	r->source = (uint8_t)source;
}

/*
 * One connected route per interface prefix; a second address on the same
 * prefix of the same interface adds nothing (the first is the source).
 */
static void add_connected(struct ys_route_table *t,
                          const struct ys_stack_conf *conf)
{
	uint32_t i, j, k;

	for (i = 0; i < conf->n_ifaces; i++) {
		const struct ys_stack_iface *ifp = &conf->ifaces[i];

		for (j = 0; j < ifp->n_addrs; j++) {
			uint8_t len = ifp->prefix_lens[j];
			uint32_t a = rte_be_to_cpu_32(ifp->addrs[j]);
			uint32_t net = a & ys_prefix_mask(len);
			bool dup = false;

			for (k = 0; k < t->n; k++)
				dup |= t->routes[k].prefix == net &&
				       t->routes[k].len == len &&
				       t->routes[k].iface == i;
			if (!dup)
				add_route(t, YS_ROUTE_CONNECTED, net, len, 0, i,
				          a);
		}
	}
}

/* Static routes, then defaults: each next hop leaves by the interface of
 * the longest connected prefix holding it. */
static void add_via(struct ys_route_table *t, const struct ys_stack_conf *conf)
{
	uint32_t i, iface, src;

	for (i = 0; i < conf->n_routes; i++) {
		const struct ys_stack_route *r = &conf->routes[i];

		if (ys_route_on_link(conf, ANY_IFACE, r->via, &iface, &src))
			add_route(t, YS_ROUTE_STATIC,
			          rte_be_to_cpu_32(r->prefix), r->prefix_len,
			          rte_be_to_cpu_32(r->via), iface,
			          rte_be_to_cpu_32(src));
	}
	for (i = 0; i < conf->n_ifaces; i++) {
		uint32_t gw = conf->ifaces[i].gateway;

		if (gw != 0 && ys_route_on_link(conf, i, gw, &iface, &src))
			add_route(t, YS_ROUTE_DEFAULT, 0, 0,
			          rte_be_to_cpu_32(gw), iface,
			          rte_be_to_cpu_32(src));
	}
}

/* The order of sorted[]: length descending, prefix, then table order
 * (which is the order of preference). */
static bool sorts_before(const struct ys_route_table *t, uint16_t a, uint16_t b)
{
	const struct ys_route *x = &t->routes[a], *y = &t->routes[b];

	if (x->len != y->len)
		return x->len > y->len;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix;
	return a < b;
}

/* Insertion sort (a few hundred routes, built once), then the runs. */
static void index_routes(struct ys_route_table *t)
{
	uint32_t i, j;

	for (i = 0; i < t->n; i++) {
		uint16_t v = (uint16_t)i;

		for (j = i; j > 0 && sorts_before(t, v, t->sorted[j - 1]); j--)
			t->sorted[j] = t->sorted[j - 1];
		t->sorted[j] = v;
	}
	for (i = 0; i < t->n; i++) {
		uint8_t len = t->routes[t->sorted[i]].len;

		if (t->count[len]++ == 0)
			t->first[len] = (uint16_t)i;
		t->lens |= UINT64_C(1) << len;
	}
}

void ys_route_build(struct ys_route_table *t, const struct ys_stack_conf *conf)
{
	memset(t, 0, sizeof(*t));
	add_connected(t, conf);
	add_via(t, conf);
	index_routes(t);
}

/* ---- lookup ------------------------------------------------------------- */

/* The first route of length `len` whose prefix is `key`, or NULL. */
static const struct ys_route *find_prefix(const struct ys_route_table *t,
                                          uint8_t len, uint32_t key)
{
	uint32_t lo = t->first[len], hi = lo + t->count[len];

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (t->routes[t->sorted[mid]].prefix < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < (uint32_t)t->first[len] + t->count[len] &&
	    t->routes[t->sorted[lo]].prefix == key)
		return &t->routes[t->sorted[lo]];
	return NULL;
}

const struct ys_route *ys_route_lookup(const struct ys_route_table *t,
                                       uint32_t dst)
{
	uint64_t lens = t->lens;

	/* Longest first: the first length with a matching prefix wins. */
	while (lens != 0) {
		uint8_t len = (uint8_t)(63 - __builtin_clzll(lens));
		const struct ys_route *r =
		        find_prefix(t, len, dst & ys_prefix_mask(len));

		if (r != NULL)
			return r;
		lens &= ~(UINT64_C(1) << len);
	}
	return NULL;
}
