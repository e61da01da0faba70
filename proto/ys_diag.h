/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Built-in diagnostic services of one stack instance, for tests and for
 * operators (config `diag`). Today: a UDP echo service (RFC 862) that
 * sends every datagram back to its source, byte for byte, from the
 * address and port it arrived on, whatever its size (up to what the
 * primary reassembles: 8 fragments, about 11.8 KB at MTU 1500).
 *
 * It is bound on every local address ("any", ys_udp_bind() with address
 * 0), so that addresses a reload adds are served at once. It does not
 * answer datagrams whose source port is 0 (RFC 768: no reply expected),
 * that of a service that answers everything (echo 7, daytime 13, qotd
 * 17, chargen 19) or the echo port itself: two such services pointed at
 * each other (a spoofed source is enough) would bounce a datagram
 * forever (CERT CA-1996-01). Those are counted as diag_udp_echo_refused.
 */
#ifndef YS_DIAG_H
#define YS_DIAG_H

#include <stdint.h>

/* The instance's diagnostic services (in struct ys_stack). */
struct ys_diag {
	uint16_t udp_echo_port; /* host order; 0: off */
};

struct ys_stack;

/*
 * Serves UDP echo on `port` (host order) on every local address, instead
 * of the port it served before, if any; port 0 stops it. All or nothing:
 * 0, or ys_udp_bind()'s error (-EADDRINUSE, -ENOSPC) with the service as
 * it was.
 */
int ys_diag_udp_echo_start(struct ys_stack *st, uint16_t port);

/* Stops the UDP echo service (no-op when off). */
void ys_diag_udp_echo_stop(struct ys_stack *st);

/* Whether ys_diag_udp_echo_start(st, port) would succeed: 0 or its
 * error. Changes nothing. */
int ys_diag_udp_echo_check(const struct ys_stack *st, uint16_t port);

#endif /* YS_DIAG_H */
