/* Zifencei: self-modifying code. Code is written to RAM, fence.i, run;
 * then rewritten after it has run (the old translation must go) and run
 * again; also a patch inside this test's own code. */
#include "isa.h"

#define ADDI_A0_1   0x00150513   /* addi a0, a0, 1 */
#define ADDI_A0_2   0x00250513   /* addi a0, a0, 2 */
#define RET         0x00008067   /* jalr zero, 0(ra) */
#define C_ADDI_A0_3 0x050d       /* c.addi a0, 3 */
#define C_JR_RA     0x8082       /* c.jr ra */

    .text
    .globl test_main
test_main:
    la      s0, code
    TEST 1
    li      t0, ADDI_A0_1
    sw      t0, 0(s0)
    li      t0, RET
    sw      t0, 4(s0)
    fence.i
    li      a0, 10
    jalr    ra, 0(s0)
    CHECK   a0, 11
    TEST 2                             /* rewrite code that already ran */
    li      t0, ADDI_A0_2
    sw      t0, 0(s0)
    fence.i
    jalr    ra, 0(s0)
    CHECK   a0, 13
    TEST 3                             /* 16-bit instructions, halfword stores */
    li      t0, C_ADDI_A0_3
    sh      t0, 0(s0)
    li      t0, C_JR_RA
    sh      t0, 2(s0)
    fence.i
    jalr    ra, 0(s0)
    CHECK   a0, 16
    TEST 4                             /* loop over a patched instruction */
    li      t0, ADDI_A0_1
    sw      t0, 0(s0)
    li      t0, RET
    sw      t0, 4(s0)
    fence.i
    li      a0, 0
    li      s1, 5
1:  jalr    ra, 0(s0)
    addi    s1, s1, -1
    bnez    s1, 1b
    CHECK   a0, 5
    TEST 5                             /* patch this test's own text */
    li      s2, 2
2:  la      t1, patch_site
    li      a0, 0
    .option push
    .option norvc                      /* a 4-byte instruction to patch */
patch_site:
    addi    a0, zero, 1
    .option pop
    addi    s2, s2, -1
    beqz    s2, 3f
    CHECK   a0, 1
    li      t0, 0x00500513             /* addi a0, zero, 5 */
    sw      t0, 0(t1)
    fence.i
    j       2b
3:  CHECK   a0, 5
    j       pass

    .data
    .balign 16
code: .space 64
