#!/usr/bin/env python3
"""hostile.py - listeners that misbehave, for banner tests and benchmarks.

  hostile.py [--bind ADDR] [--backlog N] [--seconds S] PORT=KIND...

KIND is what each connection gets:
  junk     terminal escapes, invalid UTF-8, NUL and all 256 byte values,
           then silence for S seconds
  trickle  one byte a second ("trickle-" over and over) for S seconds
  silent   nothing for S seconds
  greet    a plain-text IMAP-like greeting where TLS is expected, then
           silence for S seconds
Every connection is closed at the end.  Prints "ready" once every port
listens.  Used by tests/integration/t_banners.sh (loopback) and
bench/banners.sh (every address of the target namespace).
"""
import argparse
import socket
import threading
import time

JUNK = (b"\x1b[2J\x1b]0;owned\x07\xff\xfe\xc3\x28\xed\xa0\x80\"<&>,;\r\n\x00"
        + bytes(range(256)) * 2 + b"tail" * 50)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--backlog", type=int, default=64)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("ports", nargs="+", metavar="PORT=KIND")
    a = ap.parse_args()

    def junk(c):
        c.sendall(JUNK)
        time.sleep(a.seconds)

    def trickle(c):
        for i in range(a.seconds):
            c.send(b"trickle-"[i % 8:i % 8 + 1])
            time.sleep(1)

    def silent(c):
        time.sleep(a.seconds)

    def greet(c):
        c.sendall(b"* OK not TLS here\r\n")
        time.sleep(a.seconds)

    kinds = {"junk": junk, "trickle": trickle, "silent": silent,
             "greet": greet}

    def handle(fn, c):
        try:
            fn(c)
        except OSError:
            pass
        c.close()

    def serve(s, fn):
        while True:
            c, _ = s.accept()
            threading.Thread(target=handle, args=(fn, c), daemon=True).start()

    for spec in a.ports:
        port, kind = spec.split("=")
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a.bind, int(port)))
        s.listen(a.backlog)
        threading.Thread(target=serve, args=(s, kinds[kind]),
                         daemon=True).start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
