/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP (RFC 768, RFC 1122 4.1) of one stack instance: a bounded table of
 * bound ports with a receive callback each, and send-to in three shapes
 * (from a flat buffer, copied from a borrowed mbuf chain, or taking a
 * payload chain over). Everything lives in struct ys_stack: no globals.
 *
 * Input (ys_udp_input(), called by the IPv4 layer for protocol 17):
 *  - the 8-byte header must lie in the first segment, and the IPv4
 *    payload hold at least 8 bytes (udp_malformed);
 *  - Length below 8, or beyond the IPv4 payload, is dropped
 *    (udp_bad_length): RFC 768 defines Length as the datagram's own, so
 *    a larger one claims bytes that never arrived. A Length shorter than
 *    the IPv4 payload is honoured: the bytes after it are not part of the
 *    datagram and are ignored (counted as udp_rx_trimmed);
 *  - the checksum covers the pseudo-header and every segment of a chained
 *    (reassembled) datagram; a non-zero wrong one is silently discarded
 *    (RFC 1122 4.1.3.4, udp_bad_checksum); zero means the sender computed
 *    none (RFC 768; counted as udp_rx_no_checksum and accepted);
 *  - delivered to the socket bound to (destination address, port), else
 *    to the one bound to (any, port); else ICMP port unreachable (RFC
 *    1122 4.1.3.1, sent by ys_icmp_send_error(), which suppresses it for
 *    broadcasts, multicasts and non-first fragments and rate-limits it)
 *    and a udp_no_port drop.
 *
 * Output: the checksum is always generated (RFC 1122 4.1.3.4: an
 * application "MAY optionally be able to control whether a UDP checksum
 * will be generated, but it MUST default to checksumming"; this API has
 * no way to turn it off), DF is clear, and a datagram larger than the
 * interface MTU leaves as fragments (ys_stack_ip_output()).
 */
#ifndef YS_UDP_H
#define YS_UDP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

/* ---- types ---------------------------------------------------------------
 */

#define YS_UDP_HLEN 8u /* RFC 768 header */
/* The largest payload: 65535 (IPv4 Total Length) - 20 - 8. */
#define YS_UDP_MAX_PAYLOAD 65507u
/* Bound (address, port) pairs per stack instance. */
#define YS_UDP_MAX_SOCKETS 64u

/*
 * A datagram handed to a receive callback. Addresses are in network
 * byte order, ports in host order. The frame is borrowed for the
 * duration of the call only: copy what must outlive it.
 */
struct ys_udp_dgram {
	uint32_t src_addr; /* the sender's */
	/* Our address it was sent to (RFC 1122 4.1.3.5: passed up so that a
	 * reply can come from it). */
	uint32_t dst_addr;
	uint16_t src_port; /* 0: the sender wants no reply (RFC 768) */
	uint16_t dst_port;
	uint32_t iface; /* index in ys_stack_conf.ifaces it arrived on */
	const struct rte_mbuf *m; /* the frame; may be a chain */
	uint32_t off;             /* the payload's offset in m */
	uint32_t len;             /* payload bytes (may be 0) */
};

/* Called for every datagram to a bound port. It may send (ys_udp_send*),
 * bind and unbind, including its own port. */
typedef void (*ys_udp_recv_fn)(void *ctx, const struct ys_udp_dgram *d);

/* One bound port; a free slot has cb NULL. */
struct ys_udp_sock {
	ys_udp_recv_fn cb;
	void *ctx;
	uint32_t addr; /* network order; 0: every local address */
	uint16_t port; /* host order, >= 1 */
};

/* The instance's UDP state (in struct ys_stack). */
struct ys_udp_table {
	uint32_t n_bound;
	struct ys_udp_sock socks[YS_UDP_MAX_SOCKETS];
};

/* ---- functions ----------------------------------------------------------
 */

struct ys_stack;
struct ys_stack_iface;

/*
 * Binds `port` (host order, 1..65535) on `addr_be` (one of our addresses,
 * or 0 for every local address, including ones a reload adds later): its
 * datagrams go to cb(ctx, ...). A specific address and "any" on the same
 * port exclude each other, as sockets without SO_REUSEADDR do.
 * Returns 0; -EINVAL (port 0, cb NULL, an address that is not ours);
 * -EADDRINUSE; -ENOSPC (YS_UDP_MAX_SOCKETS bound).
 */
int ys_udp_bind(struct ys_stack *st, uint32_t addr_be, uint16_t port,
                ys_udp_recv_fn cb, void *ctx);

/*
 * Calls fn for every bound (addr, port): addr in network order (0:
 * every local address), port in host order. For `ysctl conns`.
 */
typedef void (*ys_udp_visit_fn)(void *ctx, uint32_t addr_be, uint16_t port);
void ys_udp_foreach(const struct ys_stack *st, ys_udp_visit_fn fn, void *ctx);

/* Unbinds exactly (addr_be, port). 0, or -ENOENT. */
int ys_udp_unbind(struct ys_stack *st, uint32_t addr_be, uint16_t port);

/*
 * Whether ys_udp_bind(st, addr_be, port, ...) would succeed: 0, or its
 * error. Changes nothing.
 */
int ys_udp_bind_check(const struct ys_stack *st, uint32_t addr_be,
                      uint16_t port);

/*
 * Sends `len` bytes of `data` (len <= YS_UDP_MAX_PAYLOAD; data may be
 * NULL when len is 0) from (src_be, sport) to (dst_be, dport). src_be 0
 * takes the route's source address (RFC 1122 3.3.4.2); otherwise it must
 * be one of ours (RFC 1122 4.1.3.6). sport 0 means "no reply expected"
 * (RFC 768); dport must not be 0. The datagram is built as an mbuf chain
 * and fragmented on output when larger than the MTU.
 *
 * Returns 0 when sent or waiting for ARP resolution; -EINVAL (bad
 * argument) or -EMSGSIZE (too long) with nothing built or counted;
 * -ENETUNREACH (no route, counted ip_no_route); -ENOBUFS (no mbuf,
 * counted tx_alloc_failed; or dropped on the way, counted there).
 */
int ys_udp_sendto(struct ys_stack *st, uint32_t src_be, uint16_t sport,
                  uint32_t dst_be, uint16_t dport, const void *data,
                  uint32_t len);

/*
 * The same with the payload copied from `len` bytes of the chain `m` at
 * `off` (off + len <= pkt_len). Borrows m: a receive callback may pass
 * its datagram's frame (d->m, d->off, d->len).
 */
int ys_udp_sendto_chain(struct ys_stack *st, uint32_t src_be, uint16_t sport,
                        uint32_t dst_be, uint16_t dport,
                        const struct rte_mbuf *m, uint32_t off, uint32_t len);

/*
 * The same without a copy: `payload` is the whole payload (a chain from
 * the stack's pool, tagged ours, pkt_len bytes). Consumes payload. The
 * headers are prepended in its first segment when it is direct,
 * unshared and has YS_UDP_TX_HEADROOM bytes of headroom, else in a fresh
 * mbuf chained in front. Argument errors free it and count
 * udp_tx_invalid.
 */
int ys_udp_sendto_mbuf(struct ys_stack *st, uint32_t src_be, uint16_t sport,
                       uint32_t dst_be, uint16_t dport,
                       struct rte_mbuf *payload);

/* Headroom that lets ys_udp_sendto_mbuf() write the headers in front of
 * the payload in place: Ethernet, an 802.1Q tag (VLAN interfaces), IPv4
 * and UDP. */
#define YS_UDP_TX_HEADROOM (14u + 4u + 20u + YS_UDP_HLEN)

/*
 * Copies up to `len` payload bytes from payload offset `off` into buf.
 * Returns the number copied (0 when off is past the end).
 */
uint32_t ys_udp_dgram_copy(const struct ys_udp_dgram *d, uint32_t off,
                           void *buf, uint32_t len);

/*
 * `len` payload bytes from `off`: a pointer into the frame when they are
 * contiguous, else copied into buf (len bytes). NULL when off + len is
 * past the payload.
 */
const void *ys_udp_dgram_read(const struct ys_udp_dgram *d, uint32_t off,
                              uint32_t len, void *buf);

/* For ys_stack.c: no port bound. */
void ys_udp_init(struct ys_stack *st);

/*
 * For the IPv4 layer: the UDP datagram in m after the Ethernet header (no
 * 802.1Q tag left) and an IPv4 header of `hlen` bytes, both validated;
 * the frame ends where the IPv4 datagram ends. Consumes m.
 */
void ys_udp_input(struct ys_stack *st, const struct ys_stack_iface *ifp,
                  struct rte_mbuf *m, uint32_t hlen);

#endif /* YS_UDP_H */
