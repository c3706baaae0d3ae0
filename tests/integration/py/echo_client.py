"""Load for the echo servers: K connections made first, then M rounds of SIZE bytes each, echoed back."""
import socket
import sys


def main():
    port, k, m, size = map(int, sys.argv[1:5])
    conns = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(k)]
    payload = b"e" * size
    for _ in range(m):
        for c in conns:
            c.sendall(payload)
        for c in conns:
            got = 0
            while got < size:
                chunk = c.recv(size - got)
                if not chunk:
                    sys.exit("server closed early")
                got += len(chunk)
    for c in conns:  # the server closes everything once it has echoed all bytes
        if c.recv(1) != b"":
            sys.exit("unexpected bytes after the echoes")
        c.close()
    print(f"client done {k * m * size}")


main()
