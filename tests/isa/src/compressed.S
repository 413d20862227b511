/* C extension: every integer compressed form, written with explicit c.
 * mnemonics so each is the 16-bit encoding (c.ebreak is in traps.S). */
#include "isa.h"

    .text
    .globl test_main
test_main:
    la      s0, scratch
    TEST 1
    c.li    a0, 31
    CHECK   a0, 31
    c.li    a0, -32
    CHECK   a0, -32
    TEST 2
    c.lui   a1, 0x1f
    CHECK   a1, 0x1f000
    c.lui   a1, 0xfffe0
    CHECK   a1, -0x20000
    TEST 3
    c.li    a0, 5
    c.addi  a0, -6
    CHECK   a0, -1
    c.addi  a0, 31
    CHECK   a0, 30
    c.nop
    TEST 4
    mv      s2, sp
    c.addi16sp sp, -64
    sub     a0, s2, sp
    CHECK   a0, 64
    c.addi16sp sp, 496
    sub     a0, sp, s2
    CHECK   a0, 432
    mv      sp, s2
    TEST 5
    c.addi4spn a0, sp, 1020
    sub     a0, a0, sp
    CHECK   a0, 1020
    TEST 6
    li      a0, 0x80000001
    c.slli  a0, 3
#if __riscv_xlen == 64
    CHECK   a0, 0x400000008
#else
    CHECK   a0, 0x8
#endif
    li      a1, -256
    c.srai  a1, 4
    CHECK   a1, -16
    li      a2, -256
    c.srli  a2, 4
#if __riscv_xlen == 64
    CHECK   a2, 0x0ffffffffffffff0
#else
    CHECK   a2, 0x0ffffff0
#endif
    li      a3, 0x1ff
    c.andi  a3, -16
    CHECK   a3, 0x1f0
    TEST 7
    li      a4, 0x0ff0
    li      a5, 0x3c3c
    c.mv    a0, a4
    CHECK   a0, 0x0ff0
    c.add   a0, a5
    CHECK   a0, 0x0ff0 + 0x3c3c
    c.mv    a0, a4
    c.sub   a0, a5
    CHECK   a0, 0x0ff0 - 0x3c3c
    c.mv    a0, a4
    c.xor   a0, a5
    CHECK   a0, 0x0ff0 ^ 0x3c3c
    c.mv    a0, a4
    c.or    a0, a5
    CHECK   a0, 0x0ff0 | 0x3c3c
    c.mv    a0, a4
    c.and   a0, a5
    CHECK   a0, 0x0ff0 & 0x3c3c
    TEST 8
    li      a1, 0x89abcdef
    c.sw    a1, 124(s0)
    lw      a2, 124(s0)
#if __riscv_xlen == 64
    CHECK   a2, 0xffffffff89abcdef
#else
    CHECK   a2, 0x89abcdef
#endif
    c.lw    a3, 124(s0)
    CHECKR  a3, a2
    TEST 9
    addi    sp, sp, -256
    li      a1, 0x13579bdf
    c.swsp  a1, 252(sp)
    lw      a2, 252(sp)
    CHECK   a2, 0x13579bdf
    c.lwsp  a3, 252(sp)
    CHECK   a3, 0x13579bdf
    addi    sp, sp, 256
    TEST 10
    li      a0, 0
    c.j     1f
    li      a0, 1
1:  CHECK   a0, 0
    li      a1, 0
    c.beqz  a1, 2f
    j       fail
2:  c.bnez  a1, fail_near
    li      a1, 3
    c.bnez  a1, 3f
    j       fail
3:  c.beqz  a1, fail_near
    TEST 11
    la      a5, 5f
    c.jalr  a5
4:  j       fail
5:  la      t0, 4b
    CHECKR  ra, t0
    la      a5, 6f
    c.jr    a5
    j       fail
6:
#if __riscv_xlen == 32
    TEST 12
    c.jal   7f
8:  j       fail
7:  la      t0, 8b
    CHECKR  ra, t0
#else
    TEST 13
    li      a1, 0x123456789abcdef0
    c.sd    a1, 248(s0)
    ld      a2, 248(s0)
    CHECKR  a2, a1
    c.ld    a3, 248(s0)
    CHECKR  a3, a1
    addi    sp, sp, -512
    c.sdsp  a1, 504(sp)
    c.ldsp  a4, 504(sp)
    CHECKR  a4, a1
    addi    sp, sp, 512
    TEST 14
    li      a0, 0x7fffffff
    c.addiw a0, 1
    CHECK   a0, -0x80000000
    li      a0, 0x100000005
    c.addiw a0, 0                      /* sext.w */
    CHECK   a0, 5
    li      a0, 0x7fffffff
    li      a1, 0x1
    c.addw  a0, a1
    CHECK   a0, -0x80000000
    li      a0, 0
    c.subw  a0, a1
    CHECK   a0, -1
    li      a0, 0x80000000
    li      a1, 0
    c.subw  a0, a1
    CHECK   a0, -0x80000000
#endif
    j       pass
fail_near:
    j       fail

    .bss
    .balign 16
scratch: .space 512
