/*
 * virtio-pci (modern, virtio 1.x spec 4.1) for the PC machine, under virtio.c's
 * MMIO register interface: with "vmdesk.virtio=pci" on the command line
 * virtio_probe() calls vpci_probe() instead of probing virtio-mmio windows,
 * and vreg()/vset() of a PCI device land here,
 * which maps each virtio-mmio register (spec 4.2.2) onto the common
 * configuration structure, the notification area or the device config that
 * the function's vendor capabilities point at. So blk.c, net.c and gpu.c run
 * unchanged on either transport.
 *
 * Bus 0 only, configuration mechanism #1 (0xcf8/0xcfc). BARs as the firmware
 * placed them (the guest maps only the low 4 GiB: a BAR above is refused);
 * memory decode and bus mastering are switched on. No MSI-X, no INTx: the
 * guest polls.
 *
 * Lines: "VIRTIO <slot> id=<id> pci" per function (slot = its device number).
 *
 * #included at the bottom of guest.c after virtio.c.
 */

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc
#define PCI_VENDOR_VIRTIO 0x1af4
#define PCI_CAP_VENDOR 0x09
#define VPCI_COMMON 1
#define VPCI_NOTIFY 2
#define VPCI_DEVICE 4

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static uint32_t pci_rd32(uint32_t dev, uint32_t off)
{
	outl(PCI_ADDR, 0x80000000u | dev << 11 | (off & 0xfc));
	return inl(PCI_DATA);
}

static void pci_wr32(uint32_t dev, uint32_t off, uint32_t v)
{
	outl(PCI_ADDR, 0x80000000u | dev << 11 | (off & 0xfc));
	outl(PCI_DATA, v);
}

static uint8_t pci_rd8(uint32_t dev, uint32_t off)
{
	return (uint8_t)(pci_rd32(dev, off) >> (8 * (off & 3)));
}

/* BAR `bar`'s memory address (64-bit BARs whole); 0 if it is I/O, unset or above 4 GiB. */
static uint64_t pci_bar(uint32_t dev, uint32_t bar)
{
	uint32_t lo = pci_rd32(dev, 0x10 + 4 * bar);
	uint64_t a = lo & ~0xfull;

	if (lo & 1)
		return 0;
	if ((lo & 6) == 4 && bar < 5 && pci_rd32(dev, 0x14 + 4 * bar) != 0)
		return 0;
	return a;
}

/* Finds the function's virtio capabilities; 1 when common, notify and device config are there. */
static int vpci_caps(struct vdev *d, uint32_t dev)
{
	uint32_t at = pci_rd8(dev, 0x34) & 0xfc;
	int seen = 0;

	for (int n = 0; at && n < 48; n++) {
		if (pci_rd8(dev, at) == PCI_CAP_VENDOR) {
			uint8_t type = pci_rd8(dev, at + 3);
			uint64_t base = pci_bar(dev, pci_rd8(dev, at + 4));
			uint64_t addr = base + pci_rd32(dev, at + 8);

			if (base && type == VPCI_COMMON) {
				d->common = addr;
				seen |= 1;
			} else if (base && type == VPCI_NOTIFY) {
				d->notify = addr;
				d->notify_mult = pci_rd32(dev, at + 16);
				seen |= 2;
			} else if (base && type == VPCI_DEVICE) {
				d->devcfg = addr;
				seen |= 4;
			}
		}
		at = pci_rd8(dev, at + 1) & 0xfc;
	}
	return seen == 7;
}

/* The virtio functions on bus 0 as vdevs[device number]; returns how many. */
static int vpci_probe(void)
{
	int n = 0;

	for (uint32_t dev = 0; dev < 32 && dev < VIRTIO_SLOTS; dev++) {
		uint32_t id = pci_rd32(dev, 0);
		struct vdev *d = &vdevs[dev];

		if ((id & 0xffff) != PCI_VENDOR_VIRTIO || (id >> 16) < 0x1040 || (id >> 16) > 0x107f)
			continue;
		/* Memory decode and bus mastering (the firmware may have left them off). */
		pci_wr32(dev, 0x04, (pci_rd32(dev, 0x04) & 0xffff) | 6);
		if (!vpci_caps(d, dev)) {
			vfail((int)dev, "pci capabilities missing or above 4 GiB");
			continue;
		}
		d->pci = 1;
		d->id = (id >> 16) - 0x1040;
		d->version = 2;
		d->present = 1;
		n++;
		put_str("VIRTIO ");
		put_dec(dev);
		put_str(" id=");
		put_dec(d->id);
		put_line(" pci");
	}
	return n;
}

/* virtio-mmio register `off` read from the PCI structures. */
static uint32_t vpci_reg(const struct vdev *d, uint32_t off)
{
	uint64_t c = d->common;

	if (off >= VM_CONFIG)
		return mmio_rd32(d->devcfg + off - VM_CONFIG);
	switch (off) {
	case VM_MAGIC: return VIRTIO_MAGIC;
	case VM_VERSION: return 2;
	case VM_DEVICE_ID: return d->id;
	case VM_DEVICE_FEATURES: return mmio_rd32(c + 0x04);
	case VM_QUEUE_NUM_MAX: return *(volatile uint16_t *)(uintptr_t)(c + 0x18);
	case VM_QUEUE_READY: return *(volatile uint16_t *)(uintptr_t)(c + 0x1c);
	case VM_STATUS: return mmio_rd8(c + 0x14);
	case VM_CONFIG_GENERATION: return mmio_rd8(c + 0x15);
	default: return 0;
	}
}

static void vpci_wr16(uint64_t a, uint32_t v)
{
	*(volatile uint16_t *)(uintptr_t)a = (uint16_t)v;
}

/* virtio-mmio register `off` written to the PCI structures. */
static void vpci_set(const struct vdev *d, uint32_t off, uint32_t v)
{
	uint64_t c = d->common;

	if (off >= VM_CONFIG) {
		mmio_wr32(d->devcfg + off - VM_CONFIG, v);
		return;
	}
	switch (off) {
	case VM_DEVICE_FEATURES_SEL: mmio_wr32(c + 0x00, v); break;
	case VM_DRIVER_FEATURES_SEL: mmio_wr32(c + 0x08, v); break;
	case VM_DRIVER_FEATURES: mmio_wr32(c + 0x0c, v); break;
	case VM_QUEUE_SEL: vpci_wr16(c + 0x16, v); break;
	case VM_QUEUE_NUM: vpci_wr16(c + 0x18, v); break;
	case VM_QUEUE_READY: vpci_wr16(c + 0x1c, v); break;
	case VM_STATUS: mmio_wr8(c + 0x14, (uint8_t)v); break;
	case VM_QUEUE_DESC_LOW: mmio_wr32(c + 0x20, v); break;
	case VM_QUEUE_DESC_HIGH: mmio_wr32(c + 0x24, v); break;
	case VM_QUEUE_DRIVER_LOW: mmio_wr32(c + 0x28, v); break;
	case VM_QUEUE_DRIVER_HIGH: mmio_wr32(c + 0x2c, v); break;
	case VM_QUEUE_DEVICE_LOW: mmio_wr32(c + 0x30, v); break;
	case VM_QUEUE_DEVICE_HIGH: mmio_wr32(c + 0x34, v); break;
	case VM_QUEUE_NOTIFY:
		/* The queue's notify address: its queue_notify_off times the multiplier. */
		vpci_wr16(c + 0x16, v);
		mmio_wr16_at(d->notify + (uint64_t)*(volatile uint16_t *)(uintptr_t)(c + 0x1e) * d->notify_mult,
			     (uint16_t)v);
		break;
	default: break;
	}
}
