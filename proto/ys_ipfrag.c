/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 fragmentation on transmit: RFC 791 section 3.2 ("An Example
 * Fragmentation Procedure"), with RFC 1122 3.3.3. See ys_ipfrag.h for the
 * contract.
 *
 * Ownership: the datagram is borrowed (the caller frees it once the
 * fragments exist); every fragment is a fresh chain of direct mbufs from
 * the caller's pool, tagged with the caller's owner, handed back in out[]
 * or, on failure, freed here before returning.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "ys_ipfrag.h"

#define IPV4_HLEN   ((uint32_t)sizeof(struct rte_ipv4_hdr)) /* 20 */
#define IPV4_MAXLEN 65535u /* RFC 791: Total Length is 16 bits */
#define FRAG_UNIT   8u     /* RFC 791: Fragment Offset counts 8 octets */

/* RFC 791 3.1, Options: the type octet's top bit is the "copied flag". */
#define YS_IPOPT_COPIED 0x80
#define YS_IPOPT_EOL    0 /* End of Option List */
#define YS_IPOPT_NOP    1 /* No Operation */

/* What every fragment is cut from, and where the next data byte is. */
struct frag_src {
	const struct rte_mbuf *m;
	uint32_t l2_len;
	uint32_t hlen; /* IPv4 header, options included */
	uint16_t base; /* the datagram's own offset, in 8-octet units */
	bool mf;       /* the datagram's own MF: it may be a fragment */
	struct rte_mempool *mp;
	const struct ys_mbuf_owner *o;
	const struct rte_mbuf *seg; /* read cursor: segment ... */
	uint32_t seg_off;           /* ... and offset in it */
};

/* Points the read cursor at byte `off` of the datagram's frame. */
static void src_seek(struct frag_src *s, uint32_t off)
{
	const struct rte_mbuf *seg = s->m;

	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	s->seg = seg;
	s->seg_off = off;
}

/* Copies the next `len` bytes (which the chain holds) to `dst`. */
static void src_copy(struct frag_src *s, uint8_t *dst, uint32_t len)
{
	while (len > 0) {
		uint32_t n =
		        RTE_MIN((uint32_t)s->seg->data_len - s->seg_off, len);

		memcpy(dst,
		       rte_pktmbuf_mtod_offset(s->seg, const uint8_t *,
		                               s->seg_off),
		       n);
		dst += n;
		len -= n;
		s->seg_off += n;
		if (s->seg_off == s->seg->data_len) {
			s->seg = s->seg->next;
			s->seg_off = 0;
		}
	}
}

/*
 * RFC 791 3.2, step (5) of the procedure: later fragments carry only the
 * options whose copied flag is set. The others become NOPs rather than
 * being cut out, so that every fragment has the same IHL and so the same
 * data size. A malformed list is ended with EOLs (we built it ourselves;
 * this only keeps a bad one from being walked past its end).
 */
static void options_for_later_fragment(uint8_t *opt, uint32_t len)
{
	uint32_t i = 0;

	while (i < len) {
		uint8_t type = opt[i];
		uint32_t olen;

		if (type == YS_IPOPT_EOL)
			return;
		if (type == YS_IPOPT_NOP) {
			i++;
			continue;
		}
		olen = i + 1 < len ? opt[i + 1] : 0;
		if (olen < 2 || olen > len - i) {
			memset(opt + i, YS_IPOPT_EOL, len - i);
			return;
		}
		if (!(type & YS_IPOPT_COPIED))
			memset(opt + i, YS_IPOPT_NOP, olen);
		i += olen;
	}
}

/*
 * Appends the next `len` data bytes to the chain `head`, whose last
 * segment is *tail, adding segments from the pool as each fills up.
 * Returns 0, or -ENOBUFS with head keeping what it got (the caller frees
 * the whole chain).
 */
static int frag_append(struct frag_src *s, struct rte_mbuf *head,
                       struct rte_mbuf **tail, uint32_t len)
{
	while (len > 0) {
		struct rte_mbuf *t = *tail;
		uint32_t n = RTE_MIN((uint32_t)rte_pktmbuf_tailroom(t), len);

		if (n == 0) {
			struct rte_mbuf *seg = ys_mbuf_alloc(s->o, s->mp);

			if (seg == NULL)
				return -ENOBUFS;
			/* Nothing is ever prepended to a later segment. */
			seg->data_off = 0;
			t->next = seg;
			head->nb_segs++;
			*tail = seg;
			continue;
		}
		src_copy(s, rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len),
		         n);
		t->data_len = (uint16_t)(t->data_len + n);
		head->pkt_len += n;
		len -= n;
	}
	return 0;
}

/*
 * One fragment: the link header and IP header of the datagram, with
 * Total Length, flags, Fragment Offset and checksum of their own, then
 * `len` data bytes from data offset `pos` (a multiple of 8; the read
 * cursor is there). Returns it, or NULL (nothing left allocated) when the
 * pool ran dry or its buffers cannot hold the headers.
 */
static struct rte_mbuf *frag_build(struct frag_src *s, uint32_t pos,
                                   uint32_t len, bool more)
{
	uint32_t hdr_len = s->l2_len + s->hlen;
	struct rte_mbuf *m, *tail;
	struct rte_ipv4_hdr *ih;
	uint16_t off;

	m = ys_mbuf_alloc(s->o, s->mp);
	if (m == NULL)
		return NULL;
	if (rte_pktmbuf_tailroom(m) < hdr_len) {
		ys_mbuf_free(s->o, m);
		return NULL;
	}
	memcpy(rte_pktmbuf_mtod(m, uint8_t *),
	       rte_pktmbuf_mtod(s->m, const uint8_t *), hdr_len);
	m->data_len = (uint16_t)hdr_len;
	m->pkt_len = hdr_len;

	ih = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, s->l2_len);
	if (pos > 0 && s->hlen > IPV4_HLEN)
		options_for_later_fragment((uint8_t *)(ih + 1),
		                           s->hlen - IPV4_HLEN);
	/* RFC 791 3.2: offset in 8-octet units from the original datagram's
	 * start; MF on every fragment but the last, whose MF is the
	 * original's. DF is clear (checked) and the reserved bit zero. */
	off = (uint16_t)(s->base + pos / FRAG_UNIT);
	if (more)
		off |= RTE_IPV4_HDR_MF_FLAG;
	ih->fragment_offset = rte_cpu_to_be_16(off);
	ih->total_length = rte_cpu_to_be_16((uint16_t)(s->hlen + len));
	ih->hdr_checksum = 0;
	ih->hdr_checksum = rte_ipv4_cksum(ih);

	tail = m;
	if (frag_append(s, m, &tail, len) != 0) {
		ys_mbuf_free(s->o, m);
		return NULL;
	}
	return m;
}

/*
 * Reads and checks the datagram's header into `s`. Returns its Total
 * Length, or -EINVAL.
 */
static int frag_parse(struct frag_src *s, const struct rte_mbuf *m,
                      uint32_t l2_len)
{
	const struct rte_ipv4_hdr *ih;
	uint32_t tlen;
	uint16_t frag;

	if (m->data_len < l2_len + IPV4_HLEN)
		return -EINVAL;
	ih = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l2_len);
	s->m = m;
	s->l2_len = l2_len;
	s->hlen = rte_ipv4_hdr_len(ih);
	tlen = rte_be_to_cpu_16(ih->total_length);
	if ((ih->version_ihl >> 4) != 4 || s->hlen < IPV4_HLEN ||
	    s->hlen > m->data_len - l2_len || tlen < s->hlen ||
	    tlen > m->pkt_len - l2_len)
		return -EINVAL;
	frag = rte_be_to_cpu_16(ih->fragment_offset);
	/* RFC 791 3.2: "If the Don't Fragment flag (DF) bit is set, then
	 * internet fragmentation of this datagram is NOT permitted". */
	if (frag & RTE_IPV4_HDR_DF_FLAG)
		return -EINVAL;
	s->base = frag & RTE_IPV4_HDR_OFFSET_MASK;
	s->mf = (frag & RTE_IPV4_HDR_MF_FLAG) != 0;
	return (int)tlen;
}

int ys_ipv4_fragment(const struct rte_mbuf *m, uint32_t l2_len, uint32_t mtu,
                     struct rte_mempool *mp, const struct ys_mbuf_owner *o,
                     struct rte_mbuf **out, uint32_t max_frags)
{
	struct frag_src s = {.mp = mp, .o = o};
	uint32_t data, chunk, n, i;
	int tlen = frag_parse(&s, m, l2_len);

	if (tlen < 0)
		return tlen;
	data = (uint32_t)tlen - s.hlen;
	/* RFC 791 3.2: every fragment but the last carries a multiple of 8
	 * data octets; one must fit after the header. */
	mtu = RTE_MIN(mtu, IPV4_MAXLEN);
	if (mtu < s.hlen + FRAG_UNIT ||
	    (uint32_t)s.base * FRAG_UNIT + data > IPV4_MAXLEN)
		return -EMSGSIZE;
	chunk = RTE_ALIGN_FLOOR(mtu - s.hlen, FRAG_UNIT);
	n = data == 0 ? 1 : (data + chunk - 1) / chunk;
	if (n > max_frags)
		return -EMSGSIZE;
	if (mp == NULL)
		return -ENOBUFS;

	src_seek(&s, l2_len + s.hlen);
	for (i = 0; i < n; i++) {
		uint32_t pos = i * chunk;

		out[i] = frag_build(&s, pos, RTE_MIN(chunk, data - pos),
		                    i + 1 < n || s.mf);
		if (out[i] == NULL) {
			ys_mbuf_free_bulk(o, out, i);
			return -ENOBUFS;
		}
	}
	return (int)n;
}
