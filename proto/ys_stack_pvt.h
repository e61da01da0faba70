/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the stack's own modules (ys_stack.c, ys_arp.c, ys_route.c,
 * ys_ipv4.c, ys_icmp.c, ys_pmtu.c and the rest of proto/) share and
 * nothing else may use: counting drops, transmitting, mbuf surgery,
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

/* ---- IPv4 input and ICMP (ys_ipv4.c, ys_icmp.c) ------------------------- */

/* RFC 1122 3.2.1.7: TTL of datagrams the host originates ("Assigned
 * Numbers" default, 64 since RFC 1700). */
#define YS_IPV4_TTL 64

/* The Identification of the next datagram this instance originates
 * (RFC 791 3.2: unique per source, destination and protocol while the
 * datagram may be alive). */
uint16_t ys_ipv4_next_id(struct ys_stack *st);

/*
 * RFC 1122 3.2.1.3 and 3.2.2: whether `a` (network order) can be a unicast
 * host address seen from this instance: not 0/8, 127/8, multicast, class
 * E, the limited broadcast, nor the directed broadcast of a prefix of any
 * interface.
 */
bool ys_ipv4_host_addr_ok(const struct ys_stack *st, uint32_t a);

/*
 * Raw (not complemented) one's complement sum of `len` bytes of m from
 * `off`, across segments; off + len <= pkt_len. Borrows m.
 */
uint16_t ys_mbuf_cksum(const struct rte_mbuf *m, uint32_t off, uint32_t len);

/* The IPv4 datagram in m, after the Ethernet header, arrived on ifp.
 * Consumes m. */
void ys_ipv4_input(struct ys_stack *st, const struct ys_stack_iface *ifp,
                   struct rte_mbuf *m);

/* The ICMP message in m after an IPv4 header of `hlen` bytes (validated by
 * ys_ipv4_input(); the frame ends where the datagram ends). Consumes m. */
void ys_icmp_input(struct ys_stack *st, const struct ys_stack_iface *ifp,
                   struct rte_mbuf *m, uint32_t hlen);

/*
 * Sends an ICMP error (RFC 792, RFC 1122 3.2.2) of `type` and `code` about
 * `orig`, a received frame whose data starts at its Ethernet header (no
 * 802.1Q tag: the stack removed it) and whose IPv4 header ys_ipv4_input()
 * validated (in the first segment; the rest may be a chain). Borrows orig.
 * `next_hop_mtu` goes into bytes 6-7 of a "fragmentation needed" error
 * (type 3 code 4, RFC 1191 4), and is ignored otherwise.
 *
 * The error quotes orig's IPv4 header, options included, and as much of
 * its data as keeps the error within 576 bytes (RFC 1812 4.3.2.3; always
 * at least 8 bytes of data when orig has them, RFC 792). It goes to orig's
 * source, from orig's destination (one of our addresses; else the route's
 * source), through ys_stack_ip_output() (route, ARP).
 *
 * Returns 0 when sent (or waiting for ARP; counted icmp_errors_sent), or:
 * -EPERM when the RFCs forbid it, each case counted: about an ICMP error
 * or unknown ICMP type (icmp_errors_about_error: RFC 1122 3.2.2, only
 * queries get errors), about a datagram sent to an IP broadcast or
 * multicast address or received as a link-layer broadcast or multicast
 * (icmp_errors_about_bcast), about a fragment other than the first
 * (icmp_errors_about_fragment), about a datagram whose source is not a
 * unicast host address (icmp_errors_about_bad_src); -EAGAIN when the
 * token bucket is empty (icmp_errors_rate_limited); -ENOBUFS when no mbuf
 * (tx_alloc_failed); ys_stack_ip_output()'s error otherwise (counted
 * there).
 */
int ys_icmp_send_error(struct ys_stack *st, const struct rte_mbuf *orig,
                       uint8_t type, uint8_t code, uint16_t next_hop_mtu);

/* The ICMP checks of ys_stack_validate_conf(): rate and burst in range.
 * 0, or -EINVAL with the reason in err (may be NULL). */
int ys_icmp_check_conf(const struct ys_stack_conf *conf, char *err,
                       size_t err_len);

/* A full token bucket at st->now_ms (ys_stack_init()). */
void ys_icmp_limiter_init(struct ys_stack *st);

#endif /* YS_STACK_PVT_H */
