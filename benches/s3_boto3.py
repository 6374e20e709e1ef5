"""boto3 against the S3 endpoint of a running `wasmfaas dev`: single-client
operations per second for 1 KiB objects and MB/s for 1 MiB ones.

    cargo run --release -- dev --s3-port 9000 &
    python benches/s3_boto3.py http://127.0.0.1:9000

Needs boto3 (tests/s3_clients/requirements.txt). Prints medians of 3 runs.

A single boto3 client is CPU-bound in Python: signing, checksums, parsing and
urllib3 cost it about a millisecond per call whatever the server does. So the
same operations also run, in the same run, against a null server (a process
that answers every request with a canned reply, with the headers S3 sends, and
stores nothing): its
figures are boto3's own ceiling on this machine, and the ratio says how much
of it the endpoint keeps.
"""

import multiprocessing
import socket
import statistics
import sys
import time

import boto3

N = 300
BIG = 1 << 20


def main(endpoint: str) -> None:
    ceiling = start_null_server()
    ours = measure(endpoint, create_bucket=True)
    null = measure(ceiling, create_bucket=False)
    print("%-14s %10s %10s %8s" % ("boto3 op", "wasmfaas", "null srv", "ratio"))
    for name, unit in [
        ("PUT 1 KiB", "ops/s"),
        ("GET 1 KiB", "ops/s"),
        ("HEAD", "ops/s"),
        ("DELETE", "ops/s"),
        ("PUT 1 MiB", "MB/s"),
        ("GET 1 MiB", "MB/s"),
    ]:
        print(
            "%-14s %10.0f %10.0f %7.0f%%   %s"
            % (name, ours[name], null[name], 100 * ours[name] / null[name], unit)
        )


def measure(endpoint: str, create_bucket: bool) -> dict:
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        region_name="us-east-1",
    )
    if create_bucket:
        try:
            s3.create_bucket(Bucket="bench")
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
    body = b"x" * 1024

    def rate(op, n=N) -> float:
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            for i in range(n):
                op(i)
            runs.append(n / (time.perf_counter() - start))
        return statistics.median(runs)

    big = b"y" * BIG
    return {
        "PUT 1 KiB": rate(lambda i: s3.put_object(Bucket="bench", Key=f"k{i}", Body=body)),
        "GET 1 KiB": rate(lambda i: s3.get_object(Bucket="bench", Key=f"k{i}")["Body"].read()),
        "HEAD": rate(lambda i: s3.head_object(Bucket="bench", Key=f"k{i}")),
        "DELETE": rate(lambda i: s3.delete_object(Bucket="bench", Key=f"k{i}")),
        "PUT 1 MiB": rate(lambda i: s3.put_object(Bucket="bench", Key="big", Body=big), 20),
        "GET 1 MiB": rate(lambda i: s3.get_object(Bucket="bench", Key="big")["Body"].read(), 20),
    }


# The null server: reads each request whole (headers, `100 Continue` when
# asked, a Content-Length body) and answers with the headers S3 sends (boto3
# spends real time parsing them: `Last-Modified` alone costs it about 0.2 ms),
# so the two columns differ only by what the servers do.
COMMON = (
    "Date: Tue, 24 Nov 2026 12:00:00 GMT\r\nx-amz-request-id: 0000000000000001\r\n"
    "x-amz-id-2: null/0000000000000001\r\nServer: null\r\n"
)
PUT_REPLY = (
    'HTTP/1.1 200 OK\r\n%sETag: "0"\r\nx-amz-checksum-crc32: 6wn4jA==\r\n'
    "Content-Length: 0\r\n\r\n" % COMMON
).encode()
DELETE_REPLY = ("HTTP/1.1 204 No Content\r\n%sContent-Length: 0\r\n\r\n" % COMMON).encode()


def get_reply(size: int, head: bool) -> bytes:
    headers = (
        'HTTP/1.1 200 OK\r\n%sETag: "0"\r\nLast-Modified: Tue, 24 Nov 2026 12:00:00 GMT\r\n'
        "Content-Type: binary/octet-stream\r\nAccept-Ranges: bytes\r\n"
        "Content-Length: %d\r\n\r\n" % (COMMON, size)
    ).encode()
    return headers if head else headers + b"y" * size


def start_null_server() -> str:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    process = multiprocessing.Process(target=serve_null, args=(listener,), daemon=True)
    process.start()
    return "http://127.0.0.1:%d" % port


def serve_null(listener: socket.socket) -> None:
    replies = {
        ("GET", False): get_reply(1024, False),
        ("GET", True): get_reply(BIG, False),
        ("HEAD", False): get_reply(1024, True),
    }
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffered = b""
        while True:
            while b"\r\n\r\n" not in buffered:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                buffered += chunk
            if b"\r\n\r\n" not in buffered:
                break
            head, buffered = buffered.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, target = lines[0].split(" ")[:2]
            fields = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
            if fields.get("expect", "").lower() == "100-continue":
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            length = int(fields.get("content-length", "0"))
            while len(buffered) < length:
                buffered += conn.recv(65536)
            buffered = buffered[length:]
            if method == "PUT":
                conn.sendall(PUT_REPLY)
            elif method == "DELETE":
                conn.sendall(DELETE_REPLY)
            else:
                conn.sendall(replies[(method, target.startswith("/bench/big"))])
        conn.close()


if __name__ == "__main__":
    main(sys.argv[1])
