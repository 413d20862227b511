/* Sdtrig, as QEMU 7.2 has it: tselect/tdata1/tdata2/tdata3/tinfo, two
 * type-2 (mcontrol) triggers; execute, load and store triggers raise a
 * breakpoint exception (cause 3, mtval 0) at the instruction, before it
 * does anything (the official rv32mi/rv64mi-p-breakpoint checks, and the
 * WARL read-back of unsupported fields and types). */
#include "isa.h"

#if __riscv_xlen == 64
#define TYPE2 (2 << 60)
#define TYPE6 (6 << 60)
#define ALL_BITS_BACK 0x200000000000005f
#define T6_ALL 0x60000000ffffffff
#define T6_BACK 0x600000000180005f
#else
#define TYPE2 (2 << 28)
#define TYPE6 (6 << 28)
#define ALL_BITS_BACK 0x2003005f
#define T6_ALL 0x6fffffff
#define T6_BACK 0x6180005f
#endif
#define M_BIT (1 << 6)
#define U_BIT (1 << 3)
#define EXEC 4
#define STORE 2
#define LOAD 1

/* the insn at label `at` must trap with a breakpoint, mepc = at, mtval 0 */
.macro BREAKS_AT at, insn:vararg
    li s9, 0
    li s10, -1
    li s11, -1
    la t6, 9f
\at:
    \insn
9:
    bnez t6, fail
    CHECK s10, CAUSE_BREAKPOINT
    la t5, \at
    bne s9, t5, fail
    CHECK s11, 0
.endm

    .text
    .globl test_main
test_main:
    TEST 1                          /* reset values */
    csrr    a0, tselect
    CHECK   a0, 0
    csrr    a0, tinfo
    CHECK   a0, 0x44
    csrr    a0, tdata1
    CHECK   a0, TYPE2
    csrr    a0, tdata2
    CHECK   a0, 0
    csrr    a0, tdata3
    CHECK   a0, 0
    TEST 2                          /* two triggers: tselect 2 is ignored */
    li      a0, 1
    csrw    tselect, a0
    li      a0, 2
    csrw    tselect, a0
    csrr    a0, tselect
    CHECK   a0, 1
    TEST 3                          /* what stays of a type-2 write of all ones */
    li      a0, TYPE2 | 0xffffff
    csrw    tdata1, a0
    csrr    a0, tdata1
    CHECK   a0, ALL_BITS_BACK
    TEST 4                          /* other types are ignored whole; type 6 is kept */
    li      a0, 0
    csrw    tdata1, a0
    csrr    a0, tdata1
    CHECK   a0, ALL_BITS_BACK
    li      a0, T6_ALL
    csrw    tdata1, a0
    csrr    a0, tdata1
    CHECK   a0, T6_BACK
    li      a0, TYPE2
    csrw    tdata1, a0
    TEST 5                          /* the triggers are separate; tdata3 ignores writes */
    li      a0, 0x1234
    csrw    tdata2, a0
    csrw    tdata3, a0
    csrr    a0, tdata3
    CHECK   a0, 0
    csrw    tselect, zero
    csrr    a0, tdata2
    CHECK   a0, 0
    csrr    a0, tdata1
    CHECK   a0, TYPE2

    TEST 6                          /* execute trigger in M mode */
    la      a0, exec_here
    csrw    tdata2, a0
    li      a0, TYPE2 | M_BIT | EXEC
    csrw    tdata1, a0
    li      a1, 7
    BREAKS_AT exec_here, addi a1, a1, 1
    CHECK   a1, 7                   /* not executed */
    TEST 7                          /* a U-mode trigger does not fire in M mode */
    la      a0, exec_here2
    csrw    tdata2, a0
    li      a0, TYPE2 | U_BIT | EXEC
    csrw    tdata1, a0
    jal     exec_here_again
    CHECK   a1, 8

    TEST 8                          /* load trigger: before the load */
    la      a2, data
    csrw    tdata2, a2
    li      a0, TYPE2 | M_BIT | LOAD
    csrw    tdata1, a0
    li      a3, 5
    BREAKS_AT load_here, lw a3, 0(a2)
    CHECK   a3, 5
    sw      a3, 0(a2)               /* a store does not fire it */
    TEST 9                          /* store trigger (on trigger 1): before the store */
    csrw    tdata1, zero
    li      a0, TYPE2
    csrw    tdata1, a0
    li      a0, 1
    csrw    tselect, a0
    addi    a0, a2, 4
    csrw    tdata2, a0
    li      a0, TYPE2 | M_BIT | STORE
    csrw    tdata1, a0
    li      a4, 99
    BREAKS_AT store_here, sw a4, 4(a2)
    lw      a5, 4(a2)
    CHECK   a5, 0x55
    lw      a5, 4(a2)               /* a load does not fire it */
    TEST 10                         /* an AMO is a store too */
    addi    a0, a2, 4
    BREAKS_AT amo_here, amoadd.w a5, a4, (a0)
    lw      a5, 4(a2)
    CHECK   a5, 0x55
    TEST 11                         /* disarmed: everything runs */
    li      a0, TYPE2
    csrw    tdata1, a0
    sw      a4, 4(a2)
    lw      a5, 4(a2)
    CHECK   a5, 99
    j       pass

exec_here_again:
exec_here2:
    addi    a1, a1, 1
    ret

    .data
    .balign 8
data:
    .word   0x11, 0x55
