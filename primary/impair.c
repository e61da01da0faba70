/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The seeded impairment stage (see impair.h for what it does to a frame
 * and why its decisions are reproducible).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>

#include "impair.h"
#include "primary.h"
#include "ys_log.h"

/* Direction ids that go into the stream seeds (part of the contract that
 * tests/integration/impair.sh models: do not renumber). */
enum { DIR_RX = 0, DIR_TX = 1 };
#define POS_STREAM YS_IMPAIR_KIND_MAX

/*
 * splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom
 * number generators", OOPSLA 2014) with the finaliser constants of
 * Stafford's "Mix13", as in Vigna's splitmix64: a Weyl sequence through
 * a 64-bit mixer. One add and two multiplies per draw, 8 bytes of state,
 * and it passes BigCrush, far more than drop decisions need.
 */
static inline uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A stream's starting state: the seed, direction and kind, mixed. */
static uint64_t stream_seed(uint32_t seed, unsigned dir, unsigned kind)
{
	uint64_t x = ((uint64_t)seed << 32) | (dir << 4) | kind;

	return splitmix64(&x);
}

/* A percentage 0..100 as a threshold on a 53-bit draw: exact at 0 and
 * 100 (2^53 fits in a uint64_t and in a double). */
static uint64_t percent_threshold(double pct)
{
	return (uint64_t)(pct / 100.0 * 9007199254740992.0);
}

static inline int decide(struct ys_impair_dir *d, enum ys_impair_kind k)
{
	return d->threshold[k] != 0 &&
	       (splitmix64(&d->stream[k]) >> 11) < d->threshold[k];
}

static inline void count(struct ys_impair_dir *d, enum ys_impair_ctr c)
{
	(*d->ctr[c])++;
}

static void dir_init(struct ys_impair_dir *d, const struct ys_cfg_impair *cfg,
                     unsigned dir, struct rte_mempool *pool, uint64_t tsc_hz)
{
	const struct ys_cfg_impair_dir *c = dir == DIR_RX ? &cfg->rx : &cfg->tx;

	d->threshold[YS_IMPAIR_DROP] = percent_threshold(c->drop);
	d->threshold[YS_IMPAIR_CORRUPT] = percent_threshold(c->corrupt);
	d->threshold[YS_IMPAIR_DUPLICATE] = percent_threshold(c->duplicate);
	d->threshold[YS_IMPAIR_REORDER] = percent_threshold(c->reorder);
	for (unsigned k = 0; k < YS_IMPAIR_KIND_MAX; k++)
		d->stream[k] = stream_seed(cfg->seed, dir, k);
	d->pos_stream = stream_seed(cfg->seed, dir, POS_STREAM);
	d->delay_tsc = c->delay_us * tsc_hz / US_PER_S;
	d->hold_tsc = YS_IMPAIR_REORDER_HOLD_US * tsc_hz / US_PER_S;
	d->pool = pool;
	d->n_held = 0;
	d->head = 0;
	d->count = 0;
}

#define SET_CTRS(d, st, dir)                                                   \
	do {                                                                   \
		(d)->ctr[YS_IMPAIR_CTR_DROPPED] =                              \
		        &(st)->impair_##dir##_dropped;                         \
		(d)->ctr[YS_IMPAIR_CTR_CORRUPTED] =                            \
		        &(st)->impair_##dir##_corrupted;                       \
		(d)->ctr[YS_IMPAIR_CTR_DUPLICATED] =                           \
		        &(st)->impair_##dir##_duplicated;                      \
		(d)->ctr[YS_IMPAIR_CTR_REORDERED] =                            \
		        &(st)->impair_##dir##_reordered;                       \
		(d)->ctr[YS_IMPAIR_CTR_DELAYED] =                              \
		        &(st)->impair_##dir##_delayed;                         \
		(d)->ctr[YS_IMPAIR_CTR_QUEUE_FULL] =                           \
		        &(st)->impair_##dir##_queue_full;                      \
		(d)->ctr[YS_IMPAIR_CTR_COPY_FAILED] =                          \
		        &(st)->impair_##dir##_copy_failed;                     \
	} while (0)

struct ys_impair *ys_impair_create(const struct ys_cfg_impair *cfg,
                                   struct rte_mempool *pool,
                                   struct ys_port_stats *stats, uint64_t tsc_hz,
                                   int socket_id)
{
	struct ys_impair *s;

	if (cfg == NULL || pool == NULL || stats == NULL || tsc_hz == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	s = rte_zmalloc_socket("ys_impair", sizeof(*s), RTE_CACHE_LINE_SIZE,
	                       socket_id);
	if (s == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	dir_init(&s->rx, cfg, DIR_RX, pool, tsc_hz);
	dir_init(&s->tx, cfg, DIR_TX, pool, tsc_hz);
	SET_CTRS(&s->rx, stats, rx);
	SET_CTRS(&s->tx, stats, tx);
	return s;
}

static void dir_free(struct ys_impair_dir *d)
{
	for (uint16_t i = 0; i < d->n_held; i++)
		rte_pktmbuf_free(d->held[i]);
	d->n_held = 0;
	for (; d->count > 0; d->count--) {
		rte_pktmbuf_free(d->queue[d->head].m);
		d->head = (d->head + 1) & (YS_IMPAIR_QUEUE_SIZE - 1);
	}
}

void ys_impair_free(struct ys_impair *s)
{
	if (s == NULL)
		return;
	dir_free(&s->rx);
	dir_free(&s->tx);
	rte_free(s);
}

/* ---- per frame -------------------------------------------------------- */

/* Consumes m: queued behind everything already queued, or freed and
 * counted when the FIFO is full. */
static void enqueue(struct ys_impair_dir *d, struct rte_mbuf *m, uint64_t now)
{
	struct ys_impair_slot *slot;

	if (d->count == YS_IMPAIR_QUEUE_SIZE) {
		count(d, YS_IMPAIR_CTR_QUEUE_FULL);
		rte_pktmbuf_free(m);
		return;
	}
	slot = &d->queue[(d->head + d->count) & (YS_IMPAIR_QUEUE_SIZE - 1)];
	slot->m = m;
	slot->due = now + d->delay_tsc;
	d->count++;
	if (d->delay_tsc != 0)
		count(d, YS_IMPAIR_CTR_DELAYED);
}

static void release_held(struct ys_impair_dir *d, uint64_t now)
{
	for (uint16_t i = 0; i < d->n_held; i++)
		enqueue(d, d->held[i], now);
	d->n_held = 0;
}

/*
 * The bytes a bit error may hit: the IPv4 packet after the Ethernet
 * header, up to its total length. On a real link any bit error fails
 * the Ethernet FCS and the NIC discards the frame (that is a drop);
 * damage that reaches a host happened where the FCS could not see it,
 * and catching it is the job of the IPv4 header checksum (RFC 791 3.1)
 * and the ICMP/UDP/TCP checksums (RFC 792, RFC 768, RFC 793 3.1), which
 * detect every single-bit error (RFC 1071: a one-bit change moves the
 * ones' complement sum by +-2^k, never by 0 mod 0xffff). A flip in the
 * Ethernet header would test MAC filtering instead, and one in the
 * padding after the IPv4 total length would be invisible to every
 * checksum. Other ethertypes (ARP) have no checksum: anywhere after the
 * Ethernet header. Returns 0 when there is nothing to corrupt.
 */
static uint32_t corruptible_len(const struct rte_mbuf *m)
{
	const uint32_t l2 = sizeof(struct rte_ether_hdr);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	struct rte_ether_hdr eh_buf;
	struct rte_ipv4_hdr ip_buf;
	const struct rte_ether_hdr *eh;
	const struct rte_ipv4_hdr *ip;

	if (len <= l2)
		return 0;
	eh = rte_pktmbuf_read(m, 0, sizeof(eh_buf), &eh_buf);
	if (eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    len < l2 + sizeof(ip_buf))
		return len - l2;
	ip = rte_pktmbuf_read(m, l2, sizeof(ip_buf), &ip_buf);
	if (rte_be_to_cpu_16(ip->total_length) < sizeof(ip_buf))
		return len - l2; /* malformed: the dispatcher drops it */
	return RTE_MIN(len - l2, (uint32_t)rte_be_to_cpu_16(ip->total_length));
}

/* Every segment of m is ours alone to write. yastack never shares an
 * mbuf by reference (ys_mbuf.h), so this holds today; the check keeps a
 * future clone from being corrupted in place. */
static int writable(const struct rte_mbuf *m)
{
	for (; m != NULL; m = m->next)
		if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1)
			return 0;
	return 1;
}

/* Flip bit `bit` of byte `off` of m's data, across segments. */
static void flip_bit(struct rte_mbuf *m, uint32_t off, unsigned bit)
{
	while (off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	*rte_pktmbuf_mtod_offset(m, uint8_t *, off) ^= (uint8_t)(1u << bit);
}

/*
 * Consumes m; returns the frame to go on with: m with one bit flipped,
 * or a private copy of m with one bit flipped (m freed) when m's data
 * is shared, or m untouched when there is nothing to corrupt or no mbuf
 * for the copy (counted).
 */
static struct rte_mbuf *corrupt(struct ys_impair_dir *d, struct rte_mbuf *m)
{
	uint32_t len = corruptible_len(m);
	uint64_t draw;
	uint32_t off;

	if (len == 0)
		return m;
	if (!writable(m)) {
		struct rte_mbuf *c =
		        rte_pktmbuf_copy(m, d->pool, 0, UINT32_MAX);

		if (c == NULL) {
			count(d, YS_IMPAIR_CTR_COPY_FAILED);
			return m;
		}
		rte_pktmbuf_free(m);
		m = c;
	}
	/* High 32 bits pick the byte (multiply-shift, no division), the
	 * low 3 the bit. */
	draw = splitmix64(&d->pos_stream);
	off = (uint32_t)(((draw >> 32) * len) >> 32);
	flip_bit(m, (uint32_t)sizeof(struct rte_ether_hdr) + off,
	         (unsigned)(draw & 7));
	/* A NIC's checksum verdict no longer holds: the stack must check. */
	m->ol_flags &=
	        ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
	count(d, YS_IMPAIR_CTR_CORRUPTED);
	return m;
}

/* Consumes m. */
static void impair_one(struct ys_impair_dir *d, struct rte_mbuf *m,
                       uint64_t now)
{
	/* Every enabled stream advances once per frame (see impair.h). */
	int drop = decide(d, YS_IMPAIR_DROP);
	int flip = decide(d, YS_IMPAIR_CORRUPT);
	int dup = decide(d, YS_IMPAIR_DUPLICATE);
	int hold = decide(d, YS_IMPAIR_REORDER);
	struct rte_mbuf *unit[2];
	uint16_t n = 0;

	if (drop) {
		count(d, YS_IMPAIR_CTR_DROPPED);
		rte_pktmbuf_free(m);
		return;
	}
	if (flip)
		m = corrupt(d, m);
	unit[n++] = m;
	if (dup) {
		/* A deep copy: every mbuf has one owner (proto/ys_mbuf.h). */
		struct rte_mbuf *c =
		        rte_pktmbuf_copy(m, d->pool, 0, UINT32_MAX);

		if (c != NULL) {
			unit[n++] = c;
			count(d, YS_IMPAIR_CTR_DUPLICATED);
		} else
			count(d, YS_IMPAIR_CTR_COPY_FAILED);
	}
	if (hold && d->n_held == 0) {
		for (uint16_t i = 0; i < n; i++)
			d->held[i] = unit[i];
		d->n_held = n;
		d->held_until = now + d->hold_tsc;
		count(d, YS_IMPAIR_CTR_REORDERED);
		return;
	}
	/* This frame is the "next one" a held frame waits for. */
	for (uint16_t i = 0; i < n; i++)
		enqueue(d, unit[i], now);
	release_held(d, now);
}

uint16_t ys_impair_burst(struct ys_impair_dir *d, struct rte_mbuf **in,
                         uint16_t n, struct rte_mbuf **out, uint16_t cap,
                         uint64_t now)
{
	uint16_t n_out = 0;

	if (d->n_held > 0 && now >= d->held_until)
		release_held(d, now);
	/* All of in[] is read before out[] is written: they may alias. */
	for (uint16_t i = 0; i < n; i++)
		impair_one(d, in[i], now);
	while (d->count > 0 && n_out < cap && d->queue[d->head].due <= now) {
		out[n_out++] = d->queue[d->head].m;
		d->head = (d->head + 1) & (YS_IMPAIR_QUEUE_SIZE - 1);
		d->count--;
	}
	return n_out;
}

int ys_impair_describe(const struct ys_cfg_impair *cfg, const char *port,
                       char *buf, size_t len)
{
	const struct ys_cfg_impair_dir *rx = &cfg->rx, *tx = &cfg->tx;

	return snprintf(buf, len,
	                "IMPAIRMENT ENABLED on port %s (seed %u): "
	                "rx drop %g%% duplicate %g%% reorder %g%% "
	                "corrupt %g%% delay %uus; "
	                "tx drop %g%% duplicate %g%% reorder %g%% "
	                "corrupt %g%% delay %uus - never use in production",
	                port, cfg->seed, rx->drop, rx->duplicate, rx->reorder,
	                rx->corrupt, rx->delay_us, tx->drop, tx->duplicate,
	                tx->reorder, tx->corrupt, tx->delay_us);
}

/* ---- the primary's hooks ---------------------------------------------- */

int ys_impair_start(struct ys_primary *p)
{
	char line[512];

	for (uint16_t i = 0; i < p->n_ports; i++) {
		const struct ys_cfg_port *cp = &p->cfg.ports[i];

		if (!cp->impair.enabled)
			continue;
		p->impair[i] = ys_impair_create(
		        &cp->impair, p->pool, &p->shm->port_stats[i],
		        rte_get_tsc_hz(),
		        rte_eth_dev_socket_id(p->port_ids[i]));
		if (p->impair[i] == NULL) {
			YS_ERR("port %s: cannot create the impairment stage: "
			       "%s",
			       cp->name, rte_strerror(rte_errno));
			return -rte_errno;
		}
		ys_impair_describe(&cp->impair, cp->name, line, sizeof(line));
		YS_WARN("%s", line);
	}
	return 0;
}

void ys_impair_stop(struct ys_primary *p)
{
	for (uint16_t i = 0; i < YS_MAX_PORTS; i++) {
		ys_impair_free(p->impair[i]);
		p->impair[i] = NULL;
	}
}

/* Transmit out[0..n) on port i, counted like dispatch.c's plain path.
 * Consumes every mbuf. */
static void transmit(struct ys_primary *p, uint16_t i, struct rte_mbuf **out,
                     uint16_t n)
{
	struct ys_port_stats *stats = &p->shm->port_stats[i];
	uint64_t bytes = 0;
	uint16_t sent;

	/* Lengths are read before the burst: the PMD owns what it took. */
	for (uint16_t k = 0; k < n; k++)
		bytes += rte_pktmbuf_pkt_len(out[k]);
	sent = rte_eth_tx_burst(p->port_ids[i], 0, out, n);
	for (uint16_t k = sent; k < n; k++) {
		bytes -= rte_pktmbuf_pkt_len(out[k]);
		stats->drops[YS_PORT_DROP_tx_failed]++;
		rte_pktmbuf_free(out[k]);
	}
	stats->tx_packets += sent;
	stats->tx_bytes += bytes;
}

void ys_impair_port_tx(struct ys_primary *p, uint16_t i, struct rte_mbuf **pkts,
                       uint16_t n)
{
	struct ys_impair_dir *d = &p->impair[i]->tx;
	const uint64_t now = rte_rdtsc();
	struct rte_mbuf *out[YS_BURST];
	uint16_t got;

	got = ys_impair_burst(d, pkts, n, out, YS_BURST, now);
	while (got > 0) {
		transmit(p, i, out, got);
		/* Bounded: each round takes frames off a finite FIFO. */
		got = got == YS_BURST ? ys_impair_poll(d, out, YS_BURST, now)
		                      : 0;
	}
}

uint16_t ys_impair_port_poll(struct ys_primary *p, uint16_t i,
                             struct rte_mbuf **pkts, uint16_t n)
{
	n = ys_impair_burst(&p->impair[i]->rx, pkts, n, pkts, YS_BURST,
	                    rte_rdtsc());
	ys_impair_port_tx(p, i, NULL, 0);
	return n;
}
