//! A small-object allocator for guests, in front of the system allocator.
//!
//! A guest lives for one request, and most of what it allocates is small and
//! short-lived: the request buffer, strings of the request and the response,
//! little vectors. The system allocator (wasi-libc's dlmalloc) is general and good
//! with big buffers, but in the interpreter each call to it costs about 2,000
//! fuel, because wasmi charges a function's whole straight-line body on entry and
//! `malloc` is one long function. Here a block comes from a free list of its size
//! class, or is cut from a slab, in a few dozen instructions; the first slab is
//! static memory, so a typical request never calls the system allocator.
//!
//! Small means at most [`MAX_SMALL`] bytes (which covers a typical request, see
//! `INITIAL_INPUT` in stdio.rs) with an alignment of at most [`ALIGN`]; anything
//! else goes to the system allocator, which keeps large buffers (a big body, a
//! response) reusable and growable in place. Freed small blocks return to their
//! class's list, never to the system allocator: a fresh instance and its memory
//! are thrown away after the request anyway, and a warm one (`http_main!`,
//! `instances = "warm"`) reuses the lists for its next request, so steady
//! traffic does not grow its memory.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;

/// The smallest block, and the alignment every block has.
const ALIGN: usize = 16;
/// Size classes are the powers of two from [`ALIGN`] to this.
const MAX_SMALL: usize = 16 * 1024;
const CLASSES: usize = (MAX_SMALL / ALIGN).trailing_zeros() as usize + 1;
/// The size of a slab, which small blocks are cut from. The first is static (it
/// adds 32 KiB to the initial memory: with the default 64 KiB stack, still two
/// pages); the others come from the system allocator.
const SLAB: usize = 32 * 1024;

/// The allocator; install it with `#[global_allocator]`.
pub(crate) struct SmallObjects {
    state: UnsafeCell<State>,
    /// The first slab, in the allocator itself: zero-initialised static memory,
    /// which a fresh instance has anyway, so a typical request never calls the
    /// system allocator at all.
    first_slab: UnsafeCell<Slab>,
}

#[repr(align(16))]
struct Slab([u8; SLAB]);

struct State {
    /// Heads of the free lists, one per size class; a free block holds the
    /// address of the next one.
    free: [*mut u8; CLASSES],
    /// The unused part of the current slab.
    next: *mut u8,
    end: *mut u8,
    /// Whether `first_slab` has been handed to `next`..`end` yet.
    started: bool,
}

// SAFETY: the allocator is only installed on targets without threads (see
// lib.rs), where nothing can reach it concurrently.
unsafe impl Sync for SmallObjects {}

impl SmallObjects {
    pub(crate) const fn new() -> SmallObjects {
        SmallObjects {
            state: UnsafeCell::new(State {
                free: [ptr::null_mut(); CLASSES],
                next: ptr::null_mut(),
                end: ptr::null_mut(),
                started: false,
            }),
            first_slab: UnsafeCell::new(Slab([0; SLAB])),
        }
    }

    /// # Safety
    /// No other reference to the state may be alive: true when the allocator is
    /// not re-entered, which its methods never do.
    #[allow(clippy::mut_from_ref)]
    unsafe fn state(&self) -> &mut State {
        // SAFETY: see the caller's contract above.
        unsafe { &mut *self.state.get() }
    }
}

impl SmallObjects {
    fn first_slab(&self) -> *mut u8 {
        // SAFETY: only the address is taken; nothing is read or written.
        unsafe { (&raw mut (*self.first_slab.get()).0).cast() }
    }
}

/// The size class of `layout`, if it is small.
fn class(layout: Layout) -> Option<usize> {
    if layout.size() > MAX_SMALL || layout.align() > ALIGN {
        return None;
    }
    let size = layout.size().max(ALIGN).next_power_of_two();
    Some((size / ALIGN).trailing_zeros() as usize)
}

fn class_size(class: usize) -> usize {
    ALIGN << class
}

impl State {
    /// A block of `class`, or null when the system is out of memory;
    /// `first_slab` is where the first slab is.
    fn take(&mut self, class: usize, first_slab: *mut u8) -> *mut u8 {
        let head = self.free[class];
        if !head.is_null() {
            // SAFETY: every block on a list was given back by `give` and holds
            // the next block's address (or null) in its first word.
            self.free[class] = unsafe { head.cast::<*mut u8>().read() };
            return head;
        }
        let size = class_size(class);
        if (self.end as usize) - (self.next as usize) < size && !self.new_slab(first_slab) {
            return ptr::null_mut();
        }
        let block = self.next;
        // SAFETY: at least `size` bytes are left in the slab.
        self.next = unsafe { block.add(size) };
        block
    }

    /// Whether `take(class)` will cut its block from the static first slab, which
    /// nothing has written to yet, so it is zero: as a fresh instance's memory is.
    fn next_is_zero(&self, class: usize, first_slab: *mut u8) -> bool {
        if !self.free[class].is_null() {
            return false;
        }
        if !self.started {
            return true;
        }
        let room = (self.end as usize) - (self.next as usize);
        self.end == first_slab.wrapping_add(SLAB) && room >= class_size(class)
    }

    /// Starts a new slab, leaving the rest of the old one (smaller than the block
    /// that did not fit) unused; false when the system is out of memory.
    #[cold]
    #[inline(never)]
    fn new_slab(&mut self, first_slab: *mut u8) -> bool {
        let slab = if self.started {
            // SAFETY: SLAB is non-zero and ALIGN a power of two.
            unsafe { System.alloc(Layout::from_size_align_unchecked(SLAB, ALIGN)) }
        } else {
            self.started = true;
            first_slab
        };
        if slab.is_null() {
            return false;
        }
        self.next = slab;
        // SAFETY: the slab is SLAB bytes long.
        self.end = unsafe { slab.add(SLAB) };
        true
    }

    /// Puts a block of `class` back on its list.
    fn give(&mut self, block: *mut u8, class: usize) {
        // SAFETY: the block is at least ALIGN bytes, aligned for a pointer, and no
        // longer in use.
        unsafe { block.cast::<*mut u8>().write(self.free[class]) };
        self.free[class] = block;
    }
}

// SAFETY: small blocks are ALIGN-aligned (slabs are, and every class size is a
// multiple of ALIGN), at least as large as the layout asks, and handed out once
// until given back; everything else is the system allocator's.
unsafe impl GlobalAlloc for SmallObjects {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class(layout) {
            // SAFETY: the allocator is not re-entered.
            Some(class) => unsafe { self.state() }.take(class, self.first_slab()),
            // SAFETY: forwarded with the caller's guarantees.
            None => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match class(layout) {
            Some(class) => {
                // SAFETY: the allocator is not re-entered.
                let state = unsafe { self.state() };
                let zero = state.next_is_zero(class, self.first_slab());
                let block = state.take(class, self.first_slab());
                if !block.is_null() && !zero {
                    // SAFETY: the block has at least `layout.size()` bytes.
                    unsafe { block.write_bytes(0, layout.size()) };
                }
                block
            }
            // SAFETY: forwarded with the caller's guarantees.
            None => unsafe { System.alloc_zeroed(layout) },
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match class(layout) {
            // SAFETY: the allocator is not re-entered; `block` came from `take`.
            Some(class) => unsafe { self.state() }.give(block, class),
            // SAFETY: forwarded with the caller's guarantees.
            None => unsafe { System.dealloc(block, layout) },
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size`, rounded up to the alignment,
        // does not overflow.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class(layout), class(new_layout)) {
            (Some(old), Some(new)) if old == new => block,
            // SAFETY: forwarded with the caller's guarantees.
            (None, None) => unsafe { System.realloc(block, layout, new_size) },
            _ => {
                // SAFETY: `new_layout` is valid (see above) and non-zero-sized,
                // as `realloc`'s contract requires of `new_size`.
                let moved = unsafe { self.alloc(new_layout) };
                if !moved.is_null() {
                    // SAFETY: both blocks hold at least the smaller size and are
                    // distinct; the old one is given up only after the copy.
                    unsafe {
                        ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                }
                moved
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn small_blocks_are_aligned_and_disjoint_across_slabs() {
        let heap = SmallObjects::new();
        let mut blocks = Vec::new();
        // More than fits in one slab, in every class.
        for round in 0..40 {
            for size in [1, 16, 17, 100, 512, 1000, 1024, 5000] {
                let block = unsafe { heap.alloc(layout(size, 8)) };
                assert!(!block.is_null());
                assert_eq!(block as usize % ALIGN, 0);
                unsafe { block.write_bytes(round as u8, size) };
                blocks.push((block as usize, size, round as u8));
            }
        }
        let mut sorted = blocks.clone();
        sorted.sort();
        for pair in sorted.windows(2) {
            assert!(pair[0].0 + pair[0].1 <= pair[1].0, "blocks overlap");
        }
        for &(block, size, fill) in &blocks {
            let bytes = unsafe { std::slice::from_raw_parts(block as *const u8, size) };
            assert!(bytes.iter().all(|&b| b == fill), "a block was overwritten");
        }
    }

    #[test]
    fn a_freed_block_is_reused_by_its_class_only() {
        let heap = SmallObjects::new();
        let a = unsafe { heap.alloc(layout(40, 8)) };
        unsafe { heap.dealloc(a, layout(40, 8)) };
        let other_class = unsafe { heap.alloc(layout(100, 8)) };
        assert_ne!(other_class, a);
        assert_eq!(unsafe { heap.alloc(layout(64, 4)) }, a);
    }

    #[test]
    fn zeroed_blocks_are_zero_even_when_reused() {
        let heap = SmallObjects::new();
        let a = unsafe { heap.alloc(layout(200, 8)) };
        unsafe { a.write_bytes(0xAB, 200) };
        unsafe { heap.dealloc(a, layout(200, 8)) };
        let b = unsafe { heap.alloc_zeroed(layout(256, 8)) };
        assert_eq!(a, b);
        let bytes = unsafe { std::slice::from_raw_parts(b, 256) };
        assert!(bytes.iter().all(|&x| x == 0));
        let big = unsafe { heap.alloc_zeroed(layout(5000, 8)) };
        assert!(
            unsafe { std::slice::from_raw_parts(big, 5000) }
                .iter()
                .all(|&x| x == 0)
        );
        unsafe { heap.dealloc(big, layout(5000, 8)) };
    }

    #[test]
    fn only_untouched_static_memory_is_handed_out_unzeroed() {
        let heap = SmallObjects::new();
        let first = heap.first_slab();
        let state = unsafe { heap.state() };
        assert!(state.next_is_zero(CLASSES - 1, first));
        let a = state.take(CLASSES - 1, first);
        assert!(state.next_is_zero(CLASSES - 1, first));
        let b = state.take(CLASSES - 1, first);
        // The first slab is used up: the next block comes from the system.
        assert!(!state.next_is_zero(CLASSES - 1, first));
        state.give(a, CLASSES - 1);
        assert!(!state.next_is_zero(CLASSES - 1, first));
        assert!(!b.is_null() && !state.next_is_zero(0, first));
    }

    #[test]
    fn realloc_keeps_the_bytes_within_and_across_classes() {
        let heap = SmallObjects::new();
        let mut size = 10;
        let mut block = unsafe { heap.alloc(layout(size, 1)) };
        for i in 0..size {
            unsafe { block.add(i).write(i as u8) };
        }
        // Within a class the block stays; then it moves up through the classes
        // and out to the system allocator, and back down.
        let same = unsafe { heap.realloc(block, layout(size, 1), 16) };
        assert_eq!(same, block);
        size = 16;
        for new_size in [17, 300, 1024, 1025, MAX_SMALL + 1, 70_000, 900, 5] {
            block = unsafe { heap.realloc(block, layout(size, 1), new_size) };
            assert!(!block.is_null());
            let kept = size.min(new_size).min(10);
            for i in 0..kept {
                assert_eq!(unsafe { block.add(i).read() }, i as u8, "to {new_size}");
            }
            size = new_size;
        }
        unsafe { heap.dealloc(block, layout(size, 1)) };
    }

    #[test]
    fn large_or_overaligned_layouts_go_to_the_system_allocator() {
        assert_eq!(class(layout(MAX_SMALL + 1, 8)), None);
        assert_eq!(class(layout(64, 32)), None);
        assert_eq!(class(layout(0, 1)), Some(0));
        assert_eq!(class(layout(MAX_SMALL, 16)), Some(CLASSES - 1));
        let heap = SmallObjects::new();
        let block = unsafe { heap.alloc(layout(64, 64)) };
        assert_eq!(block as usize % 64, 0);
        unsafe { heap.dealloc(block, layout(64, 64)) };
    }
}
