#!/usr/bin/env python3
"""ysctl against a fake primary: every command's printer, its --json
output, the args it sends and its exit code.

The fake speaks the control protocol (docs/control.md, newline-delimited
JSON on a unix socket) with canned replies shaped as the contract says:
three secondaries; forwarded commands (arp, routes, conns, log.level,
drain, config.reload) answer for 0 and 2 while 1 times out; after a
drain, secondary 0 is reported dead on the third `secondaries` poll and
secondary 2 never exits. Counters in `stats` grow by fixed steps per call
on one connection, so `top`'s rates can be checked exactly against the
interval it reports.

usage: ysctl_fake.py PATH_TO_YSCTL
"""
import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading

YSCTL = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "ysctl"
N_SEC = 3
RX_STEP, TX_STEP, DROP_STEP = 500, 400, 3

PORT = {
    "name": "p0", "port_id": 0, "device": "net_af_packet0",
    "mac": "02:00:00:00:00:01", "link": "up", "tx_mode": "ring",
    "rx_packets": 1234, "rx_bytes": 98765, "tx_packets": 1200,
    "tx_bytes": 87654, "arp_fanout": 4, "dispatched": 1230,
    "drops": {"runt": 2, "rx_ring_full": 0, "secondary_dead": 2},
}


def stack(n, k):
    return {"eth_rx": 100, "eth_tx": 90, "icmp_echo_replies": 7 + k,
            "drops": {"ip_not_for_us": 3 + k + DROP_STEP * n,
                      "eth_runt": 0}}


def secondary(k, n, dead=False):
    return {"id": k, "pid": None if dead else 101 + k,
            "state": "dead" if dead else "running", "lcore": k + 1,
            "cpu": k + 2, "registrations": 1,
            "rx_packets": 1000 * (k + 1) + RX_STEP * n,
            "tx_packets": 900 * (k + 1) + TX_STEP * n,
            "tx_ring_full": 1, "tx_queue_full": 0, "tx_queue_packets": 0,
            "loops": 5000, "idle_sleeps": 10, "stack": stack(n, k)}


class Fake:
    """The primary's state, shared by connections."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.drained = {}  # id -> `secondaries` polls since the drain

    def targets(self, args):
        k = args.get("secondary")
        if k is None:
            return list(range(N_SEC))
        if not isinstance(k, int) or not 0 <= k < N_SEC:
            raise ValueError("secondary %r is out of range (0..%d)"
                             % (k, N_SEC - 1))
        return [k]

    def envelope(self, args, fn):
        ms = args.get("timeout_ms", 1000)
        out = []
        for k in self.targets(args):
            if k == 1:
                out.append({"id": 1, "ok": False, "error": {
                    "code": "timeout",
                    "message": "secondary 1 did not answer within %d ms"
                    % ms}})
            else:
                out.append({"id": k, "ok": True, "result": fn(k)})
        return out

    def dead(self, k):
        return self.drained.get(k, 0) >= 3 and k == 0


def conns_of(k, args):
    conns = [
        {"proto": "tcp", "local": "198.18.0.2:80",
         "remote": "198.18.0.1:40000", "state": "established"},
        {"proto": "tcp", "local": "198.18.0.2:80",
         "remote": "198.18.0.1:40001", "state": "time_wait"},
        {"proto": "udp", "local": "198.18.0.2:53",
         "remote": "198.18.0.9:5353", "state": "open"},
    ][:3 - k]
    for key in ("state", "local", "remote"):
        if key in args:
            conns = [c for c in conns if c[key] == args[key]]
    total = len(conns)
    return {"total": total, "connections": conns[:args.get("limit", 1000)]}


def arp_of(k):
    return {"entries": [
        {"ip": "198.18.0.1", "mac": "02:00:00:00:00:aa", "port": "p0",
         "state": "reachable", "age_ms": 1500 + k, "queued": 0},
        {"ip": "198.18.0.77", "mac": None, "port": "p0",
         "state": "incomplete", "age_ms": 20, "queued": 3}]}


def routes_of(k):
    return {"routes": [
        {"prefix": "198.18.0.0/24", "via": None, "port": "p0",
         "src": "198.18.0.2", "source": "connected"},
        {"prefix": "0.0.0.0/0", "via": "198.18.0.1", "port": "p0",
         "src": "198.18.0.2", "source": "default"}]}


CONFIG = {"eal": {"file_prefix": "ys1", "primary_cpu": 0},
          "ports": [{"name": "p0", "device": "net_af_packet0"}],
          "secondaries": {"count": 3}}


def handle(fake, conn, cmd, args):
    """The result for one request, or raises (code, message)."""
    n = conn["stats_calls"]
    if cmd == "status":
        return {"primary": {"pid": 100, "state": "running",
                            "version": "0.1.0", "uptime_s": 42,
                            "file_prefix": "ys1"},
                "mempools": [{"name": "ys_mbuf", "size": 8191,
                              "in_use": 1024, "needed": 4096}],
                "ports": [PORT],
                "secondaries": [secondary(k, 0) for k in range(N_SEC)]}
    if cmd == "ports":
        return {"ports": [PORT]}
    if cmd == "secondaries":
        out = []
        for k in fake.targets(args):
            if k in fake.drained:
                fake.drained[k] += 1
            s = secondary(k, 0, fake.dead(k))
            s["heartbeat_age_ms"] = None if fake.dead(k) else 3 + k
            out.append(s)
        return {"secondaries": out}
    if cmd == "stats":
        conn["stats_calls"] += 1
        secs = []
        for k in fake.targets(args):
            s = secondary(k, n)
            del s["pid"], s["lcore"], s["cpu"], s["registrations"]
            secs.append(s)
        return {"since_reset_s": 42, "primary": {
            "reasm_timeouts": 0, "secondaries_lost": 1},
            "ports": [{k: PORT[k] for k in (
                "name", "port_id", "rx_packets", "tx_packets", "dispatched",
                "drops")}],
            "secondaries": secs, "listeners": [], "clusters": []}
    if cmd == "stats.reset":
        t = fake.targets(args)
        return {"ports": 0 if "secondary" in args else 1, "secondaries": t}
    if cmd == "arp":
        return {"secondaries": fake.envelope(args, arp_of)}
    if cmd == "routes":
        return {"secondaries": fake.envelope(args, routes_of)}
    if cmd == "conns":
        return {"secondaries": fake.envelope(
            args, lambda k: conns_of(k, args))}
    if cmd == "config.show":
        return {"path": "/etc/yastack/ys.json", "generation": 3,
                "config": CONFIG}
    if cmd == "config.validate":
        f = args["file"]
        assert os.path.isabs(f) and os.path.exists(f), f
        if "bad" in os.path.basename(f):
            raise LookupError("config_invalid",
                              "%s:3:5: ports[0].device: unknown device" % f)
        return {"file": f, "valid": True, "changed": ["secondaries",
                                                      "admin"],
                "live": ["admin"], "restart_required": ["secondaries"]}
    if cmd == "config.reload":
        return {"file": args.get("file", "/etc/yastack/ys.json"),
                "generation": 4, "changed": ["admin"], "applied": ["admin"],
                "restart_required": [],
                "secondaries": fake.envelope(args, lambda k: {})}
    if cmd == "log.level":
        level = args.get("level", "info")
        if level not in ("err", "warn", "info", "debug"):
            raise ValueError("level must be err, warn, info or debug")
        return {"primary": level, "secondaries": fake.envelope(
            args, lambda k: {"level": level})}
    if cmd == "drain":
        d = args.get("deadline_ms", 30000)

        def drain(k):
            fake.drained.setdefault(k, 0)
            return {"state": "draining", "connections": 3 - k,
                    "deadline_ms": d}
        return {"secondaries": fake.envelope(args, drain)}
    if cmd == "shutdown":
        return {"stopping": True, "secondaries": N_SEC}
    raise LookupError("unknown_command", "unknown command '%s'" % cmd)


def make_handler(fake, silent):
    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            conn = {"stats_calls": 0}
            for line in self.rfile:
                req = json.loads(line)
                args = req.get("args", {})
                with fake.lock:
                    fake.requests.append(req)
                    if silent:
                        continue
                    try:
                        rep = {"id": req["id"], "ok": True,
                               "result": handle(fake, conn, req["cmd"],
                                                args)}
                    except ValueError as e:
                        rep = {"id": req["id"], "ok": False, "error": {
                            "code": "invalid_argument", "message": str(e)}}
                    except LookupError as e:
                        rep = {"id": req["id"], "ok": False, "error": {
                            "code": e.args[0], "message": e.args[1]}}
                self.wfile.write(json.dumps(rep).encode() + b"\n")
                self.wfile.flush()
    return Handler


class Server:
    def __init__(self, path, silent=False):
        self.fake = Fake()
        self.path = path
        socketserver.ThreadingUnixStreamServer.daemon_threads = True
        self.srv = socketserver.ThreadingUnixStreamServer(
            path, make_handler(self.fake, silent))
        threading.Thread(target=self.srv.serve_forever, args=(0.05,),
                         daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()
        os.unlink(self.path)

    def args(self, cmd):
        """The args of the last request for `cmd`."""
        reqs = [r for r in self.fake.requests if r["cmd"] == cmd]
        assert reqs, "no %s request in %s" % (cmd, self.fake.requests)
        return reqs[-1].get("args", {})


FAILS = 0


def check(cond, what):
    global FAILS
    if cond:
        print("ok: " + what)
    else:
        FAILS += 1
        print("FAIL: " + what)


def ysctl(sock, *argv, cwd=None):
    p = subprocess.run([YSCTL, "-s", sock] + list(argv), cwd=cwd,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def expect(tmp, argv, rc, out=None, err=None, args=None, silent=False):
    """Run ysctl on a fresh fake; compare exit code, stdout, stderr and
    the args of the request it sent (args = (cmd, dict))."""
    sock = os.path.join(tmp, "ys.sock")
    srv = Server(sock, silent)
    try:
        got_rc, got_out, got_err = ysctl(sock, *argv, cwd=tmp)
    finally:
        srv.close()
    srv.stderr = got_err
    name = "ysctl " + " ".join(argv)
    ok = got_rc == rc
    if out is not None:
        ok = ok and got_out == out
    if err is not None:
        ok = ok and got_err == err
    if args is not None:
        ok = ok and srv.args(args[0]) == args[1]
    check(ok, "%s -> exit %d" % (name, rc))
    if not ok:
        print("  exit %d\n  stdout:\n%s  stderr:\n%s  requests: %s" %
              (got_rc, got_out, got_err, srv.fake.requests))
    return got_out, srv


def text(s):
    """A heredoc-like block: strip the first newline."""
    return s[1:] if s.startswith("\n") else s


def check_json(tmp, argv, cmd, args, rc):
    """--json prints the result, indented, keys sorted."""
    sock = os.path.join(tmp, "ys.sock")
    srv = Server(sock)
    try:
        got_rc, out, _ = ysctl(sock, "--json", *argv, cwd=tmp)
        want = handle(Fake(), {"stats_calls": 0}, cmd, args)
    finally:
        srv.close()
    want_text = json.dumps(want, indent=2, sort_keys=True,
                           separators=(",", ": ")) + "\n"
    check(got_rc == rc and json.loads(out) == want and out == want_text,
          "ysctl --json %s -> the result, sorted, exit %d"
          % (" ".join(argv), rc))


# ---- the cases ----------------------------------------------------------

USAGE_ERRORS = [
    ([], None),
    (["frob"], "ysctl: unknown command 'frob' (see ysctl help)\n"),
    (["config"], "ysctl: config needs one of: show, validate, reload\n"),
    (["stats", "frob"],
     "ysctl: unexpected argument 'frob' (usage: ysctl stats)\n"),
    (["config", "validate"],
     "ysctl: missing argument (usage: ysctl config validate FILE)\n"),
    (["config", "validate", "no-such.json"],
     "ysctl: config file no-such.json: No such file or directory\n"),
    (["config", "reload", "no-such.json"],
     "ysctl: config file no-such.json: No such file or directory\n"),
    (["-i", "1", "status"], "ysctl: -i does not apply to status\n"),
    (["top", "-i", "0"], "ysctl: -i does not apply to top\n"),
    (["config", "show", "-i", "0"],
     "ysctl: -i does not apply to config show\n"),
    (["-i", "x", "arp"], "ysctl: -i 'x': want a secondary id >= 0\n"),
    (["-i", "-1", "arp"], "ysctl: -i '-1': want a secondary id >= 0\n"),
    (["arp", "--limit", "3"], "ysctl: --limit is not an option of arp\n"),
    (["conns", "--limit", "-1"],
     "ysctl: --limit '-1': want an integer >= 0\n"),
    (["status", "--no-wait"],
     "ysctl: --no-wait is not an option of status\n"),
    (["top", "--count", "0"], "ysctl: --count '0': want an integer >= 1\n"),
    (["--timeout", "0", "status"],
     "ysctl: --timeout '0': want seconds > 0\n"),
    (["drain", "--deadline", "soon"],
     "ysctl: --deadline 'soon': want seconds >= 0\n"),
    (["status", "-t"], "ysctl: -t needs a value\n"),
    (["--frob", "status"], "ysctl: unknown option --frob\n"),
    (["-q", "status"], "ysctl: unknown option -q\n"),
]

FAIL1 = "secondary 1: timeout: secondary 1 did not answer within 1000 ms\n"

GOLDEN = [
    (["status"], 0, """
primary  pid 100  running  version 0.1.0  uptime 42s  file prefix ys1

mempool  ys_mbuf  in use 1024 of 8191 (consumers can hold 4096)

PORT       ID LINK  TX-MODE      RX-PKTS      TX-PKTS   DISPATCHED      DROPS
p0          0 up    ring            1234         1200         1230          4

SECONDARY      PID STATE     LCORE  CPU      RX-PKTS      TX-PKTS ECHO-REPLIES      DROPS
0              101 running       1    2         1000          900            7          4
1              102 running       2    3         2000         1800            8          5
2              103 running       3    4         3000         2700            9          6
"""),
    (["ports"], 0, """
PORT  ID  DEVICE          MAC                LINK  TX-MODE  RX-PKTS  TX-PKTS  DISPATCHED  DROPS
p0     0  net_af_packet0  02:00:00:00:00:01  up    ring        1234     1200        1230      4
"""),
    (["secondaries"], 0, """
SECONDARY  PID  STATE    LCORE  CPU  REGISTRATIONS  HEARTBEAT-MS  RX-PKTS  TX-PKTS
        0  101  running      1    2              1             3     1000      900
        1  102  running      2    3              1             4     2000     1800
        2  103  running      3    4              1             5     3000     2700
"""),
    (["secondaries", "-i", "2"], 0, """
SECONDARY  PID  STATE    LCORE  CPU  REGISTRATIONS  HEARTBEAT-MS  RX-PKTS  TX-PKTS
        2  103  running      3    4              1             5     3000     2700
"""),
    (["stats"], 0, """
counters since the last reset, 42 s ago
  primary: secondaries_lost 1

PORT  ID  RX-PKTS  TX-PKTS  DISPATCHED  DROPS
p0     0     1234     1200        1230      4
  p0: runt 2
  p0: secondary_dead 2

SECONDARY  STATE    RX-PKTS  TX-PKTS  ECHO-REPLIES  DROPS
        0  running     1000      900             7      4
        1  running     2000     1800             8      5
        2  running     3000     2700             9      6
  secondary 0: ip_not_for_us 3
  secondary 0: tx_ring_full 1
  secondary 1: ip_not_for_us 4
  secondary 1: tx_ring_full 1
  secondary 2: ip_not_for_us 5
  secondary 2: tx_ring_full 1
"""),
    (["-i", "1", "stats"], 0, """
counters since the last reset, 42 s ago
  primary: secondaries_lost 1

PORT  ID  RX-PKTS  TX-PKTS  DISPATCHED  DROPS
p0     0     1234     1200        1230      4
  p0: runt 2
  p0: secondary_dead 2

SECONDARY  STATE    RX-PKTS  TX-PKTS  ECHO-REPLIES  DROPS
        1  running     2000     1800             8      5
  secondary 1: ip_not_for_us 4
  secondary 1: tx_ring_full 1
"""),
    (["stats", "reset"], 0, "reset counters: 1 port, secondaries 0, 1, 2\n"),
    (["stats", "reset", "-i", "1"], 0,
     "reset counters: 0 ports, secondary 1\n"),
    (["arp"], 1, """
SECONDARY  IP           MAC                PORT  STATE       AGE-MS  QUEUED
        0  198.18.0.1   02:00:00:00:00:aa  p0    reachable     1500       0
        0  198.18.0.77  -                  p0    incomplete      20       3
        2  198.18.0.1   02:00:00:00:00:aa  p0    reachable     1502       0
        2  198.18.0.77  -                  p0    incomplete      20       3
""" + FAIL1),
    (["arp", "-i", "2"], 0, """
SECONDARY  IP           MAC                PORT  STATE       AGE-MS  QUEUED
        2  198.18.0.1   02:00:00:00:00:aa  p0    reachable     1502       0
        2  198.18.0.77  -                  p0    incomplete      20       3
"""),
    (["routes"], 1, """
SECONDARY  PREFIX         VIA         PORT  SRC         SOURCE
        0  198.18.0.0/24  -           p0    198.18.0.2  connected
        0  0.0.0.0/0      198.18.0.1  p0    198.18.0.2  default
        2  198.18.0.0/24  -           p0    198.18.0.2  connected
        2  0.0.0.0/0      198.18.0.1  p0    198.18.0.2  default
""" + FAIL1),
    (["conns"], 1, """
SECONDARY  PROTO  LOCAL          REMOTE            STATE
        0  tcp    198.18.0.2:80  198.18.0.1:40000  established
        0  tcp    198.18.0.2:80  198.18.0.1:40001  time_wait
        0  udp    198.18.0.2:53  198.18.0.9:5353   open
        2  tcp    198.18.0.2:80  198.18.0.1:40000  established
secondary 0: 3 connections
secondary 2: 1 connection
""" + FAIL1),
    (["conns", "-i", "0", "--limit", "1"], 0, """
SECONDARY  PROTO  LOCAL          REMOTE            STATE
        0  tcp    198.18.0.2:80  198.18.0.1:40000  established
secondary 0: 3 connections (1 shown)
"""),
    (["conns", "-i", "0", "--state", "open"], 0, """
SECONDARY  PROTO  LOCAL          REMOTE           STATE
        0  udp    198.18.0.2:53  198.18.0.9:5353  open
secondary 0: 1 connection
"""),
    (["config", "show"], 0, """
# /etc/yastack/ys.json, generation 3
{
  "eal": {
    "file_prefix": "ys1",
    "primary_cpu": 0
  },
  "ports": [
    {
      "name": "p0",
      "device": "net_af_packet0"
    }
  ],
  "secondaries": {
    "count": 3
  }
}
"""),
    (["config", "validate", "ys.json"], 0, """
{tmp}/ys.json: valid
changed: secondaries, admin
live: admin
restart required: secondaries
"""),
    (["config", "reload"], 1, """
reloaded /etc/yastack/ys.json, generation 4
changed: admin
applied: admin
restart required: (none)
secondary 0: ok
secondary 2: ok
""" + FAIL1),
    (["log-level"], 1, """
PROCESS      LEVEL
primary      info
secondary 0  info
secondary 2  info
""" + FAIL1),
    (["log-level", "-i", "2", "debug"], 0, """
PROCESS      LEVEL
primary      debug
secondary 2  debug
"""),
    (["drain", "--no-wait"], 1, """
SECONDARY  STATE     CONNECTIONS  DEADLINE-MS
        0  draining            3        30000
        2  draining            1        30000
""" + FAIL1),
    (["shutdown"], 0, "primary stopping (3 secondaries)\n"),
]

# (argv, the command it sends, the args it must send)
ARGS = [
    (["arp"], "arp", {}),
    (["-t", "2", "arp"], "arp", {"timeout_ms": 1500}),
    (["arp", "--timeout", "100"], "arp", {"timeout_ms": 60000}),
    (["arp", "-t", "0.3"], "arp", {"timeout_ms": 100}),
    (["-t", "2", "status"], "status", {}),
    (["-t", "2", "stats", "-i", "1"], "stats", {"secondary": 1}),
    (["routes", "-t", "10", "-i", "0"], "routes",
     {"secondary": 0, "timeout_ms": 9500}),
    (["conns", "--state", "established", "--local", "198.18.0.2:80",
      "--remote", "198.18.0.1:40000", "--limit", "5", "-i", "0"], "conns",
     {"secondary": 0, "state": "established", "local": "198.18.0.2:80",
      "remote": "198.18.0.1:40000", "limit": 5}),
    (["config", "reload", "ys.json", "-t", "3"], "config.reload",
     {"file": "{tmp}/ys.json", "timeout_ms": 2500}),
    (["config", "reload", "sub/../ys.json"], "config.reload",
     {"file": "{tmp}/ys.json"}),
    (["config", "validate", "ys.json", "-t", "3"], "config.validate",
     {"file": "{tmp}/ys.json"}),
    (["log-level", "warn"], "log.level", {"level": "warn"}),
    (["drain", "--no-wait", "--deadline", "2.5", "-i", "2"], "drain",
     {"secondary": 2, "deadline_ms": 2500}),
    (["stats", "reset", "-i", "0"], "stats.reset", {"secondary": 0}),
    (["shutdown"], "shutdown", {}),
]

# --json: (argv, cmd and args the fake computes the result from, exit)
JSON = [
    (["status"], "status", {}, 0),
    (["ports"], "ports", {}, 0),
    (["secondaries"], "secondaries", {}, 0),
    (["stats"], "stats", {}, 0),
    (["stats", "reset", "-i", "2"], "stats.reset", {"secondary": 2}, 0),
    (["arp"], "arp", {}, 1),
    (["routes", "-i", "0"], "routes", {"secondary": 0}, 0),
    (["conns"], "conns", {}, 1),
    (["config", "show"], "config.show", {}, 0),
    (["config", "validate", "ys.json"], "config.validate",
     {"file": "{tmp}/ys.json"}, 0),
    (["config", "reload"], "config.reload", {}, 1),
    (["log-level"], "log.level", {}, 1),
    (["drain", "--no-wait", "-i", "0"], "drain", {"secondary": 0}, 0),
    (["shutdown"], "shutdown", {}, 0),
]


def subst(v, tmp):
    if isinstance(v, str):
        return v.replace("{tmp}", tmp)
    if isinstance(v, dict):
        return {k: subst(x, tmp) for k, x in v.items()}
    if isinstance(v, list):
        return [subst(x, tmp) for x in v]
    return v


def test_help(tmp):
    for argv in (["help"], ["-h"], ["--help", "status"]):
        rc, out, err = ysctl(os.path.join(tmp, "none.sock"), *argv)
        words = [" ".join(line.split()[:2]) for line in out.splitlines()
                 if line.startswith("  ") and not line.startswith("  -")]
        want = ["status", "ports", "secondaries", "stats", "stats reset",
                "arp", "routes", "conns", "config show", "config validate",
                "config reload", "log-level [LEVEL]", "drain", "shutdown",
                "top", "help"]
        check(rc == 0 and out.startswith("usage: ysctl ") and err == "" and
              all(any(w == want_w or w.startswith(want_w + " ")
                      for w in words) for want_w in want),
              "ysctl %s lists every command, exit 0" % " ".join(argv))


def test_usage(tmp):
    sock = os.path.join(tmp, "none.sock")
    for argv, err in USAGE_ERRORS:
        rc, out, got = ysctl(sock, *argv, cwd=tmp)
        ok = rc == 2 and out == "" and (err is None or got == err)
        if err is None:  # no command: the usage on stderr
            ok = ok and got.startswith("usage: ysctl ")
        check(ok, "ysctl %s -> usage error, exit 2" % " ".join(argv))
        if not ok:
            print("  exit %d stderr %r" % (rc, got))


def test_unreachable(tmp):
    sock = os.path.join(tmp, "none.sock")
    rc, _, err = ysctl(sock, "status")
    check(rc == 3 and err == "ysctl: cannot reach the primary at %s: "
          "No such file or directory\n" % sock,
          "no socket -> exit 3")
    rc, _, err = ysctl(sock, "top", "--count", "1")
    check(rc == 3, "top without a socket -> exit 3")
    expect(tmp, ["-t", "0.5", "status"], 3, out="",
           err="ysctl: no reply from %s/ys.sock within 500 ms\n" % tmp,
           silent=True)


def test_golden(tmp):
    for argv, rc, out in GOLDEN:
        expect(tmp, argv, rc, out=text(subst(out, tmp)), err="")
    expect(tmp, ["-i", "7", "arp"], 1, out="",
           err="ysctl: invalid_argument: secondary 7 is out of range "
           "(0..2)\n")
    expect(tmp, ["log-level", "loud"], 1, out="",
           err="ysctl: invalid_argument: level must be err, warn, info or "
           "debug\n", args=("log.level", {"level": "loud"}))
    expect(tmp, ["config", "validate", "bad.json"], 1, out="",
           err="ysctl: config_invalid: %s/bad.json:3:5: ports[0].device: "
           "unknown device\n" % tmp)


def test_args(tmp):
    for argv, cmd, args in ARGS:
        expect(tmp, argv, rc_of(argv), args=(cmd, subst(args, tmp)))


def rc_of(argv):
    """Forwarded commands to every secondary meet secondary 1's timeout."""
    forwarded = {"arp", "routes", "conns", "log-level", "drain", "reload"}
    return 1 if forwarded & set(argv) and "-i" not in argv else 0


def test_json(tmp):
    for argv, cmd, args, rc in JSON:
        check_json(tmp, argv, cmd, subst(args, tmp), rc)
    expect(tmp, ["--json", "arp"], 1, err=FAIL1)


def test_drain(tmp):
    out, srv = expect(tmp, ["drain", "-i", "0"], 0, err="")
    lines = out.splitlines()
    polls = [r for r in srv.fake.requests if r["cmd"] == "secondaries"]
    check(lines[:3] == [
        "SECONDARY  STATE     CONNECTIONS  DEADLINE-MS",
        "        0  draining            3        30000",
        "waiting up to 35000 ms for 1 secondary to exit"] and
        len(lines) == 4 and lines[3].startswith("secondary 0: exited after ")
        and len(polls) == 3 and
        all(p.get("args") == {"secondary": 0} for p in polls),
        "drain -i 0 polls secondaries until 0 is dead")
    # Secondary 2 never exits: 5 s past a deadline of 0 it is named.
    out, srv = expect(tmp, ["drain", "--deadline", "0"], 1)
    check(out.startswith(text("""
SECONDARY  STATE     CONNECTIONS  DEADLINE-MS
        0  draining            3            0
        2  draining            1            0
""") + FAIL1 + "waiting up to 5000 ms for 2 secondaries to exit\n"
                         "secondary 0: exited after "),
          "drain --deadline 0 prints the table, the failure, the wait")
    check(srv.stderr.startswith("ysctl: still running secondary 2 after "),
          "drain names the secondary still running 5 s past the deadline")
    check(srv.args("drain") == {"deadline_ms": 0},
          "drain --deadline 0 sends deadline_ms 0")


def round_half_up(x):
    return int(x + 0.5)


def test_top_json(tmp):
    out, _ = expect(tmp, ["top", "--count", "3", "--json"], 0, err="")
    frames = [json.loads(line) for line in out.splitlines()]
    ok = len(frames) == 3 and all(
        line == json.dumps(f, sort_keys=True, separators=(",", ":"))
        for line, f in zip(out.splitlines(), frames))
    first = frames[0]
    ok = ok and first["refresh"] == 1 and first["interval_ms"] is None
    ok = ok and [s["connections"] for s in first["secondaries"]] == \
        [3, None, 1]
    ok = ok and all(s[k] is None for s in first["secondaries"]
                    for k in ("rx_pps", "tx_pps", "drops_ps"))
    for n, f in enumerate(frames[1:], 2):
        ms = f["interval_ms"]
        ok = ok and f["refresh"] == n and isinstance(ms, int) and ms > 0
        for s in f["secondaries"]:
            ok = ok and s["state"] == "running" and \
                s["rx_pps"] == round_half_up(RX_STEP * 1000 / ms) and \
                s["tx_pps"] == round_half_up(TX_STEP * 1000 / ms) and \
                s["drops_ps"] == round_half_up(DROP_STEP * 1000 / ms)
        ok = ok and [s["connections"] for s in f["secondaries"]] == \
            [3, None, 1]
    check(ok, "top --count 3 --json: rates = counter steps / interval")
    if not ok:
        print(out)


def test_top_text(tmp):
    out, srv = expect(tmp, ["top", "--count", "2"], 0, err="")
    blocks = out.split("\n\n")
    check(len(blocks) == 2 and blocks[0] == text("""
ysctl top: refresh 1, interval -
SECONDARY  STATE    RX-PPS  TX-PPS  DROPS/S  CONNECTIONS
        0  running       -       -        -            3
        1  running       -       -        -            -
        2  running       -       -        -            1""") and
          blocks[1].startswith("ysctl top: refresh 2, interval ") and
          "\033" not in out,
          "top --count 2: first refresh without rates, no ANSI off a tty")
    check([r.get("args") for r in srv.fake.requests] ==
          [None, {"limit": 0}, None, {"limit": 0}],
          "top asks stats and conns (limit 0) per refresh")


def test_top_sigint(tmp):
    sock = os.path.join(tmp, "ys.sock")
    srv = Server(sock)
    try:
        p = subprocess.Popen([YSCTL, "-s", sock, "top"],
                             stdout=subprocess.PIPE, text=True)
        first = p.stdout.readline()
        p.send_signal(signal.SIGINT)
        p.stdout.read()
        rc = p.wait(timeout=30)
    finally:
        srv.close()
    check(first.startswith("ysctl top: refresh 1") and rc == 0,
          "top ends on SIGINT with exit 0")


def main():
    with tempfile.TemporaryDirectory(prefix="ysctl-fake.") as tmp:
        for name in ("ys.json", "bad.json"):
            with open(os.path.join(tmp, name), "w") as f:
                f.write("{}\n")
        os.mkdir(os.path.join(tmp, "sub"))
        test_help(tmp)
        test_usage(tmp)
        test_unreachable(tmp)
        test_golden(tmp)
        test_args(tmp)
        test_json(tmp)
        test_top_json(tmp)
        test_top_text(tmp)
        test_top_sigint(tmp)
        test_drain(tmp)
    print("%d failed" % FAILS)
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
