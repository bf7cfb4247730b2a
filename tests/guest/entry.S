/*
 * Test guest entry. Linked at 0x100000; the VMM enters startup_64 at
 * 0x100200 in 64-bit mode (Linux x86-64 boot protocol): paging on with an
 * identity map, interrupts off, %rsi = boot_params.
 */

	.section .text.head, "ax"
	.code64
	/*
	 * +0x000 is the 32-bit boot protocol entry (code32_start). We only
	 * support the 64-bit entry, so park the CPU. "f4 eb fd" decodes as
	 * hlt; jmp back in both 32- and 64-bit mode.
	 */
1:	hlt
	jmp	1b

	.org	0x200, 0xcc
	.globl	startup_64
startup_64:
	cli
	cld
	/* Keep boot_params in a callee-saved register while .bss is zeroed. */
	movq	%rsi, %r12
	/* .bss is not in the image: zero it rather than trust the VMM's memory. */
	leaq	__bss_start(%rip), %rdi
	leaq	__bss_end(%rip), %rcx
	subq	%rdi, %rcx
	shrq	$3, %rcx
	xorl	%eax, %eax
	rep stosq
	/* Our own stack; the VMM's boot stack is tiny and sits below its page tables. */
	leaq	stack_top(%rip), %rsp
	movq	%r12, %rdi
	call	guest_main
2:	cli
	hlt
	jmp	2b

/*
 * Exception stubs, one per vector 0..31, each 16 bytes so C can compute
 * their address as exc_stubs + 16 * vector. Any fault in the guest then
 * prints a FAIL line instead of silently triple-faulting (which a test could
 * mistake for the triple-fault action succeeding).
 */
	.text
	.balign	16
	.globl	exc_stubs
exc_stubs:
	.irp	vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign	16
	/* The CPU pushes an error code only for these vectors; fake one otherwise. */
	.if (\vec == 8) || (\vec == 10) || (\vec == 11) || (\vec == 12) || (\vec == 13) || (\vec == 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	exc_common
	.endr

exc_common:
	/* Stack: vector, error code, rip, cs, rflags, rsp, ss. */
	movq	0(%rsp), %rdi
	movq	8(%rsp), %rsi
	movq	16(%rsp), %rdx
	movq	%cr2, %rcx
	andq	$-16, %rsp
	call	guest_exception		/* does not return */
3:	cli
	hlt
	jmp	3b

	.bss
	.balign	16
stack:
	.skip	16384
	.globl	stack_top
stack_top:

	.section .note.GNU-stack, "", @progbits
