/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_dispatch: the primary's full dispatch (parse + Toeplitz hash +
 * RETA + staged burst enqueue onto per-secondary rings) without a NIC.
 *
 * Pre-built UDP and TCP frames of many flows circulate: the main lcore
 * takes a burst from a return ring and dispatches it to 4 secondary rx
 * rings; a consumer on a second lcore (the other core) drains those
 * rings back onto the return ring, as secondaries would. The frames are
 * never rebuilt, so what is timed on the main lcore is the dispatcher
 * plus one burst dequeue from the return ring.
 *
 * The same run is made with each Toeplitz implementation the CPU has
 * (yastack's automatic choice first) and with rte_softrss per packet,
 * side by side, and the raw cost of each implementation on the same
 * tuples. Output: one JSON object on stdout.
 *
 * usage: bench_dispatch [PACKETS]   (default 50000000 per implementation,
 * in 5 interleaved rounds whose median is reported; needs 2 CPUs, no
 * hugepages: EAL runs with --no-huge)
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_thash.h>
#include <rte_udp.h>

#include "../../primary/primary.h"
#include "../../primary/reasm.h"

#define N_SEC 4
/*
 * Distinct flows in circulation: few enough that their mbufs stay in the
 * core's cache, as frames a NIC just wrote (DDIO) or af_packet just
 * copied would be.
 */
#define N_FRAMES   1024
#define RING_SIZE  4096
#define RETA_SIZE  128
#define RAW_HASHES 10000000
#define ROUNDS     5

struct bench {
	struct rte_mempool *pool;
	struct rte_ring *ret; /* consumer -> producer */
	struct ys_secondary_slot slots[N_SEC];
	uint16_t reta[RETA_SIZE];
	struct ys_dispatch d;
	struct ys_port_stats stats;
	volatile int stop;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* A 64-byte UDP or TCP frame of a random flow towards 198.18.0.2. */
static struct rte_mbuf *build_frame(struct rte_mempool *pool, int tcp)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t l4_len =
	        tcp ? sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr);
	uint16_t len = (uint16_t)(14 + 20 + l4_len);
	uint8_t *p;
	struct rte_ipv4_hdr *ip;
	uint16_t *ports;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, len < 60 ? 60 : len);
	memset(p, 0, rte_pktmbuf_data_len(m));
	p[12] = 0x08; /* IPv4 */
	ip = (struct rte_ipv4_hdr *)(p + 14);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + l4_len));
	ip->time_to_live = 64;
	ip->next_proto_id = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(0xc6120000u | (rnd() & 0x1ffff));
	ip->dst_addr = rte_cpu_to_be_32(0xc6120002u);
	ports = (uint16_t *)(ip + 1);
	ports[0] = (uint16_t)rnd();
	ports[1] = rte_cpu_to_be_16(tcp ? 443 : 53);
	return m;
}

/* The secondaries: drain every rx ring back onto the return ring. */
static int consumer(void *arg)
{
	struct bench *b = arg;
	struct rte_mbuf *pkts[YS_BURST];

	while (!b->stop) {
		for (unsigned k = 0; k < N_SEC; k++) {
			unsigned n = rte_ring_sc_dequeue_burst(b->d.rx_rings[k],
			                                       (void **)pkts,
			                                       YS_BURST, NULL);

			if (n > 0)
				rte_ring_sp_enqueue_burst(b->ret, (void **)pkts,
				                          n, NULL);
		}
	}
	return 0;
}

/*
 * Dispatch `packets` frames; returns TSC cycles per packet spent inside
 * ys_dispatch_burst() (time waiting for the consumer is not counted).
 */
static double run_dispatch(struct bench *b, uint64_t packets)
{
	struct ys_dispatch_port port = {.stats = &b->stats};
	uint64_t done = 0, busy = 0;
	struct rte_mbuf *pkts[YS_BURST];

	unsigned have = 0;

	memset(&b->stats, 0, sizeof(b->stats));
	while (done < packets) {
		uint64_t t0;

		/* Full bursts only, as under load. */
		have += rte_ring_sc_dequeue_burst(b->ret, (void **)pkts + have,
		                                  YS_BURST - have, NULL);
		if (have < YS_BURST)
			continue;
		t0 = rte_rdtsc();
		ys_dispatch_burst(&b->d, &port, pkts, YS_BURST, t0);
		busy += rte_rdtsc() - t0;
		done += YS_BURST;
		have = 0;
	}
	/* Leftovers go round again next time. */
	for (unsigned i = 0; i < have; i++)
		while (rte_ring_enqueue(b->d.rx_rings[0], pkts[i]) != 0)
			;
	return (double)busy / (double)done;
}

/* Raw hash cost over IPv4 4-tuples, cycles per hash. */
static double run_raw(const struct ys_toeplitz *t, uint32_t *sink)
{
	static uint8_t tuples[1024][12];
	uint32_t acc = 0;
	uint64_t start;

	for (unsigned i = 0; i < 1024; i++)
		for (unsigned j = 0; j < 12; j++)
			tuples[i][j] = (uint8_t)rnd();
	start = rte_rdtsc_precise();
	for (unsigned i = 0; i < RAW_HASHES; i++)
		acc ^= ys_toeplitz_hash(t, tuples[i & 1023], 12);
	*sink ^= acc;
	return (double)(rte_rdtsc_precise() - start) / RAW_HASHES;
}

static int setup(struct bench *b, struct ys_toeplitz *t)
{
	static const struct rte_mbuf_dynfield meta = {
	        .name = YS_MBUF_META_DYNFIELD,
	        .size = sizeof(struct ys_mbuf_meta),
	        .align = __alignof__(struct ys_mbuf_meta),
	};
	static const struct ys_cfg_reassembly reasm = {.max_flows = 64,
	                                               .timeout_ms = 1000};
	char name[32];

	b->pool = rte_pktmbuf_pool_create("bench_pool", 16383, 256, 0,
	                                  RTE_MBUF_DEFAULT_BUF_SIZE,
	                                  SOCKET_ID_ANY);
	b->ret = rte_ring_create("bench_ret", 16384, SOCKET_ID_ANY,
	                         RING_F_SP_ENQ | RING_F_SC_DEQ);
	b->d.meta_offset = rte_mbuf_dynfield_register(&meta);
	b->d.reasm = ys_reasm_create(&reasm, rte_get_tsc_hz(), SOCKET_ID_ANY);
	if (b->pool == NULL || b->ret == NULL || b->d.meta_offset < 0 ||
	    b->d.reasm == NULL)
		return -1;
	ys_reta_fill(b->reta, RETA_SIZE, N_SEC);
	for (unsigned k = 0; k < N_SEC; k++) {
		b->slots[k].state = YS_SEC_RUNNING;
		snprintf(name, sizeof(name), "bench_rx_%u", k);
		b->d.rx_rings[k] =
		        rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY,
		                        RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (b->d.rx_rings[k] == NULL)
			return -1;
	}
	b->d.thash = t;
	b->d.reta = b->reta;
	b->d.home_reta = b->reta;
	b->d.reta_size = RETA_SIZE;
	b->d.n_secondaries = N_SEC;
	b->d.slots = b->slots;
	b->d.pool = b->pool;
	for (unsigned i = 0; i < N_FRAMES; i++) {
		struct rte_mbuf *m = build_frame(b->pool, i & 1);

		if (m == NULL || rte_ring_sp_enqueue(b->ret, m) != 0)
			return -1;
	}
	return 0;
}

static double median(double *v)
{
	for (unsigned i = 1; i < ROUNDS; i++)
		for (unsigned j = i; j > 0 && v[j] < v[j - 1]; j--) {
			double x = v[j];

			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	return v[ROUNDS / 2];
}

static void print_result(const char *impl, double cyc, double hz, int last)
{
	double ns = cyc * 1e9 / hz;

	printf("    {\"hash\": \"%s\", \"cycles_per_packet\": %.2f, "
	       "\"ns_per_packet\": %.2f, \"mpps\": %.2f}%s\n",
	       impl, cyc, ns, 1e3 / ns, last ? "" : ",");
}

int main(int argc, char **argv)
{
	static struct bench b;
	static struct ys_toeplitz thash;
	static const enum ys_toeplitz_impl impls[] = {
	        YS_TOEPLITZ_AUTO, YS_TOEPLITZ_TABLE, YS_TOEPLITZ_GFNI,
	        YS_TOEPLITZ_SOFTRSS};
	char prefix[64], run_dir[PATH_MAX];
	char *eal[] = {"bench_dispatch",
	               "--no-huge",
	               "--no-pci",
	               "--no-telemetry",
	               "--no-shconf",
	               "-m",
	               "256",
	               "-l",
	               "0,1",
	               "--file-prefix",
	               prefix,
	               "--log-level",
	               "error"};
	uint64_t packets = argc > 1 ? strtoull(argv[1], NULL, 10) : 50000000;
	double hz, raw[4] = {0}, disp[4] = {0};
	double raw_r[4][ROUNDS] = {{0}}, disp_r[4][ROUNDS] = {{0}};
	uint32_t sink = 0;
	int first = 1;

	snprintf(prefix, sizeof(prefix), "bench_dispatch_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0 || rte_lcore_count() < 2) {
		fprintf(stderr, "bench_dispatch: EAL init failed (needs 2 "
		                "CPUs)\n");
		return 1;
	}
	ys_toeplitz_init_impl(&thash, ys_toeplitz_default_key,
	                      YS_TOEPLITZ_AUTO);
	if (setup(&b, &thash) != 0) {
		fprintf(stderr, "bench_dispatch: setup failed\n");
		return 1;
	}
	hz = (double)rte_get_tsc_hz();
	rte_eal_remote_launch(consumer, &b, rte_get_next_lcore(-1, 1, 0));
	printf("{\n  \"benchmark\": \"dispatch\", \"packets\": %" PRIu64
	       ", \"flows\": %d, \"secondaries\": %d, \"tsc_hz\": %.0f,\n",
	       packets, N_FRAMES, N_SEC, hz);
	printf("  \"auto_choice\": \"%s\",\n  \"dispatch\": [\n",
	       ys_toeplitz_impl_name(ys_toeplitz_get_impl(&thash)));
	run_dispatch(&b, packets / 4); /* warm caches and the consumer */
	/* Rounds interleave the implementations; each keeps its median. */
	for (unsigned r = 0; r < ROUNDS; r++)
		for (unsigned i = 0; i < RTE_DIM(impls); i++) {
			if (ys_toeplitz_init_impl(&thash,
			                          ys_toeplitz_default_key,
			                          impls[i]) != 0)
				continue;
			disp_r[i][r] = run_dispatch(&b, packets / ROUNDS);
			raw_r[i][r] = run_raw(&thash, &sink);
		}
	for (unsigned i = 0; i < RTE_DIM(impls); i++) {
		disp[i] = median(disp_r[i]);
		raw[i] = median(raw_r[i]);
		if (disp[i] > 0)
			print_result(ys_toeplitz_impl_name(impls[i]), disp[i],
			             hz, i + 1 == RTE_DIM(impls));
	}
	printf("  ],\n  \"raw_hash_ipv4_l4\": [\n");
	for (unsigned i = 0; i < RTE_DIM(impls); i++) {
		if (raw[i] == 0)
			continue;
		printf("%s    {\"hash\": \"%s\", \"cycles\": %.2f, \"ns\": "
		       "%.2f}",
		       first ? "" : ",\n", ys_toeplitz_impl_name(impls[i]),
		       raw[i], raw[i] * 1e9 / hz);
		first = 0;
	}
	printf("\n  ],\n  \"dispatch_speedup_vs_softrss\": %.2f, "
	       "\"hash_speedup_vs_softrss\": %.2f, \"sink\": %u\n}\n",
	       disp[3] / disp[0], raw[3] / raw[0], sink);
	b.stop = 1;
	rte_eal_mp_wait_lcore();
	/* Leave no runtime directory behind (empty with --no-shconf). */
	snprintf(run_dir, sizeof(run_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(run_dir);
	return 0;
}
