/*
 * The "inspect" mode: known registers and a known loop for the inspector's
 * tests (tests/e2e/inspect.rs). #included at the bottom of guest.c, after
 * mem.c, whose region check it shares.
 *
 *   INSPECT loop=<hex> port=0x80 touch=<hex bytes>
 *   INSPECT ready           then waits for a line on COM1
 *   INSPECT touched         after writing one byte to every 4 KiB page of
 *                           [16 MiB, 16 MiB + vmdesk.touch_mib MiB) (default 4)
 *
 * then loads rbx..r15 with known values (see INSPECT_REGS in the test) and
 * rax with 0x1111111111111111 and runs, interrupts off, for ever:
 *
 *   loop:   inc %rax          48 ff c0    (3 bytes)
 *           out %al, $0x80    e6 80       (2 bytes: the POST port)
 *           jmp loop          eb f9       (2 bytes)
 *
 * so every exit is an OUT to 0x80 whose value is one more than the last, and
 * single-stepping sees RIP go loop → loop+3 → loop+5 → loop.
 */

#define INSPECT_DEFAULT_MIB 4

extern char inspect_loop[];
void __attribute__((noreturn)) inspect_run(void);

__asm__(".text\n"
	".global inspect_run\n"
	"inspect_run:\n"
	"	cli\n"
	"	movabs $0x1111111111111111, %rax\n"
	"	movabs $0x2222222222222222, %rbx\n"
	"	movabs $0x3333333333333333, %rcx\n"
	"	movabs $0x4444444444444444, %rdx\n"
	"	movabs $0x5555555555555555, %rsi\n"
	"	movabs $0x6666666666666666, %rdi\n"
	"	movabs $0x7777777777777777, %rbp\n"
	"	movabs $0x8888888888888888, %r8\n"
	"	movabs $0x9999999999999999, %r9\n"
	"	movabs $0xaaaaaaaaaaaaaaaa, %r10\n"
	"	movabs $0xbbbbbbbbbbbbbbbb, %r11\n"
	"	movabs $0xcccccccccccccccc, %r12\n"
	"	movabs $0xdddddddddddddddd, %r13\n"
	"	movabs $0xeeeeeeeeeeeeeeee, %r14\n"
	"	movabs $0x0f0f0f0f0f0f0f0f, %r15\n"
	".global inspect_loop\n"
	"inspect_loop:\n"
	"	inc %rax\n"
	"	out %al, $0x80\n"
	"	jmp inspect_loop\n");

void __attribute__((noreturn)) do_inspect(void)
{
	struct line_in l = { 0 };
	uint64_t mib;

	if (!cmdline_u64("vmdesk.touch_mib=", 0, INSPECT_DEFAULT_MIB, &mib))
		do_poweroff();
	mem.bytes = mib << 20;
	if (!mem_region_ok())
		do_poweroff();
	put_str("INSPECT loop=");
	put_hex((uint64_t)(uintptr_t)inspect_loop);
	put_str(" port=0x80 touch=");
	put_hex(mem.bytes);
	put_char('\n');
	put_line("INSPECT ready");
	while (!com1_poll_line(&l))
		;
	for (uint64_t p = MEM_BASE; p < MEM_BASE + mem.bytes; p += MEM_PAGE)
		*(volatile uint8_t *)(uintptr_t)p = 0xa5;
	put_line("INSPECT touched");
	inspect_run();
}
