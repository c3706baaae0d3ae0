"""Small protocol clients whose connection count and bytes sent are known exactly.

Each opens exactly `conns` connections to 127.0.0.1, keeps them all open to the end, sends a fixed
sequence of requests round-robin over them (waiting for each answer), and returns what it sent and
got, so a traced and an untraced run can be compared byte for byte."""
import random
import socket
import time

from harness import Failure


class Outcome:
    def __init__(self):
        self.conns = 0
        self.sent = 0
        self.round_trips = 0
        self.answers = []


def _connect(port, conns, timeout):
    socks = []
    for _ in range(conns):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append(s)
    return socks


def _recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise Failure(f"the server closed a connection with {n - len(buf)} bytes still due")
        buf += chunk
    return bytes(buf)


def _recv_until(s, buf, marker):
    """Reads into buf until marker is in it; returns (line up to marker, rest)."""
    while marker not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise Failure(f"the server closed a connection before {marker!r}")
        buf += chunk
    head, rest = buf.split(marker, 1)
    return head, rest


def _run(port, conns, requests, exchange, timeout=20, deadline=None):
    out = Outcome()
    socks = _connect(port, conns, timeout)
    out.conns = len(socks)
    state = [b"" for _ in socks]
    try:
        for i, req in enumerate(requests):
            if deadline is not None and time.monotonic() > deadline:
                break
            k = i % len(socks)
            socks[k].sendall(req)
            out.sent += len(req)
            answer, state[k] = exchange(socks[k], state[k], req)
            out.answers.append(answer)
            out.round_trips += 1
    finally:
        for s in socks:
            s.close()
    return out


def echo(port, conns, rounds, size, seed=1):
    """Sends rounds messages of size bytes on each connection and checks each comes back whole."""
    rng = random.Random(seed)
    reqs = [bytes(rng.getrandbits(8) for _ in range(size)) for _ in range(conns * rounds)]

    def exchange(s, rest, req):
        got = _recv_exact(s, len(req))
        if got != req:
            raise Failure(f"echo differs from what was sent ({len(req)} bytes)")
        return got, rest

    return _run(port, conns, reqs, exchange)


def http(port, conns, paths, rounds):
    """GETs every path rounds times, keep-alive; answers are (status line, body)."""
    reqs = [f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() for _ in range(rounds)
            for p in paths]

    def exchange(s, rest, req):
        head, rest = _recv_until(s, rest, b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            chunk = s.recv(65536)
            if not chunk:
                raise Failure("the server closed a connection in the middle of a body")
            rest += chunk
        return (lines[0], rest[:length]), rest[length:]

    return _run(port, conns, reqs, exchange)


def _values(n, seed):
    rng = random.Random(seed)
    return [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789")
                  for _ in range(rng.choice((1, 10, 100, 1000, 5000)))) for _ in range(n)]


def _resp(*words):
    out = b"*%d\r\n" % len(words)
    for w in words:
        out += b"$%d\r\n%s\r\n" % (len(w), w)
    return out


def redis(port, conns, keys, seed=2):
    """SET then GET of `keys` keys over RESP; answers are the raw replies."""
    vals = _values(keys, seed)
    reqs = [_resp(b"SET", b"k%d" % i, v) for i, v in enumerate(vals)]
    reqs += [_resp(b"GET", b"k%d" % i) for i in range(keys)]

    def exchange(s, rest, req):
        line, rest = _recv_until(s, rest, b"\r\n")
        if line.startswith(b"$") and line != b"$-1":
            n = int(line[1:]) + 2
            while len(rest) < n:
                chunk = s.recv(65536)
                if not chunk:
                    raise Failure("redis closed a connection in the middle of a value")
                rest += chunk
            return line + b"\r\n" + rest[:n], rest[n:]
        return line, rest

    out = _run(port, conns, reqs, exchange)
    expect = [b"+OK"] * keys + [b"$%d\r\n%s\r\n" % (len(v), v) for v in vals]
    if out.answers != expect:
        bad = next(i for i, (a, b) in enumerate(zip(out.answers, expect)) if a != b)
        raise Failure(f"redis answer {bad} is {out.answers[bad][:80]!r}, expected "
                      f"{expect[bad][:80]!r}")
    return out


def memcached(port, conns, keys, seed=3):
    """set then get of `keys` keys in memcached's text protocol; answers are the raw replies."""
    vals = _values(keys, seed)
    reqs = [b"set k%d 0 0 %d\r\n%s\r\n" % (i, len(v), v) for i, v in enumerate(vals)]
    reqs += [b"get k%d\r\n" % i for i in range(keys)]

    def exchange(s, rest, req):
        if req.startswith(b"set"):
            line, rest = _recv_until(s, rest, b"\r\n")
            return line, rest
        body, rest = _recv_until(s, rest, b"END\r\n")
        return body, rest

    out = _run(port, conns, reqs, exchange)
    expect = [b"STORED"] * keys
    expect += [b"VALUE k%d 0 %d\r\n%s\r\n" % (i, len(v), v) for i, v in enumerate(vals)]
    if out.answers != expect:
        bad = next(i for i, (a, b) in enumerate(zip(out.answers, expect)) if a != b)
        raise Failure(f"memcached answer {bad} is {out.answers[bad][:80]!r}, expected "
                      f"{expect[bad][:80]!r}")
    return out
