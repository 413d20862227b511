/* tick_work: a 1 ms tick interrupt against busy task-level work, checked
 * the way FreeRTOS's TimerDemo checks its timers: every tick must find the
 * work the main loop did since the previous ticks, within MARGIN ticks. An
 * emulator that lets several ticks fall due at once (guest time jumping
 * while the host stalls, ticks delivered late) runs the handler back to
 * back with no work in between, and the check fails.
 *
 * The tick handler re-arms from the last deadline (mtimecmp += interval),
 * as FreeRTOS's RISC-V port does, so a late tick is followed at once by the
 * ones it owes. The main loop prints "tick N" every LINE_EVERY ticks; after
 * TICKS ticks it prints the result and exits 0 (pass) or 1. */
#include "runtime.h"

#ifndef TICKS
#define TICKS 300
#endif
#ifndef TICK_INTERVAL
#define TICK_INTERVAL 10000      /* mtime units at 10 MHz: 1 ms, FreeRTOS's tick */
#endif
#ifndef MARGIN
#define MARGIN 3                 /* ticks a piece of work may take at most */
#endif
#ifndef LINE_EVERY
#define LINE_EVERY 50
#endif

static volatile unsigned ticks;
static volatile unsigned work_tick;    /* the tick count the main loop last saw */
static volatile unsigned worst_gap;
static volatile uint64_t worst_late;   /* mtime units from a deadline to its handler */
static uint64_t deadline;

__attribute__((interrupt("machine"), aligned(4)))
static void tick_handler(void)
{
    if (csr_read(mcause) != MCAUSE_MTI)
        fw_exit(2);
    uint64_t late = mtime_read() - deadline;
    if (late > worst_late)
        worst_late = late;
    ticks++;
    unsigned gap = ticks - work_tick;
    if (gap > worst_gap)
        worst_gap = gap;
    deadline += TICK_INTERVAL;
    mtimecmp_write(deadline);
}

/* about a thousand instructions of task-level work */
static uint32_t work(uint32_t x)
{
    for (int i = 0; i < 100; i++)
        x = x * 1103515245u + 12345u;
    return x;
}

int main(void)
{
    uart_init();
    uart_printf("tick_work: %d ticks of %d mtime units, margin %d\n", TICKS, TICK_INTERVAL, MARGIN);
    csr_write(mtvec, (uintptr_t)tick_handler);
    deadline = mtime_read() + TICK_INTERVAL;
    mtimecmp_write(deadline);
    csr_set(mie, MIE_MTIE);
    csr_set(mstatus, MSTATUS_MIE);

    uint32_t x = 1;
    unsigned printed = 0;
    while (ticks < TICKS) {
        x = work(x);
        work_tick = ticks;
        if (ticks / LINE_EVERY != printed) {
            printed = ticks / LINE_EVERY;
            uart_printf("tick %u\n", printed * LINE_EVERY);
        }
    }
    csr_clear(mstatus, MSTATUS_MIE);
    uart_printf("worst gap %u ticks, worst lateness %u mtime units (x=%x)\n",
                worst_gap, (unsigned)worst_late, (unsigned)x);
    uart_puts(worst_gap <= MARGIN ? "tick_work: PASS\n" : "tick_work: FAIL\n");
    return worst_gap <= MARGIN ? 0 : 1;
}
