/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ys_config: defaults, a full file, every validation rule with its exact
 * message, the CIDR/IPv4 parsers, and a sweep of wrong types and truncated
 * input that must fail cleanly, never crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ys_config.h"

#define NAME         "t.json"
#define SUN_PATH_MAX 107 /* sizeof(sockaddr_un.sun_path) - 1 */

/* The minimal config from the brief. */
static const char minimal[] =
        "{ \"eal\": { \"file_prefix\": \"ys\", \"memory_mb\": 512,\n"
        "           \"args\": [] },\n"
        "  \"ports\": [ { \"name\": \"p0\",\n"
        "               \"device\": \"net_af_packet0,iface=veth-ys\" } ],\n"
        "  \"secondaries\": { \"count\": 2 },\n"
        "  \"interfaces\": [ { \"port\": \"p0\", \"address\": "
        "\"198.18.0.2/24\",\n"
        "                    \"gateway\": \"198.18.0.1\" } ],\n"
        "  \"control\": { \"socket\": \"/run/yastack/ys.sock\" } }\n";

static const uint8_t ms_rss_key[YS_RSS_KEY_LEN] = {
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
        0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
        0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
        0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* ---- editing a JSON document by key path ---- */

/* Next token of "a.b[2].c": a key (into key) or an index (returned). */
static const char *next_token(const char *p, char *key, size_t len, long *idx)
{
	size_t n = 0;
	char *end;

	*idx = -1;
	if (*p == '.')
		p++;
	if (*p == '[') {
		*idx = strtol(p + 1, &end, 10);
		return end + 1; /* past ']' */
	}
	while (*p && *p != '.' && *p != '[' && n < len - 1)
		key[n++] = *p++;
	key[n] = '\0';
	return p;
}

static void set_at(json_t *parent, const char *key, long idx, json_t *v)
{
	if (idx < 0 && v)
		json_object_set_new(parent, key, v);
	else if (idx < 0)
		json_object_del(parent, key);
	else if (v && (size_t)idx == json_array_size(parent))
		json_array_append_new(parent, v);
	else if (v)
		json_array_set_new(parent, (size_t)idx, v);
	else
		json_array_remove(parent, (size_t)idx);
}

/* Set (or, with value NULL, delete) `path` in a copy of `base`. */
static char *edit(const char *base, const char *path, const char *value)
{
	json_t *root = json_loads(base, 0, NULL), *node = root, *v = NULL;
	const char *p = path;
	char key[128], *out;
	long idx;

	assert_non_null(root);
	if (value) {
		v = json_loads(value, JSON_DECODE_ANY, NULL);
		assert_non_null(v);
	}
	for (;;) {
		p = next_token(p, key, sizeof(key), &idx);
		if (*p == '\0')
			break;
		node = idx < 0 ? json_object_get(node, key)
		               : json_array_get(node, (size_t)idx);
		assert_non_null(node);
	}
	set_at(node, key, idx, v);
	out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return out;
}

/* A JSON string literal of n copies of c. */
static char *json_repeat(char c, size_t n)
{
	char *s = malloc(n + 3);

	assert_non_null(s);
	s[0] = '"';
	memset(s + 1, c, n);
	s[n + 1] = '"';
	s[n + 2] = '\0';
	return s;
}

/* A JSON array of n copies of the JSON text `elem`. */
static char *json_list(const char *elem, size_t n)
{
	size_t len = strlen(elem);
	char *s = malloc(n * (len + 1) + 3), *p = s;

	assert_non_null(s);
	*p++ = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		memcpy(p, elem, len);
		p += len;
	}
	*p++ = ']';
	*p = '\0';
	return s;
}

/* ---- positive cases ---- */

static void test_minimal_defaults(void **state)
{
	struct ys_config cfg;
	char err[YS_CFG_ERR_LEN];
	const struct ys_cfg_secondaries *sec = &cfg.secondaries;

	(void)state;
	assert_int_equal(
	        ys_config_load_string(&cfg, minimal, NAME, 4, err, sizeof(err)),
	        0);
	assert_string_equal(err, "");
	assert_string_equal(cfg.path, NAME);
	assert_string_equal(cfg.eal.file_prefix, "ys");
	assert_int_equal(cfg.eal.memory_mb, 512);
	assert_int_equal(cfg.eal.primary_cpu, 0);
	assert_int_equal(cfg.eal.mbufs, 0);
	assert_int_equal(cfg.eal.n_args, 0);

	assert_int_equal(cfg.n_ports, 1);
	assert_string_equal(cfg.ports[0].name, "p0");
	assert_string_equal(cfg.ports[0].device,
	                    "net_af_packet0,iface=veth-ys");
	assert_false(cfg.ports[0].is_pci);
	assert_int_equal(cfg.ports[0].rx_desc, 1024);
	assert_int_equal(cfg.ports[0].tx_desc, 1024);
	assert_int_equal(cfg.ports[0].mtu, 1500);
	assert_true(cfg.ports[0].promiscuous);
	assert_int_equal(cfg.ports[0].tx_mode, YS_TX_MODE_AUTO);
	assert_false(cfg.ports[0].impair.enabled);
	assert_int_equal(cfg.reassembly.max_flows, 1024);
	assert_int_equal(cfg.reassembly.timeout_ms, 5000);
	assert_int_equal(cfg.diag.udp_echo, 0); /* no "diag": off */

	assert_int_equal(sec->count, 2);
	assert_false(sec->cpus_given);
	assert_int_equal(sec->cpus[0], 1);
	assert_int_equal(sec->cpus[1], 2);
	assert_int_equal(sec->ring_size, 4096);
	assert_int_equal(sec->reta_size, 128);
	assert_memory_equal(sec->rss_key, ms_rss_key, YS_RSS_KEY_LEN);
	assert_int_equal(sec->failover, YS_FAILOVER_DROP);

	assert_int_equal(cfg.n_interfaces, 1);
	assert_int_equal(cfg.interfaces[0].port, 0);
	assert_int_equal(cfg.interfaces[0].n_addrs, 1);
	assert_int_equal(cfg.interfaces[0].addrs[0].addr, ip("198.18.0.2"));
	assert_int_equal(cfg.interfaces[0].addrs[0].prefix_len, 24);
	assert_int_equal(cfg.interfaces[0].gateway, ip("198.18.0.1"));
	assert_string_equal(cfg.control.socket, "/run/yastack/ys.sock");

	/* No "static_routes", no "arp": none, and the ARP defaults. */
	assert_int_equal(cfg.n_static_routes, 0);
	assert_int_equal(cfg.arp.n_entries, 0);
	assert_int_equal(cfg.arp.cache_size, 1024);
	assert_int_equal(cfg.arp.reachable_ms, 30000);
	assert_int_equal(cfg.arp.retries, 3);
	assert_int_equal(cfg.arp.retry_ms, 1000);
	assert_int_equal(cfg.arp.queue_per_entry, 8);
	assert_int_equal(cfg.arp.queue_total, 256);

	/* No "admin": metrics on loopback, port 9180. */
	assert_string_equal(cfg.admin.metrics, "127.0.0.1:9180");
	assert_true(cfg.admin.metrics_enabled);
	assert_int_equal(cfg.admin.metrics_addr, ip("127.0.0.1"));
	assert_int_equal(cfg.admin.metrics_port, 9180);
}

/* eal and control are optional; the gateway too. */
static void test_optional_sections_absent(void **state)
{
	static const char text[] =
	        "{\"ports\": [{\"name\": \"p0\", \"device\": \"net_tap0\"}],"
	        " \"secondaries\": {\"count\": 1},"
	        " \"interfaces\": [{\"port\": \"p0\", \"address\": "
	        "\"10.0.0.1/8\"}]}";
	struct ys_config cfg;
	char err[YS_CFG_ERR_LEN];

	(void)state;
	assert_int_equal(
	        ys_config_load_string(&cfg, text, NULL, 8, err, sizeof(err)),
	        0);
	assert_string_equal(cfg.path, "<string>");
	assert_string_equal(cfg.eal.file_prefix, "ys");
	assert_int_equal(cfg.eal.memory_mb, 512);
	assert_int_equal(cfg.eal.mbufs, 0);
	assert_int_equal(cfg.interfaces[0].gateway, 0);
	assert_string_equal(cfg.control.socket, "/run/yastack/ys.sock");
}

static const char full[] =
        "{\"eal\": {\"file_prefix\": \"ys-test_1\", \"memory_mb\": 2048,"
        "          \"cpu\": 3, \"mbufs\": 65535,"
        "          \"args\": [\"--log-level=lib.eal:debug\", "
        "\"--no-telemetry\"]},"
        " \"ports\": [{\"name\": \"wan\", \"device\": \"0000:3b:00.0,rxq=4\","
        "              \"rx_desc\": 4096, \"tx_desc\": 512},"
        "             {\"name\": \"lan\", \"device\": \"3b:00.1\"},"
        "             {\"name\": \"tap\", \"device\": \"net_tap0,iface=ys0\","
        "              \"rx_desc\": 64, \"tx_desc\": 16384, \"mtu\": 9000,"
        "              \"promiscuous\": false, \"tx_mode\": \"queue\","
        "              \"impair\": {\"seed\": 42, \"rx\": {\"drop\": 5,"
        "                \"duplicate\": 1, \"reorder\": 2.5, \"corrupt\": 0.1,"
        "                \"delay_us\": 200}, \"tx\": {\"drop\": 100}}}],"
        " \"secondaries\": {\"count\": 3, \"cpus\": [4, 5, 7],"
        "                   \"failover\": \"rebalance\","
        "                   \"ring_size\": 256, \"reta_size\": 512,"
        "                   \"rss_key\": \"000102030405060708090A0B0C0D0E0F"
        "101112131415161718191a1b1c1d1e1f2021222324252627\"},"
        " \"interfaces\": [{\"port\": \"lan\", \"address\": [\"10.1.0.1/16\","
        "                   \"10.2.0.1/24\"], \"gateway\": \"10.2.0.254\"},"
        "                  {\"port\": \"wan\", \"address\": "
        "[\"192.0.2.10/32\"]}],"
        " \"static_routes\": [{\"prefix\": \"198.18.4.0/24\", "
        "\"via\": \"10.2.0.9\"},"
        "                     {\"prefix\": \"0.0.0.0/0\", "
        "\"via\": \"10.1.255.1\"}],"
        " \"arp\": {\"entries\": [{\"ip\": \"10.1.0.9\", "
        "\"mac\": \"02:AB:cd:00:00:01\", \"interface\": 0},"
        "                       {\"ip\": \"10.2.0.9\", "
        "\"mac\": \"02:00:00:00:00:02\", \"interface\": 0}],"
        "           \"cache_size\": 4096, \"reachable_ms\": 60000,"
        "           \"retries\": 5, \"retry_ms\": 500,"
        "           \"queue_per_entry\": 16, \"queue_total\": 1024},"
        " \"reassembly\": {\"max_flows\": 16,"
        "                  \"timeout_ms\": 100},"
        " \"admin\": {\"metrics\": \"0.0.0.0:65535\"},"
        " \"control\": {\"socket\": \"/tmp/ys-test.sock\"}}";

static void test_full(void **state)
{
	struct ys_config cfg;
	char err[YS_CFG_ERR_LEN];
	const struct ys_cfg_interface *ifc = cfg.interfaces;

	(void)state;
	assert_int_equal(
	        ys_config_load_string(&cfg, full, NAME, 8, err, sizeof(err)),
	        0);
	assert_string_equal(cfg.eal.file_prefix, "ys-test_1");
	assert_int_equal(cfg.eal.memory_mb, 2048);
	assert_int_equal(cfg.eal.primary_cpu, 3);
	assert_int_equal(cfg.eal.mbufs, 65535);
	assert_int_equal(cfg.eal.n_args, 2);
	assert_string_equal(cfg.eal.args[0], "--log-level=lib.eal:debug");
	assert_string_equal(cfg.eal.args[1], "--no-telemetry");

	assert_int_equal(cfg.n_ports, 3);
	assert_true(cfg.ports[0].is_pci);
	assert_string_equal(cfg.ports[0].device, "0000:3b:00.0,rxq=4");
	assert_int_equal(cfg.ports[0].rx_desc, 4096);
	assert_int_equal(cfg.ports[0].tx_desc, 512);
	assert_true(cfg.ports[1].is_pci);
	assert_int_equal(cfg.ports[1].rx_desc, 1024);
	assert_false(cfg.ports[2].is_pci);
	assert_string_equal(cfg.ports[2].name, "tap");
	assert_int_equal(cfg.ports[2].rx_desc, 64);
	assert_int_equal(cfg.ports[2].tx_desc, 16384);
	assert_int_equal(cfg.ports[2].mtu, 9000);
	assert_false(cfg.ports[2].promiscuous);
	assert_int_equal(cfg.ports[2].tx_mode, YS_TX_MODE_QUEUE);
	assert_true(cfg.ports[2].impair.enabled);
	assert_int_equal(cfg.ports[2].impair.seed, 42);
	assert_true(cfg.ports[2].impair.rx.drop == 5.0);
	assert_true(cfg.ports[2].impair.rx.duplicate == 1.0);
	assert_true(cfg.ports[2].impair.rx.reorder == 2.5);
	assert_true(cfg.ports[2].impair.rx.corrupt == 0.1);
	assert_int_equal(cfg.ports[2].impair.rx.delay_us, 200);
	assert_true(cfg.ports[2].impair.tx.drop == 100.0);
	assert_true(cfg.ports[2].impair.tx.duplicate == 0.0);
	assert_false(cfg.ports[1].impair.enabled);
	assert_int_equal(cfg.secondaries.failover, YS_FAILOVER_REBALANCE);
	assert_int_equal(cfg.reassembly.max_flows, 16);
	assert_int_equal(cfg.reassembly.timeout_ms, 100);

	assert_int_equal(cfg.secondaries.count, 3);
	assert_true(cfg.secondaries.cpus_given);
	assert_int_equal(cfg.secondaries.cpus[0], 4);
	assert_int_equal(cfg.secondaries.cpus[1], 5);
	assert_int_equal(cfg.secondaries.cpus[2], 7);
	assert_int_equal(cfg.secondaries.ring_size, 256);
	assert_int_equal(cfg.secondaries.reta_size, 512);
	for (int i = 0; i < YS_RSS_KEY_LEN; i++)
		assert_int_equal(cfg.secondaries.rss_key[i], i);

	assert_int_equal(cfg.n_interfaces, 2);
	assert_int_equal(ifc[0].port, 1);
	assert_int_equal(ifc[0].n_addrs, 2);
	assert_int_equal(ifc[0].addrs[0].addr, ip("10.1.0.1"));
	assert_int_equal(ifc[0].addrs[0].prefix_len, 16);
	assert_int_equal(ifc[0].addrs[1].addr, ip("10.2.0.1"));
	assert_int_equal(ifc[0].addrs[1].prefix_len, 24);
	assert_int_equal(ifc[0].gateway, ip("10.2.0.254"));
	assert_int_equal(ifc[1].port, 0);
	assert_int_equal(ifc[1].n_addrs, 1);
	assert_int_equal(ifc[1].addrs[0].prefix_len, 32);
	assert_int_equal(ifc[1].gateway, 0);

	assert_int_equal(cfg.n_static_routes, 2);
	assert_int_equal(cfg.static_routes[0].prefix, ip("198.18.4.0"));
	assert_int_equal(cfg.static_routes[0].prefix_len, 24);
	assert_int_equal(cfg.static_routes[0].via, ip("10.2.0.9"));
	assert_int_equal(cfg.static_routes[1].prefix, 0);
	assert_int_equal(cfg.static_routes[1].prefix_len, 0);
	assert_int_equal(cfg.static_routes[1].via, ip("10.1.255.1"));
	assert_int_equal(cfg.arp.n_entries, 2);
	assert_int_equal(cfg.arp.entries[0].ip, ip("10.1.0.9"));
	assert_memory_equal(cfg.arp.entries[0].mac,
	                    ((const uint8_t[]){2, 0xab, 0xcd, 0, 0, 1}), 6);
	assert_int_equal(cfg.arp.entries[0].interface, 0);
	assert_int_equal(cfg.arp.entries[1].ip, ip("10.2.0.9"));
	assert_int_equal(cfg.arp.cache_size, 4096);
	assert_int_equal(cfg.arp.reachable_ms, 60000);
	assert_int_equal(cfg.arp.retries, 5);
	assert_int_equal(cfg.arp.retry_ms, 500);
	assert_int_equal(cfg.arp.queue_per_entry, 16);
	assert_int_equal(cfg.arp.queue_total, 1024);
	assert_string_equal(cfg.control.socket, "/tmp/ys-test.sock");
	assert_true(cfg.admin.metrics_enabled);
	assert_int_equal(cfg.admin.metrics_addr, 0);
	assert_int_equal(cfg.admin.metrics_port, 65535);
}

/* admin.metrics: "ADDRESS:PORT", or "" / "off" to serve nothing. */
static void test_admin_metrics(void **state)
{
	static const struct {
		const char *admin;
		bool enabled;
		const char *addr;
		uint16_t port;
	} cases[] = {
	        {"{}", true, "127.0.0.1", 9180},
	        {"{\"metrics\": \"off\"}", false, NULL, 0},
	        {"{\"metrics\": \"\"}", false, NULL, 0},
	        {"{\"metrics\": \"198.18.0.2:1\"}", true, "198.18.0.2", 1},
	        {"{\"metrics\": \"127.0.0.1:9100\"}", true, "127.0.0.1", 9100},
	};
	struct ys_config cfg;
	char err[YS_CFG_ERR_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = edit(minimal, "admin", cases[i].admin);

		assert_int_equal(ys_config_load_string(&cfg, text, NAME, 4, err,
		                                       sizeof(err)),
		                 0);
		free(text);
		assert_int_equal(cfg.admin.metrics_enabled, cases[i].enabled);
		if (!cases[i].enabled)
			continue;
		assert_int_equal(cfg.admin.metrics_addr, ip(cases[i].addr));
		assert_int_equal(cfg.admin.metrics_port, cases[i].port);
	}
}

/* diag.udp_echo: a port, 0 or absent for off. */
static void test_diag(void **state)
{
	static const struct {
		const char *diag;
		uint16_t udp_echo;
	} cases[] = {
	        {"{}", 0},
	        {"{\"udp_echo\": 0}", 0},
	        {"{\"udp_echo\": 1}", 1},
	        {"{\"udp_echo\": 7}", 7},
	        {"{\"udp_echo\": 65535}", 65535},
	};
	struct ys_config cfg;
	char err[YS_CFG_ERR_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = edit(minimal, "diag", cases[i].diag);

		assert_int_equal(ys_config_load_string(&cfg, text, NAME, 4, err,
		                                       sizeof(err)),
		                 0);
		free(text);
		assert_int_equal(cfg.diag.udp_echo, cases[i].udp_echo);
	}
}

/* interfaces[].vlan: absent is untagged; VLANs share a port; icmp's
 * defaults and values. */
static void test_vlan_icmp(void **state)
{
	static const char ifaces[] =
	        "[{\"port\": \"p0\", \"address\": \"198.18.0.2/24\"},"
	        " {\"port\": \"p0\", \"address\": \"198.18.1.2/24\","
	        "  \"vlan\": 1},"
	        " {\"port\": \"p0\", \"address\": \"198.18.2.2/24\","
	        "  \"vlan\": 4094}]";
	struct ys_config cfg;
	char err[YS_CFG_ERR_LEN], *text, *text2;

	(void)state;
	assert_int_equal(
	        ys_config_load_string(&cfg, minimal, NAME, 4, err, sizeof(err)),
	        0);
	assert_int_equal(cfg.interfaces[0].vlan, 0);
	assert_int_equal(cfg.icmp.rate_limit, 100);
	assert_int_equal(cfg.icmp.burst, 50);

	text = edit(minimal, "interfaces", ifaces);
	text2 = edit(text, "icmp", "{\"rate_limit\": 1, \"burst\": 1000000}");
	assert_int_equal(
	        ys_config_load_string(&cfg, text2, NAME, 4, err, sizeof(err)),
	        0);
	free(text);
	free(text2);
	assert_int_equal(cfg.n_interfaces, 3);
	assert_int_equal(cfg.interfaces[0].vlan, 0);
	assert_int_equal(cfg.interfaces[1].vlan, 1);
	assert_int_equal(cfg.interfaces[2].vlan, 4094);
	assert_int_equal(cfg.interfaces[2].port, 0);
	assert_int_equal(cfg.icmp.rate_limit, 1);
	assert_int_equal(cfg.icmp.burst, 1000000);
}

static void test_cpus_spread(void **state)
{
	char *text = edit(minimal, "secondaries.count", "3");
	struct ys_config cfg;
	char err[YS_CFG_ERR_LEN];

	(void)state;
	assert_int_equal(
	        ys_config_load_string(&cfg, text, NAME, 2, err, sizeof(err)),
	        0);
	assert_false(cfg.secondaries.cpus_given);
	assert_int_equal(cfg.secondaries.cpus[0], 1);
	assert_int_equal(cfg.secondaries.cpus[1], 0);
	assert_int_equal(cfg.secondaries.cpus[2], 1);

	assert_int_equal(
	        ys_config_load_string(&cfg, text, NAME, 1, err, sizeof(err)),
	        0);
	assert_int_equal(cfg.secondaries.cpus[0], 0);
	assert_int_equal(cfg.secondaries.cpus[1], 0);
	assert_int_equal(cfg.secondaries.cpus[2], 0);
	free(text);
}

struct device_case {
	const char *device;
	bool is_pci;
};

static void test_device_kinds(void **state)
{
	static const struct device_case cases[] = {
	        {"0000:03:00.0", true},
	        {"0000:af:1f.7", true},
	        {"ABCD:EF:01.2,txq=8", true},
	        {"03:00.0", true},
	        {"03:00.0,rxq=2,txq=2", true},
	        {"net_af_packet0,iface=veth-ys", false},
	        {"net_ring0", false},
	        {"net_null0", false},
	};
	struct ys_config cfg;
	char err[YS_CFG_ERR_LEN], value[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text;

		snprintf(value, sizeof(value), "\"%s\"", cases[i].device);
		text = edit(minimal, "ports[0].device", value);
		assert_int_equal(ys_config_load_string(&cfg, text, NAME, 4, err,
		                                       sizeof(err)),
		                 0);
		assert_int_equal(cfg.ports[0].is_pci, cases[i].is_pci);
		free(text);
	}
}

/* ---- negative cases: one edit of the minimal config, one message ---- */

struct bad_case {
	const char *path;  /* key path to edit */
	const char *value; /* JSON text; NULL deletes the key */
	const char *err;   /* expected message after "t.json: " */
};

#define PORT(n)  "{\"name\": \"" n "\", \"device\": \"net_null0\"}"
#define IFACE(a) "{\"port\": \"p0\", \"address\": " a "}"
#define HEX_79                                                                 \
	"6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42" \
	"b73bbeac01f"

/* A static route, an ARP entry (as the value of "arp"). */
#define ROUTE(prefix, via) "[{\"prefix\": " prefix ", \"via\": " via "}]"
#define R4                 "{\"prefix\": \"198.18.4.0/24\", \"via\": \"198.18.0.1\"}"
#define ENTRY(ip, mac, iface)                                                  \
	"{\"entries\": [{\"ip\": " ip ", \"mac\": " mac                        \
	", \"interface\": " iface "}]}"
#define E9                                                                     \
	"{\"ip\": \"198.18.0.9\", \"mac\": \"02:00:00:00:00:01\", "            \
	"\"interface\": 0}"

#define METRICS_RULE                                                           \
	"admin.metrics: must be \"ADDRESS:PORT\" (an IPv4 address and a "      \
	"port), \"\" or \"off\""
#define METRICS_ADDR "admin.metrics: address must be an IPv4 address a.b.c.d"
#define METRICS_PORT "admin.metrics: port must be between 1 and 65535"

static const struct bad_case bad_cases[] = {
        /* top level */
        {"tcp", "{}", "tcp: unknown key"},
        {"listeners", "[]", "listeners: unknown key"},
        {"clusters", "[]", "clusters: unknown key"},
        /* eal */
        {"eal", "[]", "eal: must be an object"},
        {"eal.memroy_mb", "512", "eal.memroy_mb: unknown key"},
        {"eal.file_prefix", "\"\"", "eal.file_prefix: must not be empty"},
        {"eal.file_prefix", "\"a/b\"",
         "eal.file_prefix: must contain only letters, digits, '_' and '-'"},
        {"eal.file_prefix", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
         "eal.file_prefix: must be at most 31 characters"},
        {"eal.file_prefix", "5", "eal.file_prefix: must be a string"},
        {"eal.memory_mb", "63", "eal.memory_mb: must be between 64 and 65536"},
        {"eal.memory_mb", "65537",
         "eal.memory_mb: must be between 64 and 65536"},
        {"eal.memory_mb", "512.0", "eal.memory_mb: must be an integer"},
        {"eal.memory_mb", "\"512\"", "eal.memory_mb: must be an integer"},
        {"eal.memory_mb", "null", "eal.memory_mb: must be an integer"},
        {"eal.memory_mb", "9223372036854775807",
         "eal.memory_mb: must be between 64 and 65536"},
        {"eal.cpu", "4", "eal.cpu: must be less than the number of CPUs (4)"},
        {"eal.cpu", "-1", "eal.cpu: must be between 0 and 1023"},
        {"eal.cpu", "true", "eal.cpu: must be an integer"},
        {"eal.mbufs", "1022",
         "eal.mbufs: must be 0 (sized automatically) or at least 1023"},
        {"eal.mbufs", "1",
         "eal.mbufs: must be 0 (sized automatically) or at "
         "least 1023"},
        {"eal.mbufs", "1048576", "eal.mbufs: must be between 0 and 1048575"},
        {"eal.args", "\"-v\"", "eal.args: must be an array"},
        {"eal.args", "[\"-v\", 1]", "eal.args[1]: must be a string"},
        {"eal.args", "[\"\"]", "eal.args[0]: must not be empty"},
        /* ports */
        {"ports", NULL, "ports: required"},
        {"ports", "{}", "ports: must be an array"},
        {"ports", "[]", "ports: must have between 1 and 8 entries"},
        {"ports[0]", "\"p0\"", "ports[0]: must be an object"},
        {"ports[0].name", NULL, "ports[0].name: required"},
        {"ports[0].name", "7", "ports[0].name: must be a string"},
        {"ports[0].name", "\"p 0\"",
         "ports[0].name: must contain only letters, digits, '_' and '-'"},
        {"ports[0].name", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
         "ports[0].name: must be at most 31 characters"},
        {"ports", "[" PORT("p0") "," PORT("p1") "," PORT("p0") "]",
         "ports[2].name: duplicates ports[0].name"},
        {"ports[0].device", NULL, "ports[0].device: required"},
        {"ports[0].device", "\"\"", "ports[0].device: must not be empty"},
        {"ports[0].device", "[]", "ports[0].device: must be a string"},
        {"ports[0].device", "\"eth0\"",
         "ports[0].device: must be a PCI address or a net_* vdev"},
        {"ports[0].device", "\"0000:03:00\"",
         "ports[0].device: must be a PCI address or a net_* vdev"},
        {"ports[0].device", "\"0000:03:00.0x\"",
         "ports[0].device: must be a PCI address or a net_* vdev"},
        {"ports[0].device", "\"0000:0g:00.0\"",
         "ports[0].device: must be a PCI address or a net_* vdev"},
        {"ports[0].device", "\"3:00.0\"",
         "ports[0].device: must be a PCI address or a net_* vdev"},
        {"ports[0].device", "\"net_\"",
         "ports[0].device: must be a PCI address or a net_* vdev"},
        {"ports[0].device", "\"crypto_null0\"",
         "ports[0].device: must be a PCI address or a net_* vdev"},
        {"ports[0].rx_desc", "1000",
         "ports[0].rx_desc: must be a power of two"},
        {"ports[0].rx_desc", "32",
         "ports[0].rx_desc: must be between 64 and 16384"},
        {"ports[0].tx_desc", "32768",
         "ports[0].tx_desc: must be between 64 and 16384"},
        {"ports[0].tx_desc", "1024.5", "ports[0].tx_desc: must be an integer"},
        {"ports[0].mtu", "575", "ports[0].mtu: must be between 576 and 9600"},
        {"ports[0].mtu", "9601", "ports[0].mtu: must be between 576 and 9600"},
        {"ports[0].promiscuous", "1",
         "ports[0].promiscuous: must be true or false"},
        {"ports[0].tx_mode", "\"queues\"",
         "ports[0].tx_mode: must be one of \"auto\", \"ring\", \"queue\""},
        {"ports[0].tx_mode", "2",
         "ports[0].tx_mode: must be one of \"auto\", \"ring\", \"queue\""},
        {"ports[0].impair", "[]", "ports[0].impair: must be an object"},
        {"ports[0].impair", "{\"seed\": -1}",
         "ports[0].impair.seed: must be between 0 and 4294967295"},
        {"ports[0].impair", "{\"rx\": {\"drop\": 100.5}}",
         "ports[0].impair.rx.drop: must be between 0 and 100"},
        {"ports[0].impair", "{\"tx\": {\"corrupt\": -0.1}}",
         "ports[0].impair.tx.corrupt: must be between 0 and 100"},
        {"ports[0].impair", "{\"tx\": {\"reorder\": \"5\"}}",
         "ports[0].impair.tx.reorder: must be a number (a percentage)"},
        {"ports[0].impair", "{\"rx\": {\"delay_us\": 1000001}}",
         "ports[0].impair.rx.delay_us: must be between 0 and 1000000"},
        {"ports[0].impair", "{\"rx\": {\"loss\": 5}}",
         "ports[0].impair.rx.loss: unknown key"},
        /* secondaries */
        {"secondaries", NULL, "secondaries: required"},
        {"secondaries", "2", "secondaries: must be an object"},
        {"secondaries.count", NULL, "secondaries.count: required"},
        {"secondaries.count", "0",
         "secondaries.count: must be between 1 and 32"},
        {"secondaries.count", "33",
         "secondaries.count: must be between 1 and 32"},
        {"secondaries.count", "true", "secondaries.count: must be an integer"},
        {"secondaries.cpus", "1", "secondaries.cpus: must be an array"},
        {"secondaries.cpus", "[1]",
         "secondaries.cpus: must have exactly 2 entries (one per secondary)"},
        {"secondaries.cpus", "[1, 2, 3]",
         "secondaries.cpus: must have exactly 2 entries (one per secondary)"},
        {"secondaries", "{\"count\": 3, \"cpus\": [1, 2, 4]}",
         "secondaries.cpus[2]: must be less than the number of CPUs (4)"},
        {"secondaries.cpus", "[1, \"2\"]",
         "secondaries.cpus[1]: must be an integer"},
        {"secondaries.cpus", "[1, -1]",
         "secondaries.cpus[1]: must be between 0 and 1023"},
        {"secondaries.ring_size", "1000",
         "secondaries.ring_size: must be a power of two"},
        {"secondaries.ring_size", "128",
         "secondaries.ring_size: must be between 256 and 65536"},
        {"secondaries.ring_size", "131072",
         "secondaries.ring_size: must be between 256 and 65536"},
        {"secondaries.reta_size", "96",
         "secondaries.reta_size: must be a power of two"},
        {"secondaries.reta_size", "1024",
         "secondaries.reta_size: must be between 64 and 512"},
        {"secondaries.rss_key", "\"6d5a\"",
         "secondaries.rss_key: must be a string of 80 hex digits (40 bytes)"},
        {"secondaries.rss_key", "\"" HEX_79 "g\"",
         "secondaries.rss_key: must be a string of 80 hex digits (40 bytes)"},
        {"secondaries.rss_key", "\"" HEX_79 "aa\"",
         "secondaries.rss_key: must be a string of 80 hex digits (40 bytes)"},
        {"secondaries.rss_key", "40",
         "secondaries.rss_key: must be a string of 80 hex digits (40 bytes)"},
        {"secondaries.threads", "2", "secondaries.threads: unknown key"},
        {"secondaries.failover", "\"steal\"",
         "secondaries.failover: must be one of \"drop\", \"rebalance\""},
        /* reassembly */
        {"reassembly", "{\"max_fragments\": 8}",
         "reassembly.max_fragments: unknown key"},
        {"reassembly", "{\"max_flows\": 15}",
         "reassembly.max_flows: must be between 16 and 1048576"},
        {"reassembly", "{\"timeout_ms\": 99}",
         "reassembly.timeout_ms: must be between 100 and 60000"},
        {"reassembly", "{\"flows\": 99}", "reassembly.flows: unknown key"},
        /* diag */
        {"diag", "7", "diag: must be an object"},
        {"diag", "{\"udp_echo\": -1}",
         "diag.udp_echo: must be between 0 and 65535"},
        {"diag", "{\"udp_echo\": 65536}",
         "diag.udp_echo: must be between 0 and 65535"},
        {"diag", "{\"udp_echo\": \"7\"}", "diag.udp_echo: must be an integer"},
        {"diag", "{\"udp_echo\": 7.0}", "diag.udp_echo: must be an integer"},
        {"diag", "{\"udp_echo\": true}", "diag.udp_echo: must be an integer"},
        {"diag", "{\"tcp_echo\": 7}", "diag.tcp_echo: unknown key"},
        /* interfaces */
        {"interfaces", NULL, "interfaces: required"},
        {"interfaces", "[]", "interfaces: must have between 1 and 8 entries"},
        {"interfaces[0]", "[]", "interfaces[0]: must be an object"},
        {"interfaces[0].port", NULL, "interfaces[0].port: required"},
        {"interfaces[0].port", "0", "interfaces[0].port: must be a string"},
        {"interfaces[0].port", "\"p9\"",
         "interfaces[0].port: no port named \"p9\" in ports"},
        {"interfaces[0].address", NULL, "interfaces[0].address: required"},
        {"interfaces[0].address", "\"198.18.0.2\"",
         "interfaces[0].address: must be a CIDR string a.b.c.d/len"},
        {"interfaces[0].address", "\"198.18.0.2/33\"",
         "interfaces[0].address: must be a CIDR string a.b.c.d/len"},
        {"interfaces[0].address", "\"198.18.0.2/0\"",
         "interfaces[0].address: prefix length must be between 1 and 32"},
        {"interfaces[0].address", "\"0.0.0.0/8\"",
         "interfaces[0].address: must not be 0.0.0.0"},
        {"interfaces[0].address", "\"224.0.0.1/4\"",
         "interfaces[0].address: must not be a multicast address"},
        {"interfaces[0].address", "\"239.255.255.250/24\"",
         "interfaces[0].address: must not be a multicast address"},
        {"interfaces[0].address", "\"255.255.255.255/32\"",
         "interfaces[0].address: must not be the broadcast address"},
        {"interfaces[0].address", "\"127.0.0.1/8\"",
         "interfaces[0].address: must not be a loopback address"},
        {"interfaces[0].address", "42",
         "interfaces[0].address: must be a CIDR string or an array of them"},
        {"interfaces[0].address", "[]",
         "interfaces[0].address: must have between 1 and 8 entries"},
        {"interfaces[0].address", "[\"198.18.0.2/24\", 5]",
         "interfaces[0].address[1]: must be a CIDR string a.b.c.d/len"},
        {"interfaces[0].address", "[\"198.18.0.2/24\", \"198.18.0.2/16\"]",
         "interfaces[0].address[1]: 198.18.0.2 is already on interfaces[0]"},
        {"interfaces[1]", IFACE("[\"10.0.0.1/8\", \"198.18.0.2/24\"]"),
         "interfaces[1].address[1]: 198.18.0.2 is already on interfaces[0]"},
        {"interfaces[1]", IFACE("\"127.1.2.3/8\""),
         "interfaces[1].address: must not be a loopback address"},
        {"interfaces[0].gateway", "\"198.19.0.1\"",
         "interfaces[0].gateway: must be inside one of the interface's "
         "prefixes"},
        {"interfaces[0].gateway", "\"198.18.0.2\"",
         "interfaces[0].gateway: must not be one of the interface's "
         "addresses"},
        {"interfaces[0].gateway", "\"198.18.0\"",
         "interfaces[0].gateway: must be an IPv4 address a.b.c.d"},
        {"interfaces[0].gateway", "\"198.18.0.1/24\"",
         "interfaces[0].gateway: must be an IPv4 address a.b.c.d"},
        {"interfaces[0].gateway", "1",
         "interfaces[0].gateway: must be an IPv4 address a.b.c.d"},
        {"interfaces[0].gateway", "\"0.0.0.0\"",
         "interfaces[0].gateway: must not be 0.0.0.0"},
        {"interfaces[0].mac", "\"02:00:00:00:00:01\"",
         "interfaces[0].mac: unknown key"},
        /* interfaces[].vlan (802.1Q) */
        {"interfaces[0].vlan", "0",
         "interfaces[0].vlan: must be an integer between 1 and 4094"},
        {"interfaces[0].vlan", "4095",
         "interfaces[0].vlan: must be an integer between 1 and 4094"},
        {"interfaces[0].vlan", "-1",
         "interfaces[0].vlan: must be an integer between 1 and 4094"},
        {"interfaces[0].vlan", "\"10\"",
         "interfaces[0].vlan: must be an integer between 1 and 4094"},
        {"interfaces[0].vlan", "10.0",
         "interfaces[0].vlan: must be an integer between 1 and 4094"},
        {"interfaces[1]", "{\"port\": \"p0\", \"address\": \"10.0.0.1/8\"}",
         "interfaces[1]: port \"p0\" already has an untagged interface "
         "(interfaces[0]); give one of them a vlan"},
        {"interfaces",
         "[{\"port\": \"p0\", \"address\": \"10.0.0.1/8\", \"vlan\": 7},"
         " {\"port\": \"p0\", \"address\": \"10.1.0.1/16\"},"
         " {\"port\": \"p0\", \"address\": \"10.2.0.1/16\", \"vlan\": 7}]",
         "interfaces[2].vlan: 7 is already interfaces[0]'s on port \"p0\""},
        /* icmp */
        {"icmp", "[]", "icmp: must be an object"},
        {"icmp", "{\"rate\": 5}", "icmp.rate: unknown key"},
        {"icmp", "{\"rate_limit\": 0}",
         "icmp.rate_limit: must be between 1 and 1000000"},
        {"icmp", "{\"rate_limit\": 1000001}",
         "icmp.rate_limit: must be between 1 and 1000000"},
        {"icmp", "{\"burst\": 0}", "icmp.burst: must be between 1 and 1000000"},
        {"icmp", "{\"burst\": 2.5}", "icmp.burst: must be an integer"},
        /* static_routes (interfaces[0] is 198.18.0.2/24) */
        {"static_routes", "{}", "static_routes: must be an array"},
        {"static_routes", "[5]", "static_routes[0]: must be an object"},
        {"static_routes", "[{\"via\": \"198.18.0.1\"}]",
         "static_routes[0].prefix: required"},
        {"static_routes", "[{\"prefix\": \"198.18.4.0/24\"}]",
         "static_routes[0].via: required"},
        {"static_routes", ROUTE("\"198.18.4.0\"", "\"198.18.0.1\""),
         "static_routes[0].prefix: must be a CIDR string a.b.c.d/len"},
        {"static_routes", ROUTE("\"198.18.4.0/33\"", "\"198.18.0.1\""),
         "static_routes[0].prefix: must be a CIDR string a.b.c.d/len"},
        {"static_routes", ROUTE("24", "\"198.18.0.1\""),
         "static_routes[0].prefix: must be a CIDR string a.b.c.d/len"},
        {"static_routes", ROUTE("\"198.18.4.1/24\"", "\"198.18.0.1\""),
         "static_routes[0].prefix: has host bits set (the network is "
         "198.18.4.0/24)"},
        {"static_routes", ROUTE("\"198.18.4.0/24\"", "\"198.18.9.1\""),
         "static_routes[0].via: 198.18.9.1 is not inside any interface's "
         "prefix"},
        {"static_routes", ROUTE("\"198.18.4.0/24\"", "\"198.18.0.2\""),
         "static_routes[0].via: must not be one of our addresses"},
        {"static_routes", ROUTE("\"198.18.4.0/24\"", "\"198.18.0\""),
         "static_routes[0].via: must be an IPv4 address a.b.c.d"},
        {"static_routes",
         "[" R4 ", {\"prefix\": \"198.18.4.0/24\", \"via\": "
         "\"198.18.0.3\"}]",
         "static_routes[1].prefix: duplicates static_routes[0]"},
        {"static_routes",
         "[{\"prefix\": \"198.18.4.0/24\", \"via\": \"198.18.0.1\", "
         "\"metric\": 1}]",
         "static_routes[0].metric: unknown key"},
        /* arp */
        {"arp", "[]", "arp: must be an object"},
        {"arp", "{\"size\": 1}", "arp.size: unknown key"},
        {"arp", "{\"cache_size\": 15}",
         "arp.cache_size: must be between 16 and 65536"},
        {"arp", "{\"reachable_ms\": 999}",
         "arp.reachable_ms: must be between 1000 and 3600000"},
        {"arp", "{\"retries\": 0}", "arp.retries: must be between 1 and 10"},
        {"arp", "{\"retry_ms\": 60001}",
         "arp.retry_ms: must be between 100 and 60000"},
        {"arp", "{\"queue_per_entry\": 65}",
         "arp.queue_per_entry: must be between 1 and 64"},
        {"arp", "{\"queue_total\": 0}",
         "arp.queue_total: must be between 1 and 65536"},
        {"arp", "{\"entries\": {}}", "arp.entries: must be an array"},
        {"arp", ENTRY("\"198.18.0.9\"", "\"02:00:00:00:00\"", "0"),
         "arp.entries[0].mac: must be a MAC address aa:bb:cc:dd:ee:ff"},
        {"arp", ENTRY("\"198.18.0.9\"", "\"02-00-00-00-00-01\"", "0"),
         "arp.entries[0].mac: must be a MAC address aa:bb:cc:dd:ee:ff"},
        {"arp", ENTRY("\"198.18.0.9\"", "\"0g:00:00:00:00:01\"", "0"),
         "arp.entries[0].mac: must be a MAC address aa:bb:cc:dd:ee:ff"},
        {"arp", ENTRY("\"198.18.0.9\"", "\"02:00:00:00:00:01:\"", "0"),
         "arp.entries[0].mac: must be a MAC address aa:bb:cc:dd:ee:ff"},
        {"arp", ENTRY("\"198.18.0.9\"", "2", "0"),
         "arp.entries[0].mac: must be a MAC address aa:bb:cc:dd:ee:ff"},
        {"arp", ENTRY("\"198.18.0.9\"", "\"01:00:5e:00:00:01\"", "0"),
         "arp.entries[0].mac: must be a unicast MAC address, not all zeros"},
        {"arp", ENTRY("\"198.18.0.9\"", "\"00:00:00:00:00:00\"", "0"),
         "arp.entries[0].mac: must be a unicast MAC address, not all zeros"},
        {"arp", ENTRY("\"198.18.0.300\"", "\"02:00:00:00:00:01\"", "0"),
         "arp.entries[0].ip: must be an IPv4 address a.b.c.d"},
        {"arp", ENTRY("\"198.18.0.2\"", "\"02:00:00:00:00:01\"", "0"),
         "arp.entries[0].ip: must not be one of our addresses"},
        {"arp", ENTRY("\"198.18.9.9\"", "\"02:00:00:00:00:01\"", "0"),
         "arp.entries[0].ip: 198.18.9.9 is not inside a prefix of "
         "interfaces[0]"},
        {"arp", ENTRY("\"198.18.0.9\"", "\"02:00:00:00:00:01\"", "1"),
         "arp.entries[0].interface: no interfaces[1]"},
        {"arp", ENTRY("\"198.18.0.9\"", "\"02:00:00:00:00:01\"", "8"),
         "arp.entries[0].interface: must be between 0 and 7"},
        {"arp", ENTRY("\"198.18.0.9\"", "\"02:00:00:00:00:01\"", "\"0\""),
         "arp.entries[0].interface: must be an integer"},
        {"arp",
         "{\"entries\": [{\"ip\": \"198.18.0.9\", \"mac\": "
         "\"02:00:00:00:00:01\"}]}",
         "arp.entries[0].interface: required"},
        {"arp", "{\"entries\": [" E9 ", " E9 "]}",
         "arp.entries[1].ip: duplicates arp.entries[0]"},
        /* admin */
        {"admin", "[]", "admin: must be an object"},
        {"admin", "{\"metric\": \"off\"}", "admin.metric: unknown key"},
        {"admin", "{\"metrics\": 9180}", "admin.metrics: must be a string"},
        {"admin", "{\"metrics\": null}", "admin.metrics: must be a string"},
        {"admin", "{\"metrics\": \"127.0.0.1\"}", METRICS_RULE},
        {"admin", "{\"metrics\": \":9180\"}", METRICS_RULE},
        {"admin", "{\"metrics\": \"on\"}", METRICS_RULE},
        {"admin", "{\"metrics\": \"localhost:9180\"}", METRICS_ADDR},
        {"admin", "{\"metrics\": \"[::1]:9180\"}", METRICS_ADDR},
        {"admin", "{\"metrics\": \"127.0.0.256:9180\"}", METRICS_ADDR},
        {"admin", "{\"metrics\": \"127.0.0.1:\"}", METRICS_PORT},
        {"admin", "{\"metrics\": \"127.0.0.1:0\"}", METRICS_PORT},
        {"admin", "{\"metrics\": \"127.0.0.1:65536\"}", METRICS_PORT},
        {"admin", "{\"metrics\": \"127.0.0.1:09180\"}", METRICS_PORT},
        {"admin", "{\"metrics\": \"127.0.0.1:-1\"}", METRICS_PORT},
        {"admin", "{\"metrics\": \"127.0.0.1:91 80\"}", METRICS_PORT},
        {"admin", "{\"metrics\": \"127.0.0.1:918000\"}", METRICS_PORT},
        /* control */
        {"control", "\"x\"", "control: must be an object"},
        {"control.socket", "\"run/ys.sock\"",
         "control.socket: must be an absolute path"},
        {"control.socket", "1", "control.socket: must be a string"},
        {"control.path", "\"/x\"", "control.path: unknown key"},
};

/* Cases whose value is too long to write out. */
static void expand_long_cases(struct bad_case *c, char **owned)
{
	char *s;

	owned[0] = json_list(PORT("px"), YS_CFG_MAX_PORTS + 1);
	c[0] = (struct bad_case){"ports", owned[0],
	                         "ports: must have between 1 and 8 entries"};
	owned[1] = json_list("\"-v\"", YS_CFG_MAX_EAL_ARGS + 1);
	c[1] = (struct bad_case){"eal.args", owned[1],
	                         "eal.args: must have at most 16 entries"};
	s = json_repeat('a', YS_CFG_STR_LEN);
	owned[2] = malloc(strlen(s) + 16);
	assert_non_null(owned[2]);
	sprintf(owned[2], "[\"-v\", %s]", s);
	free(s);
	c[2] = (struct bad_case){"eal.args", owned[2],
	                         "eal.args[1]: must be at most 255 characters"};
	owned[3] = json_list("\"10.0.0.1/8\"", YS_CFG_MAX_ADDRS + 1);
	c[3] = (struct bad_case){"interfaces[0].address", owned[3],
	                         "interfaces[0].address: must have between 1 "
	                         "and 8 entries"};
	owned[4] = json_repeat('s', SUN_PATH_MAX + 1);
	owned[4][1] = '/';
	c[4] = (struct bad_case){"control.socket", owned[4],
	                         "control.socket: must be at most 107 "
	                         "characters"};
	owned[5] =
	        json_list(IFACE("\"10.0.0.1/8\""), YS_CFG_MAX_INTERFACES + 1);
	c[5] = (struct bad_case){"interfaces", owned[5],
	                         "interfaces: must have between 1 and 8 "
	                         "entries"};
	owned[6] = json_list(R4, YS_CFG_MAX_ROUTES + 1);
	c[6] = (struct bad_case){"static_routes", owned[6],
	                         "static_routes: must have at most 64 entries"};
	s = json_list(E9, YS_CFG_MAX_STATIC_ARP + 1);
	owned[7] = malloc(strlen(s) + 16);
	assert_non_null(owned[7]);
	sprintf(owned[7], "{\"entries\": %s}", s);
	free(s);
	c[7] = (struct bad_case){"arp", owned[7],
	                         "arp.entries: must have at most 64 entries"};
}

/* Returns true when the case gives exactly the expected message. */
static bool run_bad_case(const struct bad_case *c)
{
	char *text = edit(minimal, c->path, c->value);
	char err[YS_CFG_ERR_LEN], want[YS_CFG_ERR_LEN];
	struct ys_config cfg;
	int rc;

	rc = ys_config_load_string(&cfg, text, NAME, 4, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: %s", NAME, c->err);
	free(text);
	if (rc == -EINVAL && strcmp(err, want) == 0)
		return true;
	print_error("%s = %s\n  want rc %d \"%s\"\n  got  rc %d \"%s\"\n",
	            c->path, c->value ? c->value : "(deleted)", -EINVAL, want,
	            rc, err);
	return false;
}

static void test_bad_values(void **state)
{
	enum { N_LONG = 8 };
	struct bad_case long_cases[N_LONG];
	char *owned[N_LONG];
	int failed = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		failed += !run_bad_case(&bad_cases[i]);
	expand_long_cases(long_cases, owned);
	for (i = 0; i < N_LONG; i++) {
		failed += !run_bad_case(&long_cases[i]);
		free(owned[i]);
	}
	assert_int_equal(failed, 0);
}

/* Whole documents that are not configs at all. */
static void test_bad_documents(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
	        {"", NAME ":1:0: '[' or '{' expected near end of file"},
	        {"[]", NAME ": must be a JSON object"},
	        {"{}", NAME ": ports: required"},
	        {"{\"ports\": [], \"ports\": []}",
	         NAME ":1:21: duplicate object key near '\"ports\"'"},
	        {"{\"ports\": [1,]}", NAME ":1:14: unexpected token near ']'"},
	        {"{\"eal\": {\"memory_mb\": 01}}",
	         NAME ":1:23: invalid token near '0'"},
	};
	struct ys_config cfg;
	char err[YS_CFG_ERR_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ys_config_load_string(&cfg, cases[i].text,
		                                       NAME, 4, err,
		                                       sizeof(err)),
		                 -EINVAL);
		assert_string_equal(err, cases[i].err);
	}
	assert_int_equal(
	        ys_config_load_string(&cfg, minimal, NAME, 0, err, sizeof(err)),
	        -EINVAL);
	assert_string_equal(err, NAME ": ncpus must be at least 1");
}

/* err is always terminated, however small; a NULL err is allowed. */
static void test_err_buffer(void **state)
{
	char *key = json_repeat('k', 4000), *text;
	struct ys_config cfg;
	char err[YS_CFG_ERR_LEN], tiny[8];

	(void)state;
	text = malloc(strlen(key) + 16);
	assert_non_null(text);
	sprintf(text, "{%s: 1}", key);
	assert_int_equal(
	        ys_config_load_string(&cfg, text, NAME, 4, err, sizeof(err)),
	        -EINVAL);
	assert_true(strlen(err) < sizeof(err));
	assert_memory_equal(err, NAME ": kkkk", 12);
	memset(tiny, 'x', sizeof(tiny));
	assert_int_equal(
	        ys_config_load_string(&cfg, text, NAME, 4, tiny, sizeof(tiny)),
	        -EINVAL);
	assert_string_equal(tiny, "t.json:");
	assert_int_equal(ys_config_load_string(&cfg, text, NAME, 4, NULL, 0),
	                 -EINVAL);
	assert_int_equal(
	        ys_config_load_string(NULL, minimal, NAME, 4, err, sizeof(err)),
	        -EINVAL);
	assert_int_equal(
	        ys_config_load_string(&cfg, NULL, NAME, 4, err, sizeof(err)),
	        -EINVAL);
	/* A key with a newline still gives a one-line message. */
	assert_int_equal(ys_config_load_string(&cfg, "{\"a\\nb\": 1}", NAME, 4,
	                                       err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, NAME ": a?b: unknown key");
	free(key);
	free(text);
}

/*
 * Every value of the full config replaced by every JSON type, and every
 * prefix of the file: each must load or fail with a message, not crash.
 */
static void sweep_node(const char *path, json_t *node, int *runs)
{
	static const char *const values[] = {
	        "null",
	        "true",
	        "0",
	        "-1",
	        "1.5",
	        "\"\"",
	        "\"x\"",
	        "[]",
	        "{}",
	        "[1]",
	        "[\"\"]",
	        "{\"x\": 1}",
	        "99999999999999999",
	};
	struct ys_config cfg;
	char err[YS_CFG_ERR_LEN], sub[256];
	const char *key;
	json_t *child;
	size_t i;

	for (i = 0; path[0] && i < sizeof(values) / sizeof(values[0]); i++) {
		char *text = edit(full, path, values[i]);
		int rc = ys_config_load_string(&cfg, text, NAME, 8, err,
		                               sizeof(err));

		assert_true(rc == 0 || (rc == -EINVAL && err[0] != '\0'));
		free(text);
		(*runs)++;
	}
	if (json_is_object(node)) {
		json_object_foreach(node, key, child)
		{
			snprintf(sub, sizeof(sub), "%s%s%s", path,
			         path[0] ? "." : "", key);
			sweep_node(sub, child, runs);
		}
	} else if (json_is_array(node)) {
		json_array_foreach(node, i, child)
		{
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			sweep_node(sub, child, runs);
		}
	}
}

static void test_never_crash(void **state)
{
	json_t *root = json_loads(full, 0, NULL);
	size_t len = strlen(full);
	char *prefix = malloc(len + 1);
	struct ys_config cfg;
	char err[YS_CFG_ERR_LEN];
	int runs = 0;

	(void)state;
	assert_non_null(root);
	assert_non_null(prefix);
	sweep_node("", root, &runs);
	assert_true(runs > 300);
	json_decref(root);
	for (size_t n = 0; n < len; n++) {
		memcpy(prefix, full, n);
		prefix[n] = '\0';
		assert_int_equal(ys_config_load_string(&cfg, prefix, NAME, 8,
		                                       err, sizeof(err)),
		                 -EINVAL);
		assert_true(err[0] != '\0');
	}
	free(prefix);
}

/* ---- files ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/ys_test_config.XXXXXX", path[PATH_MAX];
	char real[PATH_MAX], want[PATH_MAX + 64], err[YS_CFG_ERR_LEN];
	struct ys_config cfg;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/./ys.json", dir);
	write_file(path, minimal);
	assert_int_equal(ys_config_load(&cfg, path, 4, err, sizeof(err)), 0);
	assert_non_null(realpath(path, real));
	assert_string_equal(cfg.path, real);
	assert_int_equal(cfg.secondaries.count, 2);

	/*
	 * Line 3, column 21: the second ':'. jansson's column is that of the
	 * last character of the token it stopped at.
	 */
	write_file(path,
	           "{\n  \"secondaries\": {\n    \"count\": 2, \"x\":: 1 }\n"
	           "}\n");
	assert_int_equal(ys_config_load(&cfg, path, 4, err, sizeof(err)),
	                 -EINVAL);
	snprintf(want, sizeof(want), "%s:3:21: unexpected token near ':'",
	         path);
	assert_string_equal(err, want);

	write_file(path, "{\"ports\": 1}");
	assert_int_equal(ys_config_load(&cfg, path, 4, err, sizeof(err)),
	                 -EINVAL);
	snprintf(want, sizeof(want), "%s: ports: must be an array", path);
	assert_string_equal(err, want);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(ys_config_load(&cfg, path, 4, err, sizeof(err)),
	                 -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
	assert_int_equal(ys_config_load(&cfg, dir, 4, err, sizeof(err)), -EIO);
	assert_int_equal(ys_config_load(&cfg, NULL, 4, err, sizeof(err)),
	                 -EINVAL);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- address parsers ---- */

static void test_parse_ipv4(void **state)
{
	static const char *const bad[] = {
	        "",         "1.2.3",    "1.2.3.4.5",  "256.0.0.1",  "1.2.3.-4",
	        "+1.2.3.4", "1..3.4",   ".1.2.3",     "1.2.3.4.",   "1.2.3.4 ",
	        " 1.2.3.4", "01.2.3.4", "0x1.2.3.4",  "1.2.3.4/24", "a.b.c.d",
	        "1.2.3.4x", "10.1",     "1.2.3.0004", "4294967295",
	};
	uint32_t a;

	(void)state;
	assert_int_equal(ys_parse_ipv4("0.0.0.0", &a), 0);
	assert_int_equal(a, 0);
	assert_int_equal(ys_parse_ipv4("255.255.255.255", &a), 0);
	assert_int_equal(a, UINT32_MAX);
	assert_int_equal(ys_parse_ipv4("192.0.2.1", &a), 0);
	assert_int_equal(ntohl(a), 0xc0000201);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = 0x12345678;
		if (ys_parse_ipv4(bad[i], &a) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(a, 0x12345678);
	}
	assert_int_equal(ys_parse_ipv4(NULL, &a), -EINVAL);
	assert_int_equal(ys_parse_ipv4("1.2.3.4", NULL), -EINVAL);
}

static void test_parse_cidr(void **state)
{
	static const char *const bad[] = {
	        "",
	        "/24",
	        "1.2.3.4",
	        "1.2.3.4/",
	        "1.2.3.4/33",
	        "1.2.3.4/-1",
	        "1.2.3.4/+8",
	        "1.2.3.4/08",
	        "1.2.3.4/100",
	        "1.2.3.4/8/8",
	        "1.2.3.4/8 ",
	        "1.2.3.4 /8",
	        "1.2.3/8",
	        "256.1.1.1/8",
	        "1.2.3.4/x",
	        "1.2.3.4//8",
	        "01.2.3.4/8",
	        "1.2.3.4.5/8",
	        "1111.2.3.4/8",
	        "123.123.123.1234/8",
	};
	struct ys_cfg_addr a;

	(void)state;
	assert_int_equal(ys_parse_cidr("198.18.0.2/24", &a), 0);
	assert_int_equal(ntohl(a.addr), 0xc6120002);
	assert_int_equal(a.prefix_len, 24);
	assert_int_equal(ys_parse_cidr("0.0.0.0/0", &a), 0);
	assert_int_equal(a.addr, 0);
	assert_int_equal(a.prefix_len, 0);
	assert_int_equal(ys_parse_cidr("10.0.0.1/32", &a), 0);
	assert_int_equal(a.prefix_len, 32);
	assert_int_equal(ys_parse_cidr("10.0.0.1/8", &a), 0);
	assert_int_equal(a.prefix_len, 8);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a.prefix_len = 77;
		if (ys_parse_cidr(bad[i], &a) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(a.prefix_len, 77);
	}
	assert_int_equal(ys_parse_cidr(NULL, &a), -EINVAL);
	assert_int_equal(ys_parse_cidr("1.2.3.4/8", NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_minimal_defaults),
	        cmocka_unit_test(test_optional_sections_absent),
	        cmocka_unit_test(test_full),
	        cmocka_unit_test(test_admin_metrics),
	        cmocka_unit_test(test_diag),
	        cmocka_unit_test(test_vlan_icmp),
	        cmocka_unit_test(test_cpus_spread),
	        cmocka_unit_test(test_device_kinds),
	        cmocka_unit_test(test_bad_values),
	        cmocka_unit_test(test_bad_documents),
	        cmocka_unit_test(test_err_buffer),
	        cmocka_unit_test(test_never_crash),
	        cmocka_unit_test(test_load_file),
	        cmocka_unit_test(test_parse_ipv4),
	        cmocka_unit_test(test_parse_cidr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
