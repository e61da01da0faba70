/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the stack's own modules (ys_stack.c, ys_arp.c, ys_route.c) share
 * and nothing else may use: counting drops, transmitting, mbuf surgery,
 * address tests. Ownership words as in ys_stack.c.
 */
#ifndef YS_STACK_PVT_H
#define YS_STACK_PVT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "ys_stack.h"

#define YS_ETH_HLEN  ((uint32_t)sizeof(struct rte_ether_hdr)) /* 14 */
#define YS_ARP_LEN   ((uint32_t)sizeof(struct rte_arp_hdr))   /* 28 */
#define YS_IPV4_HLEN ((uint32_t)sizeof(struct rte_ipv4_hdr))  /* 20 */

/* Host-order mask of a prefix length 0..32. */
static inline uint32_t ys_prefix_mask(uint8_t len)
{
	return len ? UINT32_MAX << (32 - len) : 0;
}

/* Index of ifp in st->conf.ifaces. */
static inline uint32_t ys_iface_index(const struct ys_stack *st,
                                      const struct ys_stack_iface *ifp)
{
	return (uint32_t)(ifp - st->conf.ifaces);
}

/* snprintf into err when err is not NULL (validation messages). */
void ys_conf_err(char *err, size_t err_len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Counts one frame lost for `reason` (someone else freed it). */
void ys_stack_count_drop(struct ys_stack *st, enum ys_stack_drop_reason reason);

/* Counts m under `reason` and frees it. Consumes m. */
void ys_stack_drop(struct ys_stack *st, struct rte_mbuf *m,
                   enum ys_stack_drop_reason reason);

/* Frees m, fully handled (no drop). Consumes m. */
void ys_stack_free(struct ys_stack *st, struct rte_mbuf *m);

/* Sends m out of ifp. Consumes m. True when the link layer queued it. */
bool ys_stack_tx(struct ys_stack *st, const struct ys_stack_iface *ifp,
                 struct rte_mbuf *m);

/*
 * m, or a private copy when m's data is shared (m then freed); NULL after
 * counting tx_alloc_failed. Consumes m.
 */
struct rte_mbuf *ys_stack_writable(struct ys_stack *st, struct rte_mbuf *m);

/* Cuts m to its first len bytes (0 < len <= pkt_len). Borrows m. */
void ys_stack_trim(const struct ys_stack *st, struct rte_mbuf *m, uint32_t len);

/* A fresh, tagged, empty mbuf; NULL after counting tx_alloc_failed. */
struct rte_mbuf *ys_stack_alloc(struct ys_stack *st);

/* Whether addr (network order) is one of ifp's addresses. */
bool ys_iface_owns(const struct ys_stack_iface *ifp, uint32_t addr);

/* Whether addr (network order) is one of any interface's addresses. */
bool ys_stack_is_local(const struct ys_stack *st, uint32_t addr);

/*
 * RFC 1122 3.2.1.3: whether `a` (network order) may be a unicast host
 * address seen from ifp: not broadcast (limited, or directed on one of
 * ifp's prefixes), multicast, class E, loopback or "this network".
 */
bool ys_ipv4_unicast_ok(const struct ys_stack_iface *ifp, uint32_t a);

/*
 * Sends the IPv4 datagram in m (Ethernet and IPv4 headers written, in the
 * first segment; the frame ends where the datagram ends) out of ifp:
 * whole when it fits the MTU, else fragmented. Consumes m. True when
 * every frame was queued.
 */
bool ys_ipv4_eth_output(struct ys_stack *st, const struct ys_stack_iface *ifp,
                        struct rte_mbuf *m);

#endif /* YS_STACK_PVT_H */
