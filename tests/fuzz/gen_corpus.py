#!/usr/bin/env python3
# Writes the seed corpora in corpus/<target>/ (run once; the files are
# committed). Packet inputs: byte 0 options, bytes 1-4 split offsets
# (fuzz_input.h), then an Ethernet frame; checksums are valid.
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUR_MAC = bytes([2, 0, 0, 0, 0, 1])
PEER_MAC = bytes([2, 0, 0, 0, 0, 0x99])
OUR_IP = bytes([198, 18, 0, 2])
PEER_IP = bytes([198, 18, 0, 1])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, etype, payload):
    return dst + PEER_MAC + struct.pack("!H", etype) + payload


def ipv4(proto, payload, frag=0, ident=0x1234):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                    frag, 64, proto, 0, PEER_IP, OUR_IP)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def icmp_echo(data):
    h = struct.pack("!BBHHH", 8, 0, 0, 0x77, 1) + data
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def arp_request():
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, PEER_MAC,
                       PEER_IP, bytes(6), OUR_IP)


def ipv6_tcp():
    src = bytes.fromhex("20010db8000000000000000000000001")
    dst = bytes.fromhex("20010db8000000000000000000000002")
    tcp = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 5 << 4, 0x02, 65535,
                      0, 0)
    return struct.pack("!IHBB16s16s", 6 << 28, len(tcp), 6, 64, src,
                       dst) + tcp


def frames():
    echo = ipv4(1, icmp_echo(b"yastack-ping-seed"))
    big = icmp_echo(bytes(range(48)))
    return {
        "arp_request": eth(b"\xff" * 6, 0x0806, arp_request()),
        "icmp_echo": eth(OUR_MAC, 0x0800, echo),
        "udp": eth(OUR_MAC, 0x0800, ipv4(17, udp(40000, 7, b"hello"))),
        # The first of two fragments (MF, offset 0) of an echo request.
        "ipv4_frag": eth(OUR_MAC, 0x0800, ipv4(1, big[:24], frag=0x2000)),
        "ipv4_frag_last": eth(OUR_MAC, 0x0800, ipv4(1, big[24:], frag=3)),
        "ipv6_tcp": eth(OUR_MAC, 0x86DD, ipv6_tcp()),
    }


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    for i, line in enumerate([
            b'{"id":1,"cmd":"status"}',
            b'{"id":2,"cmd":"stats.get","args":{"lcore":1}}',
            b'{"cmd":"config.reload","args":{"path":"/etc/yastack.json"}}',
            b'{"id":3,"cmd":"secondary.list","args":{"verbose":true,'
            b'"names":["a","\\u00e9"]}}',
            b'{"id":"x","cmd":""}',
    ]):
        write("fuzz_ctl_request", "line%d" % i, line)
    for name, frame in frames().items():
        # As it is, then split after the Ethernet header and mid-payload.
        for tgt in ("fuzz_stack", "fuzz_dispatch"):
            # fuzz_stack: bit 0 is "ARP responder"; fuzz_dispatch: the
            # NIC hash is off.
            opt = 1 if tgt == "fuzz_stack" else 0
            write(tgt, name, bytes([opt]) + b"\0\0\0\0" + frame)
            write(tgt, name + "_chain",
                  bytes([0x80 | opt]) +
                  struct.pack("!HH", 14, len(frame) - 4) + frame)


if __name__ == "__main__":
    main()
