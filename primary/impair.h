/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The seeded impairment stage: per port and direction, drop, corrupt,
 * duplicate, reorder and delay frames with configured percentages, so
 * that TCP recovery can be tested on machines without netem
 * (../shared/TESTBED.md). Off unless a port has an "impair" object; the
 * primary then logs one loud warning per port.
 *
 * rx sits between rte_eth_rx_burst() and the dispatcher; tx sits just
 * before rte_eth_tx_burst() for the frames the primary transmits (a
 * secondary's own tx queue bypasses it).
 *
 * What happens to one arriving frame, in this order:
 *
 *   drop      freed and counted;
 *   corrupt   one bit flipped at a random position of the IPv4 packet
 *             (header or payload, within its total length; for other
 *             ethertypes anywhere after the Ethernet header);
 *   duplicate a deep copy (rte_pktmbuf_copy, never a shared reference)
 *             follows the frame everywhere below;
 *   reorder   the frame (with its copy) is held back and leaves right
 *             after the next frame that survives the drop; a frame held
 *             for longer than YS_IMPAIR_REORDER_HOLD_US leaves alone, so
 *             nothing is stuck when traffic stops;
 *   delay     every frame waits in a FIFO of YS_IMPAIR_QUEUE_SIZE entries
 *             until now >= its arrival + delay_us (a full FIFO drops and
 *             counts).
 *
 * Determinism: each decision kind of each direction has its own
 * splitmix64 stream, seeded from (seed, direction, kind), and every
 * enabled decision stream advances exactly once per arriving frame,
 * whatever the other decisions were. So the verdicts for the i-th frame
 * depend only on the seed, the direction, the kind and i; the same seed
 * and frame sequence give the same decisions, and turning on duplicate
 * does not change which frames are dropped.
 *
 * Timing: frames leave when the stage is polled. The primary polls every
 * port every loop turn, but its idle back-off sleeps up to YS_IDLE_MAX_US
 * (512 us) between turns when no frame arrives, so a delayed or held
 * frame may leave up to that much after it is due.
 */
#ifndef YS_IMPAIR_H
#define YS_IMPAIR_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "ys_config.h"
#include "ys_stats.h"

/* ---- types ------------------------------------------------------------ */

#define YS_IMPAIR_QUEUE_SIZE      4096 /* delay FIFO entries, power of 2 */
#define YS_IMPAIR_REORDER_HOLD_US 1000 /* longest wait for a next frame */

/* Decision kinds; each has its own PRNG stream. */
enum ys_impair_kind {
	YS_IMPAIR_DROP,
	YS_IMPAIR_CORRUPT,
	YS_IMPAIR_DUPLICATE,
	YS_IMPAIR_REORDER,
	YS_IMPAIR_KIND_MAX,
};

/* Counters of one direction; they point into struct ys_port_stats. */
enum ys_impair_ctr {
	YS_IMPAIR_CTR_DROPPED,
	YS_IMPAIR_CTR_CORRUPTED,
	YS_IMPAIR_CTR_DUPLICATED,
	YS_IMPAIR_CTR_REORDERED,
	YS_IMPAIR_CTR_DELAYED,
	YS_IMPAIR_CTR_QUEUE_FULL,
	YS_IMPAIR_CTR_COPY_FAILED,
	YS_IMPAIR_CTR_MAX,
};

struct ys_impair_slot {
	struct rte_mbuf *m;
	uint64_t due; /* TSC at which m may leave */
};

/* One direction of one port. Invariant: every mbuf given to the stage is
 * freed (and counted), or in held[], or in queue[], or handed back. */
struct ys_impair_dir {
	/* Decision k is taken when (draw >> 11) < threshold[k]: the
	 * percentage scaled to 2^53, so 0% never and 100% always hits. */
	uint64_t threshold[YS_IMPAIR_KIND_MAX];
	uint64_t stream[YS_IMPAIR_KIND_MAX]; /* splitmix64 states */
	uint64_t pos_stream;                 /* where corruption hits */
	uint64_t delay_tsc;
	uint64_t hold_tsc;        /* YS_IMPAIR_REORDER_HOLD_US in TSC ticks */
	struct rte_mempool *pool; /* for copies */
	uint64_t *ctr[YS_IMPAIR_CTR_MAX];

	/* Reorder: a frame and its duplicate held back, until held_until. */
	struct rte_mbuf *held[2];
	uint16_t n_held;
	uint64_t held_until;

	/* Delay FIFO: due times never decrease (now is monotonic). */
	uint32_t head;
	uint32_t count;
	struct ys_impair_slot queue[YS_IMPAIR_QUEUE_SIZE];
};

struct ys_impair {
	struct ys_impair_dir rx; /* frames from the wire */
	struct ys_impair_dir tx; /* frames to the wire */
};

/* ---- the stage -------------------------------------------------------- */

/*
 * A stage for one port: copies go to `pool`, counters to `stats`, times
 * are in TSC ticks of `tsc_hz`. Returns NULL with rte_errno set.
 */
struct ys_impair *ys_impair_create(const struct ys_cfg_impair *cfg,
                                   struct rte_mempool *pool,
                                   struct ys_port_stats *stats, uint64_t tsc_hz,
                                   int socket_id);

/* Frees every frame the stage still holds, uncounted, then the stage.
 * NULL-safe. */
void ys_impair_free(struct ys_impair *s);

/*
 * Run in[0..n) through direction d at time `now` (TSC, non-decreasing
 * from call to call), then hand back up to `cap` frames that are due,
 * in out[]; returns how many. Consumes every mbuf of in[]: handed back
 * (now or by a later call), held, or freed and counted. `out` may be
 * `in`. Due frames beyond `cap` leave on a later call.
 */
uint16_t ys_impair_burst(struct ys_impair_dir *d, struct rte_mbuf **in,
                         uint16_t n, struct rte_mbuf **out, uint16_t cap,
                         uint64_t now);

/* Hand back frames that are due with no new input. */
static inline uint16_t ys_impair_poll(struct ys_impair_dir *d,
                                      struct rte_mbuf **out, uint16_t cap,
                                      uint64_t now)
{
	return ys_impair_burst(d, NULL, 0, out, cap, now);
}

/* Frames inside direction d (held for reordering or queued). */
static inline uint32_t ys_impair_inside(const struct ys_impair_dir *d)
{
	return d->n_held + d->count;
}

/*
 * The operator's warning line for port `port`. Returns what snprintf
 * returns.
 */
int ys_impair_describe(const struct ys_cfg_impair *cfg, const char *port,
                       char *buf, size_t len);

/* ---- the primary's hooks ---------------------------------------------- */

struct ys_primary;

/* Create a stage for every port with an impair object, warning loudly
 * for each. Returns 0 or -errno. */
int ys_impair_start(struct ys_primary *p);

/* Free every stage and the frames they hold. */
void ys_impair_stop(struct ys_primary *p);

/*
 * Port i's stage is on: run the burst just received, pkts[0..n), through
 * the rx direction, and transmit the tx frames that are due. Consumes
 * pkts[0..n); returns how many frames pkts[] now holds for the
 * dispatcher (at most YS_BURST). Called every loop turn, also with n 0.
 */
uint16_t ys_impair_port_poll(struct ys_primary *p, uint16_t i,
                             struct rte_mbuf **pkts, uint16_t n);

/*
 * Port i's stage is on: run pkts[0..n), all for port i, through the tx
 * direction and transmit what is due. Consumes every mbuf; counts
 * tx_packets, tx_bytes and tx_failed drops like the plain path.
 */
void ys_impair_port_tx(struct ys_primary *p, uint16_t i, struct rte_mbuf **pkts,
                       uint16_t n);

#endif /* YS_IMPAIR_H */
