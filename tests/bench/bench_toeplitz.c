/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_toeplitz [hashes] [working_set] [runs]
 *
 * Hashes `hashes` (default 10,000,000) pre-generated IPv4 + ports and
 * IPv6 + ports tuples with each Toeplitz implementation and prints one
 * JSON object on stdout: ns and TSC cycles per hash (median of `runs`
 * rounds, default 5; every row runs once per round) and the speed-up over
 * DPDK's rte_softrss(), as the ratio of the medians.
 *
 * Rows:
 *  - rte_softrss:    DPDK's reference, on tuples already in host order
 *                    (what a DPDK application prepares per packet);
 *  - rte_softrss_be: the same with a key pre-converted by
 *                    rte_convert_rss_key();
 *  - softrss, table, gfni: yastack's ys_toeplitz_ipv4_l4() /
 *                    ys_toeplitz_ipv6_l4(), the calls the dispatcher
 *                    makes, on wire-order tuples, one struct per
 *                    implementation (gfni only where the CPU has it);
 *  - gfni_direct_call, gfni_fnptr_call: yastack's GFNI function called
 *                    without the switch, directly or through a function
 *                    pointer loaded per call: what the dispatch costs;
 *  - dpdk_gfni:      DPDK's rte_thash_gfni() inlined into its loop, with
 *                    matrices from rte_thash_complete_matrix(), for
 *                    comparison (gfni CPUs only).
 * The tuples cycle through a working set of `working_set` (default 8192,
 * a power of two) so the figures are the hash's cost, not DRAM's: the
 * dispatcher hashes headers it has just read. Every row of a tuple kind
 * hashes the same sequence; their XORs must be equal ("identical").
 *
 * No EAL, no hugepages: every DPDK function used is header-inline or
 * pure computation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_thash.h>

#include "bench_toeplitz.h"
#include "ys_toeplitz.h"

enum kind { V4_L4, V6_L4, N_KINDS };

static const char *const kind_names[N_KINDS] = {"ipv4_l4", "ipv6_l4"};

struct v4_tuple { /* wire order */
	uint32_t src, dst;
	uint16_t sport, dport;
};

struct v6_tuple { /* wire order */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

struct bench {
	uint64_t n;
	uint32_t mask; /* working set - 1 */
	unsigned runs;
	struct v4_tuple *v4;
	struct v6_tuple *v6;
	union rte_thash_tuple *h4, *h6; /* the same tuples, host order */
	uint32_t key[YS_TOEPLITZ_KEY_LEN / 4];
	uint32_t key_be[YS_TOEPLITZ_KEY_LEN / 4]; /* rte_convert_rss_key */
	struct ys_toeplitz *ys;                   /* one per enum value */
	/* What a function-pointer design would load per call. */
	uint32_t (*fn_v4)(const uint64_t *m, uint32_t src, uint32_t dst,
	                  uint16_t sport, uint16_t dport);
	uint32_t (*fn_v6)(const uint64_t *m, const uint8_t *src,
	                  const uint8_t *dst, uint16_t sport, uint16_t dport);
	uint64_t dpdk_matrix[YS_TOEPLITZ_GFNI_MATRICES];
};

/* rte_softrss first: the other rows' speed-ups are against it. */
enum {
	ROW_RTE_SOFTRSS,
	ROW_RTE_SOFTRSS_BE,
	ROW_SOFTRSS,
	ROW_TABLE,
	ROW_GFNI,
	ROW_GFNI_DIRECT,
	ROW_GFNI_FNPTR,
	ROW_DPDK_GFNI,
	N_ROWS
};

struct row {
	const char *name;
	uint32_t (*run)(const struct bench *b, enum kind k, int arg);
	int arg;
	int available;
};

static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill_rand(uint64_t *s, void *dst, size_t n)
{
	uint8_t *p = dst;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t r = next_rand(s);

		memcpy(p + i, &r, n - i < 8 ? n - i : 8);
	}
}

/* ---- the rows: each returns the XOR of its b->n hashes ---- */

static uint32_t run_softrss(const struct bench *b, enum kind k, int be_key)
{
	const uint8_t *key = (const uint8_t *)(be_key ? b->key_be : b->key);
	const union rte_thash_tuple *h = k == V4_L4 ? b->h4 : b->h6;
	uint32_t len = k == V4_L4 ? RTE_THASH_V4_L4_LEN : RTE_THASH_V6_L4_LEN;
	uint32_t acc = 0;

	for (uint64_t i = 0; i < b->n; i++) {
		uint32_t *tp = (uint32_t *)(uintptr_t)&h[i & b->mask];

		acc ^= be_key ? rte_softrss_be(tp, len, key)
		              : rte_softrss(tp, len, key);
	}
	return acc;
}

static uint32_t run_ys(const struct bench *b, enum kind k, int impl)
{
	const struct ys_toeplitz *t = &b->ys[impl];
	uint32_t acc = 0;

	if (k == V4_L4) {
		for (uint64_t i = 0; i < b->n; i++) {
			const struct v4_tuple *p = &b->v4[i & b->mask];

			acc ^= ys_toeplitz_ipv4_l4(t, p->src, p->dst, p->sport,
			                           p->dport);
		}
		return acc;
	}
	for (uint64_t i = 0; i < b->n; i++) {
		const struct v6_tuple *p = &b->v6[i & b->mask];

		acc ^= ys_toeplitz_ipv6_l4(t, p->src, p->dst, p->sport,
		                           p->dport);
	}
	return acc;
}

/*
 * The dispatch cost: yastack's GFNI function called directly (no switch,
 * the floor) or through a function pointer read from memory per call
 * (the other design the header mentions).
 */
static uint32_t run_gfni_call(const struct bench *b, enum kind k, int fnptr)
{
	const uint64_t *m = b->ys[YS_TOEPLITZ_GFNI].gfni_matrix;
	uint32_t acc = 0;

	if (k == V4_L4) {
		for (uint64_t i = 0; i < b->n; i++) {
			const struct v4_tuple *p = &b->v4[i & b->mask];

			acc ^= fnptr ? b->fn_v4(m, p->src, p->dst, p->sport,
			                        p->dport)
			             : ys_toeplitz_gfni_ipv4_l4(
			                       m, p->src, p->dst, p->sport,
			                       p->dport);
		}
		return acc;
	}
	for (uint64_t i = 0; i < b->n; i++) {
		const struct v6_tuple *p = &b->v6[i & b->mask];

		acc ^= fnptr ? b->fn_v6(m, p->src, p->dst, p->sport, p->dport)
		             : ys_toeplitz_gfni_ipv6_l4(m, p->src, p->dst,
		                                        p->sport, p->dport);
	}
	return acc;
}

static uint32_t run_dpdk_gfni(const struct bench *b, enum kind k, int unused)
{
	(void)unused;
	if (k == V4_L4)
		return bench_dpdk_gfni_run(b->dpdk_matrix,
		                           (const uint8_t *)b->v4,
		                           sizeof(*b->v4), 12, b->mask, b->n);
	return bench_dpdk_gfni_run(b->dpdk_matrix, (const uint8_t *)b->v6,
	                           sizeof(*b->v6), 36, b->mask, b->n);
}

/* ---- measurement ---- */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* TSC ticks per second, against CLOCK_MONOTONIC over 200 ms. */
static double tsc_hz(void)
{
	double t0 = now_ns(), t1;
	uint64_t c0 = rte_rdtsc(), c1;

	do {
		t1 = now_ns();
	} while (t1 - t0 < 2e8);
	c1 = rte_rdtsc();
	return (double)(c1 - c0) * 1e9 / (t1 - t0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct result {
	double ns, ns_min, cycles; /* per hash: median, min, median */
	uint32_t xor ;
};

#define MAX_RUNS 101

/* One timed run of `r` over b->n tuples of kind `k`. */
static void time_run(const struct bench *b, const struct row *r, enum kind k,
                     double *ns, double *cycles, uint32_t * xor)
{
	double t0 = now_ns();
	uint64_t c0 = rte_rdtsc();
	uint32_t x = r->run(b, k, r->arg);
	uint64_t c1 = rte_rdtsc();
	double t1 = now_ns();

	*ns = (t1 - t0) / (double)b->n;
	*cycles = (double)(c1 - c0) / (double)b->n;
	*xor = x;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return v[n / 2];
}

/* ---- set-up ---- */

static void make_tuples(struct bench *b, uint32_t ws)
{
	uint64_t s = 0x70e9117215ULL;

	b->v4 = calloc(ws, sizeof(*b->v4));
	b->v6 = calloc(ws, sizeof(*b->v6));
	b->h4 = aligned_alloc(16, ws * sizeof(*b->h4));
	b->h6 = aligned_alloc(16, ws * sizeof(*b->h6));
	if (!b->v4 || !b->v6 || !b->h4 || !b->h6) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	for (uint32_t i = 0; i < ws; i++) {
		struct rte_ipv6_hdr ip6;

		fill_rand(&s, &b->v4[i], sizeof(b->v4[i]));
		fill_rand(&s, &b->v6[i], sizeof(b->v6[i]));
		memset(&b->h4[i], 0, sizeof(b->h4[i]));
		b->h4[i].v4.src_addr = ntohl(b->v4[i].src);
		b->h4[i].v4.dst_addr = ntohl(b->v4[i].dst);
		b->h4[i].v4.sport = ntohs(b->v4[i].sport);
		b->h4[i].v4.dport = ntohs(b->v4[i].dport);
		memset(&ip6, 0, sizeof(ip6));
		memcpy(ip6.src_addr, b->v6[i].src, 16);
		memcpy(ip6.dst_addr, b->v6[i].dst, 16);
		memset(&b->h6[i], 0, sizeof(b->h6[i]));
		rte_thash_load_v6_addrs(&ip6, &b->h6[i]);
		b->h6[i].v6.sport = ntohs(b->v6[i].sport);
		b->h6[i].v6.dport = ntohs(b->v6[i].dport);
	}
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || colon == NULL)
			continue;
		snprintf(buf, len, "%s", colon + 2);
		buf[strcspn(buf, "\n\"\\")] = '\0';
		break;
	}
	fclose(f);
}

static uint64_t arg_u64(int argc, char **argv, int i, uint64_t def)
{
	char *end;
	uint64_t v;

	if (argc <= i)
		return def;
	errno = 0;
	v = strtoull(argv[i], &end, 0);
	if (errno != 0 || *end != '\0' || v == 0) {
		fprintf(stderr, "usage: %s [hashes] [working_set] [runs]\n",
		        argv[0]);
		exit(2);
	}
	return v;
}

/* ---- output ---- */

static void print_kind(const struct row *rows, size_t n_rows,
                       struct result res[][N_KINDS], enum kind k)
{
	double base = res[0][k].ns; /* rows[0] is rte_softrss */
	int first = 1;

	printf("    \"%s\": {\n", kind_names[k]);
	for (size_t i = 0; i < n_rows; i++) {
		if (!rows[i].available)
			continue;
		printf("%s      \"%s\": {\"ns_per_hash\": %.3f, "
		       "\"ns_per_hash_min\": %.3f, \"cycles_per_hash\": %.2f, "
		       "\"speedup_vs_rte_softrss\": %.2f, \"xor\": \"0x%08x\"}",
		       first ? "" : ",\n", rows[i].name, res[i][k].ns,
		       res[i][k].ns_min, res[i][k].cycles, base / res[i][k].ns,
		       res[i][k].xor);
		first = 0;
	}
	printf("\n    }%s\n", k + 1 < N_KINDS ? "," : "");
}

int main(int argc, char **argv)
{
	static struct bench b;
	struct ys_toeplitz auto_t, *ys;
	struct row rows[N_ROWS] = {
	        [ROW_RTE_SOFTRSS] = {"rte_softrss", run_softrss, 0, 1},
	        [ROW_RTE_SOFTRSS_BE] = {"rte_softrss_be", run_softrss, 1, 1},
	        [ROW_SOFTRSS] = {"softrss", run_ys, YS_TOEPLITZ_SOFTRSS, 1},
	        [ROW_TABLE] = {"table", run_ys, YS_TOEPLITZ_TABLE, 1},
	        [ROW_GFNI] = {"gfni", run_ys, YS_TOEPLITZ_GFNI, 0},
	        [ROW_GFNI_DIRECT] = {"gfni_direct_call", run_gfni_call, 0, 0},
	        [ROW_GFNI_FNPTR] = {"gfni_fnptr_call", run_gfni_call, 1, 0},
	        [ROW_DPDK_GFNI] = {"dpdk_gfni", run_dpdk_gfni, 0, 0},
	};
	const size_t n_rows = N_ROWS;
	struct result res[N_ROWS][N_KINDS];
	static double ns[N_ROWS][N_KINDS][MAX_RUNS];
	static double cyc[N_ROWS][N_KINDS][MAX_RUNS];
	uint64_t ws = arg_u64(argc, argv, 2, 8192);
	enum ys_toeplitz_impl chosen;
	int identical = 1;
	char cpu[128];
	double hz;

	b.n = arg_u64(argc, argv, 1, 10000000);
	b.runs = (unsigned)arg_u64(argc, argv, 3, 5);
	if ((ws & (ws - 1)) != 0 || ws > (1u << 24) || b.runs > MAX_RUNS) {
		fprintf(stderr, "working_set: a power of two <= 2^24; runs "
		                "<= 101\n");
		return 2;
	}
	b.mask = (uint32_t)ws - 1;
	make_tuples(&b, (uint32_t)ws);
	memcpy(b.key, ys_toeplitz_default_key, sizeof(b.key));
	rte_convert_rss_key(b.key, b.key_be, YS_TOEPLITZ_KEY_LEN);

	/* One struct per implementation, indexed by the enum. */
	ys = aligned_alloc(64, (YS_TOEPLITZ_SOFTRSS + 1) * sizeof(*ys));
	if (ys == NULL)
		return 1;
	b.ys = ys;
	for (int i = YS_TOEPLITZ_TABLE; i <= YS_TOEPLITZ_SOFTRSS; i++) {
		int rc = ys_toeplitz_init_impl(&ys[i], ys_toeplitz_default_key,
		                               (enum ys_toeplitz_impl)i);

		if (i == YS_TOEPLITZ_GFNI)
			rows[ROW_GFNI].available = rc == 0;
	}
	rows[ROW_GFNI_DIRECT].available = rows[ROW_GFNI].available;
	rows[ROW_GFNI_FNPTR].available = rows[ROW_GFNI].available;
	b.fn_v4 = ys_toeplitz_gfni_ipv4_l4;
	b.fn_v6 = ys_toeplitz_gfni_ipv6_l4;
	/* DPDK's code also uses AVX512DQ (VEXTRACTI32X8). */
	rows[ROW_DPDK_GFNI].available = rows[ROW_GFNI].available &&
	                                bench_dpdk_gfni_built() &&
	                                __builtin_cpu_supports("avx512dq");
	if (rows[ROW_DPDK_GFNI].available)
		bench_dpdk_gfni_matrix(b.dpdk_matrix, ys_toeplitz_default_key,
		                       YS_TOEPLITZ_KEY_LEN);
	ys_toeplitz_init(&auto_t, ys_toeplitz_default_key);
	chosen = ys_toeplitz_get_impl(&auto_t);

	hz = tsc_hz();
	/*
	 * Rows interleave within each round, so a neighbour's load on this
	 * shared machine slows every row of a round alike and the ratios
	 * hold; each figure is the median over the rounds.
	 */
	for (unsigned run = 0; run < b.runs; run++) {
		for (int k = 0; k < N_KINDS; k++) {
			for (size_t i = 0; i < n_rows; i++) {
				uint32_t x;

				if (!rows[i].available)
					continue;
				time_run(&b, &rows[i], (enum kind)k,
				         &ns[i][k][run], &cyc[i][k][run], &x);
				if (i > 0 && x != res[0][k].xor)
					identical = 0;
				res[i][k].xor = x;
			}
		}
	}
	for (size_t i = 0; i < n_rows; i++) {
		for (int k = 0; k < N_KINDS && rows[i].available; k++) {
			res[i][k].ns = median(ns[i][k], b.runs);
			res[i][k].ns_min = ns[i][k][0]; /* sorted by median() */
			res[i][k].cycles = median(cyc[i][k], b.runs);
		}
	}

	cpu_model(cpu, sizeof(cpu));
	printf("{\n  \"benchmark\": \"toeplitz\",\n  \"cpu\": \"%s\",\n", cpu);
	printf("  \"hashes_per_run\": %llu,\n  \"working_set_tuples\": %llu,\n"
	       "  \"runs\": %u,\n  \"statistic\": \"median\",\n"
	       "  \"tsc_hz\": %.0f,\n",
	       (unsigned long long)b.n, (unsigned long long)ws, b.runs, hz);
	printf("  \"dpdk_lib_gfni_supported\": %d,\n",
	       bench_dpdk_gfni_lib_supported());
	printf("  \"auto_impl\": \"%s\",\n  \"identical\": %s,\n",
	       ys_toeplitz_impl_name(chosen), identical ? "true" : "false");
	printf("  \"results\": {\n");
	for (int k = 0; k < N_KINDS; k++)
		print_kind(rows, n_rows, res, (enum kind)k);
	printf("  },\n  \"chosen\": {\"impl\": \"%s\"",
	       ys_toeplitz_impl_name(chosen));
	for (size_t i = 0; i < n_rows; i++) {
		if (!rows[i].available ||
		    strcmp(rows[i].name, ys_toeplitz_impl_name(chosen)) != 0)
			continue;
		for (int k = 0; k < N_KINDS; k++)
			printf(", \"speedup_%s\": %.2f", kind_names[k],
			       res[0][k].ns / res[i][k].ns);
	}
	printf("}\n}\n");
	free(ys);
	free(b.v4);
	free(b.v6);
	free(b.h4);
	free(b.h6);
	return identical ? 0 : 1;
}
