# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A TCP server that answers each connection with the peer address it sees, and its client.

    peer.py serve ADDRESS PORT              (run in the background inside a namespace)
    peer.py ask ADDRESS PORT [TIMEOUT]      prints the answer, exit 1 if there is none

No name lookups anywhere: in a namespace without DNS they hang (http.server's getfqdn).
"""
import socket
import sys
import time


def serve(address, port):
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    server = socket.socket(family, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((address, port))
    server.listen(16)
    while True:
        conn, peer = server.accept()
        try:
            conn.sendall(('%s\n' % peer[0]).encode())
        finally:
            conn.close()


def ask(address, port, timeout):
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    deadline = time.time() + timeout
    while True:
        client = socket.socket(family, socket.SOCK_STREAM)
        client.settimeout(max(deadline - time.time(), 0.1))
        try:
            client.connect((address, port))
            print(client.recv(256).decode().strip())
            return 0
        except ConnectionRefusedError:
            # the server may still be starting
            if time.time() >= deadline:
                print('refused', file=sys.stderr)
                return 1
            time.sleep(0.05)
        except OSError as exc:
            print('no answer: %s' % exc, file=sys.stderr)
            return 1
        finally:
            client.close()


if __name__ == '__main__':
    if sys.argv[1] == 'serve':
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(ask(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 2.0))
