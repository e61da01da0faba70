/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of IPv4 fragmentation on transmit (proto/ys_ipfrag.c):
 * datagrams are built byte by byte, split by ys_ipv4_fragment(), and every
 * fragment is checked field by field against RFC 791 3.2 with checksums
 * computed independently (ref_cksum below); the data put back together
 * must equal the original byte for byte. Pool exhaustion is tried at every
 * allocation, and owner tags (proto/ys_mbuf.h) are checked on every
 * segment of every fragment and on every object of the pool afterwards.
 *
 * EAL runs with --no-huge --no-pci --no-shconf and a per-pid file prefix,
 * like test_stack.c.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ys_test_eal.h"

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>

#include "ys_ipfrag.h"
#include "ys_mbuf.h"

#define POOL_SIZE 1023
#define FRAME_MAX 16384
#define L2        14
#define OWNER     3
#define MF        0x2000
#define DF        0x4000

static struct rte_mempool *g_pool;
static int g_meta; /* offset of struct ys_mbuf_meta */
static const struct ys_mbuf_owner no_owner;

/* ---- set-up ------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	if (ys_test_eal_init("test_ipfrag") != 0)
		return -1;
	g_meta = ys_test_register_meta();
	if (g_meta < 0)
		return -1;
	/* No per-lcore cache, so that in-use counts are exact. */
	g_pool = rte_pktmbuf_pool_create("ys_test_ipfrag", POOL_SIZE, 0, 0,
	                                 RTE_MBUF_DEFAULT_BUF_SIZE,
	                                 SOCKET_ID_ANY);
	return g_pool == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rte_mempool_free(g_pool);
	ys_test_eal_fini();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(rte_mempool_in_use_count(g_pool), 0);
	return 0;
}

/* A pool of `n` mbufs of `room` data bytes (after the headroom). */
static struct rte_mempool *small_pool(unsigned int n, uint16_t room)
{
	struct rte_mempool *mp = rte_pktmbuf_pool_create(
	        "ys_test_ipfrag_small", n, 0, 0,
	        (uint16_t)(RTE_PKTMBUF_HEADROOM + room), SOCKET_ID_ANY);

	assert_non_null(mp);
	return mp;
}

/* ---- datagrams, built byte by byte --------------------------------------- */

/* RFC 1071 checksum, written independently of DPDK's. */
static uint16_t ref_cksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

struct dgram {
	const uint8_t *opts;
	size_t optlen; /* multiple of 4 */
	uint16_t frag; /* flags and offset, host order */
	size_t dlen;   /* data bytes after the header */
	size_t pad;    /* link padding after the datagram */
	int version;   /* 0: 4 */
	int ihl;       /* 0: the right one */
	int tlen;      /* 0: the right one */
};

/* Ethernet + IPv4 (UDP as protocol, any data) into f; returns the length. */
static size_t build(uint8_t *f, const struct dgram *d)
{
	static const uint8_t eth[L2] = {2, 0, 0, 0, 0, 0x99, 2,
	                                0, 0, 0, 0, 1, 8,    0};
	uint8_t *ip = f + L2;
	size_t hl = 20 + d->optlen, i;

	memcpy(f, eth, L2);
	ip[0] = (uint8_t)((d->version ? d->version : 4) << 4 |
	                  (d->ihl ? d->ihl : (int)(hl / 4)));
	ip[1] = 0xb8; /* DSCP EF: must be copied */
	put16(ip + 2, (uint16_t)(d->tlen ? (size_t)d->tlen : hl + d->dlen));
	put16(ip + 4, 0xabcd);
	put16(ip + 6, d->frag);
	ip[8] = 64;
	ip[9] = 17;
	put16(ip + 10, 0);
	memcpy(ip + 12, (const uint8_t[]){10, 0, 0, 1, 10, 0, 0, 2}, 8);
	if (d->optlen)
		memcpy(ip + 20, d->opts, d->optlen);
	put16(ip + 10, ref_cksum(ip, hl));
	for (i = 0; i < d->dlen; i++)
		ip[hl + i] = (uint8_t)(i * 13 + i / 251 + 5);
	memset(ip + hl + d->dlen, 0xee, d->pad);
	return L2 + hl + d->dlen + d->pad;
}

/* The frame in f as a chain: the first segment holds `first` bytes (at
 * least the headers), later ones `rest` each (the last what is left). */
static struct rte_mbuf *mk_chain(const uint8_t *f, size_t len, size_t first,
                                 size_t rest)
{
	struct rte_mbuf *head = NULL;
	size_t off = 0;

	while (off < len) {
		size_t n = RTE_MIN(off == 0 ? first : rest, len - off);
		struct rte_mbuf *seg = rte_pktmbuf_alloc(g_pool);

		assert_non_null(seg);
		memcpy(rte_pktmbuf_append(seg, (uint16_t)n), f + off, n);
		if (head == NULL)
			head = seg;
		else
			assert_int_equal(rte_pktmbuf_chain(head, seg), 0);
		off += n;
	}
	return head;
}

/* ---- checks ------------------------------------------------------------- */

/* Each segment direct, unshared, the chain consistent. */
static void check_chain(const struct rte_mbuf *m)
{
	const struct rte_mbuf *seg;
	uint32_t total = 0;
	uint16_t nb = 0;

	for (seg = m; seg != NULL; seg = seg->next) {
		assert_true(RTE_MBUF_DIRECT(seg));
		assert_int_equal(rte_mbuf_refcnt_read(seg), 1);
		total += seg->data_len;
		nb++;
	}
	assert_int_equal(total, m->pkt_len);
	assert_int_equal(nb, m->nb_segs);
	assert_int_equal(m->ol_flags, 0);
}

/* What the fragments must look like. */
struct want {
	const uint8_t *frame; /* the original frame */
	size_t hlen;          /* its IPv4 header length */
	size_t dlen;          /* its data length */
	uint32_t mtu;
	const uint8_t *later_opts; /* options after the first; NULL: same */
};

static unsigned int want_count(const struct want *w)
{
	size_t chunk = (w->mtu - w->hlen) / 8 * 8;

	return w->dlen == 0 ? 1 : (unsigned int)((w->dlen + chunk - 1) / chunk);
}

/* One fragment, `i` of `n`, whose data starts at `pos`; returns its data
 * length. */
static size_t check_frag(const struct want *w, const struct rte_mbuf *m,
                         unsigned int i, unsigned int n, size_t pos)
{
	static uint8_t buf[FRAME_MAX];
	const uint8_t *ip = buf + L2, *oip = w->frame + L2;
	size_t chunk = (w->mtu - w->hlen) / 8 * 8, len;
	uint16_t ofrag = get16(oip + 6), frag;

	const void *p;

	check_chain(m);
	assert_true(m->pkt_len >= L2 + w->hlen);
	p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
	assert_non_null(p);
	if (p != buf)
		memcpy(buf, p, m->pkt_len);
	len = m->pkt_len - L2 - w->hlen;
	/* Link header, version/IHL, TOS, ID, TTL, protocol, addresses. */
	assert_memory_equal(buf, w->frame, L2 + 2);
	assert_memory_equal(ip + 4, oip + 4, 2);
	assert_memory_equal(ip + 8, oip + 8, 2);
	assert_memory_equal(ip + 12, oip + 12, 8);
	/* Total Length within the MTU; all but the last fragment full. */
	assert_int_equal(get16(ip + 2), w->hlen + len);
	assert_true(get16(ip + 2) <= w->mtu);
	assert_int_equal(len, i + 1 < n ? chunk : w->dlen - pos);
	/* Offset in 8-octet units from the original's; MF on all but the
	 * last, which keeps the original's; DF and reserved clear. */
	frag = (uint16_t)((ofrag & 0x1fff) + pos / 8);
	if (i + 1 < n || (ofrag & MF))
		frag |= MF;
	assert_int_equal(get16(ip + 6), frag);
	assert_int_equal(ref_cksum(ip, w->hlen), 0);
	/* Options: all in the first, the copied ones in the others. */
	assert_memory_equal(ip + 20,
	                    i > 0 && w->later_opts ? w->later_opts : oip + 20,
	                    w->hlen - 20);
	assert_memory_equal(ip + w->hlen, oip + w->hlen + pos, len);
	return len;
}

/* Every fragment, and the data put back together. */
static void check_frags(const struct want *w, struct rte_mbuf **frags, int n)
{
	size_t pos = 0;
	int i;

	assert_int_equal(n, (int)want_count(w));
	for (i = 0; i < n; i++)
		pos += check_frag(w, frags[i], (unsigned int)i, (unsigned int)n,
		                  pos);
	assert_int_equal(pos, w->dlen);
}

/* The number of pool objects tagged `owner`. */
struct tag_count {
	uint16_t owner;
	unsigned int n;
};

static void count_tag(struct rte_mempool *mp, void *arg, void *obj,
                      unsigned int idx)
{
	struct tag_count *tc = arg;

	(void)mp;
	(void)idx;
	if (ys_mbuf_meta(obj, g_meta)->owner == tc->owner)
		tc->n++;
}

static unsigned int pool_tagged(struct rte_mempool *mp, uint16_t owner)
{
	struct tag_count tc = {.owner = owner};

	rte_mempool_obj_iter(mp, count_tag, &tc);
	return tc.n;
}

/*
 * Fragments the frame f (len bytes, as a chain first/rest) for `mtu`,
 * checks the result, frees it. Returns what ys_ipv4_fragment returned.
 */
static int frag_and_check(const uint8_t *f, size_t len, size_t first,
                          size_t rest, const struct want *w)
{
	struct rte_mbuf *frags[YS_IPFRAG_MAX_FRAGS];
	struct rte_mbuf *m = mk_chain(f, len, first, rest);
	unsigned int used = rte_mempool_in_use_count(g_pool);
	int n;

	n = ys_ipv4_fragment(m, L2, w->mtu, g_pool, &no_owner, frags,
	                     YS_IPFRAG_MAX_FRAGS);
	if (n > 0) {
		check_frags(w, frags, n);
		rte_pktmbuf_free_bulk(frags, (unsigned int)n);
	} else {
		/* Nothing left allocated. */
		assert_int_equal(rte_mempool_in_use_count(g_pool), used);
	}
	/* The datagram is borrowed: untouched. */
	assert_int_equal(m->pkt_len, len);
	{
		static uint8_t buf[FRAME_MAX];

		assert_memory_equal(rte_pktmbuf_read(m, 0, (uint32_t)len, buf),
		                    f, len);
	}
	rte_pktmbuf_free(m);
	return n;
}

/* ---- tests -------------------------------------------------------------- */

/* Sizes around every boundary, MTUs from the minimum to jumbo, the input
 * laid out as a reassembled datagram and as odd segments. */
static void test_sizes(void **state)
{
	static uint8_t f[FRAME_MAX];
	/* 2042: the largest fragment frame is 2050 bytes, just over one
	 * 2048-byte mbuf. */
	static const uint32_t mtus[] = {68, 576, 1500, 2034, 2042, 9000, 9600};
	static const size_t dlens[] = {0,    1,    7,    8,    9,    47,
	                               48,   49,   1479, 1480, 1481, 4008,
	                               8008, 8975, 8976, 8977, 11840};
	static const size_t layouts[][2] = {
	        {L2 + 20 + 1480, 1480}, {L2 + 20 + 1, 333}, {FRAME_MAX, 0}};
	size_t m, d, l;

	(void)state;
	for (m = 0; m < RTE_DIM(mtus); m++) {
		for (d = 0; d < RTE_DIM(dlens); d++) {
			struct dgram dg = {.dlen = dlens[d]};
			size_t len = build(f, &dg);
			struct want w = {.frame = f,
			                 .hlen = 20,
			                 .dlen = dlens[d],
			                 .mtu = mtus[m]};

			for (l = 0; l < RTE_DIM(layouts); l++) {
				int n;

				/* One segment only where it fits one. */
				if (layouts[l][0] == FRAME_MAX && len > 2048)
					continue;
				n = frag_and_check(f, len, layouts[l][0],
				                   layouts[l][1], &w);
				if (want_count(&w) > YS_IPFRAG_MAX_FRAGS)
					assert_int_equal(n, -EMSGSIZE);
				else
					assert_int_equal(n,
					                 (int)want_count(&w));
			}
		}
	}
}

/* Exactly 64 fragments is fine, 65 is refused (and nothing allocated). */
static void test_max_frags(void **state)
{
	static uint8_t f[FRAME_MAX];
	struct dgram dg = {.dlen = 64 * 48};
	struct want w = {.frame = f, .hlen = 20, .mtu = 68};
	size_t len;

	(void)state;
	w.dlen = dg.dlen;
	len = build(f, &dg);
	assert_int_equal(frag_and_check(f, len, 1514, 1480, &w), 64);
	dg.dlen = w.dlen = 64 * 48 + 1;
	len = build(f, &dg);
	assert_int_equal(frag_and_check(f, len, 1514, 1480, &w), -EMSGSIZE);
}

/* RFC 791 3.1: options whose copied flag is set go in every fragment,
 * the others only in the first (here: replaced by NOPs). */
static void test_options(void **state)
{
	static uint8_t f[FRAME_MAX];
	/* Record Route (7, not copied), Loose Source Route (131, copied),
	 * NOP, Timestamp (68, not copied), EOL: 24 bytes. */
	static const uint8_t opts[24] = {7,   11, 4, 0,  0, 0, 0,
	                                 0,   0,  0, 0,           /* RR */
	                                 131, 7,  4, 10, 9, 8, 7, /* LSRR */
	                                 1,                       /* NOP */
	                                 68,  4,  5, 0,           /* TS */
	                                 0};                      /* EOL */
	static const uint8_t later[24] = {1, 1, 1,  1, 1, 1, 1, 1, 1, 1, 1, 131,
	                                  7, 4, 10, 9, 8, 7, 1, 1, 1, 1, 1, 0};
	/* Malformed lists: a zero length, a length past the end. */
	static const uint8_t bad0[8] = {1, 7, 0, 3, 3, 3, 3, 3};
	static const uint8_t bad0_later[8] = {1, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t bad1[4] = {1, 1, 68, 9};
	static const uint8_t bad1_later[4] = {1, 1, 0, 0};
	/* A copied option ending exactly at the header's end. */
	static const uint8_t full[40] = {130, 40, 1, 2, 3};
	static const struct {
		const uint8_t *opts, *later;
		size_t len;
	} cases[] = {{opts, later, 24},
	             {bad0, bad0_later, 8},
	             {bad1, bad1_later, 4},
	             {full, full, 40}};
	size_t i;

	(void)state;
	for (i = 0; i < RTE_DIM(cases); i++) {
		struct dgram dg = {.opts = cases[i].opts,
		                   .optlen = cases[i].len,
		                   .dlen = 3000};
		size_t len = build(f, &dg);
		struct want w = {.frame = f,
		                 .hlen = 20 + cases[i].len,
		                 .dlen = 3000,
		                 .mtu = 1500,
		                 .later_opts = cases[i].later};

		assert_int_equal(frag_and_check(f, len, L2 + 20 + cases[i].len,
		                                1000, &w),
		                 3);
	}
}

/* RFC 791 3.2: a fragment cut again keeps its offset base and, in its
 * last piece, its own MF. */
static void test_refragment(void **state)
{
	static uint8_t f[FRAME_MAX];
	static const uint16_t frags[] = {MF | 100, 50, MF, 7000};
	size_t i;

	(void)state;
	for (i = 0; i < RTE_DIM(frags); i++) {
		struct dgram dg = {.frag = frags[i], .dlen = 4000};
		struct want w = {
		        .frame = f, .hlen = 20, .dlen = 4000, .mtu = 1500};
		size_t len = build(f, &dg);

		assert_int_equal(frag_and_check(f, len, 1514, 1480, &w), 3);
	}
}

/* Link padding after Total Length is not data. */
static void test_padding_ignored(void **state)
{
	static uint8_t f[FRAME_MAX];
	struct dgram dg = {.dlen = 3001, .pad = 17};
	struct want w = {.frame = f, .hlen = 20, .dlen = 3001, .mtu = 1500};
	size_t len = build(f, &dg);

	(void)state;
	assert_int_equal(frag_and_check(f, len, 1514, 1480, &w), 3);
	assert_int_equal(frag_and_check(f, len, 1514, 1497, &w), 3);
}

static void test_errors(void **state)
{
	static uint8_t f[FRAME_MAX];
	struct rte_mbuf *frags[YS_IPFRAG_MAX_FRAGS];
	struct want w = {.frame = f, .hlen = 20, .dlen = 3000, .mtu = 1500};
	struct dgram dg;
	struct rte_mbuf *m;

	(void)state;
	/* RFC 791 3.2: DF forbids fragmenting. */
	dg = (struct dgram){.frag = DF, .dlen = 3000};
	assert_int_equal(frag_and_check(f, build(f, &dg), 1514, 1480, &w),
	                 -EINVAL);
	/* Not IPv4, IHL below 5, Total Length beyond the frame or below the
	 * header, header split from the first segment. */
	dg = (struct dgram){.version = 6, .dlen = 3000};
	assert_int_equal(frag_and_check(f, build(f, &dg), 1514, 1480, &w),
	                 -EINVAL);
	dg = (struct dgram){.ihl = 4, .dlen = 3000};
	assert_int_equal(frag_and_check(f, build(f, &dg), 1514, 1480, &w),
	                 -EINVAL);
	dg = (struct dgram){.tlen = 3021, .dlen = 3000};
	assert_int_equal(frag_and_check(f, build(f, &dg), 1514, 1480, &w),
	                 -EINVAL);
	dg = (struct dgram){.tlen = 19, .dlen = 3000};
	assert_int_equal(frag_and_check(f, build(f, &dg), 1514, 1480, &w),
	                 -EINVAL);
	dg = (struct dgram){.dlen = 3000};
	assert_int_equal(frag_and_check(f, build(f, &dg), 33, 1480, &w),
	                 -EINVAL);
	dg = (struct dgram){.opts = (const uint8_t[8]){1, 1, 1, 1, 1, 1, 1, 0},
	                    .optlen = 8,
	                    .dlen = 3000};
	assert_int_equal(frag_and_check(f, build(f, &dg), 40, 1480, &w),
	                 -EINVAL);
	/* An MTU that cannot hold the header and 8 data bytes. */
	dg = (struct dgram){.dlen = 3000};
	w.mtu = 27;
	assert_int_equal(frag_and_check(f, build(f, &dg), 1514, 1480, &w),
	                 -EMSGSIZE);
	/* Offsets past 65535. */
	dg = (struct dgram){.frag = 8000, .dlen = 3000};
	w.mtu = 1500;
	assert_int_equal(frag_and_check(f, build(f, &dg), 1514, 1480, &w),
	                 -EMSGSIZE);
	/* No pool. */
	dg = (struct dgram){.dlen = 3000};
	m = mk_chain(f, build(f, &dg), 1514, 1480);
	assert_int_equal(ys_ipv4_fragment(m, L2, 1500, NULL, &no_owner, frags,
	                                  YS_IPFRAG_MAX_FRAGS),
	                 -ENOBUFS);
	rte_pktmbuf_free(m);
}

/*
 * The pool runs dry at every allocation in turn: -ENOBUFS, and every
 * mbuf taken so far is back, untagged. The 9000-byte MTU case needs
 * fragments chained over several mbufs (2048-byte data room): 7 in all.
 */
static void test_pool_exhaustion(void **state)
{
	static uint8_t f[FRAME_MAX];
	static const struct {
		uint32_t mtu;
		size_t dlen;
		unsigned int mbufs, frags;
	} cases[] = {{1500, 4008, 3, 3}, {9000, 11840, 7, 2}};
	const struct ys_mbuf_owner o = {.offset = g_meta, .owner = OWNER};
	struct rte_mbuf *frags[YS_IPFRAG_MAX_FRAGS];
	size_t c;
	unsigned int k;

	(void)state;
	for (c = 0; c < RTE_DIM(cases); c++) {
		struct dgram dg = {.dlen = cases[c].dlen};
		struct rte_mbuf *m = mk_chain(f, build(f, &dg), 1514, 1480);

		for (k = 1; k <= cases[c].mbufs; k++) {
			struct rte_mempool *mp =
			        small_pool(k, RTE_MBUF_DEFAULT_DATAROOM);
			int n = ys_ipv4_fragment(m, L2, cases[c].mtu, mp, &o,
			                         frags, YS_IPFRAG_MAX_FRAGS);

			if (k < cases[c].mbufs) {
				assert_int_equal(n, -ENOBUFS);
			} else {
				assert_int_equal(n, (int)cases[c].frags);
				assert_int_equal(pool_tagged(mp, OWNER), k);
				ys_mbuf_free_bulk(&o, frags, (unsigned int)n);
			}
			assert_int_equal(rte_mempool_in_use_count(mp), 0);
			assert_int_equal(pool_tagged(mp, OWNER), 0);
			rte_mempool_free(mp);
		}
		rte_pktmbuf_free(m);
	}
}

/* Buffers smaller than a fragment: each fragment is a chain; buffers
 * too small for the headers: -ENOBUFS. */
static void test_small_buffers(void **state)
{
	static uint8_t f[FRAME_MAX];
	struct rte_mbuf *frags[YS_IPFRAG_MAX_FRAGS];
	struct dgram dg = {.dlen = 4000};
	struct want w = {.frame = f, .hlen = 20, .dlen = 4000, .mtu = 1500};
	struct rte_mbuf *m = mk_chain(f, build(f, &dg), 1514, 1480);
	struct rte_mempool *mp = small_pool(64, 100);
	int n, i;

	(void)state;
	n = ys_ipv4_fragment(m, L2, 1500, mp, &no_owner, frags,
	                     YS_IPFRAG_MAX_FRAGS);
	assert_int_equal(n, 3);
	check_frags(&w, frags, n);
	/* 34 header bytes and 66 data bytes, then 100 + 128 (no headroom
	 * after the first) per segment. */
	assert_int_equal(frags[0]->data_len, 100);
	assert_int_equal(frags[0]->next->data_len, 228);
	for (i = 0; i < n; i++)
		assert_true(frags[i]->nb_segs > 1);
	rte_pktmbuf_free_bulk(frags, (unsigned int)n);
	assert_int_equal(rte_mempool_in_use_count(mp), 0);
	rte_mempool_free(mp);

	mp = small_pool(8, 33);
	assert_int_equal(ys_ipv4_fragment(m, L2, 1500, mp, &no_owner, frags,
	                                  YS_IPFRAG_MAX_FRAGS),
	                 -ENOBUFS);
	assert_int_equal(rte_mempool_in_use_count(mp), 0);
	rte_mempool_free(mp);
	rte_pktmbuf_free(m);
}

/* Owner tags: every segment of every fragment is ours; freeing them
 * through ys_mbuf_free_bulk leaves no tag in the pool. The datagram's
 * own tag is not touched (it is borrowed). */
static void test_owner_tags(void **state)
{
	static uint8_t f[FRAME_MAX];
	const struct ys_mbuf_owner o = {.offset = g_meta, .owner = OWNER};
	struct rte_mbuf *frags[YS_IPFRAG_MAX_FRAGS];
	struct dgram dg = {.dlen = 11840};
	struct rte_mbuf *m = mk_chain(f, build(f, &dg), 1514, 1480);
	const struct rte_mbuf *seg;
	unsigned int segs = 0;
	int n, i;

	(void)state;
	ys_mbuf_set_owner(m, g_meta, 7);
	n = ys_ipv4_fragment(m, L2, 9000, g_pool, &o, frags,
	                     YS_IPFRAG_MAX_FRAGS);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		for (seg = frags[i]; seg != NULL; seg = seg->next) {
			assert_int_equal(
			        ys_mbuf_meta((struct rte_mbuf *)seg, g_meta)
			                ->owner,
			        OWNER);
			segs++;
		}
	}
	assert_int_equal(segs, 7);
	assert_int_equal(pool_tagged(g_pool, OWNER), segs);
	for (seg = m; seg != NULL; seg = seg->next)
		assert_int_equal(
		        ys_mbuf_meta((struct rte_mbuf *)seg, g_meta)->owner, 7);
	ys_mbuf_free_bulk(&o, frags, (unsigned int)n);
	assert_int_equal(pool_tagged(g_pool, OWNER), 0);
	ys_mbuf_set_owner(m, g_meta, YS_OWNER_NONE);
	rte_pktmbuf_free(m);
	assert_int_equal(pool_tagged(g_pool, 7), 0);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_sizes),           T(test_max_frags),
	        T(test_options),         T(test_refragment),
	        T(test_padding_ignored), T(test_errors),
	        T(test_pool_exhaustion), T(test_small_buffers),
	        T(test_owner_tags),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
