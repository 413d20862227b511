/* Physical memory protection: U-mode fetches, loads, stores and AMOs
 * against NAPOT, TOR and NA4 entries, priority, M-mode through unlocked and
 * locked entries, MPRV, and the WARL rules of locked entries.
 *
 * Traps here go to pmp_trap, which records mepc/mcause/mtval in s9/s10/s11
 * like the harness does and always resumes in M-mode at t6, so a check can
 * drop to U-mode, run one instruction there and come back. */
#include "isa.h"

#define MSTATUS_MPP   0x1800
#define MSTATUS_MPRV  0x20000
#define CAUSE_ECALL_U 8
#define CFG_R     0x01
#define CFG_W     0x02
#define CFG_X     0x04
#define CFG_TOR   0x08
#define CFG_NA4   0x10
#define CFG_NAPOT 0x18
#define CFG_L     0x80

/* Run `insn` in U-mode, then ecall (cause 8) if it did not trap; s8 holds
 * the address of `insn`. The trap it ends with is in s9/s10/s11. */
.macro USER insn:vararg
    la      t6, .Lback\@
    la      s8, .Luser\@
    csrw    mepc, s8
    li      t0, MSTATUS_MPP
    csrc    mstatus, t0
    li      s9, 0
    li      s10, -1
    li      s11, -1
    mret
.Luser\@:
    \insn
    ecall
.Lback\@:
.endm

/* `insn` in U-mode completes (the ecall after it is the trap) */
.macro USER_OK insn:vararg
    USER \insn
    CHECK   s10, CAUSE_ECALL_U
.endm

/* `insn` in U-mode traps with `cause` at itself, mtval = register `treg` */
.macro USER_FAULT cause, treg, insn:vararg
    USER \insn
    CHECK   s10, \cause
    bne     s9, s8, fail
    bne     s11, \treg, fail
.endm

/* pmpaddr0: the 4 KiB page at s0, as NAPOT */
.macro PMPADDR0_PAGE
    srli    t0, s0, 2
    ori     t0, t0, (4096 / 8) - 1
    csrw    pmpaddr0, t0
.endm

    .text
    .globl test_main
test_main:
    la      t0, pmp_trap
    csrw    mtvec, t0
    la      s0, pmp_page
    la      s1, pmp_before
    li      t0, 4096
    add     s2, s0, t0              /* the first byte after the page */
    li      t0, 0x00000073          /* ecall, for the fetch check */
    sw      t0, 0(s0)

    /* no entry set: U-mode may access nothing, so its first fetch faults.
     * QEMU 7.2 makes the MRET to U-mode illegal instead (a check in its
     * helper_mret when there are no PMP rules) */
    TEST 1
    USER nop
#ifdef QEMU_72_MRET_NO_PMP
    CHECK   s10, CAUSE_ILLEGAL
    CHECK   s11, 0x30200073
#else
    CHECK   s10, CAUSE_FETCH_ACCESS
    bne     s9, s8, fail
    bne     s11, s8, fail
#endif

    /* entry 0: all of memory, RWX (NAPOT with every address bit set) */
    TEST 2
    li      t0, -1
    csrw    pmpaddr0, t0
    li      t0, CFG_NAPOT | CFG_R | CFG_W | CFG_X
    csrw    pmpcfg0, t0
    csrr    a0, pmpcfg0
    CHECK   a0, 0x1f
    USER_OK lw a1, 0(s0)
    TEST 3
    USER_OK sw a1, 4(s0)

    /* entry 0: the page, read-only (NAPOT 4 KiB); entry 1: all, RWX.
     * The lower-numbered entry decides. */
    TEST 4
    PMPADDR0_PAGE
    li      t0, -1
    csrw    pmpaddr1, t0
    li      t0, ((CFG_NAPOT | CFG_R | CFG_W | CFG_X) << 8) | CFG_NAPOT | CFG_R
    csrw    pmpcfg0, t0
    USER_OK lw a1, 0(s0)
    TEST 5
    USER_FAULT CAUSE_STORE_ACCESS, s0, sw a1, 0(s0)
    TEST 6
    addi    a2, s2, -1
    USER_FAULT CAUSE_STORE_ACCESS, a2, sb a1, -1(s2)
    TEST 7
    USER_OK sw a1, 0(s2)            /* past the page: entry 1 */
    TEST 8
    USER_OK sw a1, 0(s1)            /* before it */
    TEST 9
    /* no X: jumping into the page is a fetch fault at the target */
    USER jalr ra, 0(s0)
    CHECK   s10, CAUSE_FETCH_ACCESS
    bne     s9, s0, fail
    bne     s11, s0, fail
    TEST 10
    /* an AMO needs R and W: a store/AMO access fault */
    USER_FAULT CAUSE_STORE_ACCESS, s0, amoadd.w a1, a2, (s0)
    TEST 11
    /* M-mode ignores an entry that is not locked */
    NO_TRAP sw a1, 8(s0)
    lw      a3, 8(s0)
    CHECKR  a3, a1

    /* MPRV with MPP = U: M-mode's loads and stores are checked as U's,
     * its fetches are not */
    TEST 12
    li      t0, MSTATUS_MPP
    csrc    mstatus, t0
    li      t0, MSTATUS_MPRV
    csrs    mstatus, t0
    lw      a3, 8(s0)
    TRAPSR CAUSE_STORE_ACCESS, s0, sw a1, 0(s0)
    li      t0, MSTATUS_MPRV
    csrc    mstatus, t0
    TEST 13
    NO_TRAP sw a1, 0(s0)

    /* TOR: entry 1 covers [pmpaddr0 << 2, pmpaddr1 << 2) with no access
     * (entry 0 is off, only its address counts); entry 2: all, RWX */
    TEST 14
    srli    t0, s0, 2
    csrw    pmpaddr0, t0
    srli    t0, s2, 2
    csrw    pmpaddr1, t0
    li      t0, -1
    csrw    pmpaddr2, t0
    li      t0, ((CFG_NAPOT | CFG_R | CFG_W | CFG_X) << 16) | (CFG_TOR << 8)
    csrw    pmpcfg0, t0
    USER_FAULT CAUSE_LOAD_ACCESS, s0, lw a1, 0(s0)
    TEST 15
    addi    a2, s2, -4
    USER_FAULT CAUSE_LOAD_ACCESS, a2, lw a1, -4(s2)
    TEST 16
    USER_OK lw a1, 0(s2)
    TEST 17
    USER_OK lw a1, -4(s0)

    /* NA4: four bytes at page + 8, no access */
    TEST 18
    addi    t0, s0, 8
    srli    t0, t0, 2
    csrw    pmpaddr0, t0
    li      t0, -1
    csrw    pmpaddr1, t0
    li      t0, ((CFG_NAPOT | CFG_R | CFG_W | CFG_X) << 8) | CFG_NA4
    csrw    pmpcfg0, t0
    addi    a2, s0, 8
    USER_FAULT CAUSE_LOAD_ACCESS, a2, lw a1, 8(s0)
    TEST 19
    USER_OK lw a1, 4(s0)
    TEST 20
    USER_OK lw a1, 12(s0)

    /* a locked entry binds M-mode too, and its pmpcfg byte and pmpaddr
     * ignore writes until reset. Last: it stays for the rest of the run. */
    TEST 21
    PMPADDR0_PAGE
    li      t0, ((CFG_NAPOT | CFG_R | CFG_W | CFG_X) << 8) | CFG_L | CFG_NAPOT | CFG_R
    csrw    pmpcfg0, t0
    lw      a1, 0(s0)
    TRAPSR CAUSE_STORE_ACCESS, s0, sw a1, 0(s0)
    TEST 22
    csrw    pmpcfg0, zero
    csrr    a0, pmpcfg0
    andi    a0, a0, 0xff
    CHECK   a0, CFG_L | CFG_NAPOT | CFG_R
    TEST 23
    csrr    a3, pmpaddr0
    csrw    pmpaddr0, zero
    csrr    a0, pmpaddr0
    CHECKR  a0, a3
    TEST 24
    TRAPSR CAUSE_STORE_ACCESS, s0, sw a1, 0(s0)
    j       pass

/* record the trap and resume at t6 in M-mode */
    .balign 4
pmp_trap:
    csrr    s9, mepc
    csrr    s10, mcause
    csrr    s11, mtval
    beqz    t6, fail
    csrw    mepc, t6
    li      t6, MSTATUS_MPP
    csrs    mstatus, t6
    li      t6, 0
    mret

    .data
    .balign 4096
pmp_before:
    .space 4096
pmp_page:
    .space 4096
pmp_after:
    .space 64
