/*
 * vmdesk test guest: reports what the VMM handed it (boot_params, e820,
 * command line, initrd, ACPI) on COM1, then performs the action named by
 * "vmdesk.test=<mode>" on the command line. See README.md for the protocol.
 *
 * Ring 0 code here runs through KVM's instruction emulator on the test
 * machine, so loops are kept short and output is the main cost (two port
 * exits per character).
 */
#include "guest.h"

#define COM1 0x3f8
#define COM1_LSR (COM1 + 5)
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

/* struct boot_params offsets (arch/x86/include/uapi/asm/bootparam.h). */
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_RAMDISK_IMAGE 0x218
#define BP_RAMDISK_SIZE 0x21c
#define BP_CMD_LINE_PTR 0x228
#define BP_E820_TABLE 0x2d0
#define E820_MAX 128		/* entries that fit in the zero page */
#define E820_RAM 1

#define CMDLINE_MAX 2048	/* cmdline_size 2047 + NUL */
#define MODE_MAX 64

static uint64_t bp;		/* guest-physical address of boot_params */
static uint32_t e820_n;		/* usable e820 entries; 0 = map unknown */
static char cmdline[CMDLINE_MAX];
static struct acpi_info acpi;

static void __attribute__((noreturn)) halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* ---- serial output ---- */

void put_char(char c)
{
	/* Bounded wait: a broken UART must not hang us before we can report. */
	for (int i = 0; i < 100000 && !(inb(COM1_LSR) & LSR_THR_EMPTY); i++)
		;
	outb(COM1, (uint8_t)c);
}

void put_str(const char *s)
{
	while (*s)
		put_char(*s++);
}

void put_line(const char *s)
{
	put_str(s);
	put_char('\n');
}

static void put_hex_digits(uint64_t v, int min_digits)
{
	char buf[16];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v || n < min_digits);
	put_str("0x");
	while (n)
		put_char(buf[--n]);
}

void put_hex(uint64_t v)
{
	put_hex_digits(v, 1);
}

void put_dec(uint64_t v)
{
	char buf[20];
	int n = 0;

	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		put_char(buf[--n]);
}

/* Guest bytes could be anything; keep each report on one printable line. */
void put_safe(uint64_t addr, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++) {
		uint8_t c = rd8(addr + i);

		put_char(c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
}

/* ---- serial input ---- */

/*
 * Polls COM1 once (one port exit, so callers also use it as their delay):
 * 1 when a complete, non-empty line (ended by '\n' or '\r') is in l->buf[0..l->n);
 * the caller then sets l->n = 0. Longer lines are cut at ECHO_MAX bytes.
 */
int com1_poll_line(struct line_in *l)
{
	char c;

	if (!(inb(COM1_LSR) & LSR_DATA_READY))
		return 0;
	c = (char)inb(COM1);
	if (c != '\n' && c != '\r') {
		if (l->n < ECHO_MAX)
			l->buf[l->n++] = c;
		return 0;
	}
	return l->n != 0;
}

/* ---- CRC-32 (IEEE 802.3, as zlib's crc32 and Python's zlib.crc32) ---- */

/*
 * Slicing-by-8: one 8-byte load and eight table lookups per word, about 36
 * instructions; emulated ring-0 code makes that ~4 ms per KiB on an idle
 * kvm_pvm host (~10 ms loaded; a bitwise loop would be several times slower).
 * The 8 KiB of tables are built on first use in scratch memory (virtio.c), so
 * boots that never compute a CRC don't pay for zeroing them as .bss.
 */
static uint64_t scratch_alloc(uint64_t bytes);
static uint32_t (*crc_tab)[256];

static void crc_init(void)
{
	crc_tab = (uint32_t (*)[256])(uintptr_t)scratch_alloc(8 * 256 * sizeof(uint32_t));
	if (!crc_tab)
		halt_forever();		/* scratch_alloc printed why */
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
		crc_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
}

/* One aligned 8-byte word into the running (inverted) CRC state c. */
static inline uint32_t crc_step64(uint32_t c, uint64_t v)
{
	v ^= c;
	return crc_tab[7][v & 0xff] ^ crc_tab[6][(v >> 8) & 0xff] ^
	       crc_tab[5][(v >> 16) & 0xff] ^ crc_tab[4][(v >> 24) & 0xff] ^
	       crc_tab[3][(v >> 32) & 0xff] ^ crc_tab[2][(v >> 40) & 0xff] ^
	       crc_tab[1][(v >> 48) & 0xff] ^ crc_tab[0][v >> 56];
}

uint32_t crc32_update(uint32_t crc, uint64_t a, uint64_t len)
{
	if (!crc_tab)
		crc_init();
	crc = ~crc;
	for (; len && (a & 7); a++, len--)
		crc = (crc >> 8) ^ crc_tab[0][(crc ^ rd8(a)) & 0xff];
	for (; len >= 8; a += 8, len -= 8)
		crc = crc_step64(crc, *(const volatile uint64_t *)(uintptr_t)a);
	for (; len; a++, len--)
		crc = (crc >> 8) ^ crc_tab[0][(crc ^ rd8(a)) & 0xff];
	return ~crc;
}

/* "0x" + exactly 8 lowercase hex digits, as CRCs and hashes are printed. */
void put_hex32(uint32_t v)
{
	put_hex_digits(v, 8);
}

/* ---- memory bounds ---- */

uint64_t readable_span(uint64_t a, uint64_t max)
{
	const uint64_t top = 1ull << 32;	/* end of the VMM's identity map */
	uint64_t span = 0;

	if (a >= top)
		return 0;
	if (max > top - a)
		max = top - a;
	/* The first MiB is always backed on a PC (RAM, VGA window, BIOS area),
	 * and SeaBIOS-style maps leave parts of it out of e820. */
	if (a < 0x100000) {
		span = 0x100000 - a < max ? 0x100000 - a : max;
		a += span;
	}
	if (!e820_n)
		return max;
	/* Extend through e820 entries (any type) that cover a, a+1, ... */
	for (uint32_t tries = 0; span < max && tries < e820_n; tries++) {
		uint32_t i;

		for (i = 0; i < e820_n; i++) {
			uint64_t e = bp + BP_E820_TABLE + 20 * i;
			uint64_t start = rd64(e), size = rd64(e + 8);
			uint64_t end = size > ~start ? ~0ull : start + size;

			if (start <= a && a < end) {
				uint64_t take = end - a < max - span ? end - a : max - span;

				span += take;
				a += take;
				break;
			}
		}
		if (i == e820_n)
			break;
	}
	return span;
}

/* ---- exceptions ---- */

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[32] __attribute__((aligned(16)));
extern char exc_stubs[];

/* Our own IDT, so a guest bug prints a FAIL line rather than triple-faulting. */
static void setup_idt(void)
{
	struct idt_ptr p;
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (int v = 0; v < 32; v++) {
		uint64_t h = (uint64_t)(uintptr_t)exc_stubs + 16 * v;

		idt[v].off_lo = (uint16_t)h;
		idt[v].sel = cs;
		idt[v].ist = 0;
		idt[v].type = 0x8e;	/* present, DPL 0, 64-bit interrupt gate */
		idt[v].off_mid = (uint16_t)(h >> 16);
		idt[v].off_hi = (uint32_t)(h >> 32);
		idt[v].zero = 0;
	}
	p.limit = sizeof(idt) - 1;
	p.base = (uint64_t)(uintptr_t)idt;
	__asm__ volatile("lidt %0" : : "m"(p));
}

void __attribute__((noreturn)) guest_exception(uint64_t vec, uint64_t err, uint64_t rip, uint64_t cr2);
void guest_exception(uint64_t vec, uint64_t err, uint64_t rip, uint64_t cr2)
{
	put_str("FAIL exception vec=");
	put_dec(vec);
	put_str(" err=");
	put_hex(err);
	put_str(" rip=");
	put_hex(rip);
	put_str(" cr2=");
	put_hex(cr2);
	put_char('\n');
	halt_forever();
}

/* ---- reports ---- */

static void report_e820(void)
{
	uint32_t n = rd8(bp + BP_E820_ENTRIES);
	uint64_t total = 0;

	if (n > E820_MAX) {
		put_str("E820 FAIL count=");
		put_dec(n);
		put_char('\n');
		n = 0;
	} else {
		put_str("E820 count=");
		put_dec(n);
		put_char('\n');
	}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t e = bp + BP_E820_TABLE + 20 * i;
		uint64_t size = rd64(e + 8);
		uint32_t type = rd32(e + 16);

		put_str("E820 ");
		put_dec(i);
		put_str(" addr=");
		put_hex(rd64(e));
		put_str(" size=");
		put_hex(size);
		put_str(" type=");
		put_dec(type);
		put_char('\n');
		if (type == E820_RAM)
			total += size;
	}
	put_str("RAM total=");
	put_dec(total);
	put_char('\n');
	e820_n = n;
}

/* Copies the command line into cmdline[] and prints it. */
static void report_cmdline(void)
{
	uint64_t a = rd32(bp + BP_CMD_LINE_PTR) | (uint64_t)rd32(bp + BP_EXT_CMD_LINE_PTR) << 32;
	uint64_t span = 0, n = 0;

	if (a) {
		span = readable_span(a, CMDLINE_MAX - 1);
		if (!span) {
			put_str("CMDLINE FAIL unreadable ");
			put_hex(a);
			put_char('\n');
			return;
		}
	}
	while (n < span && rd8(a + n)) {
		cmdline[n] = (char)rd8(a + n);
		n++;
	}
	cmdline[n] = 0;
	put_str("CMDLINE ");
	put_safe((uint64_t)(uintptr_t)cmdline, n);
	put_char('\n');
}

static void report_initrd(void)
{
	uint64_t a = rd32(bp + BP_RAMDISK_IMAGE) | (uint64_t)rd32(bp + BP_EXT_RAMDISK_IMAGE) << 32;
	uint64_t size = rd32(bp + BP_RAMDISK_SIZE) | (uint64_t)rd32(bp + BP_EXT_RAMDISK_SIZE) << 32;
	uint32_t h = 0x811c9dc5;	/* FNV-1a 32-bit offset basis */

	if (!size) {
		put_line("INITRD none");
		return;
	}
	if (!readable(a, size)) {
		put_str("INITRD FAIL unreadable addr=");
		put_hex(a);
		put_str(" size=");
		put_dec(size);
		put_char('\n');
		return;
	}
	for (uint64_t i = 0; i < size; i++) {
		h ^= rd8(a + i);
		h *= 0x01000193;	/* FNV prime */
	}
	put_str("INITRD addr=");
	put_hex(a);
	put_str(" size=");
	put_dec(size);
	put_str(" fnv1a=");
	put_hex_digits(h, 8);
	put_char('\n');
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/*
 * What an OS reads from CPUID about the machine: vendor, leaf 1's logical
 * count, AMD's core count (0x80000008 ECX[7:0] + 1), Intel's cores per
 * package (leaf 4 EAX[31:26] + 1), and the brand string. Raw fields, no
 * judgement: the host side compares them with the VM's vCPU count.
 */
static void report_cpuid(void)
{
	uint32_t r[4], max, ext, brand[12] = { 0 };
	char vendor[13];
	int intel;

	cpuid(0, 0, r);
	max = r[0];
	__builtin_memcpy(vendor, &r[1], 4);
	__builtin_memcpy(vendor + 4, &r[3], 4);
	__builtin_memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	/* "GenuineIntel" as EBX, EDX, ECX hold it (no memcmp here) */
	intel = r[1] == 0x756e6547 && r[3] == 0x49656e69 && r[2] == 0x6c65746e;
	cpuid(1, 0, r);
	put_str("CPUID vendor=");
	put_safe((uint64_t)(uintptr_t)vendor, 12);
	put_str(" logical=");
	put_dec((r[1] >> 16) & 0xff);
	put_str(" htt=");
	put_dec((r[3] >> 28) & 1);
	cpuid(0x80000000, 0, r);
	ext = r[0];
	put_str(" nc=");
	if (ext >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		put_dec(r[2] & 0xff);
	} else {
		put_char('-');
	}
	put_str(" cores4=");
	if (intel && max >= 4) {
		cpuid(4, 0, r);
		put_dec((r[0] >> 26) + 1);
	} else {
		put_char('-');
	}
	put_char('\n');
	if (ext >= 0x80000004)
		for (uint32_t i = 0; i < 3; i++)
			cpuid(0x80000002 + i, 0, &brand[i * 4]);
	put_str("CPUID brand=[");
	{
		uint32_t n = 0;
		const char *b = (const char *)brand;

		while (n < 47 && b[n])
			n++;
		put_safe((uint64_t)(uintptr_t)brand, n);
	}
	put_line("]");
}

/* ---- actions ---- */

/* Each write to the ignored POST port 0x80 is one VM exit (~12 us on the test host). */
static void io_delay(int n)
{
	for (int i = 0; i < n; i++)
		outb(0x80, 0);
}

/*
 * After a poweroff/reset write, give a VMM that handles it asynchronously time
 * to stop us before we claim it was ignored.
 */
static void __attribute__((noreturn)) ignored(const char *what)
{
	io_delay(1000);
	put_line(what);
	halt_forever();
}

static int eq(const char *a, uint32_t alen, const char *b)
{
	uint32_t i;

	for (i = 0; i < alen && b[i]; i++)
		if (a[i] != b[i])
			return 0;
	return i == alen && !b[i];
}

/* Writes one byte to a FADT register; 0 if it is absent or of a kind we can't use. */
static int gas_write8(const struct gas *g, uint8_t v)
{
	if (g->space == 1 && g->addr && g->addr <= 0xffff) {
		outb((uint16_t)g->addr, v);
		return 1;
	}
	if (g->space == 0 && g->addr && g->addr < (1ull << 32)) {
		*(volatile uint8_t *)(uintptr_t)g->addr = v;
		return 1;
	}
	return 0;
}

static void __attribute__((noreturn)) do_poweroff(void)
{
	put_line("ACTION poweroff");
	if (!acpi.have_fadt)
		put_line("FAIL poweroff no FADT");
	else if (!acpi.sleep.addr && acpi.pm1a_cnt && acpi.have_s5) {
		/* A PC: \_S5's SLP_TYP in bits 12:10 of PM1a_CNT with SLP_EN (bit 13). */
		outw(acpi.pm1a_cnt, (uint16_t)((acpi.s5_type & 7) << 10 | 1 << 13));
		ignored("FAIL poweroff ignored");
	} else if (!gas_write8(&acpi.sleep, (5 << 2) | (1 << 5)))	/* SLP_TYP=5 (S5), SLP_EN */
		put_line("FAIL poweroff unusable SLEEP_CONTROL_REG");
	else
		ignored("FAIL poweroff ignored");
	halt_forever();
}

static void __attribute__((noreturn)) do_reset_acpi(void)
{
	put_line("ACTION reset-acpi");
	if (!acpi.have_fadt)
		put_line("FAIL reset no FADT");
	else if (!gas_write8(&acpi.reset, acpi.reset_value))
		put_line("FAIL reset unusable RESET_REG");
	else
		ignored("FAIL reset ignored");
	halt_forever();
}

static void __attribute__((noreturn)) do_triple_fault(void)
{
	struct idt_ptr none = { 0, 0 };

	put_line("ACTION triple-fault");
	/* #UD cannot be delivered, nor the #GP/#DF that follow: shutdown. (ud2, not int3:
	 * kvm_pvm-style software KVMs fail to emulate int3 instead of faulting.) */
	__asm__ volatile("lidt %0; ud2" : : "m"(none));
	put_line("FAIL triple-fault survived");
	halt_forever();
}

static void __attribute__((noreturn)) do_tick(void)
{
	put_line("ACTION tick");
	for (uint64_t n = 0;; n++) {
		put_str("TICK ");
		put_dec(n);
		put_char('\n');
		io_delay(2000);
	}
}

static void __attribute__((noreturn)) do_echo(void)
{
	struct line_in l = { .n = 0 };

	put_line("ACTION echo");
	for (;;) {
		/* Empty lines ("\r\n") are skipped; longer lines are truncated. */
		if (!com1_poll_line(&l))
			continue;
		put_str("ECHO ");
		put_safe((uint64_t)(uintptr_t)l.buf, l.n);
		put_char('\n');
		if (eq(l.buf, l.n, "poweroff"))
			do_poweroff();
		l.n = 0;
	}
}

/* The value of the last word starting with key (e.g. "vmdesk.test="), or 0 if none. */
const char *cmdline_arg(const char *key, uint32_t *len)
{
	const char *val = 0;
	uint32_t i = 0, klen = 0;

	while (key[klen])
		klen++;
	while (cmdline[i]) {
		uint32_t start, k;

		while (cmdline[i] == ' ')
			i++;
		start = i;
		while (cmdline[i] && cmdline[i] != ' ')
			i++;
		for (k = 0; k < klen && start + k < i && cmdline[start + k] == key[k]; k++)
			;
		if (k == klen) {
			val = &cmdline[start + k];
			*len = i - start - k;
		}
	}
	return val;
}

/*
 * Number argument "<key><value>": decimal, or hex when hex is set (with or
 * without 0x). *out = def when the word is absent. 0 (and a FAIL line) when
 * the value is malformed or does not fit 64 bits.
 */
int cmdline_u64(const char *key, int hex, uint64_t def, uint64_t *out)
{
	uint32_t len, i = 0, digits = 0;
	const char *v = cmdline_arg(key, &len);
	uint64_t n = 0;

	*out = def;
	if (!v)
		return 1;
	if (hex && len > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
		i = 2;
	for (; i < len; i++, digits++) {
		char c = v[i];
		uint64_t d;

		if (c >= '0' && c <= '9')
			d = (uint64_t)(c - '0');
		else if (hex && c >= 'a' && c <= 'f')
			d = (uint64_t)(c - 'a' + 10);
		else if (hex && c >= 'A' && c <= 'F')
			d = (uint64_t)(c - 'A' + 10);
		else
			break;
		if (hex ? n >> 60 : n > (~0ull - d) / 10)
			break;
		n = hex ? n << 4 | d : n * 10 + d;
	}
	if (i < len || !digits) {
		put_str("FAIL bad ");
		put_str(key);
		put_safe((uint64_t)(uintptr_t)v, len < MODE_MAX ? len : MODE_MAX);
		put_char('\n');
		return 0;
	}
	*out = n;
	return 1;
}

/*
 * The end of a finite mode (blk, blk-read, blkbench): vmdesk.then=echo or
 * vmdesk.then=tick keeps the VM up in that mode (so the host can read the
 * VMM's counters after the work); anything else powers off.
 */
void __attribute__((noreturn)) do_then(void)
{
	uint32_t len;
	const char *then = cmdline_arg("vmdesk.then=", &len);

	if (then && eq(then, len, "echo"))
		do_echo();
	if (then && eq(then, len, "tick"))
		do_tick();
	do_poweroff();
}

void __attribute__((noreturn)) guest_main(uint64_t boot_params);
void guest_main(uint64_t boot_params)
{
	const char *mode;
	uint32_t len;

	bp = boot_params;
	setup_idt();
	put_line("VMDESK-GUEST v1");
	if (!readable(bp, 4096)) {
		put_str("FAIL boot_params unreadable rsi=");
		put_hex(bp);
		put_char('\n');
		halt_forever();
	}
	report_e820();
	report_cmdline();
	report_initrd();
	report_cpuid();
	acpi_check(bp, &acpi);
	virtio_check();
	blk_check();
	net_check();
	fb_check(bp);
	put_line("CHECKS DONE");

	mode = cmdline_arg("vmdesk.test=", &len);
	if (!mode) {
		mode = "poweroff";
		len = 8;
	}
	if (eq(mode, len, "poweroff"))
		do_poweroff();
	if (eq(mode, len, "reset-i8042")) {
		put_line("ACTION reset-i8042");
		outb(0x64, 0xfe);	/* i8042 command: pulse the CPU reset line */
		ignored("FAIL reset ignored");
	}
	if (eq(mode, len, "reset-acpi"))
		do_reset_acpi();
	if (eq(mode, len, "triple-fault"))
		do_triple_fault();
	if (eq(mode, len, "halt")) {
		put_line("ACTION halt");
		halt_forever();
	}
	if (eq(mode, len, "tick"))
		do_tick();
	if (eq(mode, len, "echo"))
		do_echo();
	if (eq(mode, len, "animate"))
		do_animate();
	if (eq(mode, len, "fullanim"))
		do_fullanim();
	if (eq(mode, len, "input"))
		do_input();
	if (eq(mode, len, "blk"))
		do_blk(1);
	if (eq(mode, len, "blk-read"))
		do_blk(0);
	if (eq(mode, len, "blkbench"))
		do_blkbench();
	if (eq(mode, len, "blkloop"))
		do_blkloop();
	if (eq(mode, len, "net"))
		do_net();
	if (eq(mode, len, "memtick"))
		do_memtick();
	if (eq(mode, len, "inspect"))
		do_inspect();
	if (eq(mode, len, "gpu"))
		do_gpu();
	if (eq(mode, len, "gpuanim"))
		do_gpuanim();
	put_str("FAIL unknown test ");
	put_safe((uint64_t)(uintptr_t)mode, len < MODE_MAX ? len : MODE_MAX);
	put_char('\n');
	do_poweroff();
}

/*
 * More checks and modes, in this translation unit so they can use the statics
 * above and build.rs needs no new sources.
 */
#include "virtio.c"
#include "virtio_pci.c"
#include "fb.c"
#include "blk.c"
#include "net.c"
#include "mem.c"
#include "inspect.c"
#include "gpu.c"
#include "gpuanim.c"
