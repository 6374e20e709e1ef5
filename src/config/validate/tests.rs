use super::limits::parse_size;
use super::*;

#[test]
fn size_strings_use_decimal_and_binary_units() {
    assert_eq!(parse_size("512"), Some(512));
    assert_eq!(parse_size("512KiB"), Some(512 * 1024));
    assert_eq!(parse_size("10MB"), Some(10_000_000));
    assert_eq!(parse_size("6 MiB"), Some(6 * 1024 * 1024));
    assert_eq!(parse_size("1.5MiB"), None);
    assert_eq!(parse_size("MiB"), None);
    assert_eq!(parse_size("99999999999999999999GiB"), None);
}

#[test]
fn bucket_names_follow_the_s3_rules() {
    assert_eq!(bucket_name_problem("uploads"), None);
    assert_eq!(bucket_name_problem("my.bucket-2"), None);
    assert!(bucket_name_problem("ab").is_some());
    assert!(bucket_name_problem("Uploads").is_some());
    assert!(bucket_name_problem("-uploads").is_some());
    assert!(bucket_name_problem("a..b").is_some());
}
