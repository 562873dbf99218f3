#!/usr/bin/env python3
"""Measure how much the server's resident memory grows while it receives 10 MB uploads.

Starts the built binary on a free loopback port with a temporary store, creates an API key,
makes a 10 MB PNG of random pixels (which does not compress), and posts it from N clients at
once, several rounds. It samples the server's VmRSS from /proc every 2 ms and prints the peak
growth over the idle server, in total and per concurrent upload. Linux only.

    python3 bench/upload_memory.py --binary ./open311 --concurrent 1 4 8
"""

import argparse
import http.client
import os
import random
import socket
import struct
import subprocess
import tempfile
import threading
import time
import uuid
import zlib


def noise_png(path, size):
    """Write an RGBA PNG of random pixels with stored (uncompressed) deflate blocks."""
    side = int((size / 4) ** 0.5) + 1
    rng = random.Random(1)
    rows = b"".join(b"\x00" + rng.randbytes(side * 4) for _ in range(side))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 0))
                + chunk(b"IEND", b""))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, key, photo):
    boundary = uuid.uuid4().hex
    head = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                   for name, value in (("api_key", key), ("service_code", "176"),
                                       ("address_string", "Kauppatori"), ("description", "Memory benchmark")))
    head += f'--{boundary}\r\nContent-Disposition: form-data; name="media"; filename="noise.png"\r\n'
    head += "Content-Type: image/png\r\n\r\n"
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = len(head.encode()) + os.path.getsize(photo) + len(tail)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.putrequest("POST", "/open311/v2/requests.json")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(size))
    conn.endheaders()
    conn.send(head.encode())
    with open(photo, "rb") as f:
        while data := f.read(64 << 10):
            conn.send(data)
    conn.send(tail)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200:
        raise SystemExit(f"POST failed: {response.status} {body[:200]!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="./open311")
    parser.add_argument("--concurrent", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        photo = os.path.join(work, "noise.png")
        noise_png(photo, 10 << 20)
        db = os.path.join(work, "open311.db")
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPEN311_")}
        created = subprocess.run([args.binary, "keys", "create", "-db", db, "bench"], env=env,
                                 capture_output=True, text=True, check=True)
        key = created.stdout.split()[-1]
        port = free_port()
        server = subprocess.Popen([args.binary, "serve", "-addr", f"127.0.0.1:{port}", "-db", db,
                                   "-media", f"file:{work}/media", "-max-upload", "11MiB",
                                   "-log-level", "warn"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            post(port, key, photo)  # warm up: first allocations of the upload path
            time.sleep(0.5)
            idle = rss_kib(server.pid)
            print(f"photo {os.path.getsize(photo) / 1e6:.1f} MB, idle server RSS {idle / 1024:.1f} MiB")
            for concurrent in args.concurrent:
                peak = idle
                done = threading.Event()

                def sample():
                    nonlocal peak
                    while not done.is_set():
                        peak = max(peak, rss_kib(server.pid))
                        time.sleep(0.002)

                sampler = threading.Thread(target=sample)
                sampler.start()
                started = time.monotonic()
                for _ in range(args.rounds):
                    clients = [threading.Thread(target=post, args=(port, key, photo)) for _ in range(concurrent)]
                    for c in clients:
                        c.start()
                    for c in clients:
                        c.join()
                elapsed = time.monotonic() - started
                done.set()
                sampler.join()
                growth = (peak - idle) / 1024
                print(f"{concurrent} concurrent: peak RSS growth {growth:.1f} MiB, "
                      f"{growth / concurrent:.2f} MiB per upload, {args.rounds * concurrent / elapsed:.1f} uploads/s")
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
