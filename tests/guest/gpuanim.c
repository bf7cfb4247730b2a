/*
 * virtio-gpu full-screen animation ("vmdesk.test=gpuanim vmdesk.fps=N"): the
 * `fullanim` frames (fb.c) drawn into a virtio-gpu resource's backing, each
 * followed by TRANSFER_TO_HOST_2D and RESOURCE_FLUSH of the whole screen,
 * for display benchmarks (vmm-core/benches/gpu.rs) under vmdesk-vmm and
 * QEMU (virtio-gpu-device on microvm's virtio-mmio, `vmdesk.mmio=microvm`).
 *
 * Ring 0 (emulated on the test host) sets up the device, resource 1 at the
 * size display info reports, its backing at GPU_BACKING and the scanout,
 * calibrates the TSC and drops to ring 3 (fb.c's full_enter_user), which
 * runs natively. Ring 3 reaches the device's registers through full_gate
 * (entry.S: `ud2` with %edi 2 = MMIO write, 3 = MMIO read) and the rings
 * through plain memory. Per frame: draw, then transfer + flush posted
 * together (one notify), waiting for both responses; COM1 bytes paint the
 * latency marker as in fullanim. A display-change event switches to a new
 * resource at the new size in the other half of GPU_BACKING (the first
 * frame is drawn and transferred before the scanout moves), then drops the
 * old one. See README.md "virtio-gpu animation".
 *
 * #included at the bottom of guest.c after fb.c and gpu.c.
 */

#define GA_SLOT 512		/* bytes per request and per response slot in their pages */
#define GA_MAX_BATCH 4		/* commands posted together (descriptors 0..7) */

static struct {
	int dev;
	uint32_t res, w, h;	/* the resource on the scanout and its size */
	uint64_t at;		/* its backing */
	uint64_t timeout;	/* TSC ticks to wait for a response */
} ga;

static inline void user_mmio_wr32(uint64_t a, uint32_t v)
{
	uint32_t r;

	__asm__ volatile("ud2" : "=a"(r) : "D"(2), "S"(a), "d"(v) : "memory");
}

static inline uint32_t user_mmio_rd32(uint64_t a)
{
	uint32_t v;

	__asm__ volatile("ud2" : "=a"(v) : "D"(3), "S"(a) : "memory");
	return v;
}

static void user_put_str(const char *s)
{
	while (*s)
		user_put_char(*s++);
}

static void user_put_dec(uint64_t n)
{
	char buf[20];
	int k = 0;

	do {
		buf[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	while (k)
		user_put_char(buf[--k]);
}

static void user_size_line(const char *prefix, uint32_t w, uint32_t h)
{
	user_put_str(prefix);
	user_put_dec(w);
	user_put_char('x');
	user_put_dec(h);
	user_put_char('\n');
}

static void __attribute__((noreturn)) user_fail(const char *what, uint32_t v)
{
	user_put_str("FAIL gpuanim ");
	user_put_str(what);
	user_put_char(' ');
	user_put_dec(v);
	user_put_char('\n');
	for (;;)
		__asm__ volatile("pause");
}

struct ga_cmd {
	uint32_t kind;
	const uint32_t *words;
	uint32_t n;		/* words after the 24-byte header */
	uint32_t resp_len;
	uint32_t want;		/* the response type expected */
};

/*
 * Ring 3: posts k commands as chains (descriptors 2j, 2j + 1), notifies once
 * and waits (bounded by ga.timeout) for all k responses. Any other response
 * type or a timeout prints a FAIL line and stops the animation.
 */
static void ga_submit(const struct ga_cmd *c, uint32_t k)
{
	struct vq *q = &vdevs[ga.dev].q[0];

	for (uint32_t j = 0; j < k; j++) {
		uint64_t req = gpu_req + j * GA_SLOT, resp = gpu_resp + j * GA_SLOT;
		volatile uint32_t *r = (volatile uint32_t *)(uintptr_t)req;
		uint16_t d = (uint16_t)(2 * j);

		for (uint32_t x = 0; x < 6; x++)
			r[x] = 0;
		r[0] = c[j].kind;
		for (uint32_t x = 0; x < c[j].n; x++)
			r[6 + x] = c[j].words[x];
		*(volatile uint32_t *)(uintptr_t)resp = 0;
		q->desc[d].addr = req;
		q->desc[d].len = 24 + 4 * c[j].n;
		q->desc[d].flags = VIRTQ_DESC_F_NEXT;
		q->desc[d].next = (uint16_t)(d + 1);
		q->desc[d + 1].addr = resp;
		q->desc[d + 1].len = c[j].resp_len;
		q->desc[d + 1].flags = VIRTQ_DESC_F_WRITE;
		q->desc[d + 1].next = 0;
		q->avail[2 + q->avail_idx % q->num] = d;
		q->avail_idx++;
	}
	barrier();
	q->avail[1] = q->avail_idx;
	barrier();
	user_mmio_wr32(vdevs[ga.dev].base + VM_QUEUE_NOTIFY, 0);
	for (uint32_t got = 0; got < k;) {
		uint32_t id, len;
		uint64_t t0 = rdtsc();

		while (!vq_get_used(q, &id, &len)) {
			if (rdtsc() - t0 > ga.timeout)
				user_fail("timeout kind", c[got].kind);
			__asm__ volatile("pause");
		}
		got++;
	}
	for (uint32_t j = 0; j < k; j++) {
		uint32_t t = *(volatile uint32_t *)(uintptr_t)(gpu_resp + j * GA_SLOT);

		if (t != c[j].want)
			user_fail("response", t);
	}
}

/* The frame's pixels sit in the resource backing at ga.at (fb.c's drawing state). */
static void ga_use(uint64_t at, uint32_t w, uint32_t h)
{
	fb.base = at;
	fb.w = w;
	fb.h = h;
	fb.stride = w * 4;
	fb.bw = w / FB_COLS;
	fb.bh = h / FB_ROWS;
}

/* Transfer and flush of the whole screen of resource `res`. */
static void ga_present(uint32_t res, uint32_t w, uint32_t h)
{
	uint32_t transfer[8] = { 0, 0, w, h, 0, 0, res, 0 };
	uint32_t flush[6] = { 0, 0, w, h, res, 0 };
	struct ga_cmd c[2] = {
		{ GPU_TRANSFER_TO_HOST_2D, transfer, 8, 24, GPU_OK_NODATA },
		{ GPU_RESOURCE_FLUSH, flush, 6, 24, GPU_OK_NODATA },
	};

	ga_submit(c, 2);
}

/* Ring 3: a display-change event. Sets the new mode (as gpu.c's do_gpu does, from ring 3). */
static void ga_resize(uint64_t frame)
{
	uint64_t base = vdevs[ga.dev].base;
	struct ga_cmd info = { GPU_GET_DISPLAY_INFO, 0, 0, 24 + 16 * 24, GPU_OK_DISPLAY_INFO };
	uint32_t w, h;

	user_mmio_wr32(base + VM_CONFIG + 4, GPU_EVENT_DISPLAY);	/* events_clear */
	ga_submit(&info, 1);
	w = *(volatile uint32_t *)(uintptr_t)(gpu_resp + 24 + 8);
	h = *(volatile uint32_t *)(uintptr_t)(gpu_resp + 24 + 12);
	user_size_line("GPU event display ", w, h);
	if (!w || !h || (uint64_t)w * h * 4 > GPU_BACKING_MAX / 2) {
		user_size_line("GPU mode too large ", w, h);
		return;
	}
	uint32_t next = ga.res == 1 ? 2 : 1, old[2] = { ga.res, 0 };
	uint64_t at = GPU_BACKING + (next == 1 ? 0 : GPU_BACKING_MAX / 2);
	uint32_t create[4] = { next, GPU_FORMAT_B8G8R8X8, w, h };
	uint32_t attach[6] = { next, 1, (uint32_t)at, (uint32_t)(at >> 32), w * h * 4, 0 };
	uint32_t transfer[8] = { 0, 0, w, h, 0, 0, next, 0 };
	uint32_t scanout[6] = { 0, 0, w, h, 0, next };
	uint32_t flush[6] = { 0, 0, w, h, next, 0 };
	struct ga_cmd setup[2] = {
		{ GPU_RESOURCE_CREATE_2D, create, 4, 24, GPU_OK_NODATA },
		{ GPU_RESOURCE_ATTACH_BACKING, attach, 6, 24, GPU_OK_NODATA },
	};
	struct ga_cmd show[3] = {
		{ GPU_TRANSFER_TO_HOST_2D, transfer, 8, 24, GPU_OK_NODATA },
		{ GPU_SET_SCANOUT, scanout, 6, 24, GPU_OK_NODATA },
		{ GPU_RESOURCE_FLUSH, flush, 6, 24, GPU_OK_NODATA },
	};
	struct ga_cmd drop[2] = {
		{ GPU_RESOURCE_DETACH_BACKING, old, 2, 24, GPU_OK_NODATA },
		{ GPU_RESOURCE_UNREF, old, 2, 24, GPU_OK_NODATA },
	};

	ga_submit(setup, 2);
	ga_use(at, w, h);
	full_draw(frame);
	ga_submit(show, 3);
	ga_submit(drop, 2);
	ga.res = next;
	ga.at = at;
	ga.w = w;
	ga.h = h;
	user_size_line("GPU mode shown ", w, h);
}

/* Ring 3: "FRAME <n> present_us=<mean transfer + flush round trip of the frames since the last line>". */
static void ga_put_frame(uint64_t n, uint64_t ticks, uint64_t count)
{
	user_put_str("FRAME ");
	user_put_dec(n);
	user_put_str(" present_us=");
	user_put_dec(count ? ticks * 1000000 / full.tsc_hz / count : 0);
	user_put_char('\n');
}

static void __attribute__((noreturn)) ga_user(void)
{
	uint64_t next = rdtsc(), cfg = vdevs[ga.dev].base + VM_CONFIG;
	uint64_t ticks = 0, count = 0;

	for (uint64_t n = 0;; n++) {
		if (user_mmio_rd32(cfg) & GPU_EVENT_DISPLAY) {
			ga_resize(n);
		} else {
			full_draw(n);
			uint64_t t0 = rdtsc();

			ga_present(ga.res, ga.w, ga.h);
			ticks += rdtsc() - t0;
			count++;
		}
		if (n % FULL_REPORT == 0) {
			ga_put_frame(n, ticks, count);
			ticks = count = 0;
		}
		if (!full.period) {
			full_poll();
			continue;
		}
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

void __attribute__((noreturn)) do_gpuanim(void)
{
	uint32_t feat;
	int i;

	put_line("ACTION gpuanim");
	virtio_probe();
	for (i = 0; i < VIRTIO_SLOTS; i++)
		if (vdevs[i].present && vdevs[i].id == VIRTIO_ID_GPU)
			break;
	if (i == VIRTIO_SLOTS) {
		put_line("FAIL gpu no device");
		do_poweroff();
	}
	ga.dev = i;
	gpu_req = scratch_alloc(4096);
	gpu_resp = scratch_alloc(4096);
	if (!gpu_req || !gpu_resp || !virtio_init_features(i, 2, 0, &feat))
		do_poweroff();
	if (vdevs[i].q[0].num < 2 * GA_MAX_BATCH) {
		put_line("FAIL gpuanim control queue too small");
		do_poweroff();
	}
	if (!gpu_display_info(i, &ga.w, &ga.h))
		do_poweroff();
	gpu_size_line("GPU display ", ga.w, ga.h);
	if (!ga.w || !ga.h || (uint64_t)ga.w * ga.h * 4 > GPU_BACKING_MAX / 2) {
		gpu_size_line("FAIL gpuanim mode too large ", ga.w, ga.h);
		do_poweroff();
	}
	if (!cmdline_u64("vmdesk.fps=", 0, 60, &full.fps))
		do_poweroff();
	full.tsc_hz = tsc_calibrate();
	if (!full.tsc_hz) {
		put_line("FAIL gpuanim PIT channel 0 does not count");
		do_poweroff();
	}
	full.period = full.fps ? full.tsc_hz / full.fps : 0;
	full.poll = full.tsc_hz / (1000000 / POLL_US);
	ga.timeout = full.tsc_hz * 2;	/* 2 s: the host may be loaded */

	ga.res = 1;
	ga.at = GPU_BACKING;
	uint32_t create[4] = { 1, GPU_FORMAT_B8G8R8X8, ga.w, ga.h };
	uint32_t attach[6] = { 1, 1, (uint32_t)ga.at, (uint32_t)(ga.at >> 32), ga.w * ga.h * 4, 0 };
	uint32_t scanout[6] = { 0, 0, ga.w, ga.h, 0, 1 };

	if (!gpu_expect(i, "create", GPU_RESOURCE_CREATE_2D, create, 4) ||
	    !gpu_expect(i, "attach", GPU_RESOURCE_ATTACH_BACKING, attach, 6) ||
	    !gpu_expect(i, "scanout", GPU_SET_SCANOUT, scanout, 6))
		do_poweroff();
	ga_use(ga.at, ga.w, ga.h);
	put_str("GPUANIM fps=");
	put_dec(full.fps);
	put_str(" tsc_hz=");
	put_dec(full.tsc_hz);
	put_char('\n');
	full_enter_user(ga_user);
}
