/* Start-up for the gdb end-to-end firmware: every hart gets its own stack;
 * hart 0 runs main() and reports its return value through sifive_test
 * (0 -> 0x5555 pass, n -> (n << 16) | 0x3333), any other hart runs
 * other_hart(). mtvec points at trap_entry (gdbtest.c). */
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
    csrr    t0, mhartid
    slli    t1, t0, 14              /* 16 KiB of stack per hart */
    la      sp, __stack_top
    sub     sp, sp, t1
    la      t1, trap_entry
    csrw    mtvec, t1
    bnez    t0, 3f
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    REG_S   zero, 0(t0)
    addi    t0, t0, (__riscv_xlen / 8)
    j       1b
2:  call    main
    call    fw_exit
3:  csrr    a0, mhartid
    call    other_hart
4:  j       4b
