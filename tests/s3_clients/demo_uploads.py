"""The demo project's S3 chain with real clients: boto3 and aws-cli upload
into bucket `uploads` of a running `wasmfaas dev`, and the demo `uploads`
function, invoked with the S3 event, writes a summary of each into
`summaries`. Run by tests/demo_clients.rs with WASMFAAS_S3_ENDPOINT set.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import boto3

ENDPOINT = os.environ["WASMFAAS_S3_ENDPOINT"]
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo", "AWS_DEFAULT_REGION": "us-east-1"}


def wait_for_summary(s3, key: str) -> dict:
    """The summary the trigger writes, once it is there (at most 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            reply = s3.get_object(Bucket="summaries", Key=key + ".json")
            return {"content_type": reply["ContentType"], "summary": json.loads(reply["Body"].read())}
        except s3.exceptions.NoSuchKey:
            if time.monotonic() > deadline:
                raise AssertionError("no summary of %r after 30 s" % key)
            time.sleep(0.05)


class DemoUploads(unittest.TestCase):
    def setUp(self):
        self.s3 = boto3.client(
            "s3",
            endpoint_url=ENDPOINT,
            aws_access_key_id="demo",
            aws_secret_access_key="demo",
            region_name="us-east-1",
        )

    def test_a_boto3_upload_is_summarised_by_the_triggered_function(self):
        # A key that the event must URL-encode: the function decodes it back.
        key = "photos/cat & dog 1.txt"
        put = self.s3.put_object(Bucket="uploads", Key=key, Body=b"meow" * 100, ContentType="text/plain")
        got = wait_for_summary(self.s3, key)
        self.assertEqual(got["content_type"], "application/json")
        self.assertEqual(
            got["summary"],
            {
                "key": key,
                "size": 400,
                "content_type": "text/plain",
                "etag": put["ETag"],
                "event": "ObjectCreated:Put",
            },
        )

    def test_an_aws_cli_copy_is_summarised_and_listed(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "notes.md")
            with open(path, "wb") as file:
                file.write(b"# notes\n" * 64)
            env = dict(os.environ, **CREDENTIALS)
            cli = [sys.executable, "-m", "awscli", "--endpoint-url", ENDPOINT, "s3"]
            copied = subprocess.run(cli + ["cp", path, "s3://uploads/docs/notes.md"], env=env, capture_output=True, text=True)
            self.assertEqual(copied.returncode, 0, copied.stderr)
            self.assertIn("upload: ", copied.stdout)
            got = wait_for_summary(self.s3, "docs/notes.md")
            self.assertEqual(got["summary"]["size"], 512)
            self.assertEqual(got["summary"]["content_type"], "text/markdown")
            listed = subprocess.run(cli + ["ls", "s3://summaries/docs/"], env=env, capture_output=True, text=True)
            self.assertEqual(listed.returncode, 0, listed.stderr)
            self.assertIn("notes.md.json", listed.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
