/* timer: machine timer interrupts from the CLINT (mtimecmp), one line per
 * tick; exits 0 after TICKS ticks. TICK_INTERVAL is in mtime units
 * (10 MHz: 100000 = 10 ms). -DTIMER_BUSY spins instead of sleeping in wfi. */
#include "runtime.h"

#ifndef TICKS
#define TICKS 5
#endif
#ifndef TICK_INTERVAL
#define TICK_INTERVAL 100000
#endif

#if __riscv_xlen == 64
#define MCAUSE_MTI ((1UL << 63) | 7)
#else
#define MCAUSE_MTI ((1UL << 31) | 7)
#endif

static volatile unsigned ticks;
static uint64_t next_deadline;

__attribute__((interrupt("machine"), aligned(4)))
static void timer_handler(void)
{
    if (csr_read(mcause) != MCAUSE_MTI)
        fw_exit(2);
    ticks++;
    /* from the last deadline, not from now: no drift */
    next_deadline += TICK_INTERVAL;
    mtimecmp_write(next_deadline);
}

int main(void)
{
    uart_init();
    uart_printf("timer: %d ticks every %d mtime units\n", TICKS, TICK_INTERVAL);
    csr_write(mtvec, (uintptr_t)timer_handler);
    next_deadline = mtime_read() + TICK_INTERVAL;
    mtimecmp_write(next_deadline);
    csr_set(mie, MIE_MTIE);
    csr_set(mstatus, MSTATUS_MIE);

    unsigned seen = 0;
#ifdef TIMER_BUSY
    /* spin instead of wfi, so that ticks land on arbitrary instructions;
     * with -icount the spin counts are deterministic (tests compare them) */
    unsigned long spins = 0;
    uint32_t x = 1;
    while (seen < TICKS) {
        x = x * 1103515245u + 12345u;
        spins++;
        if (ticks != seen)
            uart_printf("tick %u after %lu spins (x=%x)\n", ++seen, spins, (unsigned)x);
    }
#endif
    while (seen < TICKS) {
        csr_clear(mstatus, MSTATUS_MIE);
        if (ticks == seen)
            __asm__ volatile ("wfi");
        csr_set(mstatus, MSTATUS_MIE);
        unsigned now = ticks;
        while (seen < now && seen < TICKS)
            uart_printf("tick %u\n", ++seen);
    }
    csr_clear(mstatus, MSTATUS_MIE);
    csr_clear(mie, MIE_MTIE);
    uart_puts("timer: done\n");
    return 0;
}
