/* Shared helpers of the vmdesk test guest (freestanding, ring 0, no interrupts). */
#ifndef GUEST_H
#define GUEST_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
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
};

/* Prints the ACPI, MADT, FADT and DSDT lines; fills *out. */
void acpi_check(uint64_t boot_params, struct acpi_info *out);

#endif
