/*
 * virtio-gpu 2D ("vmdesk.test=gpu"): the driver side of the VMM's device, as
 * small as a test needs. It reads the display info and the EDID, draws fb.c's
 * pattern into guest RAM at GPU_BACKING, makes it resource 1
 * (B8G8R8X8: the pattern's XRGB words as bytes), attaches that memory, scans
 * it out, transfers and flushes it, and then polls for display-change events
 * (a host resize): each time it re-reads the display info and, as a real
 * driver sets a new mode, draws the pattern at the new size into a new
 * resource, scans that out and drops the old one; until "poweroff" arrives on
 * COM1.
 *
 * After the pattern it sets a pointer image through the cursor queue (see
 * gpu_cursor: a 64x64 B8G8R8A8 resource with a known shape and hot spot).
 *
 * Lines: "GPU display <w>x<h>", "GPU edid ok preferred=<w>x<h>" (or FAIL),
 * "GPU pattern shown", "GPU cursor set 64x64 hot=3,5", then per change "GPU event display <w>x<h>" and
 * "GPU mode shown <w>x<h>" (or "GPU mode too large <w>x<h>" when the picture
 * would not fit the RAM set aside for it: the old one stays).
 *
 * With "vmdesk.gpu=wait" it first prints "GPU waiting" and starts on a
 * "start" line (so a test sees the screen before the driver takes it). A
 * "reset" line resets the device (the screen goes back to the VGA on the PC
 * machine's virtio-vga) and prints "GPU reset".
 *
 * #included at the bottom of guest.c after virtio.c and fb.c.
 */

#define VIRTIO_ID_GPU 16
#define GPU_F_EDID (1u << 1)
#define GPU_BACKING 0x2000000ull	/* 32 MiB: RAM the image and its scratch never use */
#define GPU_BACKING_MAX (16u << 20)	/* two pictures of up to 8 MiB (1920x1080 fits) */
#define GPU_EVENT_DISPLAY 1

#define GPU_GET_DISPLAY_INFO 0x0100
#define GPU_RESOURCE_CREATE_2D 0x0101
#define GPU_RESOURCE_UNREF 0x0102
#define GPU_SET_SCANOUT 0x0103
#define GPU_RESOURCE_FLUSH 0x0104
#define GPU_TRANSFER_TO_HOST_2D 0x0105
#define GPU_RESOURCE_ATTACH_BACKING 0x0106
#define GPU_RESOURCE_DETACH_BACKING 0x0107
#define GPU_GET_EDID 0x010a
#define GPU_UPDATE_CURSOR 0x0300
#define GPU_OK_NODATA 0x1100
#define GPU_OK_DISPLAY_INFO 0x1101
#define GPU_OK_EDID 0x1104
#define GPU_FORMAT_B8G8R8A8 1
#define GPU_FORMAT_B8G8R8X8 2
#define GPU_CURSOR_RES 100
#define GPU_CURSOR_SIDE 64u
#define GPU_CURSOR_HOT_X 3u
#define GPU_CURSOR_HOT_Y 5u

static uint64_t gpu_req, gpu_resp;	/* one scratch page each */

/* Sends the request (24-byte header of type `kind`, then `words`) and waits; returns the response type. */
static uint32_t gpu_cmd(int i, uint32_t kind, const uint32_t *words, uint32_t n, uint32_t resp_len)
{
	struct vq_buf bufs[2] = {
		{ gpu_req, 24 + 4 * n, 0 },
		{ gpu_resp, resp_len, VIRTQ_DESC_F_WRITE },
	};
	uint32_t id, len;

	fill32(gpu_req, 0, 6 + n);
	*(volatile uint32_t *)(uintptr_t)gpu_req = kind;
	for (uint32_t k = 0; k < n; k++)
		((volatile uint32_t *)(uintptr_t)(gpu_req + 24))[k] = words[k];
	*(volatile uint32_t *)(uintptr_t)gpu_resp = 0;
	vq_post_chain(&vdevs[i].q[0], bufs, 2);
	vq_notify(&vdevs[i], 0);
	if (!vq_wait_used(i, &vdevs[i].q[0], &id, &len))
		return 0;
	return rd32(gpu_resp);
}

static int gpu_expect(int i, const char *what, uint32_t kind, const uint32_t *w, uint32_t n)
{
	uint32_t r = gpu_cmd(i, kind, w, n, 24);

	if (r == GPU_OK_NODATA)
		return 1;
	put_str("FAIL gpu ");
	put_str(what);
	put_str(" response=");
	put_hex(r);
	put_char('\n');
	return 0;
}

/* Scanout 0's size from GET_DISPLAY_INFO; 0 on failure (reported). */
static int gpu_display_info(int i, uint32_t *w, uint32_t *h)
{
	if (gpu_cmd(i, GPU_GET_DISPLAY_INFO, 0, 0, 24 + 16 * 24) != GPU_OK_DISPLAY_INFO) {
		put_line("FAIL gpu display info");
		return 0;
	}
	*w = rd32(gpu_resp + 24 + 8);
	*h = rd32(gpu_resp + 24 + 12);
	return 1;
}

static void gpu_edid(int i)
{
	uint32_t scanout[2] = { 0, 0 };
	uint8_t sum = 0;

	if (gpu_cmd(i, GPU_GET_EDID, scanout, 2, 32 + 1024) != GPU_OK_EDID || rd32(gpu_resp + 24) != 128) {
		put_line("FAIL gpu edid response");
		return;
	}
	for (uint32_t k = 0; k < 128; k++)
		sum = (uint8_t)(sum + rd8(gpu_resp + 32 + k));
	if (sum != 0 || rd32(gpu_resp + 32) != 0xffffff00u) {
		put_line("FAIL gpu edid checksum or header");
		return;
	}
	/* The first detailed timing (block offset 54): active width and height. */
	uint64_t d = gpu_resp + 32 + 54;
	put_str("GPU edid ok preferred=");
	put_dec(rd8(d + 2) | (uint32_t)(rd8(d + 4) >> 4) << 8);
	put_char('x');
	put_dec(rd8(d + 5) | (uint32_t)(rd8(d + 7) >> 4) << 8);
	put_char('\n');
}

static void gpu_size_line(const char *prefix, uint32_t w, uint32_t h)
{
	put_str(prefix);
	put_dec(w);
	put_char('x');
	put_dec(h);
	put_char('\n');
}

/* Draws the pattern at w x h into RAM at `at`, makes it resource `res`, and
 * shows it on scanout 0 (create, attach, scanout, transfer, flush). */
static int gpu_show(int i, uint32_t res, uint64_t at, uint32_t w, uint32_t h)
{
	fb.base = at;
	fb.w = w;
	fb.h = h;
	fb.stride = w * 4;
	fb.bw = w / FB_COLS;
	fb.bh = h / FB_ROWS;
	fb_pattern(0, 0, w, h);

	uint32_t create[4] = { res, GPU_FORMAT_B8G8R8X8, w, h };
	uint32_t attach[6] = { res, 1, (uint32_t)at, (uint32_t)(at >> 32), w * h * 4, 0 };
	uint32_t scanout[6] = { 0, 0, w, h, 0, res };
	uint32_t transfer[8] = { 0, 0, w, h, 0, 0, res, 0 };
	uint32_t flush[6] = { 0, 0, w, h, res, 0 };

	return gpu_expect(i, "create", GPU_RESOURCE_CREATE_2D, create, 4) &&
	       gpu_expect(i, "attach", GPU_RESOURCE_ATTACH_BACKING, attach, 6) &&
	       gpu_expect(i, "scanout", GPU_SET_SCANOUT, scanout, 6) &&
	       gpu_expect(i, "transfer", GPU_TRANSFER_TO_HOST_2D, transfer, 8) &&
	       gpu_expect(i, "flush", GPU_RESOURCE_FLUSH, flush, 6);
}

/*
 * The pointer image (tests/e2e/vnc_resize.rs recomputes it): 64x64, pixel
 * (x, y) is opaque where x <= y and x + y < 96, with bytes B = 4x, G = 4y,
 * R = 0xc0, A = 0xff; transparent (all zero) elsewhere. Hot spot 3,5. Drawn
 * into scratch RAM, made resource 100, transferred, and set with
 * UPDATE_CURSOR on the cursor queue (queue 1, a request with no response).
 */
static int gpu_cursor(int i)
{
	const uint32_t n = GPU_CURSOR_SIDE;
	uint64_t img = scratch_alloc(n * n * 4);
	uint32_t id, len;

	if (!img)
		return 0;
	for (uint32_t y = 0; y < n; y++)
		for (uint32_t x = 0; x < n; x++) {
			uint32_t v = 0;

			if (x <= y && x + y < 96)
				v = 0xffc00000u | (4 * y) << 8 | 4 * x;
			((volatile uint32_t *)(uintptr_t)img)[y * n + x] = v;
		}

	uint32_t create[4] = { GPU_CURSOR_RES, GPU_FORMAT_B8G8R8A8, n, n };
	uint32_t attach[6] = { GPU_CURSOR_RES, 1, (uint32_t)img, (uint32_t)(img >> 32), n * n * 4, 0 };
	uint32_t transfer[8] = { 0, 0, n, n, 0, 0, GPU_CURSOR_RES, 0 };

	if (!gpu_expect(i, "cursor create", GPU_RESOURCE_CREATE_2D, create, 4) ||
	    !gpu_expect(i, "cursor attach", GPU_RESOURCE_ATTACH_BACKING, attach, 6) ||
	    !gpu_expect(i, "cursor transfer", GPU_TRANSFER_TO_HOST_2D, transfer, 8))
		return 0;

	/* struct virtio_gpu_update_cursor: header, pos (scanout, x, y, padding),
	 * resource id, hot_x, hot_y, padding. */
	uint32_t cursor[8] = { 0, 10, 10, 0, GPU_CURSOR_RES, GPU_CURSOR_HOT_X, GPU_CURSOR_HOT_Y, 0 };
	struct vq_buf buf = { gpu_req, 24 + sizeof(cursor), 0 };

	fill32(gpu_req, 0, 6);
	*(volatile uint32_t *)(uintptr_t)gpu_req = GPU_UPDATE_CURSOR;
	for (uint32_t k = 0; k < 8; k++)
		((volatile uint32_t *)(uintptr_t)(gpu_req + 24))[k] = cursor[k];
	vq_post_chain(&vdevs[i].q[1], &buf, 1);
	vq_notify(&vdevs[i], 1);
	if (!vq_wait_used(i, &vdevs[i].q[1], &id, &len))
		return 0;
	put_str("GPU cursor set ");
	put_dec(n);
	put_char('x');
	put_dec(n);
	put_str(" hot=");
	put_dec(GPU_CURSOR_HOT_X);
	put_char(',');
	put_dec(GPU_CURSOR_HOT_Y);
	put_char('\n');
	return 1;
}

void __attribute__((noreturn)) do_gpu(void)
{
	struct line_in l = { .n = 0 };
	uint32_t w, h, feat, res = 1;
	int i;

	put_line("ACTION gpu");
	uint32_t wlen;
	const char *wv = cmdline_arg("vmdesk.gpu=", &wlen);
	if (wv && eq(wv, wlen, "wait")) {
		put_line("GPU waiting");
		for (;;) {
			if (!com1_poll_line(&l)) {
				io_delay(100);
				continue;
			}
			if (eq(l.buf, l.n, "poweroff"))
				do_poweroff();
			if (eq(l.buf, l.n, "start"))
				break;
			l.n = 0;
		}
		l.n = 0;
	}
	virtio_probe();
	for (i = 0; i < VIRTIO_SLOTS; i++)
		if (vdevs[i].present && vdevs[i].id == VIRTIO_ID_GPU)
			break;
	if (i == VIRTIO_SLOTS) {
		put_line("FAIL gpu no device");
		do_poweroff();
	}
	gpu_req = scratch_alloc(4096);
	gpu_resp = scratch_alloc(4096);
	if (!gpu_req || !gpu_resp || !virtio_init_features(i, 2, GPU_F_EDID, &feat))
		do_poweroff();
	if (!gpu_display_info(i, &w, &h))
		do_poweroff();
	gpu_size_line("GPU display ", w, h);
	if (feat & GPU_F_EDID)
		gpu_edid(i);

	if (!gpu_show(i, 1, GPU_BACKING, w, h))
		do_poweroff();
	put_line("GPU pattern shown");
	if (!gpu_cursor(i))
		put_line("FAIL gpu cursor");
	for (;;) {
		if (vreg(&vdevs[i], VM_CONFIG) & GPU_EVENT_DISPLAY) {
			if (!gpu_display_info(i, &w, &h))
				do_poweroff();
			gpu_size_line("GPU event display ", w, h);
			vset(&vdevs[i], VM_CONFIG + 4, GPU_EVENT_DISPLAY);	/* events_clear */
			if ((uint64_t)w * h * 4 > GPU_BACKING_MAX / 2) {
				gpu_size_line("GPU mode too large ", w, h);
			} else {
				/* The new picture goes into the other half, so the one shown
				 * stays whole until the scanout moves. */
				uint32_t next = res == 1 ? 2 : 1;
				uint64_t at = GPU_BACKING + (next == 1 ? 0 : GPU_BACKING_MAX / 2);
				uint32_t old[2] = { res, 0 };

				if (!gpu_show(i, next, at, w, h) ||
				    !gpu_expect(i, "detach", GPU_RESOURCE_DETACH_BACKING, old, 2) ||
				    !gpu_expect(i, "unref", GPU_RESOURCE_UNREF, old, 2))
					do_poweroff();
				res = next;
				gpu_size_line("GPU mode shown ", w, h);
			}
		}
		if (!com1_poll_line(&l)) {
			io_delay(100);
			continue;
		}
		if (eq(l.buf, l.n, "poweroff"))
			do_poweroff();
		if (eq(l.buf, l.n, "reset")) {
			vset(&vdevs[i], VM_STATUS, 0);
			put_line(vreg(&vdevs[i], VM_STATUS) == 0 ? "GPU reset" : "FAIL gpu reset");
		}
		l.n = 0;
	}
}
