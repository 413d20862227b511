/* A extension: LR/SC success and failure (every AMO op is in the
 * generated gen_rv_a test). */
#include "isa.h"

    .text
    .globl test_main
test_main:
    la      s0, word
    TEST 1                             /* lr then sc succeeds */
    li      a1, 41
    sw      a1, 0(s0)
    lr.w    a0, (s0)
    CHECK   a0, 41
    addi    a0, a0, 1
    sc.w    a2, a0, (s0)
    CHECK   a2, 0
    lw      a3, 0(s0)
    CHECK   a3, 42
    TEST 2                             /* a second sc fails: the reservation is gone */
    li      a0, 99
    sc.w    a2, a0, (s0)
    CHECK   a2, 1
    lw      a3, 0(s0)
    CHECK   a3, 42
    TEST 3                             /* sc to another address fails */
    lr.w    a0, (s0)
    addi    s1, s0, 8
    sw      zero, 0(s1)
    li      a0, 7
    sc.w    a2, a0, (s1)
    CHECK   a2, 1
    lw      a3, 0(s1)
    CHECK   a3, 0
    TEST 4                             /* an atomic increment loop */
    li      a4, 100
    sw      zero, 0(s0)
1:  lr.w.aq a0, (s0)
    addi    a0, a0, 1
    sc.w.rl a2, a0, (s0)
    bnez    a2, 1b
    addi    a4, a4, -1
    bnez    a4, 1b
    lw      a3, 0(s0)
    CHECK   a3, 100
    TEST 5                             /* lr.w sign-extends */
    li      a1, 0x80000000
    sw      a1, 0(s0)
    lr.w    a0, (s0)
    CHECK   a0, -0x80000000
    sc.w    a2, zero, (s0)
    CHECK   a2, 0
#if __riscv_xlen == 64
    la      s0, dword
    TEST 6
    li      a1, 0x123456789
    sd      a1, 0(s0)
    lr.d    a0, (s0)
    CHECKR  a0, a1
    addi    a0, a0, 1
    sc.d    a2, a0, (s0)
    CHECK   a2, 0
    ld      a3, 0(s0)
    CHECK   a3, 0x12345678a
    sc.d    a2, a0, (s0)
    CHECK   a2, 1
#endif
    j       pass

    .data
    .balign 16
word:  .word 0, 0, 0, 0
dword: .dword 0, 0
