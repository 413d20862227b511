/* minstret read twice with three instructions between: the difference (4,
   the first read counting itself) is the exit code, through virt's test
   device (0x100000: code << 16 | 0x3333). tests/cpu/riscv/test_counters_in_regions.py */
    .globl _start
_start:
    li      t0, 0
    li      t1, 0
    csrr    a0, minstret
    addi    t0, t0, 1
    addi    t1, t1, 1
    addi    t0, t0, 1
    csrr    a1, minstret
    sub     a2, a1, a0
    slli    a2, a2, 16
    li      t2, 0x3333
    or      a2, a2, t2
    li      t3, 0x100000
    sw      a2, 0(t3)
1:  j       1b
