"""An echo server on select.select: accepts K clients, then echoes TOTAL bytes with all K in every call."""
import select
import socket
import sys


def main():
    k, total = int(sys.argv[1]), int(sys.argv[2])
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(k)
    print(lsock.getsockname()[1], flush=True)
    clients = [lsock.accept()[0] for _ in range(k)]
    watched = [lsock] + clients
    calls = recvs = echoed = 0
    while echoed < total:
        readable, _, _ = select.select(watched, [], [])
        calls += 1
        for c in readable:
            data = c.recv(65536)
            recvs += 1
            if not data:
                sys.exit("a client left early")
            c.sendall(data)
            echoed += len(data)
    for c in clients:
        c.close()
    print(f"select_calls {calls} recvs {recvs} echoed {echoed}", flush=True)


main()
