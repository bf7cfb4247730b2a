/*
 * Real-mode setup code of the test guest's bzImage: the setup sectors that a
 * BIOS-side loader runs (QEMU's qboot for -M microvm, SeaBIOS's linuxboot
 * option ROM for -M pc). Those loaders load this area at real_addr (0x10000
 * for protocol >= 2.02), write their fields into the setup header, and jump
 * in real mode to real_addr + 0x200 with CS = DS + 0x20, DS = ES = SS = our
 * segment and SP at the top of our heap. vmdesk-vmm never runs this; it reads
 * the header and enters startup_64 directly.
 *
 * We do what Linux's setup does, minus everything optional: build
 * boot_params (the setup header plus the BIOS's E820 map), switch to flat
 * 32-bit protected mode and jump to code32_start (startup_32 in entry.S)
 * with %esi = boot_params.
 *
 * vmm-core/build.rs links this at 0 and uses it as the base of the setup
 * area, then writes the setup header at 0x1f1..0x26c over it; so a label's
 * value is its offset from the start of the image and from DS. Nothing here
 * may be placed in 0x1f1..0x270 except the jump at 0x200 (build.rs checks).
 */
#define BP		0x1000		/* boot_params at DS:0x1000; the loader gives us the 64 KiB up to the heap end */
#define HDR		0x1f1		/* setup header, in the image and in boot_params */
#define HDR_END		0x26c		/* end of the protocol 2.15 header */
#define BP_E820_ENTRIES	0x1e8
#define BP_E820_TABLE	0x2d0
#define E820_MAX	128
#define SMAP		0x534d4150	/* "SMAP" */
#define CODE32_START	0x214
#define BOOT_CS		0x10
#define BOOT_DS		0x18

	.code16
	.text
	.org	0x200
	jmp	start16			/* the header's "jump" field: 2 bytes */

	.org	0x270
start16:
	cli
	cld
	movw	%ds, %ax
	movw	%ax, %es

	/* boot_params = zeroes + our setup header as the loader filled it in. */
	movw	$BP, %di
	movw	$2048, %cx
	xorw	%ax, %ax
	rep stosw
	movw	$HDR, %si
	movw	$(BP + HDR), %di
	movw	$(HDR_END - HDR), %cx
	rep movsb

	/* E820 map from the BIOS (INT 15h, AX = E820h), straight into boot_params. */
	xorl	%ebx, %ebx
	movl	$(BP + BP_E820_TABLE), %edi
1:	movl	$0xe820, %eax
	movl	$SMAP, %edx
	movl	$20, %ecx
	int	$0x15
	jc	2f
	cmpl	$SMAP, %eax
	jne	2f
	incb	BP + BP_E820_ENTRIES
	addw	$20, %di
	cmpb	$E820_MAX, BP + BP_E820_ENTRIES
	jae	2f
	testl	%ebx, %ebx
	jnz	1b
2:
	/* No A20 dance: KVM never masks A20, and the firmware left it enabled. */
	/* Make the GDT base and the far jump's target linear addresses. */
	xorl	%ebx, %ebx
	movw	%ds, %bx
	shll	$4, %ebx
	addl	%ebx, gdt_desc + 2
	addl	%ebx, pm32_target
	lgdtl	gdt_desc
	jmp	3f			/* serialize after the code patch above */
3:	movl	%cr0, %eax
	orb	$1, %al			/* CR0.PE */
	movl	%eax, %cr0
	.byte	0x66, 0xea		/* ljmpl $BOOT_CS, $pm32 (+ base) */
pm32_target:
	.long	pm32
	.word	BOOT_CS

	.code32
pm32:
	movl	$BOOT_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%eax, %ss
	/* 32-bit boot protocol: %esi = boot_params; %ebx, %ebp, %edi zero. */
	leal	BP(%ebx), %esi
	movl	CODE32_START(%ebx), %eax
	xorl	%ebx, %ebx
	xorl	%ebp, %ebp
	xorl	%edi, %edi
	jmp	*%eax

	.balign	8
gdt:
	.quad	0
	.quad	0
	.quad	0x00cf9a000000ffff	/* BOOT_CS: flat 32-bit code */
	.quad	0x00cf92000000ffff	/* BOOT_DS: flat data */
gdt_desc:
	.word	gdt_desc - gdt - 1
	.long	gdt			/* + our linear base, at run time */

	.section .note.GNU-stack, "", @progbits
