//! Makes a module's `start` function interruptible.
//!
//! wasmi runs a module's `start` section inside instantiation, in one call
//! that cannot be suspended: a `start` that loops would run until the whole
//! fuel budget is gone, past any wall-clock limit. So at load the `start`
//! section is removed and its function exported under
//! [`HOISTED_START_EXPORT`]; each invocation calls that export first, in fuel
//! slices like `_start`, with the clock checked between them. The guest sees
//! no difference: nothing else runs between instantiation and the call.
//!
//! Only the two sections involved are touched; every other byte is copied
//! as it is. A module this cannot parse is returned unchanged, for the
//! validator to report what is wrong with it.

use std::borrow::Cow;

/// The export a hoisted `start` function gets. Not a name a toolchain emits.
pub(super) const HOISTED_START_EXPORT: &str = "wasmfaas:start-section";

const SECTION_EXPORT: u8 = 7;
const SECTION_START: u8 = 8;
const EXPORT_KIND_FUNC: u8 = 0;
const HEADER_LEN: usize = 8;

/// `wasm` without its `start` section and with the start function exported,
/// and whether there was one.
pub(super) fn hoist(wasm: &[u8]) -> (Cow<'_, [u8]>, bool) {
    match rewrite(wasm) {
        Some(rewritten) => (Cow::Owned(rewritten), true),
        None => (Cow::Borrowed(wasm), false),
    }
}

/// One section: its id and the range of its payload in the module.
struct Section {
    id: u8,
    start: usize,
    payload: std::ops::Range<usize>,
}

fn sections(wasm: &[u8]) -> Option<Vec<Section>> {
    if wasm.len() < HEADER_LEN || &wasm[..4] != b"\0asm" {
        return None;
    }
    let mut at = HEADER_LEN;
    let mut found = Vec::new();
    while at < wasm.len() {
        let start = at;
        let id = wasm[at];
        let (size, len) = read_u32(&wasm[at + 1..])?;
        let begin = at + 1 + len;
        let end = begin.checked_add(size as usize)?;
        if end > wasm.len() {
            return None;
        }
        found.push(Section {
            id,
            start,
            payload: begin..end,
        });
        at = end;
    }
    Some(found)
}

fn rewrite(wasm: &[u8]) -> Option<Vec<u8>> {
    let sections = sections(wasm)?;
    let start = sections.iter().find(|s| s.id == SECTION_START)?;
    let (func_index, _) = read_u32(&wasm[start.payload.clone()])?;
    let mut entry = name_bytes(HOISTED_START_EXPORT);
    entry.push(EXPORT_KIND_FUNC);
    write_u32(&mut entry, func_index);
    let mut out = wasm[..HEADER_LEN].to_vec();
    let mut exported = false;
    for section in &sections {
        let whole = &wasm[section.start..section.payload.end];
        match section.id {
            SECTION_START => {}
            SECTION_EXPORT => {
                let payload = &wasm[section.payload.clone()];
                let (count, len) = read_u32(payload)?;
                let mut body = Vec::with_capacity(payload.len() + entry.len() + 5);
                write_u32(&mut body, count.checked_add(1)?);
                body.extend_from_slice(&payload[len..]);
                body.extend_from_slice(&entry);
                push_section(&mut out, SECTION_EXPORT, &body);
                exported = true;
            }
            _ => out.extend_from_slice(whole),
        }
    }
    // Every loadable function exports `_start`, so there is an export
    // section; without one the module is refused at load anyway.
    exported.then_some(out)
}

fn push_section(out: &mut Vec<u8>, id: u8, payload: &[u8]) {
    out.push(id);
    write_u32(out, payload.len() as u32);
    out.extend_from_slice(payload);
}

fn name_bytes(name: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_u32(&mut bytes, name.len() as u32);
    bytes.extend_from_slice(name.as_bytes());
    bytes
}

/// An unsigned LEB128 `u32` and how many bytes it took.
fn read_u32(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value: u64 = 0;
    for (i, &byte) in bytes.iter().take(5).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return u32::try_from(value).ok().map(|v| (v, i + 1));
        }
    }
    None
}

fn write_u32(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_without_a_start_section_is_left_byte_for_byte() {
        let wasm =
            wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)
                .unwrap();
        let (out, hoisted) = hoist(&wasm);
        assert!(!hoisted);
        assert_eq!(&*out, &wasm[..]);
    }

    #[test]
    fn the_start_function_becomes_an_export_and_the_section_goes() {
        let wasm = wat::parse_str(
            r#"(module (memory (export "memory") 1)
                 (func $init) (func (export "_start")) (start $init))"#,
        )
        .unwrap();
        let (out, hoisted) = hoist(&wasm);
        assert!(hoisted);
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, &out).unwrap();
        let mut names: Vec<_> = module.exports().map(|e| e.name().to_string()).collect();
        names.sort();
        assert_eq!(names, ["_start", "memory", HOISTED_START_EXPORT]);
        assert!(
            sections(&out)
                .unwrap()
                .iter()
                .all(|s| s.id != SECTION_START)
        );
    }

    #[test]
    fn truncated_bytes_are_left_for_the_validator() {
        let (out, hoisted) = hoist(b"\0asm\x01\0\0\0\x08\x05");
        assert!(!hoisted);
        assert_eq!(out.len(), 10);
    }

    #[test]
    fn leb128_round_trips() {
        for n in [0, 1, 127, 128, 300, 16_384, u32::MAX] {
            let mut bytes = Vec::new();
            write_u32(&mut bytes, n);
            assert_eq!(read_u32(&bytes), Some((n, bytes.len())));
        }
    }
}
