/* Shared helpers of the vmdesk test guest (freestanding, ring 0, no interrupts). */
#ifndef GUEST_H
#define GUEST_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/*
 * Guest-physical memory is identity mapped, so an address is a pointer.
 * memcpy keeps unaligned reads well-defined; gcc inlines it to one load.
 */
static inline uint8_t rd8(uint64_t a) { return *(const volatile uint8_t *)(uintptr_t)a; }
static inline uint16_t rd16(uint64_t a) { uint16_t v; __builtin_memcpy(&v, (const void *)(uintptr_t)a, 2); return v; }
static inline uint32_t rd32(uint64_t a) { uint32_t v; __builtin_memcpy(&v, (const void *)(uintptr_t)a, 4); return v; }
static inline uint64_t rd64(uint64_t a) { uint64_t v; __builtin_memcpy(&v, (const void *)(uintptr_t)a, 8); return v; }

/*
 * Stores n copies of the 32-bit v from address a. String instructions: the
 * test host emulates guest kernel code at roughly 1 us per instruction or per
 * `rep` iteration, so `rep stosq` (two pixels per iteration) beats `rep stosl`
 * threefold and a C loop by far more.
 */
static inline void fill32(uint64_t a, uint32_t v, uint64_t n)
{
	uint64_t pairs = n >> 1, v2 = (uint64_t)v << 32 | v;

	__asm__ volatile("cld; rep stosq" : "+D"(a), "+c"(pairs) : "a"(v2) : "memory", "cc");
	if (n & 1)
		*(volatile uint32_t *)(uintptr_t)a = v;
}

/* Serial output (COM1). */
void put_char(char c);
void put_str(const char *s);
void put_hex(uint64_t v);		/* "0x" + lowercase, no padding */
void put_dec(uint64_t v);
void put_safe(uint64_t addr, uint64_t len);	/* guest bytes, non-printables as '?' */
void put_line(const char *s);		/* s + "\n" */

/*
 * How many bytes starting at addr (at most max) we may read without risking
 * a fault: below 4 GiB (the VMM's identity map) and inside one e820 entry,
 * or inside the legacy first MiB.
 */
uint64_t readable_span(uint64_t addr, uint64_t max);
static inline int readable(uint64_t addr, uint64_t len)
{
	return len != 0 && readable_span(addr, len) == len;
}

/* Serial input (COM1), polled: see com1_poll_line in guest.c. */
#define ECHO_MAX 256
struct line_in {
	uint32_t n;
	char buf[ECHO_MAX];
};
int com1_poll_line(struct line_in *l);

/* CRC-32 as zlib computes it: crc32_update(0, a, n) over n bytes at a, chainable. */
uint32_t crc32_update(uint32_t crc, uint64_t a, uint64_t len);
void put_hex32(uint32_t v);		/* "0x" + exactly 8 hex digits */

/* Command-line words: the value of the last "<key>..." word; numbers (see guest.c). */
const char *cmdline_arg(const char *key, uint32_t *len);
int cmdline_u64(const char *key, int hex, uint64_t def, uint64_t *out);

/* ACPI Generic Address Structure, the parts we use. */
struct gas {
	uint8_t space;		/* 0 = system memory, 1 = system I/O */
	uint64_t addr;
};

struct acpi_info {
	int have_fadt;		/* sleep and reset below are valid */
	struct gas sleep;	/* SLEEP_CONTROL_REG */
	struct gas reset;	/* RESET_REG */
	uint8_t reset_value;
	uint64_t dsdt;		/* checksum-valid DSDT, or 0 */
	uint32_t dsdt_len;
	/* A PC's FADT (not hardware-reduced): PM1a control port and \_S5's SLP_TYP. */
	uint16_t pm1a_cnt;
	int have_s5;
	uint8_t s5_type;
};

/* Prints the ACPI, MADT, FADT and DSDT lines; fills *out. */
void acpi_check(uint64_t boot_params, struct acpi_info *out);
/* 1 and *count = occurrences of s in the DSDT (after its header); 0 without a valid DSDT. */
int acpi_dsdt_count(const struct acpi_info *a, const char *s, uint32_t *count);

/* virtio.c: "DSDT virtio=", "VIRTIO ..." and "RNG ..." lines; the input mode. */
void virtio_check(void);
void __attribute__((noreturn)) do_input(void);

/* fb.c: "FB ..." lines and the test pattern; the animate mode. */
void fb_check(uint64_t boot_params);
void __attribute__((noreturn)) do_animate(void);
void __attribute__((noreturn)) do_fullanim(void);

/* blk.c: "BLK <i> ..." lines; the blk and blk-read modes (write = 1 for blk). */
void blk_check(void);
void __attribute__((noreturn)) do_blk(int write);
void __attribute__((noreturn)) do_blkbench(void);
void __attribute__((noreturn)) do_blkloop(void);
void __attribute__((noreturn)) do_then(void);

/* net.c: "NET <i> ..." lines; the net mode. */
void net_check(void);
void __attribute__((noreturn)) do_net(void);

/* mem.c: the memtick mode. */
void __attribute__((noreturn)) do_memtick(void);
void __attribute__((noreturn)) do_inspect(void);
/* gpu.c */
void __attribute__((noreturn)) do_gpu(void);
void __attribute__((noreturn)) do_gpuanim(void);

#endif
