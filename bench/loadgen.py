"""A small open-loop HTTP load generator: GET requests at a fixed rate over keep-alive
connections, latency measured from when each request was due (so a stalled server shows in the
percentiles instead of slowing the generator down: no coordinated omission).

    python bench/loadgen.py --rate 500 --seconds 10 http://127.0.0.1:8001 paths.txt
"""

import argparse
import asyncio
import gc
import random
import time
from urllib.parse import urlsplit


class Connection:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def get(self, path):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        client = f"198.18.{random.randrange(40)}.{random.randrange(1, 251)}"  # see random_paths.lua
        request = (f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAccept: */*\r\n"
                   f"X-Forwarded-For: {client}\r\n\r\n")
        self.writer.write(request.encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = _content_length(head)
        await self.reader.readexactly(length)
        if b"connection: close" in head.lower():
            self.writer.close()
            self.writer = None
        return status


def _content_length(head):
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise ValueError("the benchmark needs responses with a Content-Length")


async def run(base_url, paths, rate, seconds, connections=64):
    """Send rate * seconds requests at a fixed pace; return (latencies in s, statuses, wall)."""
    url = urlsplit(base_url)
    idle = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(Connection(url.hostname, url.port or 80))
    latencies, statuses, tasks = [], {}, []
    total = int(rate * seconds)
    start = time.perf_counter()

    async def one(due, path):
        connection = await idle.get()
        try:
            status = await connection.get(path)
        except (OSError, asyncio.IncompleteReadError):
            connection.writer, status = None, 0
        latencies.append(time.perf_counter() - due)
        statuses[status] = statuses.get(status, 0) + 1
        idle.put_nowait(connection)

    gc.disable()  # the generator's own collection pauses would show as server latency
    for index in range(total):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due, random.choice(paths))))
    await asyncio.gather(*tasks)
    gc.enable()
    return latencies, statuses, time.perf_counter() - start


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base_url")
    parser.add_argument("paths", help="a file of request paths, one a line")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    with open(args.paths) as lines:
        paths = [line.strip() for line in lines if line.strip()]
    latencies, statuses, wall = asyncio.run(run(args.base_url, paths, args.rate, args.seconds))
    print(f"{len(latencies)} requests in {wall:.1f} s, statuses {statuses}, "
          f"p50 {percentile(latencies, .5) * 1000:.1f} ms, "
          f"p99 {percentile(latencies, .99) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
