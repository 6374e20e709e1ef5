"""Real-client test of wasmfaas's S3-compatible endpoint, with boto3.

Plain unittest, no pytest. The Rust test that starts the endpoint runs:

    WASMFAAS_S3_ENDPOINT=http://127.0.0.1:<port> python3 tests/s3_clients/test_boto3.py

Optional: WASMFAAS_S3_ACCESS_KEY / WASMFAAS_S3_SECRET_KEY (default: the AWS
documentation's example pair), WASMFAAS_S3_REGION (default us-east-1).

Checked against moto's server, which passes all but what moto does not
model (Quiet DeleteObjects, presigned URL expiry). The client keeps boto3's
default settings on purpose (checksums "when
supported", SigV4, path-style because the endpoint is an IP address), since
that is what users run. Every test makes its own bucket and removes it.
"""

import base64
import datetime
import hashlib
import os
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid
import zlib

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("WASMFAAS_S3_ENDPOINT")
ACCESS_KEY = os.environ.get("WASMFAAS_S3_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE")
SECRET_KEY = os.environ.get("WASMFAAS_S3_SECRET_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
REGION = os.environ.get("WASMFAAS_S3_REGION", "us-east-1")
MIB = 1024 * 1024


def client(**config):
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
    )


def error_of(call):
    """The S3 error code and HTTP status a call failed with."""
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("the call succeeded")


class S3Test(unittest.TestCase):
    def setUp(self):
        self.s3 = client()
        self.bucket = f"wasmfaas-test-{uuid.uuid4().hex[:12]}"
        self.s3.create_bucket(Bucket=self.bucket)

    def tearDown(self):
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket):
            for entry in page.get("Contents", []):
                self.s3.delete_object(Bucket=self.bucket, Key=entry["Key"])
        for upload in self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", []):
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        self.s3.delete_bucket(Bucket=self.bucket)


class Buckets(S3Test):
    def test_a_created_bucket_is_listed_and_found(self):
        names = [b["Name"] for b in self.s3.list_buckets()["Buckets"]]
        self.assertIn(self.bucket, names)
        self.s3.head_bucket(Bucket=self.bucket)
        location = self.s3.get_bucket_location(Bucket=self.bucket)["LocationConstraint"]
        self.assertIn(location, (None, "", REGION))

    def test_missing_buckets_are_no_such_bucket(self):
        missing = self.bucket + "-missing"
        self.assertEqual(error_of(lambda: self.s3.get_object(Bucket=missing, Key="k")), ("NoSuchBucket", 404))
        self.assertEqual(error_of(lambda: self.s3.list_objects_v2(Bucket=missing)), ("NoSuchBucket", 404))
        self.assertEqual(error_of(lambda: self.s3.head_bucket(Bucket=missing))[1], 404)

    def test_a_bucket_with_objects_cannot_be_deleted(self):
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"x")
        self.assertEqual(error_of(lambda: self.s3.delete_bucket(Bucket=self.bucket)), ("BucketNotEmpty", 409))

    def test_creating_an_owned_bucket_again_keeps_its_objects(self):
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"x")
        try:
            # us-east-1 answers 200 (S3's legacy behaviour), other regions
            # 409 BucketAlreadyOwnedByYou; neither may empty the bucket.
            self.s3.create_bucket(Bucket=self.bucket)
        except ClientError as error:
            self.assertEqual(error.response["Error"]["Code"], "BucketAlreadyOwnedByYou")
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="k")["Body"].read(), b"x")


class Objects(S3Test):
    def test_an_object_round_trips_with_default_checksums(self):
        body = os.urandom(100_000)
        put = self.s3.put_object(
            Bucket=self.bucket, Key="dir/data.bin", Body=body,
            ContentType="application/x-test", Metadata={"Owner": "Ada"},
        )
        self.assertEqual(put["ETag"], '"%s"' % hashlib.md5(body).hexdigest())
        got = self.s3.get_object(Bucket=self.bucket, Key="dir/data.bin")
        self.assertEqual(got["Body"].read(), body)
        self.assertEqual(got["ContentType"], "application/x-test")
        self.assertEqual(got["Metadata"], {"owner": "Ada"})
        self.assertEqual(got["ContentLength"], len(body))
        head = self.s3.head_object(Bucket=self.bucket, Key="dir/data.bin")
        self.assertEqual(head["ETag"], put["ETag"])

    def test_the_checksum_of_a_default_put_comes_back_on_get_and_head(self):
        body = os.urandom(100_000)
        put = self.s3.put_object(Bucket=self.bucket, Key="k", Body=body)
        # boto3 >= 1.36 sends a CRC32 by default; check it independently.
        crc32 = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
        self.assertEqual(put["ChecksumCRC32"], crc32)
        got = self.s3.get_object(Bucket=self.bucket, Key="k", ChecksumMode="ENABLED")
        # boto3 checks the body against the returned checksum as it reads it,
        # so a wrong stored value fails here.
        self.assertEqual(got["Body"].read(), body)
        self.assertEqual(got["ChecksumCRC32"], put["ChecksumCRC32"])
        self.assertEqual(got["ChecksumType"], "FULL_OBJECT")
        head = self.s3.head_object(Bucket=self.bucket, Key="k", ChecksumMode="ENABLED")
        self.assertEqual(head["ChecksumCRC32"], put["ChecksumCRC32"])
        self.assertEqual(head["ContentLength"], len(body))
        listed = self.s3.list_objects_v2(Bucket=self.bucket)["Contents"][0]
        self.assertEqual(listed["ChecksumAlgorithm"], ["CRC32"])
        # A ranged read has no whole-object checksum to return.
        part = self.s3.get_object(Bucket=self.bucket, Key="k", Range="bytes=0-9", ChecksumMode="ENABLED")
        self.assertEqual(part["Body"].read(), body[:10])
        self.assertNotIn("ChecksumCRC32", part)

    def test_a_sha256_checksum_is_kept_and_a_copy_keeps_it(self):
        body = b"checksummed " * 1000
        sha256 = base64.b64encode(hashlib.sha256(body).digest()).decode()
        self.s3.put_object(Bucket=self.bucket, Key="src", Body=body, ChecksumAlgorithm="SHA256")
        self.s3.copy_object(Bucket=self.bucket, Key="copy", CopySource={"Bucket": self.bucket, "Key": "src"})
        for key in ["src", "copy"]:
            got = self.s3.get_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
            self.assertEqual(got["Body"].read(), body, key)
            self.assertEqual(got["ChecksumSHA256"], sha256, key)

    def test_keys_with_spaces_unicode_and_reserved_characters_round_trip(self):
        for key in ["a b", "café ☺/x", "a+b=c&d?e#f", "semi;colon", "dir//double/", "%41", "tilde~"]:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=key.encode())
            self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read(), key.encode(), key)
        listed = {o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket)["Contents"]}
        self.assertIn("café ☺/x", listed)
        self.assertIn("a+b=c&d?e#f", listed)

    def test_ranges_and_conditions(self):
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"0123456789")
        got = self.s3.get_object(Bucket=self.bucket, Key="k", Range="bytes=2-4")
        self.assertEqual(got["Body"].read(), b"234")
        self.assertEqual(got["ContentRange"], "bytes 2-4/10")
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="k", Range="bytes=-3")["Body"].read(), b"789")
        self.assertEqual(error_of(lambda: self.s3.get_object(Bucket=self.bucket, Key="k", Range="bytes=20-")),
                         ("InvalidRange", 416))
        etag = self.s3.head_object(Bucket=self.bucket, Key="k")["ETag"]
        self.assertEqual(error_of(lambda: self.s3.get_object(Bucket=self.bucket, Key="k", IfNoneMatch=etag))[1], 304)
        self.assertEqual(error_of(lambda: self.s3.get_object(Bucket=self.bucket, Key="k", IfMatch='"nope"')),
                         ("PreconditionFailed", 412))
        future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
        self.assertEqual(error_of(lambda: self.s3.get_object(Bucket=self.bucket, Key="k", IfModifiedSince=future))[1], 304)

    def test_missing_keys_are_no_such_key(self):
        self.assertEqual(error_of(lambda: self.s3.get_object(Bucket=self.bucket, Key="nope")), ("NoSuchKey", 404))
        self.assertEqual(error_of(lambda: self.s3.head_object(Bucket=self.bucket, Key="nope"))[1], 404)
        # Deleting a missing key succeeds, as on S3.
        self.s3.delete_object(Bucket=self.bucket, Key="nope")

    def test_copy_keeps_or_replaces_metadata(self):
        self.s3.put_object(Bucket=self.bucket, Key="src ☺", Body=b"data", Metadata={"a": "1"})
        self.s3.copy_object(Bucket=self.bucket, Key="same", CopySource={"Bucket": self.bucket, "Key": "src ☺"})
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="same")["Metadata"], {"a": "1"})
        self.s3.copy_object(Bucket=self.bucket, Key="new", CopySource=f"{self.bucket}/src ☺",
                            MetadataDirective="REPLACE", Metadata={"b": "2"})
        got = self.s3.get_object(Bucket=self.bucket, Key="new")
        self.assertEqual((got["Body"].read(), got["Metadata"]), (b"data", {"b": "2"}))

    def test_delete_objects_reports_per_key(self):
        for key in ["a", "b", "c"]:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=b"x")
        result = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}]})
        self.assertEqual(sorted(d["Key"] for d in result["Deleted"]), ["a", "b"])
        quiet = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": "c"}], "Quiet": True})
        self.assertNotIn("Deleted", quiet)
        self.assertEqual(self.s3.list_objects_v2(Bucket=self.bucket)["KeyCount"], 0)


class Listing(S3Test):
    def setUp(self):
        super().setUp()
        self.keys = [f"logs/{day:02d}/entry.txt" for day in range(1, 6)] + [f"file-{i:02d}" for i in range(23)]
        for key in self.keys:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=b"x")

    def test_v2_paginates_through_every_key(self):
        pages = list(self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, PaginationConfig={"PageSize": 10}))
        self.assertEqual(len(pages), 3)
        self.assertEqual([p["KeyCount"] for p in pages], [10, 10, 8])
        keys = [o["Key"] for p in pages for o in p["Contents"]]
        self.assertEqual(keys, sorted(self.keys))

    def test_v1_paginates_through_every_key(self):
        pages = list(self.s3.get_paginator("list_objects").paginate(
            Bucket=self.bucket, PaginationConfig={"PageSize": 7}))
        keys = [o["Key"] for p in pages for o in p["Contents"]]
        self.assertEqual(keys, sorted(self.keys))

    def test_a_delimiter_rolls_keys_up_into_common_prefixes(self):
        top = self.s3.list_objects_v2(Bucket=self.bucket, Delimiter="/")
        self.assertEqual([p["Prefix"] for p in top["CommonPrefixes"]], ["logs/"])
        self.assertEqual(len(top["Contents"]), 23)
        logs = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="logs/", Delimiter="/")
        self.assertEqual([p["Prefix"] for p in logs["CommonPrefixes"]], [f"logs/{d:02d}/" for d in range(1, 6)])
        self.assertNotIn("Contents", logs)
        after = self.s3.list_objects_v2(Bucket=self.bucket, StartAfter="file-20")
        self.assertEqual(after["Contents"][0]["Key"], "file-21")


class Multipart(S3Test):
    def test_a_20_mib_file_uploads_in_parts_and_downloads_intact(self):
        data = os.urandom(20 * MIB)
        config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
        with tempfile.TemporaryDirectory() as tmp:
            source, target = os.path.join(tmp, "up.bin"), os.path.join(tmp, "down.bin")
            with open(source, "wb") as f:
                f.write(data)
            self.s3.upload_file(source, self.bucket, "big.bin", Config=config)
            head = self.s3.head_object(Bucket=self.bucket, Key="big.bin")
            self.assertEqual(head["ContentLength"], len(data))
            self.assertTrue(head["ETag"].endswith('-4"'), head["ETag"])
            self.s3.download_file(self.bucket, "big.bin", target, Config=config)
            with open(target, "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).digest(), hashlib.sha256(data).digest())

    def test_a_completed_upload_is_read_back_part_by_part(self):
        first, second = os.urandom(5 * MIB), os.urandom(1000)
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="mp")["UploadId"]
        parts = []
        for number, data in [(1, first), (2, second)]:
            etag = self.s3.upload_part(Bucket=self.bucket, Key="mp", UploadId=upload,
                                       PartNumber=number, Body=data)["ETag"]
            parts.append({"PartNumber": number, "ETag": etag})
        self.s3.complete_multipart_upload(Bucket=self.bucket, Key="mp", UploadId=upload,
                                          MultipartUpload={"Parts": parts})
        got = self.s3.get_object(Bucket=self.bucket, Key="mp", PartNumber=2)
        self.assertEqual(got["Body"].read(), second)
        self.assertEqual(got["ResponseMetadata"]["HTTPStatusCode"], 206)
        self.assertEqual(got["ContentRange"], f"bytes {len(first)}-{len(first) + 999}/{len(first) + 1000}")
        self.assertEqual(got["PartsCount"], 2)
        head = self.s3.head_object(Bucket=self.bucket, Key="mp", PartNumber=2)
        self.assertEqual((head["ContentLength"], head["PartsCount"]), (1000, 2))
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="mp", PartNumber=1)["Body"].read(), first)
        self.assertEqual(error_of(lambda: self.s3.get_object(Bucket=self.bucket, Key="mp", PartNumber=3)),
                         ("InvalidPartNumber", 416))
        # An object put whole is its own part 1, with no parts count.
        self.s3.put_object(Bucket=self.bucket, Key="whole", Body=b"0123456789")
        whole = self.s3.head_object(Bucket=self.bucket, Key="whole", PartNumber=1)
        self.assertEqual((whole["ContentLength"], whole.get("PartsCount")), (10, None))

    def test_parts_are_listed_and_an_aborted_upload_is_gone(self):
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="mp")["UploadId"]
        self.s3.upload_part(Bucket=self.bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"a" * (5 * MIB))
        self.s3.upload_part(Bucket=self.bucket, Key="mp", UploadId=upload, PartNumber=2, Body=b"tail")
        parts = self.s3.list_parts(Bucket=self.bucket, Key="mp", UploadId=upload)["Parts"]
        self.assertEqual([(p["PartNumber"], p["Size"]) for p in parts], [(1, 5 * MIB), (2, 4)])
        uploads = self.s3.list_multipart_uploads(Bucket=self.bucket)["Uploads"]
        self.assertEqual([u["UploadId"] for u in uploads], [upload])
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key="mp", UploadId=upload)
        self.assertEqual(error_of(lambda: self.s3.list_parts(Bucket=self.bucket, Key="mp", UploadId=upload)),
                         ("NoSuchUpload", 404))


class Presigned(S3Test):
    def fetch(self, url):
        with urllib.request.urlopen(url) as response:
            return response.read()

    def test_presigned_gets_work_with_boto3s_default_and_with_sigv4(self):
        self.s3.put_object(Bucket=self.bucket, Key="shared file.txt", Body=b"shared")
        params = {"Bucket": self.bucket, "Key": "shared file.txt"}
        self.assertEqual(self.fetch(self.s3.generate_presigned_url("get_object", Params=params)), b"shared")
        v4 = client(signature_version="s3v4")
        self.assertEqual(self.fetch(v4.generate_presigned_url("get_object", Params=params)), b"shared")

    def test_an_expired_presigned_url_is_refused(self):
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"x")
        url = client(signature_version="s3v4").generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "k"}, ExpiresIn=1)
        time.sleep(2)
        with self.assertRaises(urllib.error.HTTPError) as refused:
            self.fetch(url)
        self.assertEqual(refused.exception.code, 403)


if __name__ == "__main__":
    if not ENDPOINT:
        sys.exit("set WASMFAAS_S3_ENDPOINT to the endpoint's URL, e.g. http://127.0.0.1:9000")
    unittest.main(verbosity=2)
