/* Firmware built for QEMU's default virt CPU (with F and D): it turns the
   FPU on and clears fcsr, then, from its trap handler, tries flw once more.
   On a hart without F (emud; QEMU with -cpu rv32,f=false,d=false) both trap
   as illegal instructions; the exit code is the trap count << 4 | mcause,
   through virt's test device (0x100000: code << 16 | 0x3333).
   tests/cpu/riscv/test_missing_ext.py */
    .globl _start
_start:
    la      t0, trap
    csrw    mtvec, t0
    li      s0, 0
    li      t0, 0x2000              /* mstatus.FS = initial */
    csrs    mstatus, t0
    fscsr   zero
    j       done
    .balign 4
trap:
    addi    s0, s0, 1
    li      t0, 1
    bne     s0, t0, done
    csrr    t1, mepc
    addi    t1, t1, 4
    csrw    mepc, t1
    la      t0, _start
    flw     ft0, 0(t0)
    mret
done:
    csrr    a0, mcause
    slli    a1, s0, 4
    or      a0, a0, a1
    slli    a2, a0, 16
    li      t2, 0x3333
    or      a2, a2, t2
    li      t3, 0x100000
    sw      a2, 0(t3)
1:  j       1b
