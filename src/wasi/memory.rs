//! Bounds-checked access to guest linear memory for the WASI shims.
//!
//! Every pointer a guest passes is untrusted: an out-of-range one must become
//! `EFAULT` for the guest, never a host panic.

use super::preview1::Errno;

/// A guest's linear memory, borrowed for the duration of one host call.
pub(super) struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

impl<'a> GuestMemory<'a> {
    pub(super) fn new(bytes: &'a mut [u8]) -> Self {
        GuestMemory { bytes }
    }

    fn range(&self, ptr: u32, len: u32) -> Result<std::ops::Range<usize>, Errno> {
        let start = ptr as usize;
        let end = start.checked_add(len as usize).ok_or(Errno::Fault)?;
        if end > self.bytes.len() {
            return Err(Errno::Fault);
        }
        Ok(start..end)
    }

    pub(super) fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let range = self.range(ptr, len)?;
        Ok(&self.bytes[range])
    }

    pub(super) fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let range = self.range(ptr, len)?;
        Ok(&mut self.bytes[range])
    }

    pub(super) fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        let bytes = self.slice(ptr, 4)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    pub(super) fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(self.slice(ptr, 8)?);
        Ok(u64::from_le_bytes(buf))
    }

    pub(super) fn read_u16(&self, ptr: u32) -> Result<u16, Errno> {
        let bytes = self.slice(ptr, 2)?;
        Ok(u16::from_le_bytes([bytes[0], bytes[1]]))
    }

    pub(super) fn write(&mut self, ptr: u32, data: &[u8]) -> Result<(), Errno> {
        let len = u32::try_from(data.len()).map_err(|_| Errno::Fault)?;
        self.slice_mut(ptr, len)?.copy_from_slice(data);
        Ok(())
    }

    pub(super) fn write_u32(&mut self, ptr: u32, value: u32) -> Result<(), Errno> {
        self.write(ptr, &value.to_le_bytes())
    }

    pub(super) fn write_u64(&mut self, ptr: u32, value: u64) -> Result<(), Errno> {
        self.write(ptr, &value.to_le_bytes())
    }

    /// Reads the `(ptr, len)` pairs of an iovec array.
    pub(super) fn iovecs(&self, iovs: u32, count: u32) -> Result<Vec<(u32, u32)>, Errno> {
        (0..count)
            .map(|i| {
                let at = iovs.checked_add(i.checked_mul(8).ok_or(Errno::Fault)?);
                let at = at.ok_or(Errno::Fault)?;
                Ok((self.read_u32(at)?, self.read_u32(at + 4)?))
            })
            .collect()
    }

    /// Writes a list of strings as WASI does for args and environ: NUL-terminated
    /// strings packed into `buf`, and a pointer to each in `ptrs`.
    pub(super) fn write_string_list(
        &mut self,
        items: &[String],
        ptrs: u32,
        buf: u32,
    ) -> Result<(), Errno> {
        let mut cursor = buf;
        for (i, item) in items.iter().enumerate() {
            let slot = ptrs.checked_add(4 * i as u32).ok_or(Errno::Fault)?;
            self.write_u32(slot, cursor)?;
            self.write(cursor, item.as_bytes())?;
            let end = cursor.checked_add(item.len() as u32).ok_or(Errno::Fault)?;
            self.write(end, &[0])?;
            cursor = end + 1;
        }
        Ok(())
    }
}
