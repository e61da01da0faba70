/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the packet fuzz targets: a fuzz input turned into one frame,
 * a single mbuf or a chain of up to three segments split at offsets the
 * input names (a frame the primary reassembled, or a PMD's scattered rx).
 */
#ifndef YS_FUZZ_INPUT_H
#define YS_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>

/* Header of every packet input: options, then two split offsets. */
#define FUZZ_HDR_LEN 5
#define FUZZ_F_CHAIN (1u << 7) /* in byte 0: split the frame */

/* Append `len` bytes to a fresh mbuf chained after *tail; -1 when full. */
static inline int fuzz_add_seg(struct rte_mempool *mp, struct rte_mbuf *head,
                               const uint8_t *p, uint16_t len)
{
	struct rte_mbuf *seg;
	char *dst;

	if (len == 0)
		return 0; /* no PMD hands over an empty segment */
	seg = head->nb_segs == 1 && head->data_len == 0 ? head
	                                                : rte_pktmbuf_alloc(mp);
	if (seg == NULL)
		return -1;
	dst = rte_pktmbuf_append(seg, len);
	if (dst == NULL || (seg != head && rte_pktmbuf_chain(head, seg) != 0)) {
		if (seg != head)
			rte_pktmbuf_free(seg);
		return -1;
	}
	memcpy(dst, p, len);
	return 0;
}

/*
 * The frame in data[FUZZ_HDR_LEN..size) as an untagged mbuf from `mp`,
 * or NULL when the input is too short or a segment does not fit one mbuf.
 * Byte 0 has FUZZ_F_CHAIN; bytes 1-2 and 3-4 are the split offsets (big
 * endian, taken modulo the frame length + 1, rounded down to even).
 */
static inline struct rte_mbuf *fuzz_frame(struct rte_mempool *mp,
                                          const uint8_t *data, size_t size)
{
	const uint8_t *f = data + FUZZ_HDR_LEN;
	size_t len, a = 0, b = 0, t;
	struct rte_mbuf *m;

	if (size < FUZZ_HDR_LEN || size - FUZZ_HDR_LEN > UINT16_MAX)
		return NULL;
	len = size - FUZZ_HDR_LEN;
	if (data[0] & FUZZ_F_CHAIN) {
		a = ((size_t)data[1] << 8 | data[2]) % (len + 1);
		b = ((size_t)data[3] << 8 | data[4]) % (len + 1);
		/* Real segment boundaries are 2-byte aligned (NIC buffers;
		 * reassembled fragments start after an even l2 + l3 length):
		 * inputs are held to what can happen (README.md). */
		a &= ~(size_t)1;
		b &= ~(size_t)1;
		if (a > b) {
			t = a;
			a = b;
			b = t;
		}
	} else {
		a = b = len;
	}
	m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	if (fuzz_add_seg(mp, m, f, (uint16_t)a) != 0 ||
	    fuzz_add_seg(mp, m, f + a, (uint16_t)(b - a)) != 0 ||
	    fuzz_add_seg(mp, m, f + b, (uint16_t)(len - b)) != 0) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	return m;
}

#endif /* YS_FUZZ_INPUT_H */
