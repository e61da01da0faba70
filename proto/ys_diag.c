/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Diagnostic services (ys_diag.h). The UDP echo service is a UDP
 * receive callback that sends the datagram's payload back with
 * ys_udp_sendto_chain(): a copy, so the received chain (borrowed) can be
 * any shape, and the reply is a fresh chain that ys_stack_ip_output()
 * fragments when it exceeds the MTU.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "ys_diag.h"
#include "ys_stack.h"
#include "ys_stack_pvt.h"
#include "ys_udp.h"

/*
 * Source ports never answered (ys_diag.h): 0 (RFC 768: no reply is
 * expected), and services that answer whatever they get, with which an
 * echo would loop: echo (RFC 862), daytime (RFC 867), quote of the day
 * (RFC 865), chargen (RFC 864), and the echo port itself.
 */
static bool echo_src_port_ok(uint16_t sport, uint16_t echo_port)
{
	switch (sport) {
	case 0:
	case 7:
	case 13:
	case 17:
	case 19:
		return false;
	default:
		return sport != echo_port;
	}
}

/* RFC 862: "any data received is sent back"; the reply goes from the
 * address the request was sent to (RFC 1122 4.1.3.5). Borrows d. */
static void echo_recv(void *ctx, const struct ys_udp_dgram *d)
{
	struct ys_stack *st = ctx;

	/* A refused request ends as its drop reason only, not as echoed
	 * too (every datagram ends in one of the two). */
	if (!echo_src_port_ok(d->src_port, d->dst_port)) {
		ys_stack_count_drop(st, YS_STACK_DROP_diag_udp_echo_refused);
		return;
	}
	st->stats->diag_udp_echo_rx++;
	/* Failures are counted where they happen (no mbuf, no route, ARP
	 * queue full...). */
	if (ys_udp_sendto_chain(st, d->dst_addr, d->dst_port, d->src_addr,
	                        d->src_port, d->m, d->off, d->len) == 0)
		st->stats->diag_udp_echo_tx++;
}

int ys_diag_udp_echo_check(const struct ys_stack *st, uint16_t port)
{
	uint16_t cur = st->diag.udp_echo_port;
	int rc;

	if (port == 0 || port == cur)
		return 0;
	rc = ys_udp_bind_check(st, 0, port);
	/* The running service's slot is given back before the new bind. */
	if (rc == -ENOSPC && cur != 0)
		rc = 0;
	return rc;
}

int ys_diag_udp_echo_start(struct ys_stack *st, uint16_t port)
{
	uint16_t cur = st->diag.udp_echo_port;
	int rc = ys_diag_udp_echo_check(st, port);

	if (rc != 0)
		return rc;
	if (port == cur)
		return 0;
	ys_diag_udp_echo_stop(st);
	if (port == 0)
		return 0;
	/* Cannot fail: checked, and a slot is free. */
	rc = ys_udp_bind(st, 0, port, echo_recv, st);
	if (rc == 0)
		st->diag.udp_echo_port = port;
	return rc;
}

void ys_diag_udp_echo_stop(struct ys_stack *st)
{
	if (st->diag.udp_echo_port == 0)
		return;
	ys_udp_unbind(st, 0, st->diag.udp_echo_port);
	st->diag.udp_echo_port = 0;
}
