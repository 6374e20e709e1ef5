//! The additional checksums S3 keeps with an object (CRC32, CRC32C,
//! CRC64NVME, SHA1, SHA256): the algorithms, their computation and the value
//! stored beside an object's bytes.
//!
//! Values are base64 of the big-endian digest, the form clients send and
//! receive, so a stored value is returned as it is. How a value travels
//! (headers, trailers, XML, S3's error codes) is the wire protocol's
//! business, added on top of these types where the protocol is spoken.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use crc::{CRC_32_ISCSI, CRC_32_ISO_HDLC, CRC_64_NVME, Crc, Digest as CrcDigest, Table};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};

// Slice-by-16 tables: several GB/s without SIMD, which is plenty for a local
// endpoint, from the one crate that has all three polynomials.
static CRC32: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&CRC_32_ISO_HDLC);
static CRC32C: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&CRC_32_ISCSI);
static CRC64NVME: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_NVME);

/// A checksum algorithm S3 knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl ChecksumAlgorithm {
    /// Every algorithm, in the order S3 documents them.
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// The algorithm's name as S3 spells it (`CRC32`), also the name stored
    /// with an object.
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }

    /// The algorithm named `name` (`CRC32`, any case).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// How many bytes a digest of this algorithm has.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Crc64Nvme => 8,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }
}

/// A checksum value as clients send and receive it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    pub algorithm: ChecksumAlgorithm,
    /// Base64 of the digest, as in the header.
    pub value: String,
}

impl Checksum {
    /// The checksum of `data`.
    pub fn of(algorithm: ChecksumAlgorithm, data: &[u8]) -> Self {
        let mut hasher = Hasher::new(algorithm);
        hasher.update(data);
        hasher.finish()
    }

    /// Whether `computed` (of the received bytes) is this same checksum.
    pub fn matches(&self, computed: &Checksum) -> bool {
        // Compare digests, not text: base64 has more than one spelling
        // (padding bits) of the same bytes.
        let digest = |c: &Checksum| BASE64.decode(&c.value).ok();
        self.algorithm == computed.algorithm
            && digest(self).is_some()
            && digest(self) == digest(computed)
    }
}

/// An incremental checksum computation.
pub struct Hasher {
    algorithm: ChecksumAlgorithm,
    state: State,
}

enum State {
    Crc32(CrcDigest<'static, u32, Table<16>>),
    Crc64(CrcDigest<'static, u64, Table<16>>),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Hasher {
    /// A fresh computation of `algorithm`.
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        let state = match algorithm {
            ChecksumAlgorithm::Crc32 => State::Crc32(CRC32.digest()),
            ChecksumAlgorithm::Crc32c => State::Crc32(CRC32C.digest()),
            ChecksumAlgorithm::Crc64Nvme => State::Crc64(CRC64NVME.digest()),
            ChecksumAlgorithm::Sha1 => State::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => State::Sha256(Sha256::new()),
        };
        Self { algorithm, state }
    }

    /// Feeds more bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Crc32(digest) => digest.update(data),
            State::Crc64(digest) => digest.update(data),
            State::Sha1(digest) => digest.update(data),
            State::Sha256(digest) => digest.update(data),
        }
    }

    /// The checksum of everything fed.
    pub fn finish(self) -> Checksum {
        let digest = match self.state {
            State::Crc32(digest) => digest.finalize().to_be_bytes().to_vec(),
            State::Crc64(digest) => digest.finalize().to_be_bytes().to_vec(),
            State::Sha1(digest) => digest.finalize().to_vec(),
            State::Sha256(digest) => digest.finalize().to_vec(),
        };
        Checksum {
            algorithm: self.algorithm,
            value: BASE64.encode(digest),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values boto3 1.44.5 (with awscrt) sent for this body; see
    /// tests/s3_clients/captured/put_object_https_*.http.
    const BODY: &[u8] = b"hello world\nhello world\nhello world\n";

    #[test]
    fn checksums_match_what_boto3_sends() {
        let expect =
            |algorithm, value: &str| assert_eq!(Checksum::of(algorithm, BODY).value, value);
        expect(ChecksumAlgorithm::Crc32, "6wn4jA==");
        expect(ChecksumAlgorithm::Crc32c, "b6oZVQ==");
        expect(ChecksumAlgorithm::Crc64Nvme, "VHDe4pLBO/I=");
        expect(ChecksumAlgorithm::Sha1, "HGesJU6VAEVJzLZVCBhv5EkwhxM=");
        expect(
            ChecksumAlgorithm::Sha256,
            "N/2+dKTlaUPMkBtEnmulWgVD07+xPxCnF0VByxbnFpw=",
        );
    }

    #[test]
    fn check_values_of_the_catalogue_hold() {
        // "123456789" is the standard CRC check input.
        let hex = |c: Checksum| BASE64.decode(c.value).unwrap();
        assert_eq!(
            hex(Checksum::of(ChecksumAlgorithm::Crc32, b"123456789")),
            0xcbf43926u32.to_be_bytes()
        );
        assert_eq!(
            hex(Checksum::of(ChecksumAlgorithm::Crc32c, b"123456789")),
            0xe3069283u32.to_be_bytes()
        );
        assert_eq!(
            hex(Checksum::of(ChecksumAlgorithm::Crc64Nvme, b"123456789")),
            0xae8b14860a799888u64.to_be_bytes()
        );
    }
}
