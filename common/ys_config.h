/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one JSON configuration file shared by every yastack process.
 *
 * ys_config_load() reads and validates the whole file before anything uses
 * it: a JSON syntax error names file, line and column; a semantic error
 * names the key path (`interfaces[1].address`) and the rule broken.
 * Unknown keys are errors, so a typo never silently falls back to a
 * default. Reference: conf/ys.schema.json and docs/config.md.
 */
#ifndef YS_CONFIG_H
#define YS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YS_CFG_MAX_PORTS       8  /* == YS_MAX_PORTS */
#define YS_CFG_MAX_SECONDARIES 32 /* == YS_MAX_SECONDARIES */
#define YS_CFG_MAX_INTERFACES  8
#define YS_CFG_MAX_ADDRS       8 /* addresses per interface */
#define YS_CFG_MAX_EAL_ARGS    16
#define YS_CFG_STR_LEN         256
#define YS_CFG_NAME_LEN        32
#define YS_RSS_KEY_LEN         40 /* bytes; enough for IPv6 with ports */
#define YS_CFG_ERR_LEN         512
#define YS_CFG_MIN_MBUFS       1023
#define YS_CFG_MIN_MTU         576 /* RFC 791: every host takes 576 */
#define YS_CFG_MAX_MTU         9600
#define YS_CFG_MAX_DELAY_US    1000000
#define YS_CFG_MAX_ROUTES      64 /* == YS_STACK_MAX_ROUTES */
#define YS_CFG_MAX_STATIC_ARP  64 /* == YS_STACK_MAX_STATIC_ARP */

struct ys_cfg_eal {
	char file_prefix[YS_CFG_NAME_LEN]; /* default "ys" */
	uint32_t memory_mb;   /* hugepage memory limit, default 512 */
	uint32_t primary_cpu; /* CPU the primary is pinned to, default 0 */
	uint32_t mbufs;       /* mbufs in the shared pool; 0 (default): auto */
	uint32_t n_args;
	char args[YS_CFG_MAX_EAL_ARGS]
	         [YS_CFG_STR_LEN]; /* extra EAL arguments */
};

/* How secondaries transmit on a port (ports[].tx_mode). */
enum ys_tx_mode {
	YS_TX_MODE_AUTO = 0, /* own queue where the PMD allows it, else ring */
	YS_TX_MODE_RING,     /* always through the primary */
	YS_TX_MODE_QUEUE,    /* own queue, or refuse to start */
};

/* One direction of the seeded impairment stage; percentages 0..100. */
struct ys_cfg_impair_dir {
	double drop;
	double duplicate;
	double reorder;
	double corrupt;
	uint32_t delay_us;
};

struct ys_cfg_impair {
	bool enabled; /* the "impair" object is present */
	uint32_t seed;
	struct ys_cfg_impair_dir rx; /* frames from the wire */
	struct ys_cfg_impair_dir tx; /* frames to the wire */
};

struct ys_cfg_port {
	char name[YS_CFG_NAME_LEN];  /* operator's name, e.g. "p0" */
	char device[YS_CFG_STR_LEN]; /* DPDK device string: vdev or PCI address
	                              */
	bool is_pci;                 /* device is a PCI address (derived) */
	uint16_t rx_desc;            /* default 1024 */
	uint16_t tx_desc;            /* default 1024 */
	uint16_t mtu;                /* IP MTU, default 1500 */
	bool promiscuous;            /* default true */
	uint32_t tx_mode;            /* enum ys_tx_mode */
	struct ys_cfg_impair impair;
};

/* What happens to a dead secondary's RETA entries. */
enum ys_failover {
	YS_FAILOVER_DROP = 0,  /* its flows are dropped (counted) */
	YS_FAILOVER_REBALANCE, /* lent to live secondaries until it rejoins */
};

struct ys_cfg_secondaries {
	uint32_t count;                        /* 1..YS_CFG_MAX_SECONDARIES */
	uint32_t cpus[YS_CFG_MAX_SECONDARIES]; /* CPU of secondary K */
	bool cpus_given;    /* from the file, not spread by default */
	uint32_t ring_size; /* rx/tx ring entries, power of 2 */
	uint32_t reta_size; /* RETA entries, power of 2 */
	uint8_t rss_key[YS_RSS_KEY_LEN]; /* default: the Microsoft RSS key */
	uint32_t failover;               /* enum ys_failover */
};

/*
 * IPv4/IPv6 reassembly in the primary. Fragments per datagram are
 * limited by DPDK's build (RTE_LIBRTE_IP_FRAG_MAX_FRAG, 8 in Debian's).
 */
struct ys_cfg_reassembly {
	uint32_t max_flows;  /* datagrams being reassembled at once */
	uint32_t timeout_ms; /* from the first fragment */
};

/* An IPv4 address with its prefix length, in network byte order. */
struct ys_cfg_addr {
	uint32_t addr; /* network byte order */
	uint8_t prefix_len;
};

struct ys_cfg_interface {
	uint32_t port;    /* index into ys_config.ports */
	uint32_t n_addrs; /* >= 1 */
	struct ys_cfg_addr addrs[YS_CFG_MAX_ADDRS];
	uint32_t gateway; /* network byte order, 0 when absent */
	/* 802.1Q VLAN ID 1..4094, 0 when absent (untagged). Interfaces on one
	 * port differ in VLAN; at most one is untagged. */
	uint16_t vlan;
};

/* One of `static_routes`: prefix via a neighbour; network byte order. */
struct ys_cfg_route {
	uint32_t prefix; /* host bits clear */
	uint8_t prefix_len;
	uint32_t via; /* inside an interface's prefix, not our address */
};

/* A static ARP entry (`arp.entries[]`). */
struct ys_cfg_arp_entry {
	uint32_t ip;    /* network byte order, inside a prefix of `interface` */
	uint8_t mac[6]; /* unicast, not all zeros */
	uint32_t interface; /* index into ys_config.interfaces */
};

/* The stacks' ARP caches (`arp`); absent keys hold their defaults. */
struct ys_cfg_arp {
	uint32_t n_entries;
	struct ys_cfg_arp_entry entries[YS_CFG_MAX_STATIC_ARP];
	uint32_t cache_size;      /* dynamic entries per stack, default 1024 */
	uint32_t reachable_ms;    /* reachable -> stale, default 30000 */
	uint32_t retries;         /* requests after the first, default 3 */
	uint32_t retry_ms;        /* between requests, default 1000 */
	uint32_t queue_per_entry; /* datagrams waiting per next hop, 8 */
	uint32_t queue_total;     /* datagrams waiting per stack, 256 */
};

/* ICMP errors each stack instance sends (`icmp`): a token bucket. */
struct ys_cfg_icmp {
	uint32_t rate_limit; /* errors per second per instance, default 100 */
	uint32_t burst;      /* bucket size, default 50 */
};

/* Built-in diagnostic services (`diag`), served by every secondary. */
struct ys_cfg_diag {
	uint16_t udp_echo; /* UDP echo (RFC 862) port, host order; 0: off */
};

struct ys_cfg_control {
	char socket[YS_CFG_STR_LEN]; /* default "/run/yastack/ys.sock" */
	char group[YS_CFG_NAME_LEN]; /* owner group of the socket; "": ours */
};

/*
 * The operator's side doors other than the control socket. `metrics` is
 * "ADDRESS:PORT" (IPv4), default "127.0.0.1:9180", or "" / "off": the
 * Prometheus endpoint is not served (docs/observability.md).
 */
struct ys_cfg_admin {
	char metrics[YS_CFG_STR_LEN]; /* as written in the file */
	bool metrics_enabled;         /* derived from `metrics` */
	uint32_t metrics_addr;        /* network byte order */
	uint16_t metrics_port;        /* host byte order, 1..65535 */
};

struct ys_config {
	char path[YS_CFG_STR_LEN]; /* absolute path of the file it came from */
	struct ys_cfg_eal eal;
	uint32_t n_ports;
	struct ys_cfg_port ports[YS_CFG_MAX_PORTS];
	struct ys_cfg_secondaries secondaries;
	uint32_t n_interfaces;
	struct ys_cfg_interface interfaces[YS_CFG_MAX_INTERFACES];
	uint32_t n_static_routes;
	struct ys_cfg_route static_routes[YS_CFG_MAX_ROUTES];
	struct ys_cfg_arp arp;
	struct ys_cfg_icmp icmp;
	struct ys_cfg_reassembly reassembly;
	struct ys_cfg_diag diag;
	struct ys_cfg_admin admin;
	struct ys_cfg_control control;
};

/*
 * Load and validate `path`. Returns 0, or -EINVAL / -ENOENT / -EIO with a
 * one-line reason in `err` (always NUL terminated). `cfg` is fully
 * written on success and unspecified on failure. `ncpus` is the number of
 * CPUs to spread secondaries over when `secondaries.cpus` is absent.
 */
int ys_config_load(struct ys_config *cfg, const char *path, unsigned ncpus,
                   char *err, size_t err_len);

/* The same, from a string (`name` is used in error messages). */
int ys_config_load_string(struct ys_config *cfg, const char *text,
                          const char *name, unsigned ncpus, char *err,
                          size_t err_len);

/*
 * Live reload (docs/control.md, config.reload): whether a top-level
 * section is applied to running processes (true) or needs a restart;
 * and copying every live section of `src` into `dst`.
 */
bool ys_config_section_live(const char *section);
void ys_config_apply_live(struct ys_config *dst, const struct ys_config *src);

/* "drop", "rebalance" (enum ys_failover); "unknown" otherwise. */
const char *ys_cfg_failover_str(uint32_t failover);

/* Parse "a.b.c.d/len" (len 0..32). Returns 0 or -EINVAL. */
int ys_parse_cidr(const char *s, struct ys_cfg_addr *out);

/* Parse a dotted IPv4 address into network byte order. 0 or -EINVAL. */
int ys_parse_ipv4(const char *s, uint32_t *out_be);

#endif /* YS_CONFIG_H */
