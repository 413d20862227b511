/* monitor_demo: firmware for the monitor's end-to-end tests.
 * Prints "boot", calls tick(i) for i = 1..20 (printing "tick N" every 5th),
 * takes one ecall at i == 12 (a handler skips it and counts it), prints
 * "done <sum>" and exits 0. Built with -DSPIN=1 it instead keeps calling
 * heartbeat() forever after "done", for tests that stop a running guest. */
#include "runtime.h"

volatile unsigned long counter;
volatile unsigned long ecalls;
volatile unsigned long beats;

/* skip the trapping instruction (an ecall) and return */
__asm__(
    "    .section .text.skip_trap, \"ax\"\n"
    "    .balign 4\n"
    "    .globl skip_trap\n"
    "skip_trap:\n"
    "    csrw mscratch, t0\n"
    "    csrr t0, mepc\n"
    "    addi t0, t0, 4\n"
    "    csrw mepc, t0\n"
    "    csrr t0, mscratch\n"
    "    mret\n");
extern void skip_trap(void);

__attribute__((noinline)) void tick(unsigned long i)
{
    counter += i;
}

__attribute__((noinline)) void heartbeat(void)
{
    beats++;
}

int main(void)
{
    uart_init();
    uart_puts("boot\n");
    csr_write(mtvec, (unsigned long)skip_trap);
    for (unsigned long i = 1; i <= 20; i++) {
        tick(i);
        if (i % 5 == 0)
            uart_printf("tick %lu\n", i);
        if (i == 12) {
            __asm__ volatile("ecall");
            ecalls++;
        }
    }
    uart_printf("done %lu\n", counter);
#ifdef SPIN
    for (;;)
        heartbeat();
#endif
    return 0;
}
