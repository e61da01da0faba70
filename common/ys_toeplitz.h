/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Toeplitz hash of receive-side scaling, and the RETA that maps a hash
 * to a secondary. One function, one key, one byte order everywhere: the
 * dispatcher, and later the stack's choice of local port, so that replies
 * come back to the secondary that opened the connection.
 *
 * Input is the tuple in network byte order exactly as on the wire:
 * source address, destination address, then (optionally) source port and
 * destination port — the order of the Microsoft RSS specification, whose
 * verification vectors tests/unit/test_toeplitz.c checks, and the same
 * result as rte_softrss() on the host-order tuple.
 *
 * The implementation is table driven: for every input byte position a
 * 256-entry table holds the XOR of the key windows selected by that
 * byte's bits, so a 12-byte IPv4 tuple costs 12 loads and XORs.
 */
#ifndef YS_TOEPLITZ_H
#define YS_TOEPLITZ_H

#include <stddef.h>
#include <stdint.h>

#define YS_TOEPLITZ_KEY_LEN   40 /* bytes: covers IPv6 + ports */
#define YS_TOEPLITZ_MAX_INPUT 36 /* bytes: IPv6 addresses + ports */

/* The Microsoft default RSS key, used by most NICs. */
extern const uint8_t ys_toeplitz_default_key[YS_TOEPLITZ_KEY_LEN];

struct ys_toeplitz {
	uint8_t key[YS_TOEPLITZ_KEY_LEN];
	uint32_t table[YS_TOEPLITZ_MAX_INPUT][256];
};

/* Precompute the tables for `key` (YS_TOEPLITZ_KEY_LEN bytes). */
void ys_toeplitz_init(struct ys_toeplitz *t, const uint8_t *key);

/* Hash `len` (<= YS_TOEPLITZ_MAX_INPUT) bytes of network-order input. */
static inline uint32_t ys_toeplitz_hash(const struct ys_toeplitz *t,
                                        const uint8_t *in, size_t len)
{
	uint32_t h = 0;

	for (size_t i = 0; i < len; i++)
		h ^= t->table[i][in[i]];
	return h;
}

/*
 * IPv4 address pair, network byte order (ARP, ICMP echo, fragments):
 * 8 bytes of input.
 */
uint32_t ys_toeplitz_ipv4(const struct ys_toeplitz *t, uint32_t src_be,
                          uint32_t dst_be);

/* IPv4 address pair plus L4 ports, all network byte order: 12 bytes. */
uint32_t ys_toeplitz_ipv4_l4(const struct ys_toeplitz *t, uint32_t src_be,
                             uint32_t dst_be, uint16_t sport_be,
                             uint16_t dport_be);

/*
 * Fill a RETA of `size` entries (a power of two) for `n` secondaries,
 * round robin, as NICs do by default: entry i -> i % n.
 */
void ys_reta_fill(uint16_t *reta, uint32_t size, uint32_t n);

/* The secondary that owns `hash`: NICs index the RETA with the low bits. */
static inline uint16_t ys_reta_lookup(const uint16_t *reta, uint32_t size,
                                      uint32_t hash)
{
	return reta[hash & (size - 1)];
}

#endif /* YS_TOEPLITZ_H */
