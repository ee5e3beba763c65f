# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.netns contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""peer.py for UDP: the server answers each datagram with the address it came from.

    udp_peer.py serve ADDRESS PORT [LOG]    (in the background inside a namespace; LOG: a file where
                                            each datagram's source is written, whether the answer arrives or not)
    udp_peer.py ask ADDRESS PORT [TIMEOUT]  prints the answer, exit 1 if there is none
"""
import socket
import sys
import time


def serve(address, port, log=None):
    server = socket.socket(socket.AF_INET6 if ':' in address else socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((address, port))
    while True:
        dummy, peer = server.recvfrom(512)
        if log:
            with open(log, 'a') as handle:
                handle.write('%s\n' % peer[0])
        server.sendto(('%s\n' % peer[0]).encode(), peer)


def ask(address, port, timeout):
    client = socket.socket(socket.AF_INET6 if ':' in address else socket.AF_INET, socket.SOCK_DGRAM)
    deadline = time.time() + timeout
    while time.time() < deadline:
        client.settimeout(0.3)  # the server may still be starting: ask again
        client.sendto(b'?', (address, port))
        try:
            print(client.recvfrom(512)[0].decode().strip())
            return 0
        except (socket.timeout, OSError):
            continue
    print('no answer', file=sys.stderr)
    return 1


if __name__ == '__main__':
    if sys.argv[1] == 'serve':
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
    else:
        sys.exit(ask(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 2.0))
