/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 and ICMP frames built byte by byte for the tests of the stack's
 * IPv4 input, ICMP and VLAN handling (test_ipv4.c, test_icmp.c), and the
 * replies and errors the stack must send, built the same way from the
 * RFCs rather than from the stack's code. Include after ys_test_net.h.
 */
#ifndef YS_TEST_IP_H
#define YS_TEST_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ys_test_net.h"

#define IP_FRAME_MAX 16384

/* A frame: Ethernet (optionally one tag), IPv4, payload, padding. */
struct ipv4_spec {
	const uint8_t *eth_dst, *eth_src;
	int tci;             /* -1: untagged; else the 802.1Q TCI */
	uint16_t tpid;       /* of the tag; 0 means 0x8100 */
	uint16_t ether_type; /* of the frame (after the tag) */
	uint8_t version;
	int ihl;  /* -1: 5 + optlen / 4 */
	int tlen; /* -1: header + payload */
	uint8_t tos;
	uint16_t id;
	uint16_t frag; /* flags and offset, host order */
	uint8_t ttl;
	uint8_t proto;
	bool bad_cksum;
	uint32_t src, dst; /* host order */
	const uint8_t *opts;
	size_t optlen; /* a multiple of 4 */
	const uint8_t *payload;
	size_t plen;
	size_t pad; /* bytes after the datagram (Ethernet padding) */
};

/* An echo request from the peer to OUR_IP on iface 0, payload unset. */
static inline struct ipv4_spec ipv4_spec_default(void)
{
	struct ipv4_spec s;

	memset(&s, 0, sizeof(s));
	s.eth_dst = mac0;
	s.eth_src = peer_mac;
	s.tci = -1;
	s.ether_type = 0x0800;
	s.version = 4;
	s.ihl = -1;
	s.tlen = -1;
	s.id = 0x1234;
	s.ttl = 64;
	s.proto = 1;
	s.src = PEER_IP;
	s.dst = OUR_IP;
	return s;
}

/* The Ethernet header (and tag) of s into f; returns its length. */
static inline size_t eth_build(uint8_t *f, const struct ipv4_spec *s)
{
	size_t n = 12;

	memcpy(f, s->eth_dst, 6);
	memcpy(f + 6, s->eth_src, 6);
	if (s->tci >= 0) {
		put16(f + 12, s->tpid ? s->tpid : 0x8100);
		put16(f + 14, (uint16_t)s->tci);
		n = 16;
	}
	put16(f + n, s->ether_type);
	return n + 2;
}

/* The frame s describes into f; returns its length. */
static inline size_t ipv4_build(uint8_t *f, const struct ipv4_spec *s)
{
	size_t l2 = eth_build(f, s);
	size_t hl = 20 + s->optlen;
	uint8_t *ip = f + l2;
	int ihl = s->ihl >= 0 ? s->ihl : (int)(hl / 4);
	size_t tlen = s->tlen >= 0 ? (size_t)s->tlen : hl + s->plen;

	ip[0] = (uint8_t)(s->version << 4 | (ihl & 0xf));
	ip[1] = s->tos;
	put16(ip + 2, (uint16_t)tlen);
	put16(ip + 4, s->id);
	put16(ip + 6, s->frag);
	ip[8] = s->ttl;
	ip[9] = s->proto;
	put16(ip + 10, 0);
	put32(ip + 12, s->src);
	put32(ip + 16, s->dst);
	if (s->optlen)
		memcpy(ip + 20, s->opts, s->optlen);
	put16(ip + 10, net_cksum(ip, hl));
	if (s->bad_cksum)
		ip[11] ^= 0x5a;
	if (s->plen)
		memcpy(ip + hl, s->payload, s->plen);
	memset(ip + hl + s->plen, 0, s->pad);
	return l2 + hl + s->plen + s->pad;
}

/* An ICMP message (RFC 792) into p: type, code, the 4 bytes after the
 * checksum, data; checksum computed. Returns its length. */
static inline size_t icmp_build(uint8_t *p, uint8_t type, uint8_t code,
                                uint32_t rest, const uint8_t *data, size_t dlen)
{
	p[0] = type;
	p[1] = code;
	put16(p + 2, 0);
	put32(p + 4, rest);
	if (dlen)
		memcpy(p + 8, data, dlen);
	put16(p + 2, net_cksum(p, 8 + dlen));
	return 8 + dlen;
}

/* dlen bytes of a pattern that depends on seed. */
static inline void pattern(uint8_t *p, size_t dlen, unsigned int seed)
{
	for (size_t i = 0; i < dlen; i++)
		p[i] = (uint8_t)(i * 13 + seed);
}

/* Echo request payload (identifier 0x0bad, sequence seq, dlen pattern
 * bytes) into p. Returns its length. */
static inline size_t echo_payload(uint8_t *p, uint8_t type, uint16_t seq,
                                  size_t dlen)
{
	static uint8_t data[IP_FRAME_MAX];

	pattern(data, dlen, seq);
	return icmp_build(p, type, 0, (uint32_t)0x0bad << 16 | seq, data, dlen);
}

/*
 * The echo reply (RFC 792) the stack must send for request s received on
 * an interface of MAC `mac`: addresses swapped, options gone, TOS, ID and
 * DF kept, TTL 64, type 0, the same identifier, sequence and data; the
 * same VLAN (TCI = the VID, priority 0). s->payload is an echo request.
 */
static inline size_t echo_reply_build(uint8_t *f, const struct ipv4_spec *s,
                                      const uint8_t *mac)
{
	static uint8_t icmp[IP_FRAME_MAX];
	struct ipv4_spec r = *s;

	memcpy(icmp, s->payload, s->plen);
	icmp[0] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 2, net_cksum(icmp, s->plen));
	r.eth_dst = s->eth_src;
	r.eth_src = mac;
	r.tci = s->tci >= 0 && (s->tci & 0xfff) ? (s->tci & 0xfff) : -1;
	r.tpid = 0;
	r.ihl = -1;
	r.tlen = -1;
	r.frag = s->frag & 0x4000;
	r.ttl = 64;
	r.bad_cksum = false;
	r.src = s->dst;
	r.dst = s->src;
	r.opts = NULL;
	r.optlen = 0;
	r.payload = icmp;
	r.pad = 0;
	return ipv4_build(f, &r);
}

/*
 * The ICMP error (RFC 792, RFC 1812 4.3.2.3) about the datagram `dgram`
 * (dlen bytes from its IPv4 header): to `to` from `from` (MACs), from
 * `src` to `dst` (host order), ID `id`, TOS 0, TTL 64, DF clear, quoting
 * as much of the datagram as fits 576 bytes; `rest` is the word after
 * the checksum. tci as in struct ipv4_spec.
 */
static inline size_t icmp_error_build(uint8_t *f, const uint8_t *to,
                                      const uint8_t *from, int tci,
                                      uint32_t src, uint32_t dst, uint16_t id,
                                      uint8_t type, uint8_t code, uint32_t rest,
                                      const uint8_t *dgram, size_t dlen)
{
	static uint8_t icmp[600];
	struct ipv4_spec e = ipv4_spec_default();
	size_t quote = dlen < 548 ? dlen : 548;

	e.eth_dst = to;
	e.eth_src = from;
	e.tci = tci;
	e.id = id;
	e.src = src;
	e.dst = dst;
	e.plen = icmp_build(icmp, type, code, rest, dgram, quote);
	e.payload = icmp;
	return ipv4_build(f, &e);
}

/* Hands f to the stack as received on port with offload flags `ol` (and
 * vlan_tci `tci` when ol says the PMD stripped a tag). */
static inline void net_rx_ol(struct net_fx *fx, const uint8_t *f, size_t len,
                             uint16_t port, uint64_t ol, uint16_t tci)
{
	struct rte_mbuf *m = net_mbuf(f, len, port);

	m->ol_flags = ol;
	m->vlan_tci = tci;
	ys_stack_input(&fx->st, m, 0);
}

/* A static ARP entry for ip (host order) on iface. */
static inline void conf_static_arp(struct ys_stack_conf *conf, uint32_t ip,
                                   const uint8_t *mac, uint32_t iface)
{
	struct ys_arp_static *e = &conf->static_arp[conf->n_static_arp++];

	e->ip = BE(ip);
	memcpy(e->mac.addr_bytes, mac, 6);
	e->iface = iface;
}

/* Re-initialises fx's stack from conf, counters zeroed. */
static inline void net_reinit(struct net_fx *fx,
                              const struct ys_stack_conf *conf)
{
	net_flush(fx);
	ys_stack_fini(&fx->st);
	memset(&fx->stats, 0, sizeof(fx->stats));
	net_init(fx, conf);
}

#endif /* YS_TEST_IP_H */
