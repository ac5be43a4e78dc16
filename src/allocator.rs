//! One allocator for the whole process. Checking a long script is mostly
//! tree-sitter building and freeing hundreds of thousands of small nodes
//! on two threads, plus the script checks' own small vectors and strings;
//! with glibc's `malloc`, allocating, consolidating freed chunks and
//! faulting fresh pages in took about a tenth of that time. The binaries
//! declare [`Allocator`] as their global allocator and call
//! [`use_for_tree_sitter`] first thing, so that tree-sitter's C library
//! allocates from the same heap.

use std::ffi::c_void;

use libmimalloc_sys::{mi_free, mi_malloc, mi_realloc, mi_zalloc};

/// The process's allocator (declare it with `#[global_allocator]`).
pub type Allocator = mimalloc::MiMalloc;

/// Routes tree-sitter's allocations to [`Allocator`]. Call it at the start
/// of `main`, before any parser or tree exists (and never again).
pub fn use_for_tree_sitter() {
    let allocator = tree_sitter::Allocator {
        malloc,
        calloc,
        realloc,
        free,
    };
    // SAFETY: the four functions are one family (mimalloc's), never return
    // null for a non-zero size (see `or_abort`) and align like malloc;
    // this runs first in `main`, on one thread, before any tree-sitter
    // object exists.
    unsafe { tree_sitter::set_allocator(Some(allocator)) };
}

// tree-sitter does not check what its allocator returns (its own default
// aborts on failure), so neither may these return null.

unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
    // SAFETY: mi_malloc accepts any size.
    or_abort(unsafe { mi_malloc(size) }, size)
}

unsafe extern "C" fn calloc(count: usize, size: usize) -> *mut c_void {
    let Some(total) = count.checked_mul(size) else {
        return or_abort(std::ptr::null_mut(), usize::MAX);
    };
    // SAFETY: mi_zalloc accepts any size and zeroes what it returns.
    or_abort(unsafe { mi_zalloc(total) }, total)
}

unsafe extern "C" fn realloc(pointer: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: tree-sitter passes null or a pointer from this family.
    or_abort(unsafe { mi_realloc(pointer, size) }, size)
}

unsafe extern "C" fn free(pointer: *mut c_void) {
    // SAFETY: tree-sitter passes null or a pointer from this family.
    unsafe { mi_free(pointer) }
}

fn or_abort(pointer: *mut c_void, size: usize) -> *mut c_void {
    if pointer.is_null() && size > 0 {
        std::alloc::handle_alloc_error(
            std::alloc::Layout::from_size_align(size, 16)
                .unwrap_or(std::alloc::Layout::new::<u128>()),
        );
    }
    pointer
}
