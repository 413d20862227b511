/* Zicsr: every csrrw/s/c form and its immediate twin, rd = x0 and rs1 = x0
 * cases, read-only CSRs (reads fine, writes illegal), misa, mhartid,
 * mcycle/minstret/time counting, mtvec vectored mode. */
#include "isa.h"

    .text
    .globl test_main
test_main:
    TEST 1
    li      a0, 0x12345678
    csrw    mscratch, a0
    csrr    a1, mscratch
    CHECK   a1, 0x12345678
    TEST 2
    li      a2, -1
    csrrw   a3, mscratch, a2
    CHECK   a3, 0x12345678
    csrr    a3, mscratch
    CHECK   a3, -1
    TEST 3
    li      a2, 0xf0
    csrrc   a3, mscratch, a2
    CHECK   a3, -1
    csrr    a3, mscratch
    CHECK   a3, ~0xf0
    TEST 4
    li      a2, 0x30
    csrw    mscratch, zero
    csrrs   a3, mscratch, a2
    CHECK   a3, 0
    csrrs   a3, mscratch, zero        /* pure read */
    CHECK   a3, 0x30
    TEST 5
    csrrwi  a3, mscratch, 0x1f
    CHECK   a3, 0x30
    csrrsi  a3, mscratch, 0x20 >> 1
    CHECK   a3, 0x1f
    csrrci  a3, mscratch, 0x3
    CHECK   a3, 0x1f
    csrr    a3, mscratch
    CHECK   a3, 0x1c
    csrrsi  a3, mscratch, 0           /* pure read */
    CHECK   a3, 0x1c
    TEST 6                             /* rd = x0 */
    li      a2, 0x55
    csrrw   zero, mscratch, a2
    csrr    a3, mscratch
    CHECK   a3, 0x55
    csrrwi  zero, mscratch, 7
    csrr    a3, mscratch
    CHECK   a3, 7
    TEST 7                             /* rd == rs1 */
    li      a4, 0x99
    csrrw   a4, mscratch, a4
    CHECK   a4, 7
    csrr    a4, mscratch
    CHECK   a4, 0x99

    /* read-only CSRs: reading is fine, even through csrrs/csrrc with x0 */
    TEST 10
    csrr    a0, mhartid
    CHECK   a0, 0
    csrrs   a0, mhartid, zero
    csrrc   a0, mvendorid, zero
    csrrsi  a0, marchid, 0
    csrrci  a0, mimpid, 0
    TEST 11
    TRAPS CAUSE_ILLEGAL, 0xf1459073, csrrw zero, mhartid, a1
    TEST 12
    TRAPS CAUSE_ILLEGAL, 0xf1156073, csrrsi zero, mvendorid, 0xa
    TEST 13
    li      a1, 1
    TRAPS CAUSE_ILLEGAL, 0xf145a073, csrrs zero, mhartid, a1
    TEST 14                            /* an unimplemented CSR number */
    TRAPS CAUSE_ILLEGAL, 0x7c002573, .word 0x7c002573   /* csrr a0, 0x7c0 */

    /* misa: MXL says the XLEN; I, M, A and C are there */
    TEST 20
    csrr    a0, misa
#if __riscv_xlen == 64
    srli    a1, a0, 62
    CHECK   a1, 2
#else
    srli    a1, a0, 30
    CHECK   a1, 1
#endif
    li      a2, (1 << 8) | (1 << 12) | (1 << 0) | (1 << 2)
    and     a1, a0, a2
    CHECKR  a1, a2

    /* counters count */
    TEST 30
    csrr    a0, minstret
    nop
    nop
    csrr    a1, minstret
    bgeu    a0, a1, fail
    TEST 31
    csrr    a0, mcycle
    nop
    nop
    csrr    a1, mcycle
    bgeu    a0, a1, fail
    TEST 32
    rdinstret a0
    nop
    rdinstret a1
    bgeu    a0, a1, fail
    TEST 33                            /* time is mtime */
    li      s0, CLINT_MTIME
    lw      a0, 0(s0)
    rdtime  a1
#if __riscv_xlen == 64
    slli    a1, a1, 32
    srli    a1, a1, 32
#endif
    bltu    a1, a0, fail

    /* mtvec: direct and vectored modes read back */
    TEST 40
    la      a0, trap_handler
    ori     a1, a0, 1
    csrw    mtvec, a1
    csrr    a2, mtvec
    CHECKR  a2, a1
    csrw    mtvec, a0
    csrr    a2, mtvec
    CHECKR  a2, a0

    /* mepc[0] is always zero (IALIGN = 16 with C): a write of an odd value
     * reads back even. QEMU 7.2 stores and returns bit 0 as written */
    TEST 41
    la      a0, trap_handler
    ori     a1, a0, 1
    csrw    mepc, a1
    csrr    a2, mepc
#ifdef QEMU_72_MEPC_BIT0
    CHECKR  a2, a1
#else
    CHECKR  a2, a0
#endif

    /* mstatus.MIE can be set and cleared */
    TEST 42
    csrsi   mstatus, 8
    csrr    a0, mstatus
    andi    a0, a0, 8
    CHECK   a0, 8
    csrci   mstatus, 8
    csrr    a0, mstatus
    andi    a0, a0, 8
    CHECK   a0, 0

    j       pass
