"""Capture the raw HTTP requests that boto3 sends, as test fixtures.

The S3 endpoint's request router, aws-chunked decoder and SigV4 verifier are
tested (tests/s3_clients/main.rs) against what a real client puts on the wire,
not against what we believe it sends. This script points boto3 at a tiny local
recording server, makes one call per fixture, and writes each request's bytes,
exactly as received, to captured/<name>.http.

Run it again after a boto3 upgrade to see whether the wire format moved:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install -r requirements.txt
    /tmp/venv/bin/python capture.py

Credentials are the AWS documentation's example pair, so the fixtures carry
nothing secret and the Rust tests can check their signatures. Plain-HTTP and
HTTPS endpoints are both captured because botocore only sends the aws-chunked
body with a checksum trailer over TLS (botocore/httpchecksum.py: "we'll only
use trailers over TLS"); over plain HTTP it signs the payload's SHA-256 and
sends the checksum as a header instead.
"""

import datetime
import io
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import urllib.request

import boto3
import botocore
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "captured")

# The name the next request(s) are saved under; a second request under the
# same name gets a numeric suffix.
label = {"name": None, "count": 0}


def read_request(conn):
    """Read one HTTP/1.1 request; return its raw bytes, or None at EOF.

    Answers `Expect: 100-continue` the way a server must, and follows
    `Transfer-Encoding: chunked` to find the end without decoding it: the
    fixture keeps the framing the client sent.
    """
    raw = b""
    while b"\r\n\r\n" not in raw:
        data = conn.recv(65536)
        if not data:
            return None
        raw += data
    head, _, rest = raw.partition(b"\r\n\r\n")
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if headers.get(b"expect", b"").lower() == b"100-continue":
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = rest
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        # Read until the terminating zero-size chunk and its empty trailer.
        while not body.endswith(b"0\r\n\r\n") or not _chunked_complete(body):
            data = conn.recv(65536)
            if not data:
                break
            body += data
    else:
        length = int(headers.get(b"content-length", b"0"))
        while len(body) < length:
            data = conn.recv(65536)
            if not data:
                break
            body += data
    return head + b"\r\n\r\n" + body, head, body


def _chunked_complete(body):
    """Whether `body` holds a whole HTTP chunked stream (no trailers)."""
    at = 0
    while True:
        end = body.find(b"\r\n", at)
        if end < 0:
            return False
        size = int(body[at:end].split(b";")[0], 16)
        at = end + 2 + size + 2
        if size == 0:
            return at <= len(body)
        if at > len(body):
            return False


def respond(head):
    """A plausible S3 answer, just enough for boto3 to carry on."""
    line = head.split(b"\r\n")[0].decode()
    method, target, _ = line.split(" ")
    path, _, query = target.partition("?")
    headers = head.lower()
    xml = None
    if method == "POST" and "uploads" in query.split("&"):
        xml = (
            "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
            "<UploadId>example-upload-id</UploadId></InitiateMultipartUploadResult>"
        )
    elif method == "POST" and "uploadId=" in query:
        xml = (
            "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
            '<ETag>"abc-2"</ETag></CompleteMultipartUploadResult>'
        )
    elif method == "POST" and "delete" in query.split("&"):
        xml = "<DeleteResult></DeleteResult>"
    elif method == "PUT" and b"x-amz-copy-source:" in headers:
        xml = (
            '<CopyObjectResult><ETag>"abc"</ETag>'
            "<LastModified>2026-01-01T00:00:00.000Z</LastModified></CopyObjectResult>"
        )
    elif method == "GET" and path == "/":
        xml = "<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>"
    elif method == "GET" and "uploadId=" in query:
        xml = "<ListPartsResult><Bucket>b</Bucket><Key>k</Key></ListPartsResult>"
    elif method == "GET" and path.count("/") <= 1:
        xml = (
            "<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount>"
            "<IsTruncated>false</IsTruncated></ListBucketResult>"
        )
    if xml is not None:
        body = xml.encode()
        return (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
    body = b"hello" if method == "GET" else b""
    return (
        b'HTTP/1.1 200 OK\r\nETag: "5d41402abc4b2a76b9719d911017c592"\r\n'
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )


def serve(listener, tls):
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn, tls), daemon=True).start()


def handle(conn, tls):
    if tls is not None:
        try:
            conn = tls.wrap_socket(conn, server_side=True)
        except ssl.SSLError:
            return
    with conn:
        while True:
            got = read_request(conn)
            if got is None:
                return
            raw, head, _ = got
            save(raw)
            conn.sendall(respond(head))


def save(raw):
    name = label["name"]
    # Multi-megabyte part uploads are left out; smaller fixtures show the same.
    if name is None or len(raw) > 256 * 1024:
        return
    label["count"] += 1
    suffix = "" if label["count"] == 1 else f"-{label['count']}"
    with open(os.path.join(OUT, f"{name}{suffix}.http"), "wb") as f:
        f.write(raw)


def start(tls):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    threading.Thread(target=serve, args=(listener, tls), daemon=True).start()
    scheme = "https" if tls else "http"
    return f"{scheme}://127.0.0.1:{listener.getsockname()[1]}"


def tls_context(workdir):
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        verify=False,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def capture(name, call):
    label["name"], label["count"] = name, 0
    try:
        call()
    except (botocore.exceptions.BotoCoreError, boto3.exceptions.S3UploadFailedError) as error:
        # The request is on disk already; only our canned answer was too thin.
        print(f"{name}: {error}", file=sys.stderr)
    label["name"] = None


class Trickle(io.BytesIO):
    """A body that hands out at most 16 bytes per read.

    botocore makes one aws-chunked chunk per read of the body, so this gives
    a fixture with several data chunks without a megabyte of payload.
    """

    def read(self, size=-1):
        return super().read(16 if size is None or size < 0 else min(size, 16))


def capture_cli(aws, plain, tls, workdir):
    """The same for aws-cli (`AWS_CLI=/path/to/aws`, or `aws` on PATH)."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    source = os.path.join(workdir, "cli.txt")
    with open(source, "wb") as f:
        f.write(b"hello world\n" * 3)

    def run(*args):
        done = subprocess.run([aws, *args], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"aws {' '.join(args)}: {done.stderr.strip()}", file=sys.stderr)
        return done.stdout

    version = run("--version").strip()
    capture("awscli_cp_https", lambda: run(
        "--endpoint-url", tls, "--no-verify-ssl", "s3", "cp", source, "s3://bucket/cli dir/cli.txt"))
    capture("awscli_cp_http", lambda: run(
        "--endpoint-url", plain, "s3", "cp", source, "s3://bucket/cli.txt"))
    capture("awscli_ls", lambda: run("--endpoint-url", plain, "s3", "ls", "s3://bucket/cli dir/"))
    url = run("--endpoint-url", plain, "s3", "presign", "s3://bucket/cli dir/cli.txt", "--expires-in", "600").strip()
    capture("awscli_presigned_get", lambda: urllib.request.urlopen(url).read())
    print(f"captured {version}", file=sys.stderr)


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        plain, tls = client(start(None)), client(start(tls_context(workdir)))
        import urllib3

        urllib3.disable_warnings()
        body = b"hello world\n" * 3

        # Plain HTTP: signed payload, checksum in a header.
        capture("put_object_http", lambda: plain.put_object(
            Bucket="bucket", Key="dir/hello world.txt", Body=body))
        capture("put_object_http_metadata", lambda: plain.put_object(
            Bucket="bucket", Key="caf\u00e9 \u263a/a+b=c&d.txt", Body=b"x",
            ContentType="text/plain; charset=utf-8",
            Metadata={"Owner": "Ada", "note": "two words"}))
        # HTTPS: aws-chunked body with a checksum trailer, one per algorithm.
        capture("put_object_https_crc32", lambda: tls.put_object(
            Bucket="bucket", Key="hello.txt", Body=body))
        for algorithm in ("CRC32C", "CRC64NVME", "SHA1", "SHA256"):
            capture(f"put_object_https_{algorithm.lower()}", lambda a=algorithm: tls.put_object(
                Bucket="bucket", Key="hello.txt", Body=body, ChecksumAlgorithm=a))
        capture("put_object_https_empty", lambda: tls.put_object(
            Bucket="bucket", Key="empty", Body=b""))
        capture("put_object_https_chunks", lambda: tls.put_object(
            Bucket="bucket", Key="chunks.bin", Body=Trickle(body)))

        capture("create_bucket", lambda: plain.create_bucket(Bucket="bucket"))
        capture("create_bucket_eu", lambda: plain.create_bucket(
            Bucket="bucket-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}))
        capture("list_objects_v2", lambda: plain.list_objects_v2(
            Bucket="bucket", Prefix="dir/", Delimiter="/", MaxKeys=2, StartAfter="dir/a"))
        capture("get_object_range", lambda: plain.get_object(
            Bucket="bucket", Key="dir/hello world.txt", Range="bytes=0-4",
            IfNoneMatch='"abc"')["Body"].read())
        capture("copy_object", lambda: plain.copy_object(
            Bucket="bucket", Key="copy.txt",
            CopySource={"Bucket": "bucket", "Key": "caf\u00e9 \u263a/a+b=c&d.txt"},
            MetadataDirective="REPLACE", Metadata={"k": "v"}))
        capture("delete_objects", lambda: plain.delete_objects(
            Bucket="bucket", Delete={"Objects": [{"Key": "a"}, {"Key": "b&<c>"}], "Quiet": True}))

        upload = {}
        capture("create_multipart_upload", lambda: upload.update(
            tls.create_multipart_upload(Bucket="bucket", Key="mp.bin")))
        capture("upload_part", lambda: upload.update(tls.upload_part(
            Bucket="bucket", Key="mp.bin", PartNumber=1, UploadId=upload["UploadId"],
            Body=b"part one")))
        capture("complete_multipart_upload", lambda: tls.complete_multipart_upload(
            Bucket="bucket", Key="mp.bin", UploadId=upload["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": upload["ETag"],
                                        "ChecksumCRC32": "ixQTsA=="}]}))

        # What s3transfer's upload_file sends around the (unsaved) 5 MiB parts.
        big = os.path.join(workdir, "big.bin")
        with open(big, "wb") as f:
            f.write(b"\0" * (6 * 1024 * 1024))
        capture("upload_file_multipart", lambda: tls.upload_file(
            big, "bucket", "big.bin",
            Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)))

        capture("list_buckets", lambda: plain.list_buckets())
        capture("head_bucket", lambda: plain.head_bucket(Bucket="bucket"))
        capture("get_bucket_location", lambda: plain.get_bucket_location(Bucket="bucket"))
        capture("list_objects_v1", lambda: plain.list_objects(
            Bucket="bucket", Prefix="p", Marker="p/m", MaxKeys=5))
        capture("list_multipart_uploads", lambda: plain.list_multipart_uploads(Bucket="bucket"))
        capture("head_object", lambda: plain.head_object(
            Bucket="bucket", Key="a/b", IfModifiedSince=datetime.datetime(2026, 1, 2, 3, 4, 5)))
        capture("delete_object", lambda: plain.delete_object(Bucket="bucket", Key="a/b"))
        capture("delete_bucket", lambda: plain.delete_bucket(Bucket="bucket"))
        capture("list_parts", lambda: plain.list_parts(
            Bucket="bucket", Key="mp.bin", UploadId="example-upload-id"))
        capture("abort_multipart_upload", lambda: plain.abort_multipart_upload(
            Bucket="bucket", Key="mp.bin", UploadId="example-upload-id"))

        # boto3 presigns S3 URLs with SigV2 (query AWSAccessKeyId/Signature/
        # Expires) unless told otherwise; aws-cli's `s3 presign` uses SigV4.
        key = {"Bucket": "bucket", "Key": "dir/hello world.txt"}
        url = plain.generate_presigned_url("get_object", Params=key, ExpiresIn=600)
        capture("presigned_get_v2", lambda: urllib.request.urlopen(url).read())
        v4 = boto3.client(
            "s3", endpoint_url=plain.meta.endpoint_url, aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY, region_name=REGION,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
        url = v4.generate_presigned_url("get_object", Params=key, ExpiresIn=600)
        capture("presigned_get_v4", lambda: urllib.request.urlopen(url).read())
        url = v4.generate_presigned_url(
            "put_object", Params={"Bucket": "bucket", "Key": "up.txt"}, ExpiresIn=600)
        capture("presigned_put_v4", lambda: urllib.request.urlopen(
            urllib.request.Request(url, data=b"uploaded", method="PUT")).read())

        aws = os.environ.get("AWS_CLI") or shutil.which("aws")
        if aws:
            capture_cli(aws, plain.meta.endpoint_url, tls.meta.endpoint_url, workdir)

    print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}: "
          f"{len(os.listdir(OUT))} fixtures in {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
