/* Synchronous traps: illegal instruction (mcause, mtval = the bits),
 * ecall, ebreak, load/store/AMO access faults on unmapped addresses,
 * instruction access fault, misaligned accesses, mret. */
#include "isa.h"

/* unmapped on virt: 0x10000-0xfffff, 0x4000000-0xbffffff, above RAM (0x88000000+); 0x30000000-0x7fffffff are PCIe windows that read as ones */

    .text
    .globl test_main
test_main:
    /* illegal instructions: all-zero 16 bits, all-ones 32 bits, a
     * reserved opcode, a write to a read-only CSR */
    TEST 1
    TRAPS CAUSE_ILLEGAL, 0, .hword 0x0000
    TEST 2
    TRAPS CAUSE_ILLEGAL, 0xffffffff, .word 0xffffffff
    TEST 3
    TRAPS CAUSE_ILLEGAL, 0xf1451073, .word 0xf1451073   /* csrw mhartid, a0 */
    TEST 4
    TRAPS CAUSE_ILLEGAL, 0x0000007f, .word 0x0000007f   /* reserved major opcode */
    TEST 5
    TRAPS CAUSE_ILLEGAL, 0xc0001073, .word 0xc0001073   /* csrw cycle, zero: read-only */
    TEST 6
    TRAPS CAUSE_ILLEGAL, 0x7b002073, .word 0x7b002073   /* csrr zero, dcsr: debug-mode only */

    /* ecall and ebreak from M-mode */
    TEST 10
    TRAPS CAUSE_ECALL_M, 0, ecall
    TEST 11
    TRAPS CAUSE_BREAKPOINT, 0, ebreak      /* QEMU 7.2 leaves mtval 0 */
    TEST 12
    TRAPS CAUSE_BREAKPOINT, 0, c.ebreak

    /* access faults: loads and stores to unmapped physical addresses */
    li      s0, 0x0
    TEST 20
    TRAPS CAUSE_LOAD_ACCESS, 0x0, lw a0, 0(s0)
    TEST 21
    TRAPS CAUSE_STORE_ACCESS, 0x0, sw a0, 0(s0)
    li      s0, 0x90000000
    TEST 22
    TRAPS CAUSE_LOAD_ACCESS, 0x90000004, lb a0, 4(s0)
    TEST 23
    TRAPS CAUSE_STORE_ACCESS, 0x90000008, sh a0, 8(s0)
    TEST 24
    /* an AMO is a store/AMO access (cause 7). QEMU 7.2 reports the AMO's
     * read half instead: a load access fault (5) */
#ifdef QEMU_72_AMO_FAULTS
    TRAPS CAUSE_LOAD_ACCESS, 0x90000000, amoadd.w a0, a1, (s0)
#else
    TRAPS CAUSE_STORE_ACCESS, 0x90000000, amoadd.w a0, a1, (s0)
#endif
    TEST 25
    TRAPS CAUSE_LOAD_ACCESS, 0x90000000, lr.w a0, (s0)
    /* a write to the read-only reset ROM is ignored, not a fault */
    TEST 26
    li      s0, 0x1000
    lw      a1, 0(s0)
    not     a2, a1
    sw      a2, 0(s0)
    lw      a3, 0(s0)
    CHECKR  a3, a1

    /* instruction access fault: jump into the void; mepc and mtval are
     * the target, and ra was written by the jalr */
    TEST 30
    la      t6, 1f
    li      s9, 0
    li      s10, -1
    li      s11, -1
    li      s0, 0x90000000
    jalr    ra, 0(s0)
1:  bnez    t6, fail
    CHECK   s10, CAUSE_FETCH_ACCESS
    CHECK   s9, 0x90000000
    CHECK   s11, 0x90000000
    la      t0, 1b
    CHECKR  ra, t0

    /* misaligned plain loads and stores: QEMU's virt CPU handles them in
     * hardware (no trap); the data must be right */
    TEST 40
    la      s0, scratch
    li      a0, 0x11223344
    sw      a0, 1(s0)
    lw      a1, 1(s0)
    CHECKR  a1, a0
    lbu     a2, 1(s0)
    CHECK   a2, 0x44
    lbu     a2, 4(s0)
    CHECK   a2, 0x11
    TEST 41
    sh      a0, 7(s0)
    lhu     a1, 7(s0)
    CHECK   a1, 0x3344
    lh      a1, 7(s0)
    CHECK   a1, 0x3344
#if __riscv_xlen == 64
    TEST 42
    li      a0, 0x0102030405060708
    sd      a0, 3(s0)
    ld      a1, 3(s0)
    CHECKR  a1, a0
    lwu     a2, 5(s0)
    CHECK   a2, 0x03040506
#endif
    /* misaligned AMOs and LR/SC trap with mtval = the address: LR with a
     * misaligned load (4), AMOs and SC with a misaligned store/AMO (6).
     * QEMU 7.2 reports an AMO's as a misaligned load (4) */
#ifdef QEMU_72_AMO_FAULTS
#define CAUSE_MISALIGNED_AMO CAUSE_MISALIGNED_LOAD
#else
#define CAUSE_MISALIGNED_AMO CAUSE_MISALIGNED_STORE
#endif
    addi    s1, s0, 2
    TEST 43
    TRAPSR CAUSE_MISALIGNED_AMO, s1, amoswap.w a0, a1, (s1)
    TEST 44
    TRAPSR CAUSE_MISALIGNED_LOAD, s1, lr.w a0, (s1)
    /* a misaligned sc.w: the A spec says an address-misaligned (or
     * access-fault) exception "will be generated", reservation or not.
     * QEMU 7.2 checks the reservation first: without one the SC just fails
     * (rd = 1, no trap, memory untouched) */
    TEST 45
    li      a0, 0
#ifdef QEMU_72_SC_NO_TRAP
    sc.w    a0, a1, (s1)
    CHECK   a0, 1
#else
    TRAPSR CAUSE_MISALIGNED_STORE, s1, sc.w a0, a1, (s1)
    CHECK   a0, 0                      /* rd is not written */
#endif
    /* an aligned sc.w without a reservation fails on both: rd = 1, and
     * memory keeps its value */
    TEST 48
    li      a2, 0x5a5a
    sw      a2, 0(s0)
    li      a1, 0x1234
    sc.w    a0, a1, (s0)
    CHECK   a0, 1
    lw      a3, 0(s0)
    CHECKR  a3, a2
#if __riscv_xlen == 64
    addi    s1, s0, 4
    TEST 46
    TRAPSR CAUSE_MISALIGNED_AMO, s1, amoadd.d a0, a1, (s1)
    TEST 47
    TRAPSR CAUSE_MISALIGNED_LOAD, s1, lr.d a0, (s1)
#endif

    /* misaligned jump target: with C, only bit 0 is cleared, so jalr to an
     * odd address lands on the even one */
    TEST 50
    la      t0, 2f
    addi    t0, t0, 1
    jalr    ra, 0(t0)
    j       fail
    .balign 4
2:  nop

    /* mret: returns to mepc, restores MIE from MPIE, sets MPIE */
    TEST 60
    li      t0, 0x1888           /* MPP=3, MPIE, MIE */
    csrc    mstatus, t0
    li      t0, 0x1880           /* MPP=M, MPIE=1 */
    csrs    mstatus, t0
    csrw    mie, zero
    la      t0, 3f
    csrw    mepc, t0
    mret
    j       fail
3:  csrr    a0, mstatus
    andi    a1, a0, 0x88
    CHECK   a1, 0x88             /* MIE = old MPIE = 1, MPIE = 1 */
    csrci   mstatus, 0x8

    j       pass

    .bss
    .balign 16
scratch: .space 64
