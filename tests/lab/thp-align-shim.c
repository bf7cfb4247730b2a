/* Diagnostic LD_PRELOAD shim for tests/lab/bench-l2.sh (BENCH_ALT_ENV): gives large
 * anonymous writable mappings (guest RAM, >= 64 MiB) a 2 MiB-aligned address and
 * madvise(MADV_HUGEPAGE), so KVM can map guest RAM with 2 MiB pages in the nested page
 * tables. Shows what vmdesk-vmm would gain from doing this itself (see BENCHMARKS.md,
 * "Real Linux boot in the nested lab"). Not used by any test.
 *
 *   gcc -O2 -shared -fPIC -o /tmp/thp-align.so tests/lab/thp-align-shim.c -ldl
 *   BENCH_ALT_ENV=LD_PRELOAD=/tmp/thp-align.so tests/lab/run-bench.sh
 *   (THP_SHIM_DEBUG=1 prints each mapping it aligned)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define ALIGN (2UL << 20)

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    static void *(*real)(void *, size_t, int, int, int, off_t);
    if (!real)
        real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
    if (addr || fd != -1 || !(flags & MAP_ANONYMOUS) || len < (64UL << 20) || !(prot & PROT_WRITE))
        return real(addr, len, prot, flags, fd, off);
    uint8_t *p = real(NULL, len + ALIGN, prot, flags, -1, 0);
    if (p == MAP_FAILED)
        return p;
    uint8_t *a = (uint8_t *)(((uintptr_t)p + ALIGN - 1) & ~(ALIGN - 1));
    if (a > p)
        munmap(p, (size_t)(a - p));
    if (p + len + ALIGN > a + len)
        munmap(a + len, (size_t)(p + len + ALIGN - (a + len)));
    madvise(a, len, MADV_HUGEPAGE);
    if (getenv("THP_SHIM_DEBUG"))
        fprintf(stderr, "thp-shim: %zu MiB at %p\n", len >> 20, (void *)a);
    return a;
}

/* Rust's libc crate calls mmap64 too; on x86-64 it is the same call. */
void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return mmap(addr, len, prot, flags, fd, off);
}
