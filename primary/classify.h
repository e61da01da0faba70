/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classification of a received frame for the dispatcher (classify.c).
 * Pure: reads the frame, writes only `struct ys_classified`.
 */
#ifndef YS_CLASSIFY_H
#define YS_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>

#include "ys_stats.h"
#include "ys_toeplitz.h"

enum ys_class {
	YS_CLASS_FLOW,      /* one secondary: the owner of `key` */
	YS_CLASS_NEIGHBOUR, /* ARP / IPv6 ND: copies to every secondary */
	YS_CLASS_FRAGMENT,  /* an IP fragment: reassemble, then classify */
	YS_CLASS_DROP,      /* `drop` says why */
};

/* The Toeplitz input in wire order: addresses, then ports if any. */
struct ys_flow_key {
	uint8_t len; /* 8, 12, 32 or 36 */
	uint8_t bytes[YS_TOEPLITZ_MAX_INPUT];
};

struct ys_classified {
	enum ys_port_drop_reason drop; /* YS_CLASS_DROP */
	uint16_t l2_len;               /* Ethernet + VLAN tags */
	uint16_t l3_offset;            /* == l2_len for IP */
	uint16_t l3_len; /* IPv4 IHL; IPv6 fixed + extension headers */
	uint32_t ip_len; /* IPv4 total length; IPv6 40 + payload length */
	bool l4_ports;   /* key includes TCP/UDP ports of this frame */
	bool icmp_error; /* key is the quoted datagram's flow */
	struct ys_flow_key key; /* last: not cleared for each frame */
};

static inline enum ys_class ys_class_drop(struct ys_classified *c,
                                          enum ys_port_drop_reason why)
{
	c->drop = why;
	return YS_CLASS_DROP;
}

/* Classify one frame. Borrows m. */
enum ys_class ys_classify(const struct rte_mbuf *m, struct ys_classified *c);

#endif /* YS_CLASSIFY_H */
