/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 and IPv6 reassembly in the primary (reasm.c), so that a
 * fragmented datagram reaches the secondary that owns its flow whole.
 * Bounded: at most `max_flows` datagrams in progress, at most
 * RTE_LIBRTE_IP_FRAG_MAX_FRAG (8 in Debian's build) fragments each, and
 * each datagram gives up `timeout_ms` after its first fragment. Every
 * fragment that does not end up in a datagram is counted.
 */
#ifndef YS_REASM_H
#define YS_REASM_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "classify.h"
#include "ys_config.h"
#include "ys_stats.h"

struct ys_reasm;

/* NULL with rte_errno set on failure. */
struct ys_reasm *ys_reasm_create(const struct ys_cfg_reassembly *cfg,
                                 uint64_t tsc_hz, int socket);
void ys_reasm_free(struct ys_reasm *r); /* frees held fragments; NULL-safe */

/*
 * Add one fragment `m`, classified as YS_CLASS_FRAGMENT in `c`.
 * Consumes m. Returns the whole datagram (a chain of mbufs, Ethernet
 * header included) when m completed one, else NULL. Fragments dropped on
 * the way are counted in `stats`.
 */
struct rte_mbuf *ys_reasm_add(struct ys_reasm *r, struct ys_port_stats *stats,
                              struct rte_mbuf *m, const struct ys_classified *c,
                              uint64_t now_tsc);

/*
 * Expire datagrams older than the timeout, and free their fragments,
 * adding how many to *timed_out. Call once per loop turn.
 */
void ys_reasm_tick(struct ys_reasm *r, uint64_t *timed_out, uint64_t now_tsc);

/* Mbuf segments held right now (for the pool's accounting and status). */
uint32_t ys_reasm_held(const struct ys_reasm *r);

#endif /* YS_REASM_H */
