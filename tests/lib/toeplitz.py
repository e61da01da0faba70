"""Toeplitz hash and RETA, written independently of the C code, so tests
can predict which secondary owns a flow (the Microsoft RSS key)."""
import ipaddress
import struct

MS_KEY = bytes.fromhex(
    "6d5a56da255b0ec24167253d43a38fb0d0ca2bcb"
    "ae7b30b477cb2da38030f20c6a42b73bbeac01fa")


def toeplitz(data: bytes, key: bytes = MS_KEY) -> int:
    k = int.from_bytes(key, "big")
    klen = len(key) * 8
    h = 0
    for i, byte in enumerate(data):
        for j in range(8):
            if byte & (0x80 >> j):
                shift = klen - 32 - (i * 8 + j)
                h ^= (k >> shift) & 0xFFFFFFFF
    return h


def ipv4_pair(src: str, dst: str) -> bytes:
    return (ipaddress.IPv4Address(src).packed +
            ipaddress.IPv4Address(dst).packed)


def ipv4_l4(src: str, dst: str, sport: int, dport: int) -> bytes:
    return ipv4_pair(src, dst) + struct.pack("!HH", sport, dport)


def owner(h: int, n_secondaries: int, reta_size: int = 128) -> int:
    """Default RETA: entry i -> i % n; indexed by the hash's low bits."""
    return (h & (reta_size - 1)) % n_secondaries


if __name__ == "__main__":
    # Microsoft RSS verification vector.
    assert toeplitz(ipv4_l4("66.9.149.187", "161.142.100.80", 2794,
                            1766)) == 0x51ccc178
    assert toeplitz(ipv4_pair("66.9.149.187", "161.142.100.80")) == 0x323e8fc2
    print("ok")
