/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP (RFC 792, RFC 1122 3.2.2) of one stack instance: types and limits.
 * The functions are private to the stack (ys_stack_pvt.h): echo replies,
 * errors received (counted; "fragmentation needed" feeds the path MTU
 * table, proto/ys_pmtu.h) and errors sent (ys_icmp_send_error()) under a
 * per-instance token bucket.
 */
#ifndef YS_ICMP_H
#define YS_ICMP_H

#include <stdint.h>

/*
 * Rate limit of the ICMP errors one instance sends (RFC 1812 4.3.2.8 and
 * RFC 1122 3.2.2: a host SHOULD limit the errors it generates): a token
 * bucket refilled with `icmp_rate` errors per second, holding at most
 * `icmp_burst`. 0 in ys_stack_conf takes these defaults.
 */
#define YS_ICMP_DEFAULT_RATE  100
#define YS_ICMP_DEFAULT_BURST 50
#define YS_ICMP_MAX_RATE      1000000
#define YS_ICMP_MAX_BURST     1000000

/*
 * RFC 1812 4.3.2.3: an ICMP error holds as much of the datagram it is
 * about as keeps it within 576 bytes (the smallest datagram every host
 * must accept, RFC 791 3.1); RFC 792: at least the header and 64 bits of
 * data.
 */
#define YS_ICMP_ERROR_MAX_LEN 576

/* ICMP types and codes the stack names (RFC 792, RFC 1191 4). */
#define YS_ICMP_ECHO_REPLY        0
#define YS_ICMP_DEST_UNREACH      3
#define YS_ICMP_SOURCE_QUENCH     4
#define YS_ICMP_ECHO_REQUEST      8
#define YS_ICMP_TIME_EXCEEDED     11
#define YS_ICMP_PARAM_PROBLEM     12
#define YS_ICMP_UNREACH_PROTOCOL  2
#define YS_ICMP_UNREACH_PORT      3
#define YS_ICMP_UNREACH_FRAG_NEED 4

/*
 * Token bucket state. Tokens count thousandths of an error so that a
 * millisecond's refill (icmp_rate thousandths) is exact: with a rate of
 * 100 per second, every 10 ms tick earns exactly one error.
 */
struct ys_icmp_limiter {
	uint64_t milli_tokens; /* at most burst * 1000 */
	uint64_t last_ms;      /* the stack time of the last refill */
};

#endif /* YS_ICMP_H */
