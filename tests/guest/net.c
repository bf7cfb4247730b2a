/*
 * virtio-net (virtio spec 5.1): the NICs in the default checks, and the "net"
 * mode: a static-address IPv4 stack just big enough for ARP and UDP echo.
 *
 * #included at the bottom of guest.c after virtio.c, whose driver it uses.
 *
 * The VMM's contract: features VERSION_1, MAC, STATUS, MTU; config mac[6] at
 * 0, status (u16, bit 0 = link up) at 6, mtu (u16) at 10; queue 0 receives,
 * queue 1 transmits; every buffer starts with the 12-byte virtio_net_hdr_v1
 * (all zero on TX). The backend is passt: its gateway 192.0.2.1 stands for
 * the host's 127.0.0.1, and it expects the guest at 192.0.2.2/24.
 *
 * Polled like the rest of the driver: the main loop takes used RX buffers,
 * handles the frame and re-posts the buffer, and polls COM1 in between.
 */

#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16
#define NET_CFG_MAC 0
#define NET_CFG_STATUS 6
#define NET_HDR_LEN 12		/* virtio_net_hdr_v1 */
#define NET_RXQ 0
#define NET_TXQ 1
#define NET_RX_BUF 1536		/* >= 12 + 1514: a whole frame at MTU 1500 */
#define NET_RX_STRIDE 2048
#define NET_FRAME_MAX 1514

#define ETH_ARP 0x0806
#define ETH_IPV4 0x0800
#define IP_UDP 17
#define NET_GUEST_IP 0xc0000202u	/* 192.0.2.2 */
#define NET_GW_IP 0xc0000201u	/* 192.0.2.1 */
#define NET_PING_PORT 40000	/* our source port for the ping */
#define NET_ECHO_PORT 7		/* we echo what arrives here */
#define NET_TRIES 5		/* ARP requests / pings before giving up */
/* Poll rounds between retries: each is a used-ring check and one COM1 port exit,
 * ~130 us on the 2-CPU test host at load 11 (1.3 s a retry), less when idle. */
#define NET_RETRY_ROUNDS 10000

static struct {
	int slot;
	uint8_t mac[6];
	uint8_t gw_mac[6];
	int have_gw;
	uint64_t rx;			/* RX buffers: NET_RX_STRIDE apart, one per descriptor */
	uint64_t tx;			/* one TX buffer: header + frame */
	uint16_t ping_port;		/* host UDP port to ping; 0 = no ping */
	int ping_replied;
} net;

/* The virtio window of NIC n, or -1. */
static int net_find(int n)
{
	for (int i = 0; i < VIRTIO_SLOTS; i++)
		if (vdevs[i].present && vdevs[i].id == VIRTIO_ID_NET && n-- == 0)
			return i;
	return -1;
}

static void put_mac(const volatile uint8_t *m)
{
	for (int k = 0; k < 6; k++) {
		if (k)
			put_char(':');
		put_char("0123456789abcdef"[m[k] >> 4]);
		put_char("0123456789abcdef"[m[k] & 15]);
	}
}

/* Default checks: "NET <n> mac=<mac> link=<0|1>" per NIC (link 1 without STATUS). */
void net_check(void)
{
	for (int n = 0, i; (i = net_find(n)) >= 0; n++) {
		const struct vdev *d = &vdevs[i];
		uint32_t f = virtio_offered(d);
		uint8_t mac[6];

		for (int k = 0; k < 6; k++)
			mac[k] = mmio_rd8(d->base + VM_CONFIG + NET_CFG_MAC + k);
		put_str("NET ");
		put_dec((uint64_t)n);
		put_str(" mac=");
		if (f & 1u << VIRTIO_NET_F_MAC)
			put_mac(mac);
		else
			put_str("none");
		put_str(" link=");
		put_dec(f & 1u << VIRTIO_NET_F_STATUS ?
			(uint64_t)(mmio_rd8(d->base + VM_CONFIG + NET_CFG_STATUS) & 1) : 1);
		put_char('\n');
	}
}

/* ---- frame bytes (network order) ---- */

static inline uint16_t be16(uint64_t a) { return (uint16_t)(rd8(a) << 8 | rd8(a + 1)); }
static inline uint32_t be32(uint64_t a) { return (uint32_t)be16(a) << 16 | be16(a + 2); }
static inline void wr8(uint64_t a, uint8_t v) { *(volatile uint8_t *)(uintptr_t)a = v; }
static inline void wbe16(uint64_t a, uint16_t v) { wr8(a, (uint8_t)(v >> 8)); wr8(a + 1, (uint8_t)v); }
static inline void wbe32(uint64_t a, uint32_t v) { wbe16(a, (uint16_t)(v >> 16)); wbe16(a + 2, (uint16_t)v); }

static void copy_bytes(uint64_t dst, uint64_t src, uint64_t n)
{
	__asm__ volatile("cld; rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static int mac_eq(uint64_t a, const uint8_t *m)
{
	for (int k = 0; k < 6; k++)
		if (rd8(a + k) != m[k])
			return 0;
	return 1;
}

/* Ethernet header at f (the frame, after the virtio header); returns the payload address. */
static uint64_t eth_header(uint64_t f, uint64_t dst_mac, uint16_t type)
{
	copy_bytes(f, dst_mac, 6);
	copy_bytes(f + 6, (uint64_t)(uintptr_t)net.mac, 6);
	wbe16(f + 12, type);
	return f + 14;
}

/* Sends the frame of len bytes at net.tx + NET_HDR_LEN; waits until the device took it. */
static void net_send(uint32_t len)
{
	struct vdev *d = &vdevs[net.slot];
	uint32_t id, used_len;

	fill32(net.tx, 0, NET_HDR_LEN / 4);	/* no offloads, no GSO */
	vq_post(&d->q[NET_TXQ], 0, net.tx, NET_HDR_LEN + len, 0);
	vq_notify(d, NET_TXQ);
	if (!vq_wait_used(net.slot, &d->q[NET_TXQ], &id, &used_len))
		do_poweroff();
}

/* ARP (RFC 826) for Ethernet/IPv4: op 1 request, 2 reply. */
static void arp_send(uint16_t op, uint64_t dst_mac, uint64_t target_mac, uint32_t target_ip)
{
	uint64_t f = net.tx + NET_HDR_LEN, p = eth_header(f, dst_mac, ETH_ARP);

	wbe16(p, 1);			/* Ethernet */
	wbe16(p + 2, ETH_IPV4);
	wr8(p + 4, 6);
	wr8(p + 5, 4);
	wbe16(p + 6, op);
	copy_bytes(p + 8, (uint64_t)(uintptr_t)net.mac, 6);
	wbe32(p + 14, NET_GUEST_IP);
	copy_bytes(p + 18, target_mac, 6);
	wbe32(p + 24, target_ip);
	net_send(14 + 28);
}

static void arp_request_gw(void)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6];

	arp_send(1, (uint64_t)(uintptr_t)bcast, (uint64_t)(uintptr_t)zero, NET_GW_IP);
}

/* Sends a UDP datagram (checksum 0: none, allowed over IPv4) with payload from data. */
static void udp_send(uint64_t dst_mac, uint32_t dst_ip, uint16_t sport, uint16_t dport,
		     uint64_t data, uint32_t len)
{
	uint64_t f = net.tx + NET_HDR_LEN, ip = eth_header(f, dst_mac, ETH_IPV4), u = ip + 20;
	uint32_t sum = 0;

	if (len > NET_FRAME_MAX - 14 - 20 - 8)
		len = NET_FRAME_MAX - 14 - 20 - 8;
	wr8(ip, 0x45);			/* IPv4, 20-byte header */
	wr8(ip + 1, 0);
	wbe16(ip + 2, (uint16_t)(20 + 8 + len));
	wbe16(ip + 4, 0);		/* identification */
	wbe16(ip + 6, 0x4000);		/* don't fragment */
	wr8(ip + 8, 64);		/* TTL */
	wr8(ip + 9, IP_UDP);
	wbe16(ip + 10, 0);
	wbe32(ip + 12, NET_GUEST_IP);
	wbe32(ip + 16, dst_ip);
	for (int k = 0; k < 20; k += 2)
		sum += be16(ip + k);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	wbe16(ip + 10, (uint16_t)~sum);
	wbe16(u, sport);
	wbe16(u + 2, dport);
	wbe16(u + 4, (uint16_t)(8 + len));
	wbe16(u + 6, 0);
	copy_bytes(u + 8, data, len);
	net_send(14 + 20 + 8 + len);
}

/* Sends "vmdesk-ping <k>" to the gateway's ping_port. */
static void ping_send(uint32_t k)
{
	static char msg[24] = "vmdesk-ping ";
	uint32_t n = 12;
	char digits[10];
	int nd = 0;

	do {
		digits[nd++] = (char)('0' + k % 10);
		k /= 10;
	} while (k);
	while (nd)
		msg[n++] = digits[--nd];
	udp_send((uint64_t)(uintptr_t)net.gw_mac, NET_GW_IP, NET_PING_PORT, net.ping_port,
		 (uint64_t)(uintptr_t)msg, n);
}

static void put_payload(const char *what, uint64_t data, uint32_t len)
{
	put_str(what);
	put_char('"');
	put_safe(data, len);
	put_line("\"");
}

/* Handles one received frame of len bytes at f. */
static void net_handle(uint64_t f, uint32_t len)
{
	uint16_t type;

	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (len < 14 || !(mac_eq(f, net.mac) || mac_eq(f, bcast)))
		return;
	type = be16(f + 12);
	if (type == ETH_ARP && len >= 14 + 28) {
		uint64_t p = f + 14;
		uint16_t op = be16(p + 6);

		if (be16(p) != 1 || be16(p + 2) != ETH_IPV4 || rd8(p + 4) != 6 || rd8(p + 5) != 4)
			return;
		if (op == 1 && be32(p + 24) == NET_GUEST_IP) {
			/* Who has 192.0.2.2: we do. Reply to the asker's MAC (p + 8) and IP. */
			uint8_t asker[6];

			for (int k = 0; k < 6; k++)
				asker[k] = rd8(p + 8 + k);
			arp_send(2, (uint64_t)(uintptr_t)asker, (uint64_t)(uintptr_t)asker, be32(p + 14));
		} else if (op == 2 && be32(p + 14) == NET_GW_IP && !net.have_gw) {
			for (int k = 0; k < 6; k++)
				net.gw_mac[k] = rd8(p + 8 + k);
			net.have_gw = 1;
		}
		return;
	}
	if (type != ETH_IPV4 || len < 14 + 20 + 8)
		return;

	uint64_t ip = f + 14;
	uint32_t ihl = (rd8(ip) & 15) * 4u, tot = be16(ip + 2);

	if (rd8(ip) >> 4 != 4 || ihl < 20 || tot < ihl + 8 || 14 + tot > len ||
	    rd8(ip + 9) != IP_UDP || be32(ip + 16) != NET_GUEST_IP || (be16(ip + 6) & 0x3fff))
		return;			/* not for us, not UDP, truncated, or a fragment */

	uint64_t u = ip + ihl, data = u + 8;
	uint16_t sport = be16(u), dport = be16(u + 2), ulen = be16(u + 4);
	uint32_t src = be32(ip + 12);

	if (ulen < 8 || ulen > tot - ihl)
		return;
	if (dport == NET_PING_PORT && net.ping_port && src == NET_GW_IP && sport == net.ping_port &&
	    !net.ping_replied) {
		put_payload("NET udp reply ", data, ulen - 8u);
		net.ping_replied = 1;
	} else if (dport == NET_ECHO_PORT) {
		uint8_t to[6];

		put_payload("NET udp in ", data, ulen - 8u);
		for (int k = 0; k < 6; k++)
			to[k] = rd8(f + 6 + k);
		/* The payload sits in the RX buffer, not the TX buffer: udp_send copies it over. */
		udp_send((uint64_t)(uintptr_t)to, src, NET_ECHO_PORT, sport, data, ulen - 8u);
	}
}

/* Handles every received frame, re-posting each buffer. */
static void net_poll_rx(void)
{
	struct vdev *d = &vdevs[net.slot];
	struct vq *q = &d->q[NET_RXQ];
	uint32_t id, len;
	int any = 0;

	while (vq_get_used(q, &id, &len)) {
		if (id >= q->num) {
			put_str("FAIL virtio ");
			put_dec((uint64_t)net.slot);
			put_str(" used id=");
			put_dec(id);
			put_char('\n');
			continue;
		}
		if (len > NET_HDR_LEN)
			net_handle(net.rx + id * NET_RX_STRIDE + NET_HDR_LEN, len - NET_HDR_LEN);
		vq_post(q, (uint16_t)id, net.rx + id * NET_RX_STRIDE, NET_RX_BUF, VIRTQ_DESC_F_WRITE);
		any = 1;
	}
	if (any)
		vq_notify(d, NET_RXQ);
}

/* One round of the main loop: received frames, then one COM1 poll ("poweroff"). */
static void net_round(struct line_in *l)
{
	net_poll_rx();
	if (com1_poll_line(l)) {
		if (eq(l->buf, l->n, "poweroff"))
			do_poweroff();
		l->n = 0;
	}
}

void __attribute__((noreturn)) do_net(void)
{
	struct line_in l = { .n = 0 };
	uint64_t port;
	uint32_t feat;
	struct vq *rxq;

	put_line("ACTION net");
	if (!cmdline_u64("vmdesk.udp_port=", 0, 0, &port))
		do_poweroff();
	if (port > 0xffff) {
		put_line("FAIL bad vmdesk.udp_port");
		do_poweroff();
	}
	net.ping_port = (uint16_t)port;
	virtio_probe();
	net.slot = net_find(0);
	if (net.slot < 0) {
		put_line("FAIL net no device");
		do_poweroff();
	}
	if (!virtio_init_features(net.slot, 2, 1u << VIRTIO_NET_F_MAC | 1u << VIRTIO_NET_F_STATUS |
				  1u << VIRTIO_NET_F_MTU, &feat))
		do_poweroff();
	if (!(feat & 1u << VIRTIO_NET_F_MAC)) {
		put_line("FAIL net no MAC feature");
		do_poweroff();
	}
	for (int k = 0; k < 6; k++)
		net.mac[k] = mmio_rd8(vdevs[net.slot].base + VM_CONFIG + NET_CFG_MAC + k);
	rxq = &vdevs[net.slot].q[NET_RXQ];
	net.rx = scratch_alloc((uint64_t)rxq->num * NET_RX_STRIDE);
	net.tx = scratch_alloc(NET_RX_STRIDE);
	if (!net.rx || !net.tx)
		do_poweroff();
	for (uint16_t k = 0; k < rxq->num; k++)
		vq_post(rxq, k, net.rx + k * NET_RX_STRIDE, NET_RX_BUF, VIRTQ_DESC_F_WRITE);
	vq_notify(&vdevs[net.slot], NET_RXQ);
	put_str("NET up mac=");
	put_mac(net.mac);
	put_line(" ip=192.0.2.2");

	for (uint32_t t = 0; t < NET_TRIES && !net.have_gw; t++) {
		arp_request_gw();
		for (uint32_t r = 0; r < NET_RETRY_ROUNDS && !net.have_gw; r++)
			net_round(&l);
	}
	if (!net.have_gw) {
		put_line("FAIL net arp no reply from 192.0.2.1");
		do_poweroff();
	}
	put_str("NET arp ok gw-mac=");
	put_mac(net.gw_mac);
	put_char('\n');

	if (net.ping_port) {
		for (uint32_t k = 0; k < NET_TRIES && !net.ping_replied; k++) {
			ping_send(k);
			for (uint32_t r = 0; r < NET_RETRY_ROUNDS && !net.ping_replied; r++)
				net_round(&l);
		}
		if (!net.ping_replied) {
			put_line("FAIL net udp no reply");
			do_poweroff();
		}
	}
	put_line("NET listen udp port=7");
	for (;;)
		net_round(&l);
}
