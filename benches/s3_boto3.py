"""boto3 against the S3 endpoint of a running `wasmfaas dev`: single-client
operations per second for 1 KiB objects and MB/s for 1 MiB ones.

    cargo run --release -- dev --s3-port 9000 &
    python benches/s3_boto3.py http://127.0.0.1:9000

Needs boto3 (tests/s3_clients/requirements.txt). Prints medians of 3 runs.
"""

import statistics
import sys
import time

import boto3

N = 300


def main(endpoint: str) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        region_name="us-east-1",
    )
    try:
        s3.create_bucket(Bucket="bench")
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    body = b"x" * 1024

    def rate(op) -> float:
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            for i in range(N):
                op(i)
            runs.append(N / (time.perf_counter() - start))
        return statistics.median(runs)

    print("PUT 1 KiB     %6.0f ops/s" % rate(lambda i: s3.put_object(Bucket="bench", Key=f"k{i}", Body=body)))
    print("GET 1 KiB     %6.0f ops/s" % rate(lambda i: s3.get_object(Bucket="bench", Key=f"k{i}")["Body"].read()))
    print("HEAD          %6.0f ops/s" % rate(lambda i: s3.head_object(Bucket="bench", Key=f"k{i}")))
    print("DELETE        %6.0f ops/s" % rate(lambda i: s3.delete_object(Bucket="bench", Key=f"k{i}")))
    big = b"y" * (1 << 20)
    start = time.perf_counter()
    for _ in range(20):
        s3.put_object(Bucket="bench", Key="big", Body=big)
    put = 20 / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(20):
        s3.get_object(Bucket="bench", Key="big")["Body"].read()
    get = 20 / (time.perf_counter() - start)
    print("1 MiB PUT %.0f MB/s, GET %.0f MB/s" % (put, get))


if __name__ == "__main__":
    main(sys.argv[1])
