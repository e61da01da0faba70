/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "ys_toeplitz.h"

const uint8_t ys_toeplitz_default_key[YS_TOEPLITZ_KEY_LEN] = {
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
        0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
        0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
        0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* The 32 key bits starting at bit `bit` (bit 0 = MSB of key[0]). */
static uint32_t key_window(const uint8_t *key, unsigned bit)
{
	uint32_t w = 0;

	for (unsigned i = 0; i < 32; i++) {
		unsigned b = bit + i;
		unsigned set = (key[b / 8] >> (7 - b % 8)) & 1;

		w = (w << 1) | set;
	}
	return w;
}

void ys_toeplitz_init(struct ys_toeplitz *t, const uint8_t *key)
{
	memcpy(t->key, key, YS_TOEPLITZ_KEY_LEN);
	for (unsigned pos = 0; pos < YS_TOEPLITZ_MAX_INPUT; pos++) {
		uint32_t win[8];

		/* Input bit j of byte pos (MSB first) selects window 8*pos+j.
		 */
		for (unsigned j = 0; j < 8; j++)
			win[j] = key_window(key, pos * 8 + j);
		for (unsigned v = 0; v < 256; v++) {
			uint32_t h = 0;

			for (unsigned j = 0; j < 8; j++)
				if (v & (0x80u >> j))
					h ^= win[j];
			t->table[pos][v] = h;
		}
	}
}

uint32_t ys_toeplitz_ipv4(const struct ys_toeplitz *t, uint32_t src_be,
                          uint32_t dst_be)
{
	uint8_t in[8];

	memcpy(in, &src_be, 4);
	memcpy(in + 4, &dst_be, 4);
	return ys_toeplitz_hash(t, in, sizeof(in));
}

uint32_t ys_toeplitz_ipv4_l4(const struct ys_toeplitz *t, uint32_t src_be,
                             uint32_t dst_be, uint16_t sport_be,
                             uint16_t dport_be)
{
	uint8_t in[12];

	memcpy(in, &src_be, 4);
	memcpy(in + 4, &dst_be, 4);
	memcpy(in + 8, &sport_be, 2);
	memcpy(in + 10, &dport_be, 2);
	return ys_toeplitz_hash(t, in, sizeof(in));
}

void ys_reta_fill(uint16_t *reta, uint32_t size, uint32_t n)
{
	for (uint32_t i = 0; i < size; i++)
		reta[i] = (uint16_t)(i % n);
}
