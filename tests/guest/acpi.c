/*
 * ACPI checks: find the RSDP, walk the XSDT with checksums, count CPUs in the
 * MADT, read the FADT's sleep/reset registers, check the DSDT. Every address
 * comes from the VMM, so each is bounds-checked before it is dereferenced.
 */
#include "guest.h"

#define SIG4(a, b, c, d) \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define RSDP_SIG 0x2052545020445352ull	/* "RSD PTR " little endian */

#define HDR_LEN 36			/* standard SDT header */
#define MAX_TABLE_LEN (1u << 20)	/* sanity bound; also bounds checksum loops */
#define MAX_XSDT_ENTRIES 64		/* ours has a handful; ignore the rest */

/* Offsets in the FADT (ACPI 6.x). */
#define FADT_PM1A_CNT_BLK 64
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_X_DSDT 140
#define FADT_SLEEP_CONTROL_REG 244
#define FADT_MIN_LEN (FADT_SLEEP_CONTROL_REG + 12)

static int sum_ok(uint64_t a, uint64_t len)
{
	uint8_t s = 0;

	for (uint64_t i = 0; i < len; i++)
		s += rd8(a + i);
	return s == 0;
}

static void fail(const char *why)
{
	put_str("ACPI FAIL ");
	put_line(why);
}

static void fail_table(uint64_t t, const char *why)
{
	put_str("ACPI FAIL table ");
	put_safe(t, 4);
	put_char(' ');
	put_line(why);
}

/* boot_params.acpi_rsdp_addr, else the legacy BIOS-area scan. */
static uint64_t find_rsdp(uint64_t bp)
{
	uint64_t a, first = 0;

	a = rd64(bp + 0x070);
	if (a)
		return a;
	for (a = 0xE0000; a < 0x100000; a += 16) {
		if (rd64(a) != RSDP_SIG)
			continue;
		if (sum_ok(a, 20))
			return a;
		if (!first)
			first = a;	/* report its bad checksum unless a good one follows */
	}
	return first;
}

/* Validates RSDP and XSDT; returns a failure reason, or 0 and sets *rsdp, *xsdt. */
static const char *find_xsdt(uint64_t bp, uint64_t *rsdp, uint64_t *xsdt)
{
	uint64_t r, x;
	uint32_t len;

	r = find_rsdp(bp);
	if (!r)
		return "no rsdp";
	if (!readable(r, 36))
		return "rsdp unreadable";
	if (rd64(r) != RSDP_SIG)
		return "rsdp signature";
	if (!sum_ok(r, 20))
		return "rsdp checksum";
	if (rd8(r + 15) < 2)
		return "rsdp revision < 2 (no xsdt)";
	if (!sum_ok(r, 36))
		return "rsdp extended checksum";

	x = rd64(r + 24);
	if (!x)
		return "no xsdt";
	if (!readable(x, HDR_LEN))
		return "xsdt unreadable";
	if (rd32(x) != SIG4('X', 'S', 'D', 'T'))
		return "xsdt signature";
	len = rd32(x + 4);
	if (len < HDR_LEN || len > MAX_TABLE_LEN || !readable(x, len))
		return "xsdt length";
	if (!sum_ok(x, len))
		return "xsdt checksum";
	*rsdp = r;
	*xsdt = x;
	return 0;
}

/*
 * Prints "ACPI rsdp=... ok" or one "ACPI FAIL ..." line per problem; returns
 * the (checksum-valid) MADT and FADT, or leaves them 0.
 */
static void walk(uint64_t bp, uint64_t *madt, uint64_t *fadt)
{
	uint64_t rsdp = 0, xsdt = 0;
	const char *err;
	uint32_t n;
	int fails = 0;

	err = find_xsdt(bp, &rsdp, &xsdt);
	if (err) {
		fail(err);
		return;
	}

	n = (rd32(xsdt + 4) - HDR_LEN) / 8;
	for (uint32_t i = 0; i < n && i < MAX_XSDT_ENTRIES; i++) {
		uint64_t t = rd64(xsdt + HDR_LEN + 8 * i);
		uint32_t tlen;

		if (!readable(t, HDR_LEN)) {
			put_str("ACPI FAIL xsdt entry ");
			put_dec(i);
			put_str(" unreadable ");
			put_hex(t);
			put_char('\n');
			fails++;
			continue;
		}
		tlen = rd32(t + 4);
		if (tlen < HDR_LEN || tlen > MAX_TABLE_LEN || !readable(t, tlen)) {
			fail_table(t, "length");
			fails++;
			continue;
		}
		if (!sum_ok(t, tlen)) {
			fail_table(t, "checksum");
			fails++;
			continue;
		}
		if (rd32(t) == SIG4('A', 'P', 'I', 'C') && !*madt)
			*madt = t;
		else if (rd32(t) == SIG4('F', 'A', 'C', 'P') && !*fadt)
			*fadt = t;
	}
	if (!fails) {
		put_str("ACPI rsdp=");
		put_hex(rsdp);
		put_line(" ok");
	}
}

/* Enabled Local APIC (type 0) and Local x2APIC (type 9) entries. */
static void madt_line(uint64_t madt)
{
	uint32_t len, off = 44, cpus = 0;	/* entries follow header + LAPIC addr + flags */

	if (!madt) {
		fail("no MADT");
		return;
	}
	len = rd32(madt + 4);
	while (off + 2 <= len) {
		uint8_t type = rd8(madt + off), elen = rd8(madt + off + 1);

		if (elen < 2 || off + elen > len) {
			fail("MADT bad entry");
			return;
		}
		if (type == 0 && elen >= 8 && (rd32(madt + off + 4) & 1))
			cpus++;
		else if (type == 9 && elen >= 16 && (rd32(madt + off + 8) & 1))
			cpus++;
		off += elen;
	}
	put_str("MADT cpus=");
	put_dec(cpus);
	put_char('\n');
}

static void read_gas(uint64_t a, struct gas *g)
{
	g->space = rd8(a);
	g->addr = rd64(a + 4);
}

static void fadt_line(uint64_t fadt, struct acpi_info *out)
{
	uint32_t len;

	if (!fadt) {
		fail("no FADT");
		return;
	}
	len = rd32(fadt + 4);
	if (len < FADT_PM1A_CNT_BLK + 4) {
		fail("FADT too short");
		return;
	}
	/* A PC's FADT may end before the hardware-reduced sleep registers (QEMU's pc:
	 * revision 3, 244 bytes) or even before RESET_REG: those then read as absent. */
	out->sleep.space = 0;
	out->sleep.addr = 0;
	out->reset = out->sleep;
	out->reset_value = 0;
	if (len >= FADT_MIN_LEN)
		read_gas(fadt + FADT_SLEEP_CONTROL_REG, &out->sleep);
	if (len > FADT_RESET_VALUE) {
		read_gas(fadt + FADT_RESET_REG, &out->reset);
		out->reset_value = rd8(fadt + FADT_RESET_VALUE);
	}
	out->have_fadt = 1;

	put_str("FADT sleep=");
	put_dec(out->sleep.space);
	put_char(':');
	put_hex(out->sleep.addr);
	put_str(" reset=");
	put_dec(out->reset.space);
	put_char(':');
	put_hex(out->reset.addr);
	put_char('/');
	put_hex(out->reset_value);
	put_char('\n');
	/* A PC (PIIX4) FADT sleeps through PM1a_CNT instead; the Linux machine's has none. */
	out->pm1a_cnt = (uint16_t)rd32(fadt + FADT_PM1A_CNT_BLK);
	if (out->pm1a_cnt) {
		put_str("FADT pm1a_cnt=");
		put_hex(out->pm1a_cnt);
		put_char('\n');
	}
}

/*
 * \_S5's first element, the SLP_TYP for PM1a_CNT: "_S5_" then a Package (0x12,
 * PkgLength, NumElements) whose first element is Zero, One or a ByteConst.
 */
static void find_s5(struct acpi_info *a)
{
	for (uint32_t off = HDR_LEN; off + 10 <= a->dsdt_len; off++) {
		uint64_t p = a->dsdt + off;
		uint8_t lead, e;

		if (rd32(p) != SIG4('_', 'S', '5', '_') || rd8(p + 4) != 0x12)
			continue;
		lead = rd8(p + 5);
		p += 5 + 1 + (lead >> 6) + 1;	/* PkgLength bytes, then NumElements */
		if (p + 2 > a->dsdt + a->dsdt_len)
			return;
		e = rd8(p);
		if (e == 0x00 || e == 0x01) {
			a->s5_type = e;
		} else if (e == 0x0a) {
			a->s5_type = rd8(p + 1);
		} else {
			return;
		}
		a->have_s5 = 1;
		return;
	}
}

static const char *dsdt_error(uint64_t fadt, struct acpi_info *out)
{
	uint64_t d;
	uint32_t len;

	if (!fadt)
		return "no FADT";
	if (rd32(fadt + 4) < FADT_X_DSDT + 8)
		return "FADT too short";
	d = rd64(fadt + FADT_X_DSDT);
	if (!d)
		return "no X_DSDT";
	if (!readable(d, HDR_LEN))
		return "unreadable";
	if (rd32(d) != SIG4('D', 'S', 'D', 'T'))
		return "signature";
	len = rd32(d + 4);
	if (len < HDR_LEN || len > MAX_TABLE_LEN || !readable(d, len))
		return "length";
	if (!sum_ok(d, len))
		return "checksum";
	out->dsdt = d;
	out->dsdt_len = len;
	return 0;
}

int acpi_dsdt_count(const struct acpi_info *a, const char *s, uint32_t *count)
{
	uint32_t n = 0, slen = 0;

	if (!a->dsdt)
		return 0;
	while (s[slen])
		slen++;
	for (uint32_t off = HDR_LEN; slen && off + slen <= a->dsdt_len; off++) {
		uint64_t p = a->dsdt + off, left = a->dsdt_len - slen + 1 - off;
		uint32_t k = 1;

		/* Skip to the next first byte with one `repne scasb` (the test host
		 * emulates each guest instruction; a C loop costs ~5x more). */
		__asm__ volatile("cld; repne scasb" : "+D"(p), "+c"(left) : "a"(s[0]) : "memory", "cc");
		if (rd8(p - 1) != (uint8_t)s[0])
			break;	/* ran out */
		off = (uint32_t)(p - 1 - a->dsdt);
		while (k < slen && rd8(a->dsdt + off + k) == (uint8_t)s[k])
			k++;
		if (k == slen)
			n++;
	}
	*count = n;
	return 1;
}

void acpi_check(uint64_t bp, struct acpi_info *out)
{
	uint64_t madt = 0, fadt = 0;
	const char *err;

	out->have_fadt = 0;
	out->dsdt = 0;
	out->dsdt_len = 0;
	out->pm1a_cnt = 0;
	out->have_s5 = 0;
	walk(bp, &madt, &fadt);
	/* One line each for MADT, FADT and DSDT, whatever happened above. */
	madt_line(madt);
	fadt_line(fadt, out);
	err = dsdt_error(fadt, out);
	if (err) {
		put_str("DSDT FAIL ");
		put_line(err);
	} else {
		put_line("DSDT ok");
		find_s5(out);
	}
}
