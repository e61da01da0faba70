/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: one received frame into a fresh stack instance
 * (proto/ys_stack.c), tagged as the secondary's own as the primary hands
 * it over. Input: byte 0 options (bit 0: ARP responder, bit 1: arrived
 * on port 1, bit 2: time runs, bit 7: chained, see fuzz_input.h), bytes
 * 1-4 split offsets, then the frame. Port 0 also has an 802.1Q VLAN
 * interface (VID 100). With bit 2 the clock is ticked before the frame
 * and again 11 minutes later, so that what the frame left behind (ARP
 * retries and failures, path MTU estimates, the ICMP token bucket) runs
 * out. Every frame sent must be tagged on every segment; after
 * each input every mbuf is back in the pool (abort otherwise: a leak).
 *
 * One-time state: the EAL (--no-huge --no-pci) and the pool, made in
 * LLVMFuzzerInitialize.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ys_test_eal.h"

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fuzz_input.h"
#include "ys_mbuf.h"
#include "ys_stack.h"

#define POOL_SIZE 511
#define OWNER     3 /* secondary 2 */

static struct rte_mempool *g_pool;
static int g_meta;

struct fuzz_link {
	struct ys_mbuf_owner owner;
};

/* Consumes m: checks its tags, then frees it as the secondary would. */
static int fuzz_tx(void *ctx, struct rte_mbuf *m)
{
	struct fuzz_link *l = ctx;

	for (struct rte_mbuf *s = m; s != NULL; s = s->next)
		if (ys_mbuf_meta(s, l->owner.offset)->owner != OWNER)
			abort(); /* a frame left the stack untagged */
	ys_mbuf_free(&l->owner, m);
	return 0;
}

static void fuzz_fini(void)
{
	rte_mempool_free(g_pool);
	ys_test_eal_fini();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (ys_test_eal_init("fuzz_stack") != 0)
		abort();
	g_meta = ys_test_register_meta();
	/* No per-lcore cache, so that in-use counts are exact. */
	g_pool = rte_pktmbuf_pool_create("ys_fuzz_stack", POOL_SIZE, 0, 0,
	                                 RTE_MBUF_DEFAULT_BUF_SIZE,
	                                 SOCKET_ID_ANY);
	if (g_meta < 0 || g_pool == NULL)
		abort();
	atexit(fuzz_fini);
	return 0;
}

static void fuzz_conf(struct ys_stack_conf *conf, struct fuzz_link *link,
                      struct ys_stack_stats *stats)
{
	static const uint8_t mac0[6] = {0x02, 0, 0, 0, 0, 0x01};
	static const uint8_t mac1[6] = {0x02, 0, 0, 0, 0, 0x02};

	memset(conf, 0, sizeof(*conf));
	conf->n_ifaces = 3;
	conf->ifaces[0].port_id = 0;
	memcpy(conf->ifaces[0].mac.addr_bytes, mac0, 6);
	conf->ifaces[0].n_addrs = 2;
	conf->ifaces[0].addrs[0] = rte_cpu_to_be_32(0xc6120002); /* .18.0.2 */
	conf->ifaces[0].prefix_lens[0] = 24;
	conf->ifaces[0].addrs[1] = rte_cpu_to_be_32(0xc6120102); /* .18.1.2 */
	conf->ifaces[0].prefix_lens[1] = 24;
	conf->ifaces[0].gateway = rte_cpu_to_be_32(0xc6120001);
	conf->ifaces[1].port_id = 1;
	memcpy(conf->ifaces[1].mac.addr_bytes, mac1, 6);
	conf->ifaces[1].n_addrs = 1;
	conf->ifaces[1].addrs[0] = rte_cpu_to_be_32(0xc6130002); /* .19.0.2 */
	conf->ifaces[1].prefix_lens[0] = 16;
	conf->ifaces[1].mtu = 576; /* replies over it are fragmented */
	conf->ifaces[2].port_id = 0;
	memcpy(conf->ifaces[2].mac.addr_bytes, mac0, 6);
	conf->ifaces[2].n_addrs = 1;
	conf->ifaces[2].addrs[0] = rte_cpu_to_be_32(0xc6140002); /* .20.0.2 */
	conf->ifaces[2].prefix_lens[0] = 24;
	conf->ifaces[2].vlan = 100;
	/* The UDP echo (proto/ys_diag.h): UDP input reaches a bound port,
	 * and the echo's output path runs. */
	conf->diag_udp_echo_port = 7;
	conf->pool = g_pool;
	conf->tx = fuzz_tx;
	conf->tx_ctx = link;
	conf->stats = stats;
	conf->owner = link->owner;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_link link = {.owner = {.offset = g_meta, .owner = OWNER}};
	struct ys_stack_stats stats;
	struct ys_stack_conf conf;
	struct ys_stack st;
	struct rte_mbuf *m;

	memset(&stats, 0, sizeof(stats));
	fuzz_conf(&conf, &link, &stats);
	if (ys_stack_init(&st, &conf) != 0)
		abort();
	m = fuzz_frame(g_pool, data, size);
	if (m != NULL) {
		m->port = (data[0] & 2) ? 1 : 0;
		ys_mbuf_claim(&link.owner, m);
		if (data[0] & 4)
			ys_stack_tick(&st, 1000);
		ys_stack_input(&st, m,
		               (data[0] & 1) ? YS_RX_F_ARP_RESPONDER : 0);
		if (data[0] & 4)
			ys_stack_tick(&st, 1000 + 11 * 60 * 1000);
	}
	ys_stack_fini(&st); /* the ARP cache, and datagrams waiting on it */
	if (rte_mempool_in_use_count(g_pool) != 0)
		abort(); /* the stack leaked (or kept) an mbuf */
	return 0;
}
