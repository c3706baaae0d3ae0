"""An echo server on the selectors module (epoll on Linux): prints its port, stops on SIGTERM."""
import selectors
import signal
import socket
import sys

stop = False


def on_term(signum, frame):
    global stop
    stop = True


def main():
    signal.signal(signal.SIGTERM, on_term)
    sel = selectors.DefaultSelector()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    listener.listen(128)
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ)
    print(listener.getsockname()[1], flush=True)
    while not stop:
        for key, _ in sel.select(timeout=0.2):
            sock = key.fileobj
            if sock is listener:
                conn, _ = listener.accept()
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ)
                continue
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(sock)
                sock.close()
                continue
            sock.setblocking(True)  # the echoes are small: a blocking sendall keeps this short
            sock.sendall(data)
            sock.setblocking(False)


main()
