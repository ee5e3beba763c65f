"""Stand-in for "the internet" in the lab, plus the relay that lets ssh reach the lab.

  upstream.py serve ADDRESS PORT   answer every TCP connection with an HTTP/1.0 reply
                                   whose body is "you are <client address>\\n"
  upstream.py relay HOST PORT      copy stdin/stdout to a TCP connection (ssh ProxyCommand)

Standard library only, so it runs with /usr/bin/python3 on any machine. The server
deliberately avoids http.server.HTTPServer: its server_bind() calls socket.getfqdn(),
which hangs for the resolver timeout in a namespace with no DNS.
"""
import os
import select
import socket
import socketserver
import sys
import time


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        peer_addr, peer_port = self.client_address[:2]
        # Read the request head if there is one, but answer bare TCP clients too
        # (bash /dev/tcp, nc): NAT tests care only about the source address.
        self.request.settimeout(2)
        head = b""
        try:
            while b"\r\n\r\n" not in head and b"\n\n" not in head and len(head) < 65536:
                chunk = self.request.recv(4096)
                if not chunk:
                    break
                head += chunk
        except OSError:
            pass
        request_line = head.split(b"\n", 1)[0].strip().decode("latin-1", "replace")
        body = f"you are {peer_addr}\n".encode()
        reply = (
            b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        try:
            self.request.sendall(reply)
        except OSError:
            pass
        # One line per connection, so tests can also read what upstream saw from the log.
        print(
            f"{time.strftime('%H:%M:%S')} {peer_addr}:{peer_port} {request_line!r}",
            flush=True,
        )


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve(address, port):
    with Server((address, int(port)), Handler) as server:
        print(f"listening on {address}:{port}", flush=True)
        server.serve_forever()


def relay(host, port):
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.settimeout(None)
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    inputs = [stdin, sock]
    while True:
        readable = select.select(inputs, [], [])[0]
        if stdin in readable:
            data = os.read(stdin, 65536)
            if data:
                sock.sendall(data)
            else:
                # ssh closed our stdin: pass the EOF on, keep reading the reply.
                sock.shutdown(socket.SHUT_WR)
                inputs.remove(stdin)
        if sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            while data:
                data = data[os.write(stdout, data):]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "relay":
        relay(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
