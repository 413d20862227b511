/* Start-up code for RV32 and RV64 on QEMU's virt machine (-bios none).
 * Sets gp and sp, clears .bss, installs the default trap vector, calls
 * main(), and reports its return value through sifive_test:
 * 0 -> 0x5555 (QEMU exits 0), n -> (n << 16) | 0x3333 (QEMU exits n). */
#include "virt.h"

#if __riscv_xlen == 64
#define REG_S sd
#else
#define REG_S sw
#endif

    .section .text.init, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top
    /* only hart 0 runs; others (if any) park */
    csrr    t0, mhartid
    bnez    t0, park
    la      t0, default_trap_entry
    csrw    mtvec, t0
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    REG_S   zero, 0(t0)
    addi    t0, t0, (__riscv_xlen / 8)
    j       1b
2:  li      a0, 0
    li      a1, 0
    call    main
    call    fw_exit
park:
    wfi
    j       park

/* Any trap the program did not expect: exit with code 0xdead & 0xffff
 * after printing mcause/mepc/mtval (see runtime.c). */
    .section .text.trap, "ax"
    .balign 4
    .globl default_trap_entry
default_trap_entry:
    la      sp, __stack_top
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    call    fw_unexpected_trap
3:  j       3b
