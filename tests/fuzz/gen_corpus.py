#!/usr/bin/env python3
# Writes the seed corpora in corpus/<target>/ (run once; the files are
# committed). Packet inputs: byte 0 options, bytes 1-4 split offsets
# (fuzz_input.h), then an Ethernet frame; checksums are valid.
# fuzz_ctl_dispatch inputs: one event per line (fuzz_ctl_dispatch.c).
import json
import os
import re
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
    data = data.replace(str(CONTRACT).encode(), b"$C")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def req(i, cmd, args=None):
    o = {"id": i, "cmd": cmd}
    if args is not None:
        o["args"] = args
    return json.dumps(o, separators=(",", ":"))


def answer(body):
    """Secondary 0 answers its oldest request: 'r' + the rest after id."""
    return "r" + json.dumps(body, separators=(",", ":"))[1:]


# The harness replaces these by the tree's contract and build versions,
# so that the seeds survive a version bump (fuzz_ctl_dispatch.c).
CONTRACT = 999999001
VERSION = "$V"


def register_args(**kw):
    a = {"id": 1, "pid": 1, "lcore": 2, "contract": CONTRACT,
         "version": VERSION}
    a.update(kw)
    return a


def ctl_dispatch_seeds():
    """One conversation per command of docs/control.md. Lines: operator
    requests; 's' secondary 0 sends; 'a'/'r' it answers its oldest
    forwarded request; 't' deadlines pass; 'k' it exits/restarts; 'z' its
    process dies unseen; 'x' the operator reconnects; $D the directory of
    the harness's config files."""
    ok_entries = {"ok": True, "result": {"entries": [
        {"ip": "198.18.0.1", "mac": "02:00:00:00:00:99", "port": "p0",
         "state": "reachable", "age_ms": 12, "queued": 0},
        {"ip": "198.18.0.9", "mac": None, "port": "p0",
         "state": "incomplete", "age_ms": 3, "queued": 2}]}}
    routes = {"ok": True, "result": {"routes": [
        {"prefix": "198.18.0.0/24", "via": None, "port": "p0",
         "src": "198.18.0.2", "source": "connected"},
        {"prefix": "0.0.0.0/0", "via": "198.18.0.1", "port": "p0",
         "src": "198.18.0.2", "source": "default"}]}}
    refused = {"ok": False, "error": {"code": "invalid_argument",
                                      "message": "state must be one of"}}
    return {
        "status": [req(1, "status"), req(2, "status", {"x": [1, {}]})],
        "ports": [req(1, "ports"), '{"cmd":"ports","args":{}}'],
        "secondaries": [
            req(1, "secondaries"), req(2, "secondaries", {"secondary": 1}),
            req(3, "secondaries", {"secondary": 2}),
            req(4, "secondaries", {"secondary": "0"})],
        "stats": [
            req(1, "stats"), req(2, "stats", {"secondary": 0}),
            req(3, "stats", {"secondary": -1})],
        "stats_reset": [
            req(1, "stats.reset"), req(2, "stats.reset", {"secondary": 1}),
            req(3, "stats"), req(4, "stats.reset", {"secondary": 9.5})],
        "arp": [
            req(1, "arp"), answer(ok_entries),
            req(2, "arp", {"secondary": 0, "timeout_ms": 5}), "t",
            req(3, "arp", {"secondary": 1}), req(4, "arp", {"secondary": 2}),
            req(5, "arp", {"timeout_ms": 0}), req(6, "arp"), "a", "a"],
        "routes": [
            req(1, "routes", {"secondary": 0}), answer(routes),
            req(2, "routes", {"timeout_ms": 60001}),
            req(3, "routes"), "t", "a"],
        "conns": [
            req(1, "conns", {"state": "established", "local": "198.18.0.2:80",
                             "remote": "198.18.0.1:40000", "limit": 10}),
            answer({"ok": True, "result": {"total": 0, "connections": []}}),
            req(2, "conns", {"state": 7}), answer(refused),
            req(3, "conns", {"secondary": 0}),
            's{"id":1,"ok":true,"result":{"total":1}}', "t"],
        "config_show": [req(1, "config.show"),
                        req(2, "config.show", {"file": "x"})],
        "config_validate": [
            req(1, "config.validate", {"file": "$D/running.json"}),
            req(2, "config.validate", {"file": "$D/both.json"}),
            req(3, "config.validate", {"file": "$D/syntax.json"}),
            req(4, "config.validate", {"file": "$D/unknown_port.json"}),
            req(5, "config.validate", {"file": "$D/notfit.json"}),
            req(6, "config.validate", {"file": "$D"}),
            req(7, "config.validate", {"file": "$D/missing.json"}),
            req(8, "config.validate", {"file": "relative.json"}),
            req(9, "config.validate")],
        "config_reload": [
            req(1, "config.reload"),
            req(2, "config.reload", {"file": "$D/restart.json"}),
            req(3, "config.reload", {"file": "$D/live.json"}), "a", "a",
            req(4, "config.show"),
            req(5, "config.reload", {"file": "$D/running.json",
                                     "timeout_ms": 100}), "a", "t",
            req(6, "config.reload", {"file": "$D/both.json"}), "a",
            answer({"ok": False, "error": {"code": "invalid_argument",
                                           "message": "no such port"}}),
            "a",
            req(7, "config.reload", {"file": "$D/notfit.json"}),
            req(8, "config.reload", {"file": "$D/syntax.json"}),
            req(9, "config.reload", {"file": 7})],
        "config_reload_busy": [
            req(1, "config.reload", {"file": "$D/live.json"}),
            "s" + req(2, "config.reload", {"file": "$D/live.json"}),
            "t", "t"],
        "log_level": [
            req(1, "log.level"),
            answer({"ok": True, "result": {"level": "info"}}),
            req(2, "log.level", {"level": "warn", "secondary": 0}), "a",
            req(3, "log.level", {"level": "loud"}),
            req(4, "log.level", {"level": "err"}), "t"],
        "drain": [
            req(1, "drain", {"deadline_ms": 0}),
            answer({"ok": True, "result": {"state": "draining",
                                           "connections": 0,
                                           "deadline_ms": 0}}),
            req(2, "secondaries"), req(3, "arp"), "t",
            req(4, "drain", {"deadline_ms": 3600001}),
            req(5, "drain", {"secondary": 1}), "k", req(6, "status")],
        "shutdown": [req(1, "shutdown"), "a", req(2, "status"),
                     req(3, "shutdown", {"secondary": 0}), "t"],
        "register": [
            req(1, "secondary.register", register_args()),
            req(2, "status"), req(3, "arp"), "a",
            '{"id":2,"ok":true,"result":{}}',
            req(4, "secondary.register", register_args(id=0, lcore=1)),
            req(5, "secondary.register", register_args(lcore=3)),
            req(6, "secondary.register", register_args(version="0")),
            req(7, "secondary.register", register_args(contract=0)),
            req(8, "secondary.register", register_args(id=2, lcore=3)),
            req(9, "secondary.register", register_args(pid="1"))],
        "secondary_dies": [
            req(1, "arp"), "k", req(2, "arp"), "k", req(3, "arp"), "a",
            req(4, "secondaries")],
        "secondary_replaced": [
            "z", req(1, "secondary.register", register_args(id=0, lcore=1)),
            req(2, "arp"), "s" + req(3, "status"), "k", "k", req(4, "arp")],
        "secondary_requests": [
            "s" + req(1, "arp"), "s" + req(2, "status"), "a",
            's{"id":99,"ok":true}', "s" + req(3, "secondary.register",
                                            register_args(id=0, lcore=1))],
        "operator_leaves": [req(1, "arp"), "x", "a", req(2, "status"),
                            req(3, "config.reload",
                                {"file": "$D/live.json"}), "x", "a", "a"],
        # Findings kept as seeds (tests/fuzz/README.md).
        "finding_prepare_no_code": [
            req(1, "config.reload", {"file": "$D/live.json"}),
            answer({"ok": False, "error": {"message": "x"}}), "t"],
        "finding_prepare_cut_utf8": [
            req(1, "config.reload", {"file": "$D/live.json"}),
            answer({"ok": False, "error": {"code": "invalid_argument",
                                           "message": "a" + "\u00e9" * 300}}),
            "a"],
        "finding_register_twice": [
            "z", req(1, "secondary.register", register_args(id=0, lcore=1)),
            "s" + req(2, "secondary.register", register_args()),
            req(3, "status")],
        "malformed": [
            "", "{", "[1]", '{"id":"1","cmd":"status"}', '{"cmd":""}',
            '{"id":1,"cmd":"status","args":[]}', '{"id":1,"id":2,"cmd":"x"}',
            req(2, "no.such.command"), 'o{"id":3,"cmd":"ports"}',
            's{"ok":1}', "r}", 'r"ok":"yes"}', "a"],
    }


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
    for name, lines in ctl_dispatch_seeds().items():
        write("fuzz_ctl_dispatch", name,
              "".join(line + "\n" for line in lines).encode())
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
