/*
 * A tiny polled virtio-mmio driver (virtio 1.x, register layout "version 2",
 * spec 4.2.2) and the checks and modes that use it: virtio-rng in the default
 * checks, virtio-input in "vmdesk.test=input". blk.c (virtio-blk) and net.c
 * (virtio-net) build on it.
 *
 * #included at the bottom of guest.c (so build.rs needs no new source), which
 * gives it guest.c's statics: io_delay, do_poweroff, eq, acpi, the COM1 macros.
 *
 * Queues are split virtqueues, one 4 KiB page each (after the image, below):
 * descriptor table at 0, available ring at 16*N, used ring at 2048 (N <= 64
 * would fit; we use N <= VQ_SIZE). No interrupts:
 * the guest polls used->idx. x86 keeps stores in order and loads in order, so
 * compiler barriers around the ring accesses are all the ordering we need;
 * MMIO writes (QueueNotify) are VM exits and serialize anyway.
 */

#define VIRTIO_BASE 0xd0000000ull
#define VIRTIO_WINDOW 0x1000
#define VIRTIO_SLOTS 32		/* 0..7: vmdesk's windows; 8..31: QEMU microvm's (on request) */
#define VIRTIO_VMDESK_SLOTS 8
/* QEMU's microvm puts 24 virtio-mmio transports of 512 bytes at 0xfeb00000. */
#define VIRTIO_MICROVM_BASE 0xfeb00000ull
#define VIRTIO_MICROVM_WINDOW 0x200
#define VIRTIO_MAGIC 0x74726976	/* "virt" */

/* Registers (virtio spec 4.2.2). */
#define VM_MAGIC 0x000
#define VM_VERSION 0x004
#define VM_DEVICE_ID 0x008
#define VM_DEVICE_FEATURES 0x010
#define VM_DEVICE_FEATURES_SEL 0x014
#define VM_DRIVER_FEATURES 0x020
#define VM_DRIVER_FEATURES_SEL 0x024
#define VM_QUEUE_SEL 0x030
#define VM_QUEUE_NUM_MAX 0x034
#define VM_QUEUE_NUM 0x038
#define VM_QUEUE_READY 0x044
#define VM_QUEUE_NOTIFY 0x050
#define VM_STATUS 0x070
#define VM_CONFIG_GENERATION 0x0fc
#define VM_QUEUE_DESC_LOW 0x080
#define VM_QUEUE_DESC_HIGH 0x084
#define VM_QUEUE_DRIVER_LOW 0x090
#define VM_QUEUE_DRIVER_HIGH 0x094
#define VM_QUEUE_DEVICE_LOW 0x0a0
#define VM_QUEUE_DEVICE_HIGH 0x0a4
#define VM_CONFIG 0x100

/* Device status bits. */
#define ST_ACKNOWLEDGE 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8
#define ST_NEEDS_RESET 0x40
#define ST_FAILED 0x80

#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_INPUT 18

#define VIRTQ_DESC_F_NEXT 1	/* chained: `next` is valid */
#define VIRTQ_DESC_F_WRITE 2	/* buffer is device write-only */

#define VQ_SIZE 16		/* entries we use per queue (fewer if QueueNumMax is smaller) */
#define VQ_USED_OFF 2048	/* used ring offset in the queue page */
#define VQ_PAGES 8		/* queue pages: rng 1 + keyboard 2 + tablet 2, with room */
#define VQ_MAX_PER_DEV 2

/*
 * Queue pages live right after the image (_end, page-aligned), inside the
 * init_size (0x40000, see build.rs and guest.ld) that the boot protocol
 * reserves for the kernel from its load address. Not .bss: entry.S zeroes
 * .bss at ~1 us per 8 bytes on the test host, and most boots use one page.
 * vq_setup clears each page it hands out.
 */
#define GUEST_LOAD 0x100000ull
#define GUEST_INIT_SIZE 0x40000ull
extern char _end[];

/*
 * Data buffers (virtio-blk's 32 KiB, virtio-net's packets, the CRC-32 tables)
 * follow the queue pages, still inside init_size, for the same reason: handed
 * out 4 KiB-aligned by scratch_alloc, never cleared here (callers that need
 * zeroes clear them).
 */
static uint64_t scratch_used;

/* 0 (and a FAIL line) when init_size is used up. */
static uint64_t scratch_alloc(uint64_t bytes)
{
	uint64_t base = (((uint64_t)(uintptr_t)_end + 4095) & ~4095ull) + 4096ull * VQ_PAGES;
	uint64_t a = base + scratch_used;

	bytes = (bytes + 4095) & ~4095ull;
	if (a + bytes > GUEST_LOAD + GUEST_INIT_SIZE) {
		put_line("FAIL out of scratch memory (init_size)");
		return 0;
	}
	scratch_used += bytes;
	return a;
}

/*
 * Polling budget for one request: each round is one port-0x80 write (~12 us
 * on the test host), so this is roughly a second at worst.
 */
#define VQ_SPIN 100000

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct vq {
	volatile struct vq_desc *desc;
	volatile uint16_t *avail;	/* flags, idx, ring[N], used_event */
	volatile uint16_t *used;	/* flags, idx, then N x {le32 id, le32 len} */
	uint16_t num;			/* queue size in use */
	uint16_t avail_idx;		/* next avail->idx we publish */
	uint16_t last_used;		/* used->idx we have consumed up to */
	uint16_t ready;
};

struct vdev {
	uint64_t base;
	uint32_t id;
	uint32_t version;
	int present;
	int up;				/* DRIVER_OK set and accepted */
	struct vq q[VQ_MAX_PER_DEV];
	/* virtio-pci (virtio_pci.c): where the function's structures are. */
	int pci;
	uint64_t common, notify, devcfg;
	uint32_t notify_mult;
};

static struct vdev vdevs[VIRTIO_SLOTS];
static int vdevs_probed;
static uint32_t vq_pages_used;

#define barrier() __asm__ volatile("" ::: "memory")

static inline uint32_t mmio_rd32(uint64_t a) { return *(volatile uint32_t *)(uintptr_t)a; }
static inline void mmio_wr32(uint64_t a, uint32_t v) { *(volatile uint32_t *)(uintptr_t)a = v; }
static inline uint8_t mmio_rd8(uint64_t a) { return *(volatile uint8_t *)(uintptr_t)a; }
static inline void mmio_wr8(uint64_t a, uint8_t v) { *(volatile uint8_t *)(uintptr_t)a = v; }

static inline void mmio_wr16_at(uint64_t a, uint16_t v) { *(volatile uint16_t *)(uintptr_t)a = v; }
static uint32_t vpci_reg(const struct vdev *d, uint32_t off);
static void vpci_set(const struct vdev *d, uint32_t off, uint32_t v);
static int vpci_probe(void);

static inline uint32_t vreg(const struct vdev *d, uint32_t off)
{
	return d->pci ? vpci_reg(d, off) : mmio_rd32(d->base + off);
}

static inline void vset(const struct vdev *d, uint32_t off, uint32_t v)
{
	if (d->pci)
		vpci_set(d, off, v);
	else
		mmio_wr32(d->base + off, v);
}

static void vfail(int i, const char *what)
{
	put_str("FAIL virtio ");
	put_dec((uint64_t)i);
	put_char(' ');
	put_line(what);
}

/* Finds the devices once; prints "VIRTIO <i> id=<id> ver=<version>" each, or "VIRTIO none". */
static void virtio_probe(void)
{
	int n = 0;

	if (vdevs_probed)
		return;
	vdevs_probed = 1;
	/* The PC machine's virtio devices are PCI functions (virtio_pci.c). */
	uint32_t plen;
	const char *p = cmdline_arg("vmdesk.virtio=", &plen);
	if (p && eq(p, plen, "pci")) {
		if (!vpci_probe())
			put_line("VIRTIO none");
		return;
	}
	/* QEMU's windows only with vmdesk.mmio=microvm: probing costs an exit per window. */
	uint32_t mlen;
	const char *m = cmdline_arg("vmdesk.mmio=", &mlen);
	int slots = m && eq(m, mlen, "microvm") ? VIRTIO_SLOTS : VIRTIO_VMDESK_SLOTS;

	for (int i = 0; i < slots; i++) {
		struct vdev *d = &vdevs[i];

		d->base = i < VIRTIO_VMDESK_SLOTS
			? VIRTIO_BASE + (uint64_t)i * VIRTIO_WINDOW
			: VIRTIO_MICROVM_BASE + (uint64_t)(i - VIRTIO_VMDESK_SLOTS) * VIRTIO_MICROVM_WINDOW;
		if (vreg(d, VM_MAGIC) != VIRTIO_MAGIC)
			continue;	/* absent: reads as all-ones */
		d->version = vreg(d, VM_VERSION);
		d->id = vreg(d, VM_DEVICE_ID);
		if (d->id == 0)
			continue;	/* virtio-mmio placeholder: no device behind it */
		d->present = 1;
		n++;
		put_str("VIRTIO ");
		put_dec((uint64_t)i);
		put_str(" id=");
		put_dec(d->id);
		put_str(" ver=");
		put_dec(d->version);
		put_char('\n');
	}
	if (!n)
		put_line("VIRTIO none");
}

/* Sets up queue qi in a fresh queue page; 0 on failure (reported). */
static int vq_setup(struct vdev *d, int i, uint32_t qi)
{
	struct vq *q = &d->q[qi];
	uint32_t max, num;
	uint64_t page;

	vset(d, VM_QUEUE_SEL, qi);
	if (vreg(d, VM_QUEUE_READY)) {
		vfail(i, "queue already ready");
		return 0;
	}
	max = vreg(d, VM_QUEUE_NUM_MAX);
	if (!max) {
		vfail(i, "queue missing");
		return 0;
	}
	/* Split queues need a power of two; take the largest <= min(VQ_SIZE, max). */
	for (num = VQ_SIZE; num > max; num >>= 1)
		;
	page = (((uint64_t)(uintptr_t)_end + 4095) & ~4095ull) + 4096ull * vq_pages_used;
	if (vq_pages_used >= VQ_PAGES || page + 4096 > GUEST_LOAD + GUEST_INIT_SIZE) {
		vfail(i, "out of queue pages");
		return 0;
	}
	vq_pages_used++;
	fill32(page, 0, 1024);

	q->desc = (volatile struct vq_desc *)(uintptr_t)page;
	q->avail = (volatile uint16_t *)(uintptr_t)(page + 16 * num);
	q->used = (volatile uint16_t *)(uintptr_t)(page + VQ_USED_OFF);
	q->num = (uint16_t)num;
	q->avail_idx = 0;
	q->last_used = 0;

	vset(d, VM_QUEUE_NUM, num);
	vset(d, VM_QUEUE_DESC_LOW, (uint32_t)page);
	vset(d, VM_QUEUE_DESC_HIGH, (uint32_t)(page >> 32));
	vset(d, VM_QUEUE_DRIVER_LOW, (uint32_t)(page + 16 * num));
	vset(d, VM_QUEUE_DRIVER_HIGH, (uint32_t)((page + 16 * num) >> 32));
	vset(d, VM_QUEUE_DEVICE_LOW, (uint32_t)(page + VQ_USED_OFF));
	vset(d, VM_QUEUE_DEVICE_HIGH, (uint32_t)((page + VQ_USED_OFF) >> 32));
	vset(d, VM_QUEUE_READY, 1);
	if (vreg(d, VM_QUEUE_READY) != 1) {
		vfail(i, "queue not ready");
		return 0;
	}
	q->ready = 1;
	return 1;
}

/*
 * Driver initialization (virtio spec 3.1.1) with nq queues; VERSION_1 and,
 * of the feature bits 0..31 in want, those the device offers are negotiated
 * (*got, if not null). 1 on success; otherwise a "FAIL virtio <i> ..." line
 * was printed and the device is left FAILED.
 */
static int virtio_init_features(int i, uint32_t nq, uint32_t want, uint32_t *got)
{
	struct vdev *d = &vdevs[i];
	uint32_t feat;

	if (d->up)
		return 1;
	if (d->version != 2) {
		vfail(i, "not version 2");
		return 0;
	}
	vset(d, VM_STATUS, 0);	/* reset */
	if (vreg(d, VM_STATUS) != 0) {
		vfail(i, "reset failed");
		return 0;
	}
	vset(d, VM_STATUS, ST_ACKNOWLEDGE);
	vset(d, VM_STATUS, ST_ACKNOWLEDGE | ST_DRIVER);

	vset(d, VM_DEVICE_FEATURES_SEL, 1);
	if (!(vreg(d, VM_DEVICE_FEATURES) & 1)) {
		vfail(i, "no VERSION_1");
		goto failed;
	}
	vset(d, VM_DEVICE_FEATURES_SEL, 0);
	feat = vreg(d, VM_DEVICE_FEATURES) & want;
	if (got)
		*got = feat;
	vset(d, VM_DRIVER_FEATURES_SEL, 0);
	vset(d, VM_DRIVER_FEATURES, feat);
	vset(d, VM_DRIVER_FEATURES_SEL, 1);
	vset(d, VM_DRIVER_FEATURES, 1);	/* bit 32: VIRTIO_F_VERSION_1 */
	vset(d, VM_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK);
	if (!(vreg(d, VM_STATUS) & ST_FEATURES_OK)) {
		vfail(i, "FEATURES_OK refused");
		goto failed;
	}

	for (uint32_t qi = 0; qi < nq && qi < VQ_MAX_PER_DEV; qi++)
		if (!vq_setup(d, i, qi))
			goto failed;

	vset(d, VM_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	if (vreg(d, VM_STATUS) & ST_NEEDS_RESET) {
		vfail(i, "DEVICE_NEEDS_RESET after DRIVER_OK");
		goto failed;
	}
	d->up = 1;
	return 1;

failed:
	vset(d, VM_STATUS, ST_FAILED);
	return 0;
}

static int virtio_init(int i, uint32_t nq)
{
	return virtio_init_features(i, nq, 0, 0);
}

/* Device feature bits 0..31 as offered (readable without initializing the device). */
static uint32_t virtio_offered(const struct vdev *d)
{
	vset(d, VM_DEVICE_FEATURES_SEL, 0);
	return vreg(d, VM_DEVICE_FEATURES);
}

/* A config-space u64 read as two u32s, consistent by the config generation (spec 4.2.2.2). */
static uint64_t virtio_cfg64(const struct vdev *d, uint32_t off)
{
	uint32_t gen, lo, hi, tries = 0;

	do {
		gen = vreg(d, VM_CONFIG_GENERATION);
		lo = vreg(d, VM_CONFIG + off);
		hi = vreg(d, VM_CONFIG + off + 4);
	} while (gen != vreg(d, VM_CONFIG_GENERATION) && ++tries < 100);
	return (uint64_t)hi << 32 | lo;
}

/* Makes descriptor `head` (one buffer) available; the device sees it after vq_notify. */
static void vq_post(struct vq *q, uint16_t head, uint64_t addr, uint32_t len, uint16_t flags)
{
	q->desc[head].addr = addr;
	q->desc[head].len = len;
	q->desc[head].flags = flags;
	q->desc[head].next = 0;
	q->avail[2 + q->avail_idx % q->num] = head;
	barrier();
	q->avail_idx++;
	q->avail[1] = q->avail_idx;
	barrier();
}

/*
 * Makes a chain of n buffers available, in descriptors 0..n-1 (the caller has
 * no other request outstanding on this queue); bufs[k] = { addr, len, flags }.
 */
struct vq_buf {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
};

static void vq_post_chain(struct vq *q, const struct vq_buf *bufs, uint16_t n)
{
	for (uint16_t k = 0; k < n; k++) {
		q->desc[k].addr = bufs[k].addr;
		q->desc[k].len = bufs[k].len;
		q->desc[k].flags = (uint16_t)(bufs[k].flags | (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		q->desc[k].next = (uint16_t)(k + 1 < n ? k + 1 : 0);
	}
	q->avail[2 + q->avail_idx % q->num] = 0;
	barrier();
	q->avail_idx++;
	q->avail[1] = q->avail_idx;
	barrier();
}

static void vq_notify(const struct vdev *d, uint32_t qi)
{
	vset(d, VM_QUEUE_NOTIFY, qi);
}

/* Takes one used entry if there is one: 1 and *id, *len; else 0. */
static int vq_get_used(struct vq *q, uint32_t *id, uint32_t *len)
{
	volatile uint32_t *e;

	if (q->used[1] == q->last_used)
		return 0;
	barrier();
	e = (volatile uint32_t *)(q->used + 2) + 2 * (q->last_used % q->num);
	*id = e[0];
	*len = e[1];
	barrier();
	q->last_used++;
	return 1;
}

/* Polls for one used entry, at most spin rounds; 0 (and a FAIL line) on timeout. */
static int vq_wait_used_for(int i, struct vq *q, uint32_t *id, uint32_t *len, uint32_t spin)
{
	for (uint32_t n = 0; n < spin; n++) {
		if (vq_get_used(q, id, len))
			return 1;
		io_delay(1);
	}
	vfail(i, "timeout");
	return 0;
}

static int vq_wait_used(int i, struct vq *q, uint32_t *id, uint32_t *len)
{
	return vq_wait_used_for(i, q, id, len, VQ_SPIN);
}

/* ---- virtio-rng ---- */

static uint8_t rng_buf[64] __attribute__((aligned(64)));

/* Reads 64 bytes from the first rng device: "RNG ok bytes=64 distinct=<n>". */
static void rng_check(void)
{
	uint32_t id, len, distinct = 0;
	uint32_t seen[8] = { 0 };
	struct vq *q;
	int i;

	for (i = 0; i < VIRTIO_SLOTS; i++)
		if (vdevs[i].present && vdevs[i].id == VIRTIO_ID_RNG)
			break;
	if (i == VIRTIO_SLOTS)
		return;
	if (!virtio_init(i, 1))
		return;
	q = &vdevs[i].q[0];
	for (uint32_t k = 0; k < sizeof(rng_buf); k++)
		rng_buf[k] = 0;
	vq_post(q, 0, (uint64_t)(uintptr_t)rng_buf, sizeof(rng_buf), VIRTQ_DESC_F_WRITE);
	vq_notify(&vdevs[i], 0);
	if (!vq_wait_used(i, q, &id, &len))
		return;
	if (id != 0 || len != sizeof(rng_buf)) {
		put_str("FAIL virtio ");
		put_dec((uint64_t)i);
		put_str(" rng used id=");
		put_dec(id);
		put_str(" len=");
		put_dec(len);
		put_char('\n');
		return;
	}
	for (uint32_t k = 0; k < sizeof(rng_buf); k++) {
		uint8_t b = rng_buf[k];

		if (!(seen[b >> 5] & (1u << (b & 31)))) {
			seen[b >> 5] |= 1u << (b & 31);
			distinct++;
		}
	}
	put_str("RNG ok bytes=");
	put_dec(len);
	put_str(" distinct=");
	put_dec(distinct);
	put_char('\n');
}

/* The default-check part: DSDT count, devices, rng. */
void virtio_check(void)
{
	uint32_t n;

	if (acpi_dsdt_count(&acpi, "LNRO0005", &n)) {
		put_str("DSDT virtio=");
		put_dec(n);
		put_char('\n');
	}
	virtio_probe();
	rng_check();
}

/* ---- virtio-input ---- */

#define INPUT_CFG_ID_NAME 1
#define INPUT_CFG_EV_BITS 0x11
#define INPUT_CFG_ABS_INFO 0x12
#define INPUT_CFG_SELECT 0
#define INPUT_CFG_SUBSEL 1
#define INPUT_CFG_SIZE 2
#define INPUT_CFG_DATA 8
#define EV_KEY 1
#define EV_ABS 3
#define EV_MAX 0x1f

struct input_event {
	uint16_t type, code;
	uint32_t value;
};

static struct input_event input_bufs[VIRTIO_SLOTS][VQ_SIZE];

/* Selects a config item; returns its size (0 = not supported). */
static uint32_t input_cfg(const struct vdev *d, uint8_t select, uint8_t subsel)
{
	mmio_wr8(d->base + VM_CONFIG + INPUT_CFG_SELECT, select);
	mmio_wr8(d->base + VM_CONFIG + INPUT_CFG_SUBSEL, subsel);
	return mmio_rd8(d->base + VM_CONFIG + INPUT_CFG_SIZE);
}

static uint8_t input_byte(const struct vdev *d, uint32_t k)
{
	return mmio_rd8(d->base + VM_CONFIG + INPUT_CFG_DATA + k);
}

static uint32_t input_le32(const struct vdev *d, uint32_t k)
{
	return mmio_rd32(d->base + VM_CONFIG + INPUT_CFG_DATA + k);
}

static void put_sdec(int32_t v)
{
	if (v < 0) {
		put_char('-');
		put_dec((uint64_t)-(int64_t)v);
	} else {
		put_dec((uint64_t)v);
	}
}

/*
 * "INPUT dev <i> name=<name> ev_bits=0x<mask> keys=<n>": mask bit t set when
 * the device offers event type t; n = codes in its EV_KEY bitmap. For a device
 * offering EV_ABS also "INPUT abs x=<min>..<max> y=<min>..<max>".
 */
static void input_describe(int i)
{
	const struct vdev *d = &vdevs[i];
	uint32_t size, mask = 0, keys = 0;

	put_str("INPUT dev ");
	put_dec((uint64_t)i);
	put_str(" name=");
	size = input_cfg(d, INPUT_CFG_ID_NAME, 0);
	for (uint32_t k = 0; k < size && k < 128; k++) {
		uint8_t c = input_byte(d, k);

		put_char(c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	for (uint32_t t = 0; t <= EV_MAX; t++)
		if (input_cfg(d, INPUT_CFG_EV_BITS, (uint8_t)t))
			mask |= 1u << t;
	if (mask & (1u << EV_KEY)) {
		size = input_cfg(d, INPUT_CFG_EV_BITS, EV_KEY);
		for (uint32_t k = 0; k < size && k < 128; k++)
			for (uint8_t b = input_byte(d, k); b; b &= (uint8_t)(b - 1))
				keys++;
	}
	put_str(" ev_bits=");
	put_hex(mask);
	put_str(" keys=");
	put_dec(keys);
	put_char('\n');

	if (!(mask & (1u << EV_ABS)))
		return;
	put_str("INPUT abs");
	for (uint8_t axis = 0; axis < 2; axis++) {	/* ABS_X, ABS_Y */
		put_str(axis ? " y=" : " x=");
		if (input_cfg(d, INPUT_CFG_ABS_INFO, axis) < 8) {
			put_str("none");
			continue;
		}
		put_sdec((int32_t)input_le32(d, 0));
		put_str("..");
		put_sdec((int32_t)input_le32(d, 4));
	}
	put_char('\n');
}

/* Fills the event queue with one 8-byte buffer per descriptor. */
static void input_fill(int i)
{
	struct vq *q = &vdevs[i].q[0];

	for (uint16_t k = 0; k < q->num; k++)
		vq_post(q, k, (uint64_t)(uintptr_t)&input_bufs[i][k], sizeof(struct input_event),
			VIRTQ_DESC_F_WRITE);
	vq_notify(&vdevs[i], 0);
}

/* Prints each used event as "EV dev=<i> type=<t> code=<c> value=<v>" and re-posts it. */
static void input_drain(int i)
{
	struct vq *q = &vdevs[i].q[0];
	uint32_t id, len;
	int any = 0;

	while (vq_get_used(q, &id, &len)) {
		if (id >= q->num) {
			put_str("FAIL virtio ");
			put_dec((uint64_t)i);
			put_str(" used id=");
			put_dec(id);
			put_char('\n');
			continue;
		}
		if (len >= sizeof(struct input_event)) {
			volatile struct input_event *e = &input_bufs[i][id];

			put_str("EV dev=");
			put_dec((uint64_t)i);
			put_str(" type=");
			put_dec(e->type);
			put_str(" code=");
			put_dec(e->code);
			put_str(" value=");
			put_sdec((int32_t)e->value);
			put_char('\n');
		}
		vq_post(q, (uint16_t)id, (uint64_t)(uintptr_t)&input_bufs[i][id],
			sizeof(struct input_event), VIRTQ_DESC_F_WRITE);
		any = 1;
	}
	if (any)
		vq_notify(&vdevs[i], 0);
}

void __attribute__((noreturn)) do_input(void)
{
	struct line_in l = { .n = 0 };
	uint32_t devs = 0;

	put_line("ACTION input");
	virtio_probe();
	for (int i = 0; i < VIRTIO_SLOTS; i++) {
		if (!vdevs[i].present || vdevs[i].id != VIRTIO_ID_INPUT)
			continue;
		if (!virtio_init(i, 2))
			continue;
		input_describe(i);
		input_fill(i);
		devs++;
	}
	if (!devs) {
		put_line("FAIL input no devices");
		do_poweroff();
	}
	put_str("INPUT ready devices=");
	put_dec(devs);
	put_char('\n');
	for (;;) {
		for (int i = 0; i < VIRTIO_SLOTS; i++)
			if (vdevs[i].up && vdevs[i].id == VIRTIO_ID_INPUT)
				input_drain(i);
		if (!com1_poll_line(&l))
			continue;
		if (eq(l.buf, l.n, "poweroff"))
			do_poweroff();
		l.n = 0;
	}
}
