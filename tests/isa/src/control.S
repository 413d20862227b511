/* jal and jalr: link values, offsets, rd == rs1, x0 destinations,
 * the low bit of a jalr target cleared. */
#include "isa.h"

    .text
    .globl test_main
test_main:
    TEST 1
    jal     ra, 1f
2:  j       fail
1:  la      t0, 2b
    CHECKR  ra, t0

    TEST 2                      /* backward jal */
    j       4f
3:  jal     zero, 5f
4:  jal     a0, 3b
6:  j       fail
5:  la      t0, 6b
    CHECKR  a0, t0

    TEST 3                      /* jalr with an offset */
    la      a1, 7f - 12
    jalr    a2, 12(a1)
8:  j       fail
7:  la      t0, 8b
    CHECKR  a2, t0

    TEST 4                      /* rd == rs1: the target uses the old value */
    la      a3, 9f
    jalr    a3, 0(a3)
10: j       fail
9:  la      t0, 10b
    CHECKR  a3, t0

    TEST 5                      /* negative offset, low bit cleared */
    la      a4, 11f + 17
    jalr    zero, -16(a4)
    j       fail
    .balign 4
11: nop

    TEST 6                      /* call/ret through a function */
    li      a0, 20
    call    twice
    CHECK   a0, 40
    j       pass

twice:
    add     a0, a0, a0
    ret
