/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of IPv4 input (proto/ys_ipv4.c: RFC 791, RFC 1122 3.2.1),
 * Ethernet demultiplexing and 802.1Q VLAN interfaces (proto/ys_stack.c):
 * a table of crafted frames, one rule each, every row asserting the exact
 * reply frame (built independently in ys_test_ip.h) or the exact counter
 * that moved and that nothing was sent; frames truncated at every byte of
 * their headers; tagged frames in and out byte for byte. Every test checks
 * every counter it moves and ends with the pool's in-use count where it
 * started (ys_test_net.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ys_test_net.h"

#include "ys_test_ip.h"

#define VID_A       100 /* iface 2: port 0, 172.16.0.1/24 */
#define VID_B       200 /* iface 3: port 1, 172.17.0.1/24, a tagged-only port */
#define VLAN_IP_A   IP4(172, 16, 0, 1)
#define VLAN_PEER_A IP4(172, 16, 0, 2)
#define VLAN_IP_B   IP4(172, 17, 0, 1)

/* net_conf() plus a static ARP entry for the peer, so that ICMP errors
 * leave at once. */
static void ip_conf(struct net_fx *fx, struct ys_stack_conf *conf)
{
	net_conf(fx, conf);
	conf_static_arp(conf, PEER_IP, peer_mac, 0);
}

static int ip_setup(void **state)
{
	struct ys_stack_conf conf;
	struct net_fx *fx;

	if (net_setup(state) != 0)
		return -1;
	fx = *state;
	ip_conf(fx, &conf);
	net_reinit(fx, &conf);
	return 0;
}

/* ---- the table ---------------------------------------------------------- */

enum field {
	F_NONE,
	F_DLEN,    /* echo data bytes */
	F_VERSION, /* IP version */
	F_IHL,
	F_TLEN,
	F_TLEN_DELTA, /* Total Length off by val */
	F_PAD,        /* Ethernet padding bytes after the datagram */
	F_BAD_CKSUM,
	F_TOS,
	F_TTL,
	F_FRAG,
	F_SRC,
	F_DST,
	F_PROTO,
	F_OPTS,
	F_ETH_DST, /* val: 0 broadcast, 1 multicast, 2 another host */
	F_ETHER_TYPE,
	F_ICMP_TYPE,
	F_ICMP_CODE,
	F_ICMP_BAD_CKSUM,
};

enum want {
	W_ECHO,  /* the exact echo reply */
	W_DROP,  /* one drop reason, nothing sent */
	W_PROTO, /* dropped ip_unsupported_proto, protocol unreachable sent */
};

struct row {
	const char *name;
	enum field field;
	long long val;
	const uint8_t *opts;
	size_t optlen;
	enum want want;
	enum ys_stack_drop_reason reason;
};

static const uint8_t opt_nops[4] = {1, 1, 1, 0};
static const uint8_t opt_eol_garbage[4] = {0, 7, 0xff, 0xff};
/* Record Route (RFC 791 3.1): type 7, length 39, pointer 4, 9 empty
 * slots, EOL: the largest header, IHL 15. */
static const uint8_t opt_rr[40] = {7, 39, 4};
/* Internet Timestamp: type 68, length 12, pointer 5, flags 0, 2 slots. */
static const uint8_t opt_ts[12] = {68, 12, 5, 0};
static const uint8_t opt_len2[4] = {7, 2, 1, 0};    /* shortest option */
static const uint8_t opt_exact[4] = {130, 4, 0, 0}; /* ends at the end */
static const uint8_t opt_len0[4] = {7, 0, 1, 0};
static const uint8_t opt_len1[4] = {7, 1, 1, 0};
static const uint8_t opt_past[4] = {7, 5, 4, 0};
static const uint8_t opt_no_len[4] = {1, 1, 1, 7};
static const uint8_t opt_rr_past[40] = {7, 41, 4};
static const uint8_t opt_nop_then_past[8] = {1, 68, 255, 5};

#define ROW(n, f, v, w, r)                                                     \
	{                                                                      \
		n, f, v, NULL, 0, w, YS_STACK_DROP_##r                         \
	}
#define ECHO(n, f, v)                                                          \
	{                                                                      \
		n, f, v, NULL, 0, W_ECHO, YS_STACK_DROP_MAX                    \
	}
#define OPTS(n, o, w, r)                                                       \
	{                                                                      \
		n, F_OPTS, 0, o, sizeof(o), w, YS_STACK_DROP_##r               \
	}

static const struct row rows[] = {
        /* valid */
        ECHO("valid, no data", F_DLEN, 0),
        ECHO("valid, 56 bytes", F_DLEN, 56),
        ECHO("valid, 1472 bytes", F_DLEN, 1472),
        ECHO("Ethernet padding trimmed", F_PAD, 18),
        ECHO("TOS kept", F_TOS, 0xb8),
        /* RFC 1122 3.2.1.7 is about sending: a host takes TTL 0 and 1 */
        ECHO("TTL 0", F_TTL, 0),
        ECHO("TTL 1", F_TTL, 1),
        ECHO("DF kept", F_FRAG, 0x4000),
        ECHO("reserved flag cleared", F_FRAG, 0x8000),
        ECHO("second address", F_DST, OUR_IP2),
        ECHO("off-link source", F_SRC, IP4(8, 8, 8, 8)),
        ECHO("network address as source", F_SRC, IP4(10, 0, 0, 0)),
        /* version and lengths */
        ROW("version 6", F_VERSION, 6, W_DROP, ip_malformed),
        ROW("version 0", F_VERSION, 0, W_DROP, ip_malformed),
        ROW("version 15", F_VERSION, 15, W_DROP, ip_malformed),
        ROW("IHL 0", F_IHL, 0, W_DROP, ip_malformed),
        ROW("IHL 1", F_IHL, 1, W_DROP, ip_malformed),
        ROW("IHL 2", F_IHL, 2, W_DROP, ip_malformed),
        ROW("IHL 3", F_IHL, 3, W_DROP, ip_malformed),
        ROW("IHL 4", F_IHL, 4, W_DROP, ip_malformed),
        ROW("IHL beyond the frame", F_IHL, 15, W_DROP, ip_malformed),
        ROW("Total Length 0", F_TLEN, 0, W_DROP, ip_malformed),
        ROW("Total Length 19", F_TLEN, 19, W_DROP, ip_malformed),
        ROW("Total Length beyond the frame", F_TLEN_DELTA, 1, W_DROP,
            ip_malformed),
        ROW("Total Length 65535", F_TLEN, 65535, W_DROP, ip_malformed),
        ROW("header checksum", F_BAD_CKSUM, 1, W_DROP, ip_bad_checksum),
        /* RFC 1122 3.2.1.3 sources */
        ROW("source 255.255.255.255", F_SRC, IP4(255, 255, 255, 255), W_DROP,
            ip_bad_source),
        ROW("source directed broadcast", F_SRC, IP4(10, 0, 0, 255), W_DROP,
            ip_bad_source),
        ROW("source second prefix's broadcast", F_SRC, IP4(10, 0, 1, 255),
            W_DROP, ip_bad_source),
        ROW("source multicast", F_SRC, IP4(224, 0, 0, 1), W_DROP,
            ip_bad_source),
        ROW("source 239/8", F_SRC, IP4(239, 255, 255, 250), W_DROP,
            ip_bad_source),
        ROW("source class E", F_SRC, IP4(240, 0, 0, 1), W_DROP, ip_bad_source),
        ROW("source loopback", F_SRC, IP4(127, 0, 0, 1), W_DROP, ip_bad_source),
        ROW("source 0.0.0.0", F_SRC, 0, W_DROP, ip_bad_source),
        ROW("source 0/8", F_SRC, IP4(0, 1, 2, 3), W_DROP, ip_bad_source),
        /* RFC 791 3.1 options */
        OPTS("options NOP NOP NOP EOL", opt_nops, W_ECHO, MAX),
        OPTS("options after EOL ignored", opt_eol_garbage, W_ECHO, MAX),
        OPTS("option record route", opt_rr, W_ECHO, MAX),
        OPTS("option timestamp", opt_ts, W_ECHO, MAX),
        OPTS("option of length 2", opt_len2, W_ECHO, MAX),
        OPTS("option ending at the header's end", opt_exact, W_ECHO, MAX),
        OPTS("option length 0", opt_len0, W_DROP, ip_bad_options),
        OPTS("option length 1", opt_len1, W_DROP, ip_bad_options),
        OPTS("option past the header", opt_past, W_DROP, ip_bad_options),
        OPTS("option without its length", opt_no_len, W_DROP, ip_bad_options),
        OPTS("record route past the header", opt_rr_past, W_DROP,
             ip_bad_options),
        OPTS("option length 255", opt_nop_then_past, W_DROP, ip_bad_options),
        /* fragments: reassembly is the primary's */
        ROW("first fragment", F_FRAG, 0x2000, W_DROP, ip_fragment),
        ROW("middle fragment", F_FRAG, 0x2000 | 185, W_DROP, ip_fragment),
        ROW("last fragment", F_FRAG, 185, W_DROP, ip_fragment),
        ROW("last fragment with DF", F_FRAG, 0x4000 | 1, W_DROP, ip_fragment),
        /* destinations */
        ROW("another host", F_DST, IP4(10, 0, 0, 3), W_DROP, ip_not_for_us),
        ROW("another interface's address", F_DST, OUR_IP1, W_DROP,
            ip_not_for_us),
        ROW("directed broadcast", F_DST, IP4(10, 0, 0, 255), W_DROP,
            ip_not_for_us),
        ROW("limited broadcast", F_DST, IP4(255, 255, 255, 255), W_DROP,
            ip_not_for_us),
        ROW("multicast", F_DST, IP4(224, 0, 0, 1), W_DROP, ip_not_for_us),
        ROW("unicast in a link broadcast", F_ETH_DST, 0, W_DROP,
            ip_link_broadcast),
        /* Ethernet */
        ROW("multicast MAC", F_ETH_DST, 1, W_DROP, eth_not_for_us),
        ROW("another host's MAC", F_ETH_DST, 2, W_DROP, eth_not_for_us),
        ROW("IPv6 EtherType", F_ETHER_TYPE, 0x86dd, W_DROP,
            eth_unsupported_type),
        /* protocols */
        ROW("TCP", F_PROTO, 6, W_PROTO, MAX),
        ROW("protocol 253", F_PROTO, 253, W_PROTO, MAX),
        ROW("protocol 0", F_PROTO, 0, W_PROTO, MAX),
        /* ICMP */
        ROW("ICMP checksum", F_ICMP_BAD_CKSUM, 1, W_DROP, icmp_bad_checksum),
        ROW("echo reply", F_ICMP_TYPE, 0, W_DROP, icmp_unsupported_type),
        ROW("timestamp", F_ICMP_TYPE, 13, W_DROP, icmp_unsupported_type),
        ROW("echo code 1", F_ICMP_CODE, 1, W_DROP, icmp_unsupported_type),
};

/* Applies row r to s, whose echo payload goes into icmp. */
static void row_apply(const struct row *r, struct ipv4_spec *s, uint8_t *icmp)
{
	static const uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x77};
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
	size_t dlen = r->field == F_DLEN ? (size_t)r->val : 56;

	s->plen = echo_payload(icmp, 8, 7, dlen);
	s->payload = icmp;
	switch (r->field) {
	case F_NONE:
	case F_DLEN:
		break;
	case F_VERSION:
		s->version = (uint8_t)r->val;
		break;
	case F_IHL:
		s->ihl = (int)r->val;
		if (r->val == 15)
			s->plen = echo_payload(icmp, 8, 7, 0);
		break;
	case F_TLEN:
		s->tlen = (int)r->val;
		break;
	case F_TLEN_DELTA:
		s->tlen = (int)(20 + s->plen + (size_t)r->val);
		break;
	case F_PAD:
		s->pad = (size_t)r->val;
		break;
	case F_BAD_CKSUM:
		s->bad_cksum = true;
		break;
	case F_TOS:
		s->tos = (uint8_t)r->val;
		break;
	case F_TTL:
		s->ttl = (uint8_t)r->val;
		break;
	case F_FRAG:
		s->frag = (uint16_t)r->val;
		break;
	case F_SRC:
		s->src = (uint32_t)r->val;
		break;
	case F_DST:
		s->dst = (uint32_t)r->val;
		break;
	case F_PROTO:
		s->proto = (uint8_t)r->val;
		break;
	case F_OPTS:
		s->opts = r->opts;
		s->optlen = r->optlen;
		break;
	case F_ETH_DST:
		s->eth_dst = r->val == 0 ? bcast : r->val == 1 ? mcast : other;
		break;
	case F_ETHER_TYPE:
		s->ether_type = (uint16_t)r->val;
		break;
	case F_ICMP_TYPE:
		s->plen = echo_payload(icmp, (uint8_t)r->val, 7, dlen);
		break;
	case F_ICMP_CODE:
		icmp[1] = (uint8_t)r->val;
		put16(icmp + 2, 0);
		put16(icmp + 2, net_cksum(icmp, s->plen));
		break;
	case F_ICMP_BAD_CKSUM:
		icmp[2] ^= 0x11;
		break;
	}
}

/* The counters a frame dropped for `reason` moved before its drop. */
static struct ys_stack_stats drop_stats(enum ys_stack_drop_reason reason)
{
	struct ys_stack_stats w = {.eth_rx = 1};
	const char *name = ys_stack_drop_str(reason);

	if (strncmp(name, "eth_", 4) != 0)
		w.ip_rx = 1;
	if (reason == YS_STACK_DROP_icmp_unsupported_type)
		w.icmp_rx = 1;
	w.drops[reason] = 1;
	return w;
}

static void check_row(struct net_fx *fx, const struct row *r)
{
	static uint8_t f[IP_FRAME_MAX], want[IP_FRAME_MAX], icmp[IP_FRAME_MAX];
	struct ipv4_spec s = ipv4_spec_default();
	struct ys_stack_stats w = {0};
	size_t len, wlen;
	uint16_t id = fx->st.ip_id;

	print_message("row: %s\n", r->name);
	row_apply(r, &s, icmp);
	len = ipv4_build(f, &s);
	memset(&fx->stats, 0, sizeof(fx->stats));
	net_rx(fx, f, len, 0, 0);
	/* A datagram whose options were walked counts them, whatever
	 * happens next. */
	w.ip_options_seen =
	        r->optlen != 0 && r->reason != YS_STACK_DROP_ip_bad_options;
	switch (r->want) {
	case W_ECHO:
		w.eth_rx = w.eth_tx = w.ip_rx = w.icmp_rx = 1;
		w.icmp_echo_requests = w.icmp_echo_replies = 1;
		wlen = echo_reply_build(want, &s, mac0);
		assert_int_equal(fx->link.n_sent, 1);
		net_check_sent(fx, 0, want, wlen, 0);
		break;
	case W_DROP: {
		uint64_t seen = w.ip_options_seen;

		w = drop_stats(r->reason);
		w.ip_options_seen = seen;
		assert_int_equal(fx->link.n_sent, 0);
		break;
	}
	case W_PROTO:
		/* RFC 1122 3.2.2.1, RFC 792: type 3 code 2, quoting the
		 * whole (short) datagram. */
		w.eth_rx = w.eth_tx = w.ip_rx = 1;
		w.icmp_errors_sent = w.ip_out_requests = 1;
		w.drops[YS_STACK_DROP_ip_unsupported_proto] = 1;
		wlen = icmp_error_build(want, peer_mac, mac0, -1, OUR_IP,
		                        PEER_IP, id, 3, 2, 0, f + 14, len - 14);
		assert_int_equal(fx->link.n_sent, 1);
		net_check_sent(fx, 0, want, wlen, 0);
		break;
	}
	net_check_stats(&fx->stats, &w);
	net_flush(fx);
	assert_int_equal(rte_mempool_in_use_count(g_pool), fx->pool_start);
}

static void test_table(void **state)
{
	struct net_fx *fx = *state;

	for (size_t i = 0; i < RTE_DIM(rows); i++)
		check_row(fx, &rows[i]);
}

/* ---- truncation --------------------------------------------------------- */

/* The first n bytes of f, for every n shorter than f, are dropped: a
 * runt before the Ethernet header is whole (l2 bytes), ip_malformed after
 * (the IPv4 header, or the Total Length it claims, is cut). */
static void check_truncations(struct net_fx *fx, const uint8_t *f, size_t len,
                              size_t l2, uint16_t port, size_t from)
{
	for (size_t n = from; n < len; n++) {
		struct ys_stack_stats w = {.eth_rx = 1};

		memset(&fx->stats, 0, sizeof(fx->stats));
		net_rx(fx, f, n, port, 0);
		if (n < l2) {
			w.drops[YS_STACK_DROP_eth_runt] = 1;
		} else {
			w.ip_rx = 1;
			w.eth_vlan_rx = l2 > 14;
			w.drops[YS_STACK_DROP_ip_malformed] = 1;
		}
		net_check_stats(&fx->stats, &w);
		assert_int_equal(fx->link.n_sent, 0);
		assert_int_equal(rte_mempool_in_use_count(g_pool),
		                 fx->pool_start);
	}
}

static void test_truncated(void **state)
{
	struct net_fx *fx = *state;
	static uint8_t f[256], icmp[64];
	struct ipv4_spec s = ipv4_spec_default();

	/* 14 + 20 + 8: every byte of the Ethernet, IPv4 and ICMP headers. */
	s.plen = echo_payload(icmp, 8, 1, 0);
	s.payload = icmp;
	check_truncations(fx, f, ipv4_build(f, &s), 14, 0, 0);
	/* The largest header: 60 bytes with options. */
	s.opts = opt_rr;
	s.optlen = sizeof(opt_rr);
	check_truncations(fx, f, ipv4_build(f, &s), 14, 0, 14);
}

/* ---- 802.1Q VLAN interfaces --------------------------------------------- */

/* ip_conf() plus iface 2 (port 0, VID_A, the port's MAC, 172.16.0.1/24)
 * and iface 3 (port 1, VID_B, 172.17.0.1/24): port 0 has an untagged and
 * a tagged interface, port 1 the untagged iface 1 and iface 3. With
 * `tagged_only`, iface 1 is dropped so that port 1 has only iface 3. */
static void vlan_conf(struct net_fx *fx, struct ys_stack_conf *conf,
                      bool tagged_only)
{
	struct ys_stack_iface *a, *b;

	ip_conf(fx, conf);
	if (tagged_only)
		conf->n_ifaces = 1;
	a = &conf->ifaces[conf->n_ifaces++];
	a->port_id = 0;
	memcpy(a->mac.addr_bytes, mac0, 6);
	a->n_addrs = 1;
	a->addrs[0] = BE(VLAN_IP_A);
	a->prefix_lens[0] = 24;
	a->vlan = VID_A;
	b = &conf->ifaces[conf->n_ifaces++];
	b->port_id = 1;
	memcpy(b->mac.addr_bytes, mac1, 6);
	b->n_addrs = 1;
	b->addrs[0] = BE(VLAN_IP_B);
	b->prefix_lens[0] = 24;
	b->vlan = VID_B;
	conf_static_arp(conf, VLAN_PEER_A, peer_mac2, conf->n_ifaces - 2);
}

/* An echo request to VLAN_IP_A tagged tci on port 0. */
static struct ipv4_spec vlan_echo(uint8_t *icmp, int tci, size_t dlen)
{
	struct ipv4_spec s = ipv4_spec_default();

	s.tci = tci;
	s.src = VLAN_PEER_A;
	s.dst = VLAN_IP_A;
	s.eth_src = peer_mac2;
	s.plen = echo_payload(icmp, 8, 3, dlen);
	s.payload = icmp;
	return s;
}

static const struct ys_stack_stats echo_stats = {
        .eth_rx = 1,
        .eth_tx = 1,
        .ip_rx = 1,
        .icmp_rx = 1,
        .icmp_echo_requests = 1,
        .icmp_echo_replies = 1,
};

/* Sends s on port and checks the one exact reply, tagged like it. */
static void expect_vlan_echo(struct net_fx *fx, const struct ipv4_spec *s,
                             uint16_t port, const uint8_t *mac, bool tagged)
{
	static uint8_t f[IP_FRAME_MAX], want[IP_FRAME_MAX];
	struct ys_stack_stats w = echo_stats;
	size_t len = ipv4_build(f, s), wlen = echo_reply_build(want, s, mac);

	memset(&fx->stats, 0, sizeof(fx->stats));
	net_rx(fx, f, len, port, 0);
	w.eth_vlan_rx = tagged;
	net_check_stats(&fx->stats, &w);
	assert_int_equal(fx->link.n_sent, 1);
	net_check_sent(fx, 0, want, wlen, port);
	net_flush(fx);
}

/* Sends f on port and checks it was dropped for reason alone. */
static void expect_eth_drop(struct net_fx *fx, const uint8_t *f, size_t len,
                            uint16_t port, enum ys_stack_drop_reason reason)
{
	struct ys_stack_stats w = {.eth_rx = 1};

	memset(&fx->stats, 0, sizeof(fx->stats));
	net_rx(fx, f, len, port, YS_RX_F_ARP_RESPONDER);
	w.drops[reason] = 1;
	net_check_stats(&fx->stats, &w);
	assert_int_equal(fx->link.n_sent, 0);
}

static void test_vlan_echo(void **state)
{
	struct net_fx *fx = *state;
	static uint8_t icmp[IP_FRAME_MAX];
	struct ys_stack_conf conf;
	struct ipv4_spec s;

	vlan_conf(fx, &conf, false);
	net_reinit(fx, &conf);

	/* Tagged in, tagged out; the priority bits are not echoed. */
	s = vlan_echo(icmp, VID_A, 56);
	expect_vlan_echo(fx, &s, 0, mac0, true);
	s = vlan_echo(icmp, 0xe000 | VID_A, 0);
	expect_vlan_echo(fx, &s, 0, mac0, true);
	/* A reply larger than one mbuf's worth, and a reply with options
	 * cut (the tag goes in front of the shifted headers). */
	s = vlan_echo(icmp, VID_A, 1472);
	expect_vlan_echo(fx, &s, 0, mac0, true);
	s = vlan_echo(icmp, VID_A, 100);
	s.opts = opt_rr;
	s.optlen = sizeof(opt_rr);
	{
		static uint8_t f[IP_FRAME_MAX], want[IP_FRAME_MAX];
		struct ys_stack_stats w = echo_stats;
		size_t len = ipv4_build(f, &s);
		size_t wlen = echo_reply_build(want, &s, mac0);

		memset(&fx->stats, 0, sizeof(fx->stats));
		net_rx(fx, f, len, 0, 0);
		w.eth_vlan_rx = 1;
		w.ip_options_seen = 1;
		net_check_stats(&fx->stats, &w);
		net_check_sent(fx, 0, want, wlen, 0);
		net_flush(fx);
	}
	/* Untagged on the same port: the untagged interface, untagged. */
	s = ipv4_spec_default();
	s.plen = echo_payload(icmp, 8, 4, 56);
	s.payload = icmp;
	expect_vlan_echo(fx, &s, 0, mac0, false);
	/* A priority tag (VID 0, 802.1Q 9.6) is the untagged interface's;
	 * its reply goes untagged. */
	s.tci = 0xa000;
	expect_vlan_echo(fx, &s, 0, mac0, false);
	/* Port 1's VLAN. */
	s = vlan_echo(icmp, VID_B, 56);
	s.eth_dst = mac1;
	s.dst = VLAN_IP_B;
	s.src = IP4(172, 17, 0, 9);
	expect_vlan_echo(fx, &s, 1, mac1, true);
}

static void test_vlan_drops(void **state)
{
	struct net_fx *fx = *state;
	static uint8_t f[256], icmp[128];
	struct ys_stack_conf conf;
	struct ipv4_spec s;
	size_t len;

	vlan_conf(fx, &conf, false);
	net_reinit(fx, &conf);

	/* A VID no interface of the port has, and the reserved 4095. */
	s = vlan_echo(icmp, VID_A + 1, 56);
	expect_eth_drop(fx, f, ipv4_build(f, &s), 0,
	                YS_STACK_DROP_eth_vlan_unknown);
	s = vlan_echo(icmp, 4095, 56);
	expect_eth_drop(fx, f, ipv4_build(f, &s), 0,
	                YS_STACK_DROP_eth_vlan_unknown);
	/* Port 1's VID on port 0. */
	s = vlan_echo(icmp, VID_B, 56);
	expect_eth_drop(fx, f, ipv4_build(f, &s), 0,
	                YS_STACK_DROP_eth_vlan_unknown);
	/* QinQ: an 802.1ad S-tag, the old 0x9100, two C-tags. */
	s = vlan_echo(icmp, VID_A, 56);
	s.tpid = 0x88a8;
	expect_eth_drop(fx, f, ipv4_build(f, &s), 0,
	                YS_STACK_DROP_eth_vlan_unknown);
	s.tpid = 0x9100;
	expect_eth_drop(fx, f, ipv4_build(f, &s), 0,
	                YS_STACK_DROP_eth_vlan_unknown);
	s.tpid = 0x8100;
	s.ether_type = 0x8100;
	expect_eth_drop(fx, f, ipv4_build(f, &s), 0,
	                YS_STACK_DROP_eth_vlan_unknown);
	/* The right VLAN, another interface's address or MAC. */
	s = vlan_echo(icmp, VID_A, 56);
	s.dst = OUR_IP;
	len = ipv4_build(f, &s);
	{
		struct ys_stack_stats w = {
		        .eth_rx = 1, .ip_rx = 1, .eth_vlan_rx = 1};

		memset(&fx->stats, 0, sizeof(fx->stats));
		net_rx(fx, f, len, 0, 0);
		w.drops[YS_STACK_DROP_ip_not_for_us] = 1;
		net_check_stats(&fx->stats, &w);
		assert_int_equal(fx->link.n_sent, 0);
	}
	s = vlan_echo(icmp, VID_A, 56);
	s.eth_dst = mac1;
	{
		struct ys_stack_stats w = {.eth_rx = 1, .eth_vlan_rx = 1};

		memset(&fx->stats, 0, sizeof(fx->stats));
		net_rx(fx, f, ipv4_build(f, &s), 0, 0);
		w.drops[YS_STACK_DROP_eth_not_for_us] = 1;
		net_check_stats(&fx->stats, &w);
	}
	/* Cut inside the tag: a runt; after it, every byte of the IPv4
	 * header: malformed. */
	s = vlan_echo(icmp, VID_A, 0);
	len = ipv4_build(f, &s);
	for (size_t n = 14; n < 18; n++)
		expect_eth_drop(fx, f, n, 0, YS_STACK_DROP_eth_runt);
	check_truncations(fx, f, len, 18, 0, 18);

	/* A port with only a tagged interface takes no untagged frame. */
	vlan_conf(fx, &conf, true);
	net_reinit(fx, &conf);
	s = ipv4_spec_default();
	s.eth_dst = mac1;
	s.dst = VLAN_IP_B;
	s.plen = echo_payload(icmp, 8, 3, 56);
	s.payload = icmp;
	expect_eth_drop(fx, f, ipv4_build(f, &s), 1,
	                YS_STACK_DROP_eth_vlan_unknown);
	s.tci = 0; /* priority-tagged: untagged too */
	expect_eth_drop(fx, f, ipv4_build(f, &s), 1,
	                YS_STACK_DROP_eth_vlan_unknown);
	assert_int_equal(rte_mempool_in_use_count(g_pool), fx->pool_start);
}

/* A tagged ARP request is answered tagged (RFC 826 on the VLAN's LAN). */
static void test_vlan_arp(void **state)
{
	struct net_fx *fx = *state;
	uint8_t f[64], want[64];
	struct ys_stack_conf conf;
	struct ipv4_spec tag = ipv4_spec_default();
	size_t len;

	vlan_conf(fx, &conf, false);
	net_reinit(fx, &conf);
	/* The request: 14 bytes of Ethernet, then a 4-byte tag. */
	len = arp_frame(f + 4, 1, bcast, peer_mac2, peer_mac2,
	                IP4(172, 16, 0, 7), zero6, VLAN_IP_A);
	tag.eth_dst = bcast;
	tag.eth_src = peer_mac2;
	tag.tci = VID_A;
	tag.ether_type = 0x0806;
	eth_build(f, &tag);
	net_rx(fx, f, len + 4, 0, YS_RX_F_ARP_RESPONDER);
	/* The reply, tagged the same. */
	len = arp_frame(want + 4, 2, peer_mac2, mac0, mac0, VLAN_IP_A,
	                peer_mac2, IP4(172, 16, 0, 7));
	tag.eth_dst = peer_mac2;
	tag.eth_src = mac0;
	eth_build(want, &tag);
	assert_int_equal(fx->link.n_sent, 1);
	net_check_sent(fx, 0, want, len + 4, 0);
	assert_int_equal(fx->stats.eth_vlan_rx, 1);
	assert_int_equal(fx->stats.arp_requests_answered, 1);
	/* Learnt on the VLAN's interface (its own cache entry). */
	arp_expect(fx, IP4(172, 16, 0, 7), 0, YS_ARP_REACHABLE, peer_mac2, 0,
	           0);
}

/* Everything the stack originates on a VLAN interface is tagged: ARP
 * requests, datagrams sent after resolution, fragments, ICMP errors. */
static void test_vlan_output(void **state)
{
	struct net_fx *fx = *state;
	static uint8_t f[IP_FRAME_MAX], want[IP_FRAME_MAX], icmp[64];
	static const uint8_t peer3[6] = {0x02, 0, 0, 0, 0, 0x33};
	struct ys_stack_conf conf;
	struct ipv4_spec tag = ipv4_spec_default(), s;
	uint32_t peer = IP4(172, 16, 0, 33);
	size_t len;
	uint16_t id;

	vlan_conf(fx, &conf, false);
	conf.ifaces[2].mtu = 576;
	net_reinit(fx, &conf);

	/* The ARP request, tagged. */
	assert_int_equal(net_send(fx, 0, peer, 0x77, 1000), 0);
	tag.eth_dst = bcast;
	tag.eth_src = mac0;
	tag.tci = VID_A;
	tag.ether_type = 0x0806;
	eth_build(want, &tag);
	len = arp_frame(f, 1, bcast, mac0, mac0, VLAN_IP_A, zero6, peer);
	memcpy(want + 18, f + 14, len - 14);
	net_check_sent(fx, 0, want, len + 4, 0);
	net_flush(fx);
	/* The tagged reply sends the waiting datagram as 2 tagged
	 * fragments of at most 576 bytes. */
	len = arp_frame(f + 4, 2, mac0, peer3, peer3, peer, mac0, VLAN_IP_A);
	tag.eth_dst = mac0;
	tag.eth_src = peer3;
	eth_build(f, &tag);
	net_rx(fx, f, len + 4, 0, 0);
	assert_int_equal(fx->link.n_sent, 2);
	assert_int_equal(fx->stats.ip_frag_created, 2);
	len = ip_frame(f, peer3, mac0, VLAN_IP_A, peer, 0x77, 1000, false);
	for (unsigned int i = 0; i < 2; i++) {
		const struct rte_mbuf *m = fx->link.sent[i];
		const uint8_t *p = rte_pktmbuf_read(m, 0, m->pkt_len, want);
		size_t dlen = i == 0 ? 552 : 1000 - 552;

		assert_int_equal(m->pkt_len, 18 + 20 + dlen);
		assert_memory_equal(p, peer3, 6);
		assert_memory_equal(p + 6, mac0, 6);
		assert_int_equal(p[12] << 8 | p[13], 0x8100);
		assert_int_equal(p[14] << 8 | p[15], VID_A);
		assert_int_equal(p[16] << 8 | p[17], 0x0800);
		assert_int_equal(p[18 + 6] << 8 | p[18 + 7],
		                 (i == 0 ? 0x2000 : 0) | (i * 552 / 8));
		assert_memory_equal(p + 38, f + 34 + i * 552, dlen);
	}
	net_flush(fx);

	/* A datagram with room for the Ethernet header but not the tag is
	 * refused at once, not lost after ARP resolution. */
	{
		size_t dlen =
		        ip_frame(f, NULL, NULL, 0, peer, 0x78, 100, false);
		struct rte_mbuf *m = net_mbuf(f, dlen, 0);
		uint64_t before =
		        fx->stats.drops[YS_STACK_DROP_ip_out_malformed];

		/* Headroom 14: move the data to the front of the buffer. */
		memmove((char *)m->buf_addr + 14, rte_pktmbuf_mtod(m, char *),
		        dlen);
		m->data_off = 14;
		assert_int_equal(ys_stack_ip_output(&fx->st, m), -EINVAL);
		assert_int_equal(
		        fx->stats.drops[YS_STACK_DROP_ip_out_malformed],
		        before + 1);
		assert_int_equal(fx->link.n_sent, 0);
	}

	/* A protocol unreachable about a tagged datagram, tagged. */
	s = vlan_echo(icmp, VID_A, 8);
	s.proto = 99;
	len = ipv4_build(f, &s);
	id = fx->st.ip_id;
	net_rx(fx, f, len, 0, 0);
	assert_int_equal(fx->link.n_sent, 1);
	len = icmp_error_build(want, peer_mac2, mac0, VID_A, VLAN_IP_A,
	                       VLAN_PEER_A, id, 3, 2, 0, f + 18, len - 18);
	net_check_sent(fx, 0, want, len, 0);
	assert_int_equal(fx->stats.icmp_errors_sent, 1);
}

/* A PMD that strips the tag (RTE_MBUF_F_RX_VLAN_STRIPPED) leaves it in
 * vlan_tci; a shared tagged frame is copied before its tag is cut. */
static void test_vlan_offload_and_shared(void **state)
{
	struct net_fx *fx = *state;
	static uint8_t f[256], want[256], icmp[128];
	struct ys_stack_conf conf;
	struct ipv4_spec s;
	struct ys_stack_stats w = echo_stats;
	struct rte_mbuf *orig, *clone;
	size_t len, wlen;

	vlan_conf(fx, &conf, false);
	net_reinit(fx, &conf);

	/* Stripped by the PMD: the untagged data, the VID in the mbuf. */
	s = vlan_echo(icmp, -1, 56);
	len = ipv4_build(f, &s);
	s.tci = VID_A;
	wlen = echo_reply_build(want, &s, mac0);
	net_rx_ol(fx, f, len, 0,
	          RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED,
	          0x2000 | VID_A);
	w.eth_vlan_rx = 1;
	net_check_stats(&fx->stats, &w);
	net_check_sent(fx, 0, want, wlen, 0);
	net_flush(fx);
	/* A stripped outer tag (QinQ), or one more tag in the data. */
	memset(&fx->stats, 0, sizeof(fx->stats));
	net_rx_ol(fx, f, len, 0, RTE_MBUF_F_RX_QINQ_STRIPPED, VID_A);
	s.tci = VID_A;
	net_rx_ol(fx, f, ipv4_build(f, &s), 0, RTE_MBUF_F_RX_VLAN_STRIPPED,
	          VID_A);
	assert_int_equal(fx->stats.drops[YS_STACK_DROP_eth_vlan_unknown], 2);
	assert_int_equal(fx->link.n_sent, 0);

	/* Shared: a clone of a tagged request; the original is untouched. */
	s = vlan_echo(icmp, VID_A, 56);
	len = ipv4_build(f, &s);
	wlen = echo_reply_build(want, &s, mac0);
	orig = net_mbuf(f, len, 0);
	clone = rte_pktmbuf_clone(orig, g_pool);
	assert_non_null(clone);
	memset(&fx->stats, 0, sizeof(fx->stats));
	ys_stack_input(&fx->st, clone, 0);
	w = echo_stats;
	w.eth_vlan_rx = 1;
	net_check_stats(&fx->stats, &w);
	net_check_sent(fx, 0, want, wlen, 0);
	assert_memory_equal(rte_pktmbuf_mtod(orig, void *), f, len);
	ys_mbuf_free(&fx->link.owner, orig);
	net_flush(fx);

	/* No headroom for the tag of a reply built in place (a PMD-stripped
	 * request at the very start of its buffer): dropped, not sent
	 * untagged. */
	s = vlan_echo(icmp, -1, 56);
	len = ipv4_build(f, &s);
	orig = net_mbuf(f, 0, 0);
	orig->data_off = 0;
	memcpy(rte_pktmbuf_append(orig, (uint16_t)len), f, len);
	orig->ol_flags = RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	orig->vlan_tci = VID_A;
	memset(&fx->stats, 0, sizeof(fx->stats));
	ys_stack_input(&fx->st, orig, 0);
	w = echo_stats;
	w.eth_tx = 0;
	w.icmp_echo_replies = 0;
	w.eth_vlan_rx = 1;
	w.drops[YS_STACK_DROP_eth_vlan_no_room] = 1;
	net_check_stats(&fx->stats, &w);
	assert_int_equal(fx->link.n_sent, 0);
}

/* ys_stack_validate_conf(): VIDs in range, one interface per port and
 * VLAN. */
static void test_vlan_conf(void **state)
{
	struct net_fx *fx = *state;
	struct ys_stack_conf conf;
	struct ys_stack st;
	char err[160];

	vlan_conf(fx, &conf, false);
	assert_int_equal(ys_stack_validate_conf(&conf, err, sizeof(err)), 0);
	conf.ifaces[2].vlan = 4095;
	assert_int_equal(ys_stack_validate_conf(&conf, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err,
	                    "interfaces[2].vlan: must be between 1 and 4094");
	conf.ifaces[2].vlan = VID_B; /* port 0: no clash with port 1's */
	assert_int_equal(ys_stack_validate_conf(&conf, err, sizeof(err)), 0);
	conf.ifaces[3].vlan = 0; /* port 1 then has two untagged */
	assert_int_equal(ys_stack_validate_conf(&conf, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err,
	                    "interfaces[3]: port 1 already has an untagged "
	                    "interface (interfaces[1])");
	vlan_conf(fx, &conf, false);
	conf.ifaces[3].port_id = 0;
	conf.ifaces[3].vlan = VID_A;
	assert_int_equal(ys_stack_validate_conf(&conf, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, "interfaces[3].vlan: 100 is already "
	                         "interfaces[2]'s on port 0");
	assert_int_equal(ys_stack_init(&st, &conf), -EINVAL);
}

/* The counters and drop reasons this file relies on have these names. */
static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_ip_bad_source),
	                    "ip_bad_source");
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_ip_bad_options),
	                    "ip_bad_options");
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_eth_vlan_unknown),
	                    "eth_vlan_unknown");
	assert_string_equal(ys_stack_drop_str(YS_STACK_DROP_eth_vlan_no_room),
	                    "eth_vlan_no_room");
}

#define T(f) cmocka_unit_test_setup_teardown(f, ip_setup, net_teardown)

static int group_setup(void **state)
{
	(void)state;
	return net_group_setup("test_ipv4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_table),
	        T(test_truncated),
	        T(test_vlan_echo),
	        T(test_vlan_drops),
	        T(test_vlan_arp),
	        T(test_vlan_output),
	        T(test_vlan_offload_and_shared),
	        T(test_vlan_conf),
	        T(test_names),
	};

	return cmocka_run_group_tests(tests, group_setup, net_group_teardown);
}
