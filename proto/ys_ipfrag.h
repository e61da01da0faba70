/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 fragmentation on transmit (RFC 791 section 3.2, "Fragmentation",
 * and RFC 1122 3.3.3): one datagram in, up to YS_IPFRAG_MAX_FRAGS frames
 * out, each carrying at most `mtu` bytes of IP datagram.
 *
 * Fragments are deep copies in fresh direct mbufs from the pool given,
 * tagged with the owner given (proto/ys_mbuf.h): never indirect mbufs or
 * shared references, so that the owner-tag reclaim stays sound. A fragment
 * whose frame is larger than one mbuf's data room (a 9000-byte MTU against
 * 2048-byte buffers) is a chain of direct mbufs.
 */
#ifndef YS_IPFRAG_H
#define YS_IPFRAG_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ys_mbuf.h"

/* The most fragments one datagram may become; more is refused. */
#define YS_IPFRAG_MAX_FRAGS 64

/*
 * RFC 791 3.1 (Fragment Offset) and 3.2: "Every internet module must be
 * able to forward a datagram of 68 octets without further fragmentation":
 * the largest header (60) and the smallest fragment (8).
 */
#define YS_IPV4_MIN_MTU 68

/*
 * Splits the IPv4 datagram in m into fragments of at most `mtu` bytes of
 * IP datagram each, into out[0..n-1], and returns n >= 1. Borrows m.
 *
 * m holds `l2_len` bytes of link header, which every fragment repeats
 * unchanged, then the IPv4 header (options included) in the first
 * segment, then the data, which may span segments; bytes past Total
 * Length (link padding) are ignored. DF must be clear. m may itself be a
 * fragment: offsets then count from its own and its MF flag carries over
 * to the last piece (RFC 791 3.2, fragmenting a fragment).
 *
 * Every fragment but the last carries a multiple of 8 data bytes, as many
 * as fit; all keep the Identification; MF is set on all but the last;
 * later fragments carry only the options whose copied flag is set, the
 * others replaced by NOPs so that every fragment has the same header
 * length; each header checksum is computed afresh.
 *
 * Returns -EINVAL when the header is unusable or DF is set, -EMSGSIZE when
 * the datagram needs more than `max_frags` fragments (or `mtu` cannot hold
 * the header and 8 data bytes, or offsets would overflow), -ENOBUFS when
 * `mp` is NULL, ran dry, or its buffers cannot hold the headers. On any
 * error nothing is left allocated and out[] is undefined. `o` is never
 * NULL (a zeroed owner does no tagging).
 */
int ys_ipv4_fragment(const struct rte_mbuf *m, uint32_t l2_len, uint32_t mtu,
                     struct rte_mempool *mp, const struct ys_mbuf_owner *o,
                     struct rte_mbuf **out, uint32_t max_frags);

#endif /* YS_IPFRAG_H */
