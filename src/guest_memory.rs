//! Bounds-checked access to a guest's linear memory, for every host call.
//!
//! Every pointer a guest passes is untrusted: one outside its memory must become
//! an error status for the guest (`EFAULT` for WASI, `FAULT` for the bindings),
//! never a host panic. Both host-call layers read and write through
//! [`GuestMemory`], so the bounds rule is written once; each maps
//! [`OutOfBounds`] onto its own ABI status.

use std::fmt;
use std::ops::Range;

/// A guest's linear memory, borrowed for the duration of one host call.
pub(crate) struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

/// A guest pointer and length that do not lie inside its memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutOfBounds {
    /// Where the access starts in the guest's address space.
    pub ptr: u32,
    /// How many bytes it spans (a `u64` so that an overflowing span still reads right).
    pub len: u64,
}

impl fmt::Display for OutOfBounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} bytes at {:#x} lie outside the guest's memory",
            self.len, self.ptr
        )
    }
}

impl std::error::Error for OutOfBounds {}

impl<'a> GuestMemory<'a> {
    pub(crate) fn new(bytes: &'a mut [u8]) -> Self {
        GuestMemory { bytes }
    }

    fn range(&self, ptr: u32, len: u64) -> Result<Range<usize>, OutOfBounds> {
        let out_of_bounds = OutOfBounds { ptr, len };
        let start = ptr as usize;
        let len = usize::try_from(len).map_err(|_| out_of_bounds)?;
        let end = start.checked_add(len).ok_or(out_of_bounds)?;
        if end > self.bytes.len() {
            return Err(out_of_bounds);
        }
        Ok(start..end)
    }

    /// The bytes at `ptr..ptr + len`.
    pub(crate) fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], OutOfBounds> {
        let range = self.range(ptr, u64::from(len))?;
        Ok(&self.bytes[range])
    }

    /// The bytes at `ptr..ptr + len`, to fill in place.
    pub(crate) fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], OutOfBounds> {
        let range = self.range(ptr, u64::from(len))?;
        Ok(&mut self.bytes[range])
    }

    pub(crate) fn read_u16(&self, ptr: u32) -> Result<u16, OutOfBounds> {
        let bytes = self.slice(ptr, 2)?;
        Ok(u16::from_le_bytes([bytes[0], bytes[1]]))
    }

    pub(crate) fn read_u32(&self, ptr: u32) -> Result<u32, OutOfBounds> {
        let bytes = self.slice(ptr, 4)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    pub(crate) fn read_u64(&self, ptr: u32) -> Result<u64, OutOfBounds> {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(self.slice(ptr, 8)?);
        Ok(u64::from_le_bytes(buf))
    }

    /// Copies `data` to `ptr`.
    pub(crate) fn write(&mut self, ptr: u32, data: &[u8]) -> Result<(), OutOfBounds> {
        let range = self.range(ptr, data.len() as u64)?;
        self.bytes[range].copy_from_slice(data);
        Ok(())
    }

    pub(crate) fn write_u32(&mut self, ptr: u32, value: u32) -> Result<(), OutOfBounds> {
        self.write(ptr, &value.to_le_bytes())
    }

    pub(crate) fn write_u64(&mut self, ptr: u32, value: u64) -> Result<(), OutOfBounds> {
        self.write(ptr, &value.to_le_bytes())
    }

    /// Reads the `(ptr, len)` pairs of a WASI iovec array.
    pub(crate) fn iovecs(&self, iovs: u32, count: u32) -> Result<Vec<(u32, u32)>, OutOfBounds> {
        let whole_array = OutOfBounds {
            ptr: iovs,
            len: u64::from(count) * 8,
        };
        (0..count)
            .map(|i| {
                let at = iovs.checked_add(i * 8).ok_or(whole_array)?;
                let len_at = at.checked_add(4).ok_or(whole_array)?;
                Ok((self.read_u32(at)?, self.read_u32(len_at)?))
            })
            .collect()
    }

    /// Writes a list of strings as WASI does for args and environ: NUL-terminated
    /// strings packed into `buf`, and a pointer to each in `ptrs`.
    pub(crate) fn write_string_list(
        &mut self,
        items: &[String],
        ptrs: u32,
        buf: u32,
    ) -> Result<(), OutOfBounds> {
        let mut cursor = buf;
        for (i, item) in items.iter().enumerate() {
            let slot = (i as u64 * 4)
                .checked_add(u64::from(ptrs))
                .and_then(|slot| u32::try_from(slot).ok())
                .ok_or(OutOfBounds {
                    ptr: ptrs,
                    len: items.len() as u64 * 4,
                })?;
            self.write_u32(slot, cursor)?;
            self.write(cursor, item.as_bytes())?;
            let past_string = OutOfBounds {
                ptr: cursor,
                len: item.len() as u64 + 1,
            };
            let end = u32::try_from(item.len())
                .ok()
                .and_then(|len| cursor.checked_add(len))
                .ok_or(past_string)?;
            self.write(end, &[0])?;
            cursor = end.checked_add(1).ok_or(past_string)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_access_past_the_end_is_out_of_bounds_not_a_panic() {
        let mut bytes = [0u8; 16];
        let mut memory = GuestMemory::new(&mut bytes);
        assert_eq!(
            memory.slice(12, 8),
            Err(OutOfBounds { ptr: 12, len: 8 }),
            "a read that starts inside but ends outside is refused"
        );
        assert!(memory.write(u32::MAX, &[1, 2]).is_err());
        assert!(memory.read_u64(9).is_err());
        assert!(memory.iovecs(u32::MAX - 3, 2).is_err());
        memory.write_u32(12, 0xdead_beef).unwrap();
        assert_eq!(memory.read_u32(12), Ok(0xdead_beef));
    }

    #[test]
    fn the_error_names_the_span_and_where_it_starts() {
        let error = OutOfBounds { ptr: 0x10, len: 4 };
        assert_eq!(
            error.to_string(),
            "4 bytes at 0x10 lie outside the guest's memory"
        );
    }

    #[test]
    fn a_string_list_is_packed_with_nuls_and_pointers() {
        let mut bytes = [0u8; 32];
        let mut memory = GuestMemory::new(&mut bytes);
        let items = ["ab".to_string(), "c".to_string()];
        memory.write_string_list(&items, 0, 8).unwrap();
        assert_eq!(memory.read_u32(0), Ok(8));
        assert_eq!(memory.read_u32(4), Ok(11));
        assert_eq!(memory.slice(8, 5), Ok(&b"ab\0c\0"[..]));
        assert!(memory.write_string_list(&items, 0, 29).is_err());
    }
}
