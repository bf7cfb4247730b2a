/*
 * Test guest entry. Linked at 0x100000; the VMM enters startup_64 at
 * 0x100200 in 64-bit mode (Linux x86-64 boot protocol): paging on with an
 * identity map, interrupts off, %rsi = boot_params. startup_32 at 0x100000
 * serves 32-bit boot protocol loaders (see README.md).
 */

	.section .text.head, "ax"
	/*
	 * +0x000: 32-bit boot protocol entry (code32_start), for loaders that
	 * do not speak the 64-bit protocol: QEMU's firmware reaches it through
	 * setup.S, GRUB's BIOS "linux" command jumps here directly. Flat 32-bit
	 * protected mode, paging off, interrupts off, %esi = boot_params. We
	 * build an identity map of the first 4 GiB (what the 64-bit protocol
	 * promises startup_64), enter long mode and jump to startup_64 with
	 * %rsi = boot_params. No stack is needed: nothing here calls or pushes.
	 * vmdesk-vmm never runs this code; it enters startup_64 directly.
	 */
	.code32
	.globl	startup_32
startup_32:
	cli
	cld
	movl	%esi, %ebp		/* boot_params, kept while we build page tables */
	/* PML4 and PDPT start zeroed; the 4 PDs are filled completely below. */
	movl	$pml4, %edi
	movl	$(2 * 4096 / 4), %ecx
	xorl	%eax, %eax
	rep stosl
	movl	$(pdpt + 3), pml4	/* present, writable */
	movl	$(pd + 3), %eax
	movl	$pdpt, %edi
	movl	$4, %ecx
1:	movl	%eax, (%edi)
	addl	$4096, %eax
	addl	$8, %edi
	loop	1b
	/* 2048 2 MiB pages: present, writable, PS; upper halves stay 0 (< 4 GiB). */
	movl	$0x83, %eax
	movl	$pd, %edi
	movl	$2048, %ecx
2:	movl	%eax, (%edi)
	movl	$0, 4(%edi)
	addl	$0x200000, %eax
	addl	$8, %edi
	loop	2b

	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$0x20, %eax		/* CR4.PAE */
	movl	%eax, %cr4
	movl	$0xc0000080, %ecx	/* EFER */
	rdmsr
	orl	$0x100, %eax		/* EFER.LME */
	wrmsr
	lgdt	gdt64_desc
	movl	%cr0, %eax
	orl	$0x80000001, %eax	/* CR0.PG | CR0.PE: long mode (compatibility) is active */
	movl	%eax, %cr0
	movl	$0x18, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	ljmp	$0x10, $3f

	.code64
	/* A 32-bit mov in 64-bit mode zero-extends: the upper half of %rsi is
	 * undefined after the switch. */
3:	movl	%ebp, %esi
	jmp	startup_64

	/* Selectors as in Linux's boot GDT: 0x10 code, 0x18 data. */
	.balign	8
gdt64:
	.quad	0
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x10: 64-bit code, DPL 0 */
	.quad	0x00cf92000000ffff	/* 0x18: flat data */
gdt64_end:
gdt64_desc:
	.word	gdt64_end - gdt64 - 1
	.long	gdt64

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

/*
 * enter_user(rip, rsp): iretq to CPL 3 at rip on stack rsp, with the user
 * selectors of fullanim's GDT (fb.c: 0x2b code, 0x23 data), IOPL 0 and IF 0.
 * Never returns. IOPL 3 would let ring 3 use the ports itself, but kvm_pvm
 * (the test host's software KVM) raises #GP for port I/O at CPL 3 whatever
 * IOPL says (and #UD for `int $n`; `syscall` lands in a state
 * where port I/O faults too), so ring 3 traps to full_gate with `ud2`.
 */
	.globl	enter_user
enter_user:
	movl	$0x23, %eax
	movl	%eax, %ds
	movl	%eax, %es
	pushq	$0x23			/* ss */
	pushq	%rsi			/* rsp */
	pushq	$0x0002			/* rflags: IOPL 0, IF 0, bit 1 */
	pushq	$0x2b			/* cs */
	pushq	%rdi			/* rip */
	iretq

/*
 * full_gate: the #UD handler while fullanim runs; a `ud2` at CPL 3 is the
 * ring-3 loop's only way to COM1 (anything else goes on to the usual #UD
 * stub). A handful of instructions because ring 0 is emulated on the test
 * host.
 *   %edi = 0: poll COM1; %eax = the received byte, or -1 if none.
 *   %edi = 1: send the byte in %sil (waiting, bounded, for THR empty).
 *   %edi = 2: MMIO write: the u32 %edx to the address in %rsi (gpuanim).
 *   %edi = 3: MMIO read: %eax = the u32 at the address in %rsi (gpuanim).
 * Clobbers %rax only.
 */
	.globl	full_gate
full_gate:
	cmpq	$0x2b, 8(%rsp)		/* cs: from the ring-3 loop? */
	jne	9f
	pushq	%rdx
	movq	8(%rsp), %rdx		/* rip */
	cmpw	$0x0b0f, (%rdx)		/* ud2 */
	jne	8f
	addq	$2, 8(%rsp)		/* resume after the ud2 */
	testl	%edi, %edi
	jnz	2f
	movl	$0x3fd, %edx		/* LSR */
	inb	%dx, %al
	testb	$1, %al			/* data ready */
	jz	1f
	movl	$0x3f8, %edx
	inb	%dx, %al
	movzbl	%al, %eax
	popq	%rdx
	iretq
1:	movl	$-1, %eax
	popq	%rdx
	iretq
2:	cmpl	$2, %edi
	jae	5f
	pushq	%rcx
	movl	$100000, %ecx
	movl	$0x3fd, %edx
3:	inb	%dx, %al
	testb	$0x20, %al		/* THR empty */
	jnz	4f
	loop	3b
4:	movl	$0x3f8, %edx
	movl	%esi, %eax
	outb	%al, %dx
	popq	%rcx
	popq	%rdx
	iretq
5:	popq	%rdx			/* the caller's %edx: the value to write */
	je	6f			/* flags still from cmpl $2 */
	movl	(%rsi), %eax
	iretq
6:	movl	%edx, (%rsi)
	iretq
8:	popq	%rdx
9:	jmp	exc_stubs + 16 * 6

	/*
	 * startup_32's page tables. Not in .bss: startup_64 zeroes .bss while
	 * running on them. startup_32 initializes all of it.
	 */
	.section .pgtables, "aw", @nobits
	.balign	4096
pml4:	.skip	4096
pdpt:	.skip	4096
pd:	.skip	4 * 4096

	.bss
	.balign	16
stack:
	.skip	16384
	.globl	stack_top
stack_top:

	.section .note.GNU-stack, "", @progbits
