/*
 * virtio-blk (virtio spec 5.2): the disks in the default checks, and the
 * "blk" / "blk-read" modes that write and read a known pattern on disk 0.
 *
 * #included at the bottom of guest.c after virtio.c, whose driver it uses.
 *
 * One request at a time, polled: a chain of the 16-byte request header
 * (device-readable), the data (one descriptor per segment) and the 1-byte
 * status (device-writable). Disk i is the i-th virtio-blk device in window
 * order, which is the order of the VMM's [[disks]].
 */

#define VIRTIO_BLK_F_SIZE_MAX 1		/* config size_max: largest segment */
#define VIRTIO_BLK_F_SEG_MAX 2		/* config seg_max: most segments per request */
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_FLUSH 9

#define BLK_CFG_CAPACITY 0		/* u64, 512-byte sectors */
#define BLK_CFG_SIZE_MAX 8		/* u32 */
#define BLK_CFG_SEG_MAX 12		/* u32 */

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4

#define BLK_SECTOR 512
#define BLK_COUNT 64			/* sectors per test transfer */
#define BLK_BYTES (BLK_COUNT * BLK_SECTOR)
#define BLK_DEFAULT_SECTOR 2048
#define BLK_DEFAULT_SEED 0x766d6465736b3031ull	/* "vmdesk01" */
/* Device work (a host write or fsync) can take long on a loaded host: ~10x VQ_SPIN. */
#define BLK_SPIN (10 * VQ_SPIN)

struct blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static struct {
	int slot;			/* virtio window */
	uint32_t feat;			/* negotiated, bits 0..31 */
	uint64_t capacity;
	uint32_t seg_bytes;		/* largest data descriptor */
	uint32_t req_bytes;		/* largest transfer per request (multiple of 512) */
	uint64_t hdr;			/* scratch page: header at 0, status byte at 16 */
	uint64_t data;			/* BLK_BYTES of scratch */
} blk;

/* The virtio window of disk n, or -1. */
static int blk_find(int n)
{
	for (int i = 0; i < VIRTIO_SLOTS; i++)
		if (vdevs[i].present && vdevs[i].id == VIRTIO_ID_BLOCK && n-- == 0)
			return i;
	return -1;
}

/* Default checks: "BLK <n> sectors=<capacity> ro=<0|1> flush=<0|1>" per disk, as offered. */
void blk_check(void)
{
	for (int n = 0, i; (i = blk_find(n)) >= 0; n++) {
		const struct vdev *d = &vdevs[i];
		uint32_t f = virtio_offered(d);

		put_str("BLK ");
		put_dec((uint64_t)n);
		put_str(" sectors=");
		put_dec(virtio_cfg64(d, BLK_CFG_CAPACITY));
		put_str(" ro=");
		put_dec(f >> VIRTIO_BLK_F_RO & 1);
		put_str(" flush=");
		put_dec(f >> VIRTIO_BLK_F_FLUSH & 1);
		put_char('\n');
	}
}

/*
 * One request: type, sector, and bytes of data at addr (0 for a flush).
 * Returns the status byte the device wrote, or -1 after a FAIL line.
 */
static int blk_request(uint32_t type, uint64_t sector, uint64_t addr, uint32_t bytes)
{
	struct vdev *d = &vdevs[blk.slot];
	struct vq *q = &d->q[0];
	struct vq_buf bufs[VQ_SIZE];
	volatile struct blk_req_hdr *h = (volatile struct blk_req_hdr *)(uintptr_t)blk.hdr;
	volatile uint8_t *status = (volatile uint8_t *)(uintptr_t)(blk.hdr + 16);
	uint16_t n = 0;
	uint32_t id, len;

	h->type = type;
	h->reserved = 0;
	h->sector = sector;
	*status = 0xff;		/* not a status: shows whether the device wrote it */
	bufs[n++] = (struct vq_buf){ blk.hdr, sizeof(struct blk_req_hdr), 0 };
	for (uint32_t off = 0; off < bytes; off += blk.seg_bytes)
		bufs[n++] = (struct vq_buf){
			addr + off,
			bytes - off < blk.seg_bytes ? bytes - off : blk.seg_bytes,
			type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0,
		};
	bufs[n++] = (struct vq_buf){ blk.hdr + 16, 1, VIRTQ_DESC_F_WRITE };
	vq_post_chain(q, bufs, n);
	vq_notify(d, 0);
	if (!vq_wait_used_for(blk.slot, q, &id, &len, BLK_SPIN))
		return -1;
	if (id != 0 || *status == 0xff) {
		put_str("FAIL blk request type=");
		put_dec(type);
		put_str(" used id=");
		put_dec(id);
		put_str(" len=");
		put_dec(len);
		put_str(" status=");
		put_hex(*status);
		put_char('\n');
		return -1;
	}
	return *status;
}

/* Reads or writes BLK_BYTES at blk.data from sector, in requests the device's limits allow. */
static int blk_transfer(uint32_t type, uint64_t sector)
{
	for (uint32_t off = 0; off < BLK_BYTES; off += blk.req_bytes) {
		uint32_t bytes = BLK_BYTES - off < blk.req_bytes ? BLK_BYTES - off : blk.req_bytes;
		int st = blk_request(type, sector + off / BLK_SECTOR, blk.data + off, bytes);

		if (st)
			return st;
	}
	return 0;
}

/*
 * The test pattern: the 8-byte little-endian word w (0..63) of sector s holds
 * seed ^ (s * 64 + w); over the 64 sectors from `sector`, word j of the
 * buffer holds seed ^ (sector * 64 + j).
 */
static void blk_fill(uint64_t sector, uint64_t seed)
{
	volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)blk.data;
	uint64_t x = sector * 64;

	for (uint32_t j = 0; j < BLK_BYTES / 8; j++)
		w[j] = seed ^ (x + j);
}

static void blk_status_line(const char *what, int st)
{
	put_str("BLK ");
	put_str(what);
	put_str(" status=");
	put_dec((uint64_t)st);
	put_char('\n');
}

/*
 * Finds disk 0, negotiates features and works out the request limits: data
 * descriptors of at most max_seg bytes, requests of at most max_req bytes, and
 * sectors [sector, sector + count) inside the disk. Powers off after a FAIL line.
 */
static void blk_setup(uint64_t sector, uint64_t count, uint32_t max_seg, uint32_t max_req)
{
	uint32_t max;

	virtio_probe();
	blk.slot = blk_find(0);
	if (blk.slot < 0) {
		put_line("FAIL blk no disk");
		do_poweroff();
	}
	if (!virtio_init_features(blk.slot, 1,
				  1u << VIRTIO_BLK_F_SIZE_MAX | 1u << VIRTIO_BLK_F_SEG_MAX |
				  1u << VIRTIO_BLK_F_FLUSH, &blk.feat))
		do_poweroff();
	blk.capacity = virtio_cfg64(&vdevs[blk.slot], BLK_CFG_CAPACITY);
	if (sector > blk.capacity || blk.capacity - sector < count) {
		put_str("FAIL blk sectors ");
		put_dec(sector);
		put_char('+');
		put_dec(count);
		put_str(" beyond capacity ");
		put_dec(blk.capacity);
		put_char('\n');
		do_poweroff();
	}

	/* Segment and request sizes within the device's limits and our queue. */
	blk.seg_bytes = max_seg;
	if (blk.feat & 1u << VIRTIO_BLK_F_SIZE_MAX) {
		uint32_t size_max = vreg(&vdevs[blk.slot], VM_CONFIG + BLK_CFG_SIZE_MAX);

		if (size_max && size_max < blk.seg_bytes)
			blk.seg_bytes = size_max;
	}
	max = vdevs[blk.slot].q[0].num - 2u;	/* descriptors left for data */
	if (blk.feat & 1u << VIRTIO_BLK_F_SEG_MAX) {
		uint32_t seg_max = vreg(&vdevs[blk.slot], VM_CONFIG + BLK_CFG_SEG_MAX);

		if (seg_max && seg_max < max)
			max = seg_max;
	}
	blk.req_bytes = (uint32_t)((uint64_t)blk.seg_bytes * max > max_req ? max_req
					: blk.seg_bytes * max) & ~(BLK_SECTOR - 1u);
	if (vdevs[blk.slot].q[0].num < 3 || !blk.req_bytes) {
		put_line("FAIL blk queue or limits too small");
		do_poweroff();
	}
	blk.hdr = scratch_alloc(4096);
	if (!blk.hdr)
		do_poweroff();

}

void __attribute__((noreturn)) do_blk(int write)
{
	uint64_t sector, seed;
	int st;

	put_line(write ? "ACTION blk" : "ACTION blk-read");
	if (!cmdline_u64("vmdesk.blk_sector=", 0, BLK_DEFAULT_SECTOR, &sector) ||
	    !cmdline_u64("vmdesk.blk_seed=", 1, BLK_DEFAULT_SEED, &seed))
		do_poweroff();
	blk_setup(sector, BLK_COUNT, BLK_BYTES, BLK_BYTES);
	blk.data = scratch_alloc(BLK_BYTES);
	if (!blk.data)
		do_poweroff();
	if (write) {
		blk_fill(sector, seed);
		uint32_t crc = crc32_update(0, blk.data, BLK_BYTES);

		st = blk_transfer(VIRTIO_BLK_T_OUT, sector);
		if (st < 0)
			do_poweroff();
		if (st) {
			/* A read-only disk answers IOERR (1); the read below still runs. */
			blk_status_line("write", st);
		} else {
			put_str("BLK write ok sector=");
			put_dec(sector);
			put_str(" count=64 seed=");
			put_hex(seed);
			put_str(" crc=");
			put_hex32(crc);
			put_char('\n');
			if (!(blk.feat & 1u << VIRTIO_BLK_F_FLUSH)) {
				put_line("BLK flush unsupported");
			} else {
				st = blk_request(VIRTIO_BLK_T_FLUSH, 0, 0, 0);
				if (st < 0)
					do_poweroff();
				if (st)
					blk_status_line("flush", st);
				else
					put_line("BLK flush ok");
			}
		}
	}

	fill32(blk.data, 0, BLK_BYTES / 4);	/* so stale data cannot pass for a read */
	st = blk_transfer(VIRTIO_BLK_T_IN, sector);
	if (st < 0)
		do_poweroff();
	if (st) {
		blk_status_line("read", st);
	} else {
		put_str("BLK read ok crc=");
		put_hex32(crc32_update(0, blk.data, BLK_BYTES));
		put_char('\n');
	}
	do_then();
}

/*
 * "blkbench": vmdesk.blk_count= writes of vmdesk.blk_kib= KiB each, one at a
 * time, to consecutive sectors from 4 MiB, from a buffer at guest-physical
 * 16 MiB (contents do not matter). Prints "BLKBENCH start" and
 * "BLKBENCH done n=<count> kib=<kib>" around the loop so the host can time it
 * and read the VMM's CPU time, then powers off.
 */
void __attribute__((noreturn)) do_blkbench(void)
{
	uint64_t count, kib, sector = 8192;

	put_line("ACTION blkbench");
	if (!cmdline_u64("vmdesk.blk_count=", 0, 1000, &count) ||
	    !cmdline_u64("vmdesk.blk_kib=", 0, 4, &kib))
		do_poweroff();
	if (kib == 0 || kib > 1024 || count == 0) {
		put_line("FAIL blkbench blk_kib must be 1..1024 and blk_count > 0");
		do_poweroff();
	}
	blk_setup(sector, count * kib * 2, 128 * 1024, (uint32_t)kib * 1024);
	blk.data = 16ull << 20;
	put_line("BLKBENCH start");
	for (uint64_t i = 0; i < count; i++) {
		uint64_t at = sector + i * kib * 2;

		for (uint32_t off = 0; off < kib * 1024; off += blk.req_bytes) {
			uint32_t bytes = kib * 1024 - off < blk.req_bytes ? kib * 1024 - off : blk.req_bytes;
			int st = blk_request(VIRTIO_BLK_T_OUT, at + off / BLK_SECTOR, blk.data + off, bytes);

			if (st) {
				if (st > 0)
					blk_status_line("write", st);
				do_poweroff();
			}
		}
	}
	put_str("BLKBENCH done n=");
	put_dec(count);
	put_str(" kib=");
	put_dec(kib);
	put_char('\n');
	do_then();
}

/*
 * "blkloop": a steady disk load for the app's live graphs. Forever, over a
 * 4 MiB window from sector 8192 in chunks of vmdesk.blk_kib= KiB (default 64),
 * from guest-physical 16 MiB: write every second chunk, read every chunk, then
 * 100 port-0x80 writes of pause; wrapping. So reads run at twice the rate of
 * writes. "BLKLOOP <pass>" after each pass over the window.
 */
void __attribute__((noreturn)) do_blkloop(void)
{
	const uint64_t start = 8192, window = 8192;	/* sectors */
	uint64_t kib;

	put_line("ACTION blkloop");
	if (!cmdline_u64("vmdesk.blk_kib=", 0, 64, &kib))
		do_poweroff();
	if (kib == 0 || kib > 1024) {
		put_line("FAIL blkloop blk_kib must be 1..1024");
		do_poweroff();
	}
	blk_setup(start, window, 128 * 1024, (uint32_t)kib * 1024);
	blk.data = 16ull << 20;
	for (uint64_t pass = 0;; pass++) {
		for (uint64_t s = 0; s + kib * 2 <= window; s += kib * 2) {
			for (int k = (s / (kib * 2)) % 2; k < 2; k++) {
				uint32_t t = k ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT;

				for (uint32_t off = 0; off < kib * 1024; off += blk.req_bytes) {
					uint32_t bytes = kib * 1024 - off < blk.req_bytes ? kib * 1024 - off : blk.req_bytes;
					int st = blk_request(t, start + s + off / BLK_SECTOR, blk.data + off, bytes);

					if (st) {
						if (st > 0)
							blk_status_line(k ? "read" : "write", st);
						do_poweroff();
					}
				}
			}
			io_delay(100);
		}
		put_str("BLKLOOP ");
		put_dec(pass);
		put_char('\n');
	}
}
