//! The contract runtime: a bump allocator and the panic handler (feature `runtime`, on by default).
//!
//! A Wasm frame lives for one call, so the allocator never reuses memory except for the most recent
//! allocation (freeing or growing it in place is free). The heap starts at the linker's
//! `__heap_base` (right after the stack and static data) and grows the memory a page (64 KiB) at a
//! time; the node caps a frame's memory at 32 pages, past which allocation fails and the contract
//! traps.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::ptr::{self, null_mut};

const PAGE: usize = 65_536;

unsafe extern "C" {
    /// End of the stack and static data, defined by the linker.
    static __heap_base: u8;
}

/// Next free heap address; 0 until the first allocation.
static mut NEXT: usize = 0;

/// Bump allocator on top of `memory.grow`; see the module docs.
struct BumpAlloc;

/// Makes sure linear memory extends to `end`, growing it if needed. False if it cannot grow.
#[inline]
fn reserve(end: usize) -> bool {
    let have = wasm32::memory_size(0) * PAGE;
    end <= have || wasm32::memory_grow(0, (end - have).div_ceil(PAGE)) != usize::MAX
}

unsafe impl GlobalAlloc for BumpAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut next = NEXT;
        if next == 0 {
            next = ptr::addr_of!(__heap_base) as usize;
        }
        let start = (next + layout.align() - 1) & !(layout.align() - 1);
        match start.checked_add(layout.size()) {
            Some(end) if reserve(end) => {
                NEXT = end;
                start as *mut u8
            }
            _ => null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Only the most recent allocation can be given back.
        if ptr as usize + layout.size() == NEXT {
            NEXT = ptr as usize;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The most recent allocation grows or shrinks in place.
        if ptr as usize + layout.size() == NEXT {
            return match (ptr as usize).checked_add(new_size) {
                Some(end) if reserve(end) => {
                    NEXT = end;
                    ptr
                }
                _ => null_mut(),
            };
        }
        let new = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
        if !new.is_null() {
            ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: BumpAlloc = BumpAlloc;

/// Panics trap (Wasm `unreachable`): the frame fails like an EVM invalid opcode, without output.
/// The message is never formatted, which keeps `core::fmt` out of the module.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    wasm32::unreachable()
}
