/* Macros for the self-checking ISA tests (see isa_rt.S for the harness).
 *
 * Register conventions inside a test:
 *   gp  (x3)  the current check number (TEST n); the exit code on failure
 *   t5  (x30) scratch for CHECK
 *   t6  (x31) where the trap handler resumes; 0 = no trap expected
 *   s9, s10, s11  set by the trap handler: mepc, mcause, mtval
 * Everything else is free. A test defines test_main and ends with `j pass`;
 * any check that fails jumps to `fail`, which prints the check number and
 * the last trap's mepc/mcause/mtval on the UART and exits with the number.
 */
#ifndef ISA_H
#define ISA_H

#include "virt.h"

#if __riscv_xlen == 64
#define LREG ld
#define SREG sd
#define REGBYTES 8
#define MCAUSE_INT (1 << 63)
#else
#define LREG lw
#define SREG sw
#define REGBYTES 4
#define MCAUSE_INT (1 << 31)
#endif

/* synchronous exception causes */
#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS     1
#define CAUSE_ILLEGAL          2
#define CAUSE_BREAKPOINT       3
#define CAUSE_MISALIGNED_LOAD  4
#define CAUSE_LOAD_ACCESS      5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS     7
#define CAUSE_ECALL_M          11

.macro TEST n
    .if (\n) > 255 || (\n) < 1
    .error "check numbers must be 1..255 (they become the exit code)"
    .endif
    li gp, \n
.endm

/* reg == constant */
.macro CHECK reg, val
    li t5, \val
    bne \reg, t5, fail
.endm

/* reg == another register */
.macro CHECKR reg, other
    bne \reg, \other, fail
.endm

/* Run one instruction that must trap with `cause` and mtval `tval`; mepc
 * must be the instruction's address. Execution resumes after it. */
.macro TRAPS cause, tval, insn:vararg
    li s9, 0
    li s10, -1
    li s11, -1
    la t6, .Lresume\@
.Lat\@:
    \insn
.Lresume\@:
    bnez t6, fail
    CHECK s10, \cause
    la t5, .Lat\@
    bne s9, t5, fail
    CHECK s11, \tval
.endm

/* As TRAPS, but mtval must equal register `treg` (a data address). */
.macro TRAPSR cause, treg, insn:vararg
    li s9, 0
    li s10, -1
    li s11, -1
    la t6, .Lresume\@
.Lat\@:
    \insn
.Lresume\@:
    bnez t6, fail
    CHECK s10, \cause
    la t5, .Lat\@
    bne s9, t5, fail
    bne s11, \treg, fail
.endm

/* As TRAPS, but mtval must be the faulting instruction's own address. */
.macro TRAPS_TVAL_PC cause, insn:vararg
    li s9, 0
    li s10, -1
    li s11, -1
    la t6, .Lresume\@
.Lat\@:
    \insn
.Lresume\@:
    bnez t6, fail
    CHECK s10, \cause
    la t5, .Lat\@
    bne s9, t5, fail
    bne s11, t5, fail
.endm

/* Run one instruction that must not trap (the harness fails on any trap). */
.macro NO_TRAP insn:vararg
    \insn
.endm

#endif
