# A 4 KiB "UEFI code" image for the e2e test: runs from the reset vector in real mode; the
# CS base 0xffff0000 reaches the code (CS:f000-ffff) and the 4 KiB vars flash below it
# (CS:e000-efff). vmm-core/build.rs assembles it into the 4 KiB image (linked at 0xf000, so
# 0xfffff000 in the CS base's segment); its last 16 bytes are the reset vector.
.code16
.globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ss
    mov $0x7000, %sp
    # A run that finds its message already there is the last: it halts instead of resetting,
    # so no later run's erase can race the test's kill (the file would read all ones).
    movb %cs:0xe100, %al
    movb %al, 0x500
    mov $0xe100, %si        # what the vars hold before this run
    call print8
    mov $'|', %al
    call putc
    movb $0x98, %cs:0xe000  # CFI query: "QRY" at 0x10
    mov $0xe010, %si
    mov $3, %cx
    call printn
    movb $0xff, %cs:0xe000
    movb $0x20, %cs:0xe000  # erase the block
    movb $0xd0, %cs:0xe000
    movb %cs:0xe000, %al    # status: ready, no error
    cmp $0x80, %al
    jne fail
    movb $0xff, %cs:0xe000
    mov $msg, %si           # program the message, a byte at a time as OVMF does
    mov $0xe100, %di
1:  movb %cs:(%si), %al
    movb $0x10, %cs:(%di)
    movb %al, %cs:(%di)
    inc %si
    inc %di
    cmp $msg+8, %si
    jne 1b
    movb $0xff, %cs:0xe107
    mov $'|', %al
    call putc
    mov $0xe100, %si        # and read it back
    call print8
    mov $'\n', %al
    call putc
    cmpb $'s', 0x500        # "saved-ok" before this run: done
    je hang
reset:
    mov $0xcf9, %dx
    mov $6, %al
    out %al, %dx
hang:
    hlt
    jmp hang
fail:
    mov $'!', %al
    call putc
    jmp reset
print8:
    mov $8, %cx
printn:
    movb %cs:(%si), %al
    call putc
    inc %si
    loop printn
    ret
putc:
    push %dx
    push %ax
    mov $0x3fd, %dx
2:  in %dx, %al
    test $0x20, %al
    jz 2b
    pop %ax
    mov $0x3f8, %dx
    out %al, %dx
    pop %dx
    ret
msg:
    .ascii "saved-ok"
    .org 0xff0
    jmp _start
    .org 0x1000
