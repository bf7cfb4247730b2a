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
