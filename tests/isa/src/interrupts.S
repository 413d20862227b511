/* Interrupts: wfi woken by the machine timer, mcause/mepc of a timer
 * interrupt, mie masking, vectored mtvec, the priority among MSI/MTI/MEI,
 * the CLINT software interrupt. */
#include "isa.h"

#define MIP_MSIP (1 << 3)
#define MIP_MTIP (1 << 7)
#define MIP_MEIP (1 << 11)

/* mtimecmp = value in register (RV32: the high word stays 0 or ~0) */
.macro MTIMECMP_SET reg
    li      t0, CLINT_MTIMECMP
#if __riscv_xlen == 64
    sd      \reg, 0(t0)
#else
    li      t1, -1
    sw      t1, 4(t0)
    sw      \reg, 0(t0)
    sw      zero, 4(t0)
#endif
.endm

.macro MTIMECMP_NEVER
    li      t0, CLINT_MTIMECMP
    li      t1, -1
    sw      t1, 0(t0)
    sw      t1, 4(t0)
.endm

.macro MTIME_READ reg           /* low word is enough this early in a run */
    li      t0, CLINT_MTIME
#if __riscv_xlen == 64
    lwu     \reg, 0(t0)
#else
    lw      \reg, 0(t0)
#endif
.endm

    .text
    .globl test_main
test_main:
    la      s7, log
    MTIMECMP_NEVER
    csrw    mie, zero

    /* a pending interrupt with its mie bit clear is not taken */
    TEST 1
    li      a0, 0
    MTIMECMP_SET a0                    /* mtime >= 0: MTIP pending now */
    csrr    a1, mip
    andi    a1, a1, MIP_MTIP
    CHECK   a1, MIP_MTIP
    csrsi   mstatus, 8                 /* MIE on, MTIE off: nothing happens */
    nop
    nop
    csrci   mstatus, 8
    MTIMECMP_NEVER
    csrr    a1, mip
    andi    a1, a1, MIP_MTIP
    CHECK   a1, 0

    /* wfi with MIE off wakes on a pending enabled interrupt without
     * taking it; then setting MIE takes it right after the csrs */
    TEST 2
    la      t0, int_handler
    csrw    mtvec, t0
    MTIME_READ a0
    addi    a0, a0, 200
    MTIMECMP_SET a0
    li      t0, MIP_MTIP
    csrw    mie, t0
    wfi
    csrr    a1, mip
    andi    a1, a1, MIP_MTIP
    CHECK   a1, MIP_MTIP
    mv      s8, s7
    li      s10, 0
    csrsi   mstatus, 8
taken_here:
    csrci   mstatus, 8
    bne     s7, s8, 1f                 /* one entry logged */
    j       fail
1:  CHECK   s10, MCAUSE_INT | 7
    la      t0, taken_here
    CHECKR  s9, t0
    csrr    a0, mstatus                /* MPIE holds the old MIE (1) */
    andi    a0, a0, 0x80
    CHECK   a0, 0x80

    /* software interrupt through the CLINT's msip */
    TEST 3
    li      t0, MIP_MSIP
    csrw    mie, t0
    li      s10, 0
    li      t0, CLINT_MSIP
    li      t1, 1
    sw      t1, 0(t0)
    csrsi   mstatus, 8
    nop
    csrci   mstatus, 8
    CHECK   s10, MCAUSE_INT | 3
    csrr    a1, mip
    andi    a1, a1, MIP_MSIP
    CHECK   a1, 0

    /* vectored mtvec: an interrupt goes to base + 4 * cause */
    TEST 4
    la      t0, vectors
    ori     t0, t0, 1
    csrw    mtvec, t0
    li      s8, 0
    li      a0, 0
    MTIMECMP_SET a0
    li      t0, MIP_MTIP
    csrw    mie, t0
    csrsi   mstatus, 8
    nop
    csrci   mstatus, 8
    CHECK   s8, 7
    CHECK   s10, MCAUSE_INT | 7
    /* exceptions still go to the base in vectored mode */
    TEST 5
    li      s8, 0
    ecall
    CHECK   s8, 0x100
    CHECK   s10, CAUSE_ECALL_M
    la      t0, int_handler
    csrw    mtvec, t0

    /* priority: with MEI, MSI and MTI all pending and enabled, the
     * privileged spec takes MEI, then MSI, then MTI. QEMU 7.2 (no AIA) takes
     * the lowest-numbered first: MSI (3), MTI (7), MEI (11)
     * (riscv_cpu_pending_to_irq: ctz64(pending)). The handler clears each
     * source, so all three are taken, one after the other. */
#ifdef QEMU_72_IRQ_ORDER
#define FIRST_IRQ 3
#define SECOND_IRQ 7
#define THIRD_IRQ 11
#else
#define FIRST_IRQ 11
#define SECOND_IRQ 3
#define THIRD_IRQ 7
#endif
    TEST 6
    li      t0, PLIC_PRIORITY(UART_IRQ)
    li      t1, 1
    sw      t1, 0(t0)
    li      t0, PLIC_ENABLE(0)
    li      t1, 1 << UART_IRQ
    sw      t1, 0(t0)
    li      t0, PLIC_THRESHOLD(0)
    sw      zero, 0(t0)
    li      t0, UART_BASE
    li      t1, 0x02                   /* IER: transmitter empty -> IRQ now */
    sb      t1, UART_IER(t0)
    li      t0, CLINT_MSIP
    li      t1, 1
    sw      t1, 0(t0)
    li      a0, 0
    MTIMECMP_SET a0
    li      t0, MIP_MSIP | MIP_MTIP | MIP_MEIP
    csrw    mie, t0
    li      a2, 1000                   /* wait until all three are pending */
2:  csrr    a1, mip
    and     a1, a1, t0
    beq     a1, t0, 3f
    addi    a2, a2, -1
    bnez    a2, 2b
    j       fail
3:  la      s7, log
    csrsi   mstatus, 8
    nop
    nop
    nop
    csrci   mstatus, 8
    la      t0, log
    sub     a0, s7, t0
    CHECK   a0, 3 * REGBYTES
    LREG    a1, 0(t0)
    CHECK   a1, MCAUSE_INT | FIRST_IRQ
    LREG    a1, REGBYTES(t0)
    CHECK   a1, MCAUSE_INT | SECOND_IRQ
    LREG    a1, 2 * REGBYTES(t0)
    CHECK   a1, MCAUSE_INT | THIRD_IRQ

    csrw    mie, zero
    la      t0, trap_handler
    csrw    mtvec, t0
    j       pass

/* Logs mcause at s7 (s7 += REGBYTES), sets s9 = mepc, s10 = mcause, and
 * silences the source so mret does not re-enter. */
    .balign 4
int_handler:
    csrr    s9, mepc
    csrr    s10, mcause
    SREG    s10, 0(s7)
    addi    s7, s7, REGBYTES
    bgez    s10, exception
    andi    t2, s10, 0xff
    li      t3, 7
    beq     t2, t3, h_mti
    li      t3, 3
    beq     t2, t3, h_msi
    li      t3, 11
    beq     t2, t3, h_mei
    j       fail
h_mti:
    MTIMECMP_NEVER
    mret
h_msi:
    li      t0, CLINT_MSIP
    sw      zero, 0(t0)
    mret
h_mei:
    li      t0, UART_BASE
    sb      zero, UART_IER(t0)
    li      t0, PLIC_CLAIM(0)
    lw      t1, 0(t0)
    li      t3, UART_IRQ
    bne     t1, t3, fail
    sw      t1, 0(t0)                  /* complete */
    mret
exception:                             /* ecall: skip it */
    li      t3, CAUSE_ECALL_M
    bne     s10, t3, unexpected
    addi    s9, s9, 4
    csrw    mepc, s9
    li      s8, 0x100
    mret
unexpected:
    j       fail

    .balign 64
    .option push
    .option norvc                      /* 4-byte entries */
vectors:
    j       int_handler                /* 0: exceptions */
    .rept 6
    j       fail
    .endr
    j       vec_mti                    /* 7 */
    .rept 8
    j       fail
    .endr
    .option pop
vec_mti:
    li      s8, 7
    j       int_handler

    .bss
    .balign 16
log: .space 16 * 8
