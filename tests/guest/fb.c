/*
 * The linear framebuffer from boot_params.screen_info: a known test pattern
 * the VMM's tests can check pixel by pixel, and the "animate" mode.
 *
 * #included at the bottom of guest.c (so build.rs needs no new source).
 *
 * Pattern: the screen is 8 columns x 6 rows of blocks, bw = width / 8 and
 * bh = height / 6 pixels (integer division); the last column and row also
 * take the remainder. Pixel (x, y) is in block c = min(x / bw, 7),
 * r = min(y / bh, 5) (c = 7 when bw is 0, r = 5 when bh is 0) and has the
 * XRGB8888 value 0x00RRGGBB with RR = c*32+16, GG = r*40+20, BB = (c^r)*16+8.
 *
 * Each run of equal pixels is one fill32 (`rep stosq`): the test host emulates
 * guest kernel code, about 1 us per instruction or string iteration, so the
 * full 1024x768 pattern costs ~0.5 s there and a C loop per pixel would take
 * several seconds.
 */

/* struct screen_info offsets (include/uapi/linux/screen_info.h). */
#define SI_ORIG_VIDEO_ISVGA 0x0f
#define SI_LFB_WIDTH 0x12
#define SI_LFB_HEIGHT 0x14
#define SI_LFB_DEPTH 0x16
#define SI_LFB_BASE 0x18
#define SI_LFB_SIZE 0x1c
#define SI_LFB_LINELENGTH 0x24
#define SI_RED_SIZE 0x26		/* red/green/blue/rsvd size,pos pairs up to 0x2d */
#define SI_CAPABILITIES 0x36
#define SI_EXT_LFB_BASE 0x3a
#define VIDEO_TYPE_EFI 0x70
#define VIDEO_CAPABILITY_64BIT_BASE 2

#define FB_COLS 8
#define FB_ROWS 6

#define SQUARE 64		/* animate: the moving square's side */
#define SQUARE_Y 100		/* ... and its top row */
#define SQUARE_STEP 8		/* pixels per frame */
#define SQUARE_COLOUR 0x00ffffffu
#define FRAME_DELAY 200		/* port-0x80 writes per frame */
#define FRAME_REPORT 32		/* "FRAME <n>" every this many frames */

static struct {
	uint64_t base;
	uint32_t w, h, stride;	/* pixels, pixels, bytes */
	uint32_t bw, bh;	/* block size */
	int ok;
} fb;

static uint32_t fb_colour(uint32_t c, uint32_t r)
{
	return (c * 32 + 16) << 16 | (r * 40 + 20) << 8 | ((c ^ r) * 16 + 8);
}

/* Block column of x / block row of y. */
static uint32_t fb_col(uint32_t x)
{
	return !fb.bw || x / fb.bw >= FB_COLS ? FB_COLS - 1 : x / fb.bw;
}

static uint32_t fb_row(uint32_t y)
{
	return !fb.bh || y / fb.bh >= FB_ROWS ? FB_ROWS - 1 : y / fb.bh;
}

/* First x of block column c (the end of column c is fb_col_start(c + 1)). */
static uint32_t fb_col_start(uint32_t c)
{
	if (c >= FB_COLS)
		return fb.w;
	return c * fb.bw;
}

static inline uint64_t fb_at(uint32_t x, uint32_t y)
{
	return fb.base + (uint64_t)y * fb.stride + (uint64_t)x * 4;
}

/* Redraws the pattern in [x0, x1) x [y0, y1) (clipped to the screen). */
static void fb_pattern(uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1)
{
	if (x1 > fb.w)
		x1 = fb.w;
	if (y1 > fb.h)
		y1 = fb.h;
	for (uint32_t y = y0; y < y1; y++) {
		uint32_t r = fb_row(y);

		for (uint32_t x = x0; x < x1;) {
			uint32_t c = fb_col(x);
			uint32_t end = c == FB_COLS - 1 ? fb.w : fb_col_start(c + 1);

			if (end > x1)
				end = x1;
			fill32(fb_at(x, y), fb_colour(c, r), end - x);
			x = end;
		}
	}
}

static void fb_rect(uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1, uint32_t colour)
{
	if (x1 > fb.w)
		x1 = fb.w;
	if (y1 > fb.h)
		y1 = fb.h;
	for (uint32_t y = y0; x0 < x1 && y < y1; y++)
		fill32(fb_at(x0, y), colour, x1 - x0);
}

static void fb_fail(const char *why)
{
	put_str("FB FAIL ");
	put_line(why);
}

/*
 * Bochs VBE "DISPI" registers (QEMU's VGA devices, isa-vga among them):
 * index port 0x1ce, data port 0x1cf, 16-bit accesses; the linear
 * framebuffer sits at VBE_DISPI_LFB_PHYSICAL_ADDRESS.
 */
#define DISPI_INDEX 0x1ce
#define DISPI_DATA 0x1cf
#define DISPI_ID 0
#define DISPI_XRES 1
#define DISPI_YRES 2
#define DISPI_BPP 3
#define DISPI_ENABLE 4
#define DISPI_ENABLED 0x01
#define DISPI_LFB_ENABLED 0x40
#define DISPI_LFB_BASE 0xe0000000u
#define DISPI_MAX 4096		/* what we accept per side (QEMU: 16000, vram-limited) */

static void dispi_write(uint16_t index, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(index), "Nd"((uint16_t)DISPI_INDEX));
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"((uint16_t)DISPI_DATA));
}

static uint16_t dispi_read(uint16_t index)
{
	uint16_t v;

	__asm__ volatile("outw %0, %1" : : "a"(index), "Nd"((uint16_t)DISPI_INDEX));
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"((uint16_t)DISPI_DATA));
	return v;
}

/* "<w>x<h>" (decimal, 1..DISPI_MAX each) into *w, *h; 0 if malformed. */
static int parse_size(const char *v, uint32_t len, uint32_t *w, uint32_t *h)
{
	uint32_t i = 0, n[2] = { 0, 0 };

	for (int k = 0; k < 2; k++) {
		uint32_t digits = 0;

		for (; i < len && v[i] >= '0' && v[i] <= '9' && digits < 5; i++, digits++)
			n[k] = n[k] * 10 + (uint32_t)(v[i] - '0');
		if (!digits || !n[k] || n[k] > DISPI_MAX)
			return 0;
		if (k == 0 && (i >= len || v[i++] != 'x'))
			return 0;
	}
	*w = n[0];
	*h = n[1];
	return i == len;
}

/*
 * With no framebuffer in screen_info and "vmdesk.dispi=<w>x<h>" on the command
 * line: sets that mode (32 bpp, linear framebuffer) through DISPI and uses
 * it like a screen_info framebuffer (stride = 4 * w, XRGB8888). This is how
 * the same guest shows its screen under QEMU (-device isa-vga), which hands
 * over no framebuffer. 0 when the word is absent; 1 otherwise (the FB lines,
 * or "FB FAIL vga <reason>", printed).
 */
static int fb_dispi(void)
{
	uint32_t len, w, h;
	const char *v = cmdline_arg("vmdesk.dispi=", &len);
	uint16_t id;

	if (!v)
		return 0;
	if (!parse_size(v, len, &w, &h)) {
		fb_fail("vga bad vmdesk.vga (want <w>x<h>, 1..4096 each)");
		return 1;
	}
	id = dispi_read(DISPI_ID);
	if ((id & 0xfff0) != 0xb0c0) {
		put_str("FB FAIL vga no Bochs DISPI id=");
		put_hex(id);
		put_char('\n');
		return 1;
	}
	dispi_write(DISPI_ENABLE, 0);
	dispi_write(DISPI_XRES, (uint16_t)w);
	dispi_write(DISPI_YRES, (uint16_t)h);
	dispi_write(DISPI_BPP, 32);
	dispi_write(DISPI_ENABLE, DISPI_ENABLED | DISPI_LFB_ENABLED);
	/*
	 * QEMU's VGA shows nothing until the attribute controller's palette
	 * address source bit is set (the VGA BIOS does it; we run without one):
	 * reading input status 1 (0x3da colour, 0x3ba mono: the other one is
	 * ignored) resets the index/data flip-flop, then index 0x20 to 0x3c0.
	 */
	(void)inb(0x3da);
	(void)inb(0x3ba);
	outb(0x3c0, 0x20);
	if (dispi_read(DISPI_XRES) != w || dispi_read(DISPI_YRES) != h ||
	    dispi_read(DISPI_BPP) != 32) {
		fb_fail("vga mode refused");
		return 1;
	}
	put_str("FB vga dispi id=");
	put_hex(id);
	put_char('\n');
	put_str("FB ");
	put_dec(w);
	put_char('x');
	put_dec(h);
	put_str(" stride=");
	put_dec(w * 4);
	put_str(" base=");
	put_hex(DISPI_LFB_BASE);
	put_char('\n');
	fb.base = DISPI_LFB_BASE;
	fb.w = w;
	fb.h = h;
	fb.stride = w * 4;
	fb.bw = w / FB_COLS;
	fb.bh = h / FB_ROWS;
	fb.ok = 1;
	fb_pattern(0, 0, w, h);
	put_line("FB pattern drawn");
	return 1;
}

/*
 * "FB <w>x<h> stride=<linelength> base=0x<hex>", then the pattern and
 * "FB pattern drawn"; "FB none" without a framebuffer; "FB FAIL <reason>" if
 * screen_info describes one we cannot draw on.
 */
void fb_check(uint64_t bp)
{
	uint64_t base, bytes;
	uint32_t w, h, stride, size;

	w = rd16(bp + SI_LFB_WIDTH);
	h = rd16(bp + SI_LFB_HEIGHT);
	if (rd8(bp + SI_ORIG_VIDEO_ISVGA) != VIDEO_TYPE_EFI || !w || !h) {
		if (!fb_dispi())
			put_line("FB none");
		return;
	}
	base = rd32(bp + SI_LFB_BASE);
	if (rd32(bp + SI_CAPABILITIES) & VIDEO_CAPABILITY_64BIT_BASE)
		base |= (uint64_t)rd32(bp + SI_EXT_LFB_BASE) << 32;
	stride = rd16(bp + SI_LFB_LINELENGTH);
	size = rd32(bp + SI_LFB_SIZE);
	bytes = (uint64_t)stride * h;

	put_str("FB ");
	put_dec(w);
	put_char('x');
	put_dec(h);
	put_str(" stride=");
	put_dec(stride);
	put_str(" base=");
	put_hex(base);
	put_char('\n');

	if (rd16(bp + SI_LFB_DEPTH) != 32) {
		fb_fail("depth not 32");
		return;
	}
	/* red 8@16, green 8@8, blue 8@0: XRGB8888 (the reserved byte is ignored) */
	if (rd32(bp + SI_RED_SIZE) != 0x08081008 || rd16(bp + SI_RED_SIZE + 4) != 0x0008) {
		fb_fail("not XRGB8888");
		return;
	}
	if (stride < w * 4 || stride % 4) {
		fb_fail("stride");
		return;
	}
	if (!base || base % 4 || base >= (1ull << 32) || bytes > (1ull << 32) - base) {
		fb_fail("base not below 4 GiB");
		return;
	}
	if (size < bytes) {
		fb_fail("lfb_size too small");
		return;
	}
	fb.base = base;
	fb.w = w;
	fb.h = h;
	fb.stride = stride;
	fb.bw = w / FB_COLS;
	fb.bh = h / FB_ROWS;
	fb.ok = 1;
	fb_pattern(0, 0, w, h);
	put_line("FB pattern drawn");
}

/*
 * A white 64x64 square moving 8 px right per frame along rows 100..163
 * (wrapping to x = 0 when it would leave the screen), the pattern restored
 * behind it; "FRAME <n>" when frame n is a multiple of 32.
 */
void __attribute__((noreturn)) do_animate(void)
{
	uint32_t x = 0, px = 0;

	put_line("ACTION animate");
	if (!fb.ok) {
		put_line("FAIL animate no framebuffer");
		do_poweroff();
	}
	for (uint64_t n = 0;; n++) {
		if (n && x > px && x < px + SQUARE) {
			/* Moved right by less than its width: only the strips change. */
			fb_pattern(px, SQUARE_Y, x, SQUARE_Y + SQUARE);
			fb_rect(px + SQUARE, SQUARE_Y, x + SQUARE, SQUARE_Y + SQUARE, SQUARE_COLOUR);
		} else {
			if (n)
				fb_pattern(px, SQUARE_Y, px + SQUARE, SQUARE_Y + SQUARE);
			fb_rect(x, SQUARE_Y, x + SQUARE, SQUARE_Y + SQUARE, SQUARE_COLOUR);
		}
		if (n % FRAME_REPORT == 0) {
			put_str("FRAME ");
			put_dec(n);
			put_char('\n');
		}
		io_delay(FRAME_DELAY);
		px = x;
		x += SQUARE_STEP;
		if (x + SQUARE > fb.w)
			x = 0;
	}
}

/*
 * ---- fullanim: the whole screen changes every frame, drawn from ring 3 ----
 *
 * Ring-0 code is emulated on the test host (~1 us per instruction, a full
 * 1024x768 fill ~0.4 s) but ring-3 code runs natively, so this mode sets up
 * what CPL 3 needs (page tables with the U bit, user segments, a TSS for
 * exceptions) and drops there for good. Frame n: every pixel is its pattern
 * colour XOR (n mod 256) * 0x010101, so consecutive frames differ in every
 * pixel. See README.md "Full-screen animation".
 */
#define FULL_REPORT 64		/* "FRAME <n>" every this many frames */
#define MARKER 32		/* latency marker: the top-left MARKER x MARKER pixels */
#define POLL_US 250		/* paced: COM1 polled every this many microseconds while waiting */
#define PIT_HZ 1193182ull
#define PIT_CALIB_TICKS 23864	/* 20 ms */

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));

static struct tss64 full_tss __attribute__((aligned(16)));
/* 0x10/0x18 kernel code/data (as Linux's boot GDT), 0x20/0x28 user data/code, 0x30 TSS. */
static uint64_t full_gdt[8] __attribute__((aligned(16))) = {
	0, 0,
	0x00af9a000000ffffull,	/* 0x10: 64-bit code, DPL 0 */
	0x00cf92000000ffffull,	/* 0x18: data, DPL 0 */
	0x00cff2000000ffffull,	/* 0x20: data, DPL 3 */
	0x00affa000000ffffull,	/* 0x28: 64-bit code, DPL 3 */
	0, 0,			/* 0x30: TSS, filled in at run time */
};

static struct {
	uint64_t tsc_hz, fps, period, poll;	/* period, poll: TSC ticks (0 = unpaced) */
	uint32_t marker;		/* 0 until a byte arrived, else the marker colour */
} full;

void __attribute__((noreturn)) enter_user(uint64_t rip, uint64_t rsp);
extern char full_gate[];

/* Ring 3: COM1 through full_gate (entry.S). The byte received, or -1. */
static inline int32_t user_com1_poll(void)
{
	int32_t v;

	__asm__ volatile("ud2" : "=a"(v) : "D"(0) : "memory");
	return v;
}

static inline void user_put_char(char c)
{
	uint32_t v;

	__asm__ volatile("ud2" : "=a"(v) : "D"(1), "S"((uint32_t)(uint8_t)c) : "memory");
}

/* Ring 3: "FRAME <n>\n". */
static void user_put_frame(uint64_t n)
{
	char buf[20];
	int k = 0;

	for (const char *s = "FRAME "; *s; s++)
		user_put_char(*s);
	do {
		buf[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	while (k)
		user_put_char(buf[--k]);
	user_put_char('\n');
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* PIT channel 0's current count (counter latch command). */
static uint32_t pit0_count(void)
{
	uint32_t lo, hi;

	outb(0x43, 0x00);
	lo = inb(0x40);
	hi = inb(0x40);
	return hi << 8 | lo;
}

/*
 * TSC ticks per second against the PIT (in-kernel in both KVM VMMs we run
 * under). Channel 0, not 2: channel 2's gate and output sit on port 0x61,
 * which a VMM may leave out; ports 0x40-0x43 are always the PIT. Mode 0 from
 * 0xffff counts down once; we wait 20 ms of it (it lasts 55 ms, so a host
 * preemption of up to ~35 ms cannot wrap it). 0 when the PIT does not count.
 */
static uint64_t tsc_calibrate(void)
{
	uint32_t c0, c = 0, prev;
	uint64_t t0, t1;

	outb(0x43, 0x30);	/* channel 0, lobyte/hibyte, mode 0, binary */
	outb(0x40, 0xff);
	outb(0x40, 0xff);
	c0 = prev = pit0_count();
	t0 = rdtsc();
	for (uint32_t i = 0; i < 200000; i++) {
		c = pit0_count();
		if (c > prev)
			return 0;	/* wrapped: preempted too long */
		prev = c;
		if (c0 - c >= PIT_CALIB_TICKS)
			break;
	}
	t1 = rdtsc();
	if (c0 - c < PIT_CALIB_TICKS)
		return 0;
	return (t1 - t0) * PIT_HZ / (c0 - c);
}

static uint32_t full_marker(uint8_t b)
{
	return 0x00ff0000u | (uint32_t)b << 8 | b;
}

/* Paints the marker block now (called from ring 3). */
static void full_paint_marker(void)
{
	uint32_t mw = fb.w < MARKER ? fb.w : MARKER, mh = fb.h < MARKER ? fb.h : MARKER;

	for (uint32_t y = 0; y < mh; y++)
		fill32(fb_at(0, y), full.marker, mw);
}

/* One COM1 poll (ring 3): a received byte sets and paints the marker. */
static void full_poll(void)
{
	int32_t b = user_com1_poll();

	if (b >= 0) {
		full.marker = full_marker((uint8_t)b);
		full_paint_marker();
	}
}

/* Frame n over every pixel; the marker block instead of the frame once a byte came. */
static void full_draw(uint64_t n)
{
	uint32_t x_xor = (uint32_t)(n & 0xff) * 0x010101u;
	uint32_t mw = fb.w < MARKER ? fb.w : MARKER, mh = fb.h < MARKER ? fb.h : MARKER;

	for (uint32_t y = 0; y < fb.h; y++) {
		uint32_t r = fb_row(y), x = 0;

		if (full.marker && y < mh) {
			fill32(fb_at(0, y), full.marker, mw);
			x = mw;
		}
		while (x < fb.w) {
			uint32_t c = fb_col(x);
			uint32_t end = c == FB_COLS - 1 ? fb.w : fb_col_start(c + 1);

			fill32(fb_at(x, y), fb_colour(c, r) ^ x_xor, end - x);
			x = end;
		}
	}
}

static void __attribute__((noreturn)) full_user(void)
{
	uint64_t next = rdtsc();

	for (uint64_t n = 0;; n++) {
		full_draw(n);
		if (n % FULL_REPORT == 0)
			user_put_frame(n);
		if (!full.period) {
			full_poll();
			continue;
		}
		/* Late (host preempted us)? Start counting again rather than rush frames. */
		next += full.period;
		if ((int64_t)(rdtsc() - next) > 0)
			next = rdtsc();
		for (uint64_t poll = rdtsc(); (int64_t)(next - rdtsc()) > 0;) {
			if ((int64_t)(rdtsc() - poll) >= 0) {
				full_poll();
				poll += full.poll;
			}
			__asm__ volatile("pause");
		}
	}
}

static void __attribute__((noreturn)) full_enter_user(void (*fn)(void));

void __attribute__((noreturn)) do_fullanim(void)
{
	put_line("ACTION fullanim");
	if (!fb.ok) {
		put_line("FAIL fullanim no framebuffer");
		do_poweroff();
	}
	if (!cmdline_u64("vmdesk.fps=", 0, 60, &full.fps))
		do_poweroff();
	full.tsc_hz = tsc_calibrate();
	if (!full.tsc_hz) {
		put_line("FAIL fullanim PIT channel 0 does not count");
		do_poweroff();
	}
	full.period = full.fps ? full.tsc_hz / full.fps : 0;
	full.poll = full.tsc_hz / (1000000 / POLL_US);
	put_str("FULLANIM fps=");
	put_dec(full.fps);
	put_str(" tsc_hz=");
	put_dec(full.tsc_hz);
	put_char('\n');
	full_enter_user(full_user);
}

/*
 * Drops to ring 3 for good at `fn` (fullanim, gpuanim): an identity map of
 * the first 4 GiB that ring 3 may use, user segments, a TSS, and full_gate
 * as the #UD handler (ring 3's way to COM1 and MMIO).
 */
static void __attribute__((noreturn)) full_enter_user(void (*fn)(void))
{
	uint64_t pml4, pdpt, pd, stack;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr;
	uint64_t t = (uint64_t)(uintptr_t)&full_tss;

	/* Identity map of the first 4 GiB, 2 MiB pages, user-accessible: P|RW|U. */
	pml4 = scratch_alloc(6 * 4096);
	stack = scratch_alloc(2 * 4096);
	if (!pml4 || !stack)
		halt_forever();
	pdpt = pml4 + 4096;
	pd = pdpt + 4096;
	fill32(pml4, 0, 2 * 4096 / 4);
	*(volatile uint64_t *)(uintptr_t)pml4 = pdpt | 7;
	for (uint64_t i = 0; i < 4; i++)
		((volatile uint64_t *)(uintptr_t)pdpt)[i] = (pd + i * 4096) | 7;
	for (uint64_t i = 0; i < 2048; i++)
		((volatile uint64_t *)(uintptr_t)pd)[i] = (i << 21) | 0x87;	/* PS|U|RW|P */
	__asm__ volatile("mov %0, %%cr3" : : "r"(pml4) : "memory");

	/* Our own GDT with user segments and a TSS whose RSP0 catches exceptions from ring 3. */
	__asm__ volatile("mov %%rsp, %0" : "=r"(full_tss.rsp[0]));
	full_tss.rsp[0] &= ~15ull;
	full_tss.iomap_base = sizeof(full_tss);	/* no I/O bitmap */
	full_gdt[6] = (sizeof(full_tss) - 1) | (t & 0xffffff) << 16 | 0x89ull << 40 |
		      ((t >> 24) & 0xff) << 56;
	full_gdt[7] = t >> 32;
	gdtr.limit = sizeof(full_gdt) - 1;
	gdtr.base = (uint64_t)(uintptr_t)full_gdt;
	__asm__ volatile("lgdt %0\n\t"
			 "pushq $0x10\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\tmovl $0x18, %%eax\n\t"
			 "movl %%eax, %%ss\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movw $0x30, %%ax\n\t"
			 "ltr %%ax"
			 : : "m"(gdtr) : "rax", "memory");
	setup_idt();		/* the gates name the new kernel code selector */
	{
		/* #UD goes to full_gate: `ud2` is ring 3's way to COM1. */
		uint64_t h = (uint64_t)(uintptr_t)full_gate;

		idt[6].off_lo = (uint16_t)h;
		idt[6].off_mid = (uint16_t)(h >> 16);
		idt[6].off_hi = (uint32_t)(h >> 32);
	}
	enter_user((uint64_t)(uintptr_t)fn, stack + 2 * 4096);
}
