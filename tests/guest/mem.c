/*
 * The "memtick" mode: a known, regenerating RAM pattern for snapshot tests
 * and benchmarks. #included at the bottom of guest.c.
 *
 * Region R = [16 MiB, 16 MiB + n MiB), n = vmdesk.touch_mib (default 8).
 * Every 8-byte little-endian word at guest-physical address a in R holds
 *
 *     word(a) = (0x5a5a000000000000 | g) ^ (a if a % 4096 == 0 else 0)
 *
 * where g is the generation of a's part of R: the first 64 KiB ("head") has
 * the current generation, the rest the fill generation 1. So every page is
 * one `rep stosq` plus a first word that names its address, and a page
 * restored to the wrong place or not at all shows in a sampled check.
 *
 * Edge CRC: CRC-32 (zlib) of the first 64 KiB of R followed by the last
 * 64 KiB. Sample CRC: CRC-32 of the first 8 bytes of every 4 KiB page of R,
 * in address order (n * 256 words, 8 bytes each).
 *
 * The fill is one `rep stosq` (~1.2 us per 8 bytes on an idle kvm_pvm host,
 * ~3 us on a loaded one: 8 MiB in 1.3 to 3.5 s); a CRC costs ~4 ms per KiB
 * idle, ~10 ms loaded, hence sampled checks rather than a CRC of all of R, and
 * `repe scasq` (one emulated iteration per word) for the full comparison.
 */

#define MEM_BASE 0x1000000ull		/* 16 MiB */
#define MEM_EDGE 0x10000ull		/* 64 KiB */
#define MEM_PAGE 4096ull
#define MEM_MAGIC 0x5a5a000000000000ull
#define MEM_DEFAULT_MIB 8
#define MEM_MAX_MIB 4096
#define MEM_FILL_GEN 1
#define MEM_REWRITE_TICKS 16		/* a new head generation every this many ticks */
#define MEM_TICK_ROUNDS 2000		/* COM1 polls between ticks (as tick mode's 2000 delays) */

static struct {
	uint64_t bytes;
	uint64_t gen;			/* the head's generation */
} mem;

static inline uint64_t mem_gen_at(uint64_t a)
{
	return a < MEM_BASE + MEM_EDGE ? mem.gen : MEM_FILL_GEN;
}

static inline uint64_t mem_word(uint64_t a)
{
	uint64_t v = MEM_MAGIC | mem_gen_at(a);

	return a & (MEM_PAGE - 1) ? v : v ^ a;
}

/* Writes [a, a + len) (whole pages) with generation g. */
static void mem_fill(uint64_t a, uint64_t len, uint64_t g)
{
	uint64_t d = a, n = len / 8, v = MEM_MAGIC | g;

	__asm__ volatile("cld; rep stosq" : "+D"(d), "+c"(n) : "a"(v) : "memory", "cc");
	for (uint64_t p = a; p < a + len; p += MEM_PAGE)
		*(volatile uint64_t *)(uintptr_t)p = v ^ p;
}

static uint32_t mem_edge_crc(void)
{
	return crc32_update(crc32_update(0, MEM_BASE, MEM_EDGE),
			    MEM_BASE + mem.bytes - MEM_EDGE, MEM_EDGE);
}

static void mem_line(const char *what, uint32_t crc)
{
	put_str(what);
	put_str(" gen=");
	put_dec(mem.gen);
	put_str(" crc=");
	put_hex32(crc);
	put_char('\n');
}

/* "MEM check gen=<g> crc=0x<sample CRC> bad=<sampled words that differ from word(a)>" */
static void mem_check(void)
{
	uint32_t c = ~0u;		/* CRC state, inverted as in crc32_update */
	uint64_t bad = 0;

	if (!crc_tab)
		crc_init();
	for (uint64_t p = MEM_BASE; p < MEM_BASE + mem.bytes; p += MEM_PAGE) {
		uint64_t v = *(volatile uint64_t *)(uintptr_t)p;

		c = crc_step64(c, v);
		bad += v != mem_word(p);
	}
	put_str("MEM check gen=");
	put_dec(mem.gen);
	put_str(" crc=");
	put_hex32(~c);
	put_str(" bad=");
	put_dec(bad);
	put_char('\n');
}

/* "MEM check-full gen=<g> bad_pages=<pages with any word != word(a)>", by `repe scasq`. */
static void mem_check_full(void)
{
	uint64_t bad = 0;

	for (uint64_t p = MEM_BASE; p < MEM_BASE + mem.bytes; p += MEM_PAGE) {
		uint64_t d = p + 8, n = MEM_PAGE / 8 - 1, v = MEM_MAGIC | mem_gen_at(p);

		__asm__ volatile("cld; repe scasq" : "+D"(d), "+c"(n) : "a"(v) : "memory", "cc");
		/* Stopped early, or the last compared word differed (rcx is 0 either way then). */
		bad += *(volatile uint64_t *)(uintptr_t)p != mem_word(p) || n ||
		       *(volatile uint64_t *)(uintptr_t)(d - 8) != v;
	}
	put_str("MEM check-full gen=");
	put_dec(mem.gen);
	put_str(" bad_pages=");
	put_dec(bad);
	put_char('\n');
}

/* 1 if R lies inside one e820 RAM entry and clear of boot_params and the initrd. */
static int mem_region_ok(void)
{
	uint64_t end = MEM_BASE + mem.bytes;
	uint64_t rd = rd32(bp + BP_RAMDISK_IMAGE) | (uint64_t)rd32(bp + BP_EXT_RAMDISK_IMAGE) << 32;
	uint64_t rds = rd32(bp + BP_RAMDISK_SIZE) | (uint64_t)rd32(bp + BP_EXT_RAMDISK_SIZE) << 32;
	int in_ram = 0;

	for (uint32_t i = 0; i < e820_n; i++) {
		uint64_t e = bp + BP_E820_TABLE + 20 * i;
		uint64_t start = rd64(e), size = rd64(e + 8);

		if (rd32(e + 16) == E820_RAM && start <= MEM_BASE && size >= end - start)
			in_ram = 1;
	}
	if (!in_ram) {
		put_str("FAIL memtick no e820 RAM entry holds ");
		put_hex(MEM_BASE);
		put_str("..");
		put_hex(end);
		put_char('\n');
		return 0;
	}
	if ((rds && rd < end && MEM_BASE < rd + rds) || (bp + 4096 > MEM_BASE && bp < end)) {
		put_line("FAIL memtick region overlaps the initrd or boot_params");
		return 0;
	}
	return 1;
}

void __attribute__((noreturn)) do_memtick(void)
{
	struct line_in l = { .n = 0 };
	uint64_t mib;

	put_line("ACTION memtick");
	if (!cmdline_u64("vmdesk.touch_mib=", 0, MEM_DEFAULT_MIB, &mib))
		do_poweroff();
	if (!mib || mib > MEM_MAX_MIB) {
		put_line("FAIL memtick touch_mib must be 1..4096");
		do_poweroff();
	}
	mem.bytes = mib << 20;
	if (!mem_region_ok())
		do_poweroff();
	mem.gen = MEM_FILL_GEN;
	mem_fill(MEM_BASE, mem.bytes, MEM_FILL_GEN);
	put_str("MEM filled mib=");
	put_dec(mib);
	mem_line("", mem_edge_crc());

	for (uint64_t tick = 0;; tick++) {
		put_str("TICK ");
		put_dec(tick);
		put_char('\n');
		if (tick % MEM_REWRITE_TICKS == MEM_REWRITE_TICKS - 1) {
			mem.gen++;
			mem_fill(MEM_BASE, MEM_EDGE, mem.gen);
			mem_line("MEM", mem_edge_crc());
		}
		for (uint32_t r = 0; r < MEM_TICK_ROUNDS; r++) {
			if (!com1_poll_line(&l))
				continue;
			if (eq(l.buf, l.n, "check"))
				mem_check();
			else if (eq(l.buf, l.n, "check-full"))
				mem_check_full();
			else if (eq(l.buf, l.n, "poweroff"))
				do_poweroff();
			l.n = 0;
		}
	}
}
