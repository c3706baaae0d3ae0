"""An echo server on select.epoll: accepts K clients, registers them and the listener, echoes TOTAL bytes."""
import select
import socket
import sys


def main():
    k, total = int(sys.argv[1]), int(sys.argv[2])
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(k)
    print(lsock.getsockname()[1], flush=True)
    clients = {}
    for _ in range(k):
        c = lsock.accept()[0]
        clients[c.fileno()] = c
    ep = select.epoll()
    ep.register(lsock.fileno(), select.EPOLLIN)
    for fd in clients:
        ep.register(fd, select.EPOLLIN)
    calls = ready = recvs = echoed = 0
    while echoed < total:
        events = ep.poll()
        calls += 1
        ready += len(events)
        for fd, _ in events:
            data = clients[fd].recv(65536)
            recvs += 1
            if not data:
                sys.exit("a client left early")
            clients[fd].sendall(data)
            echoed += len(data)
    for c in clients.values():
        c.close()
    print(f"epoll_calls {calls} ready {ready} recvs {recvs} echoed {echoed}", flush=True)


main()
