"""A stand-in for the internet in a sandbox: a web server and a DNS server in one process.

  python3 fake_internet.py WEB_ADDRESS DNS_ADDRESS

TCP WEB_ADDRESS:80 answers every connection with HTTP/1.0 200 and the body
"you are <client address>", so a test sees whether its traffic was masqueraded.
UDP DNS_ADDRESS:53 answers every A query with WEB_ADDRESS and every other query with no
record, so any name resolves to the web server. Standard library only; the playbooks
pass this file to "python3 -c" so that it needs no copy on the managed host. It avoids
http.server, whose server_bind() waits for a DNS lookup of its own address.
"""
import socket
import struct
import sys
import threading

QTYPE_A = 1
QCLASS_IN = 1
TTL = 60


def read_request(conn):
    """Read the request head, if the client sends one; bare TCP clients get an answer too.

    Answering before the whole head has arrived would close a socket with unread data,
    which the kernel turns into a reset that the client sees instead of the answer.
    """
    conn.settimeout(1)
    head = b""
    try:
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            head += chunk
    except OSError:
        pass


def web(address):
    listener = socket.create_server((address, 80))
    while True:
        conn, (peer, _port) = listener.accept()
        with conn:
            read_request(conn)
            body = f"you are {peer}\n".encode()
            head = f"HTTP/1.0 200 OK\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            try:
                conn.sendall(head.encode() + body)
            except OSError:
                pass


def dns_answer(query, answer_address):
    ident, flags = struct.unpack("!HH", query[:4])
    end = 12
    while query[end]:
        end += query[end] + 1
    question_end = end + 5
    qtype, qclass = struct.unpack("!HH", query[end + 1:question_end])
    records = b""
    if qtype == QTYPE_A and qclass == QCLASS_IN:
        # 0xc00c points back at the name in the question.
        records = b"\xc0\x0c" + struct.pack("!HHIH", QTYPE_A, QCLASS_IN, TTL, 4) + socket.inet_aton(answer_address)
    response_flags = 0x8080 | (flags & 0x0100)  # response, recursion available, RD copied
    header = struct.pack("!HHHHHH", ident, response_flags, 1, 1 if records else 0, 0, 0)
    return header + query[12:question_end] + records


def dns(address, answer_address):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 53))
    while True:
        query, client = sock.recvfrom(512)
        try:
            sock.sendto(dns_answer(query, answer_address), client)
        except (IndexError, struct.error):
            continue  # not a query we can parse: no answer, as a resolver would time out on garbage


def main():
    web_address, dns_address = sys.argv[1:3]
    threading.Thread(target=dns, args=(dns_address, web_address), daemon=True).start()
    web(web_address)


if __name__ == "__main__":
    main()
