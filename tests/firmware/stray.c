/* stray: the bug time travel is for. A timer interrupt handler keeps the
 * last samples in g_state.samples[], but its index wraps at SLOTS + 1
 * instead of SLOTS: on the SLOTS-th tick the stray pointer writes past the
 * array, into g_state.mode, which the main loop owns. The main loop notices
 * some time later, prints it and exits 3. Lines the tests stop at carry a
 * "LINE:<name>" marker. Build -O0 -g (the time-travel tests do). */
#include "runtime.h"

#define SLOTS 8
#define TICK_INTERVAL 2000        /* mtime units at 10 MHz: 200 us */

struct app {
    volatile uint32_t samples[SLOTS];
    volatile uint32_t mode;       /* 1 while all is well */
    volatile uint32_t rounds;
};

struct app g_state;
static volatile unsigned ticks;
static uint64_t deadline;

static void store_sample(unsigned slot, uint32_t value)
{
    volatile uint32_t *p = &g_state.samples[0] + slot;
    *p = value;                                           /* LINE:guilty */
}

static void arm_tick(void)
{
    deadline += TICK_INTERVAL;
    mtimecmp_write(deadline);
}

__attribute__((interrupt("machine"), aligned(4)))
static void tick_handler(void)
{
    ticks++;
    store_sample(ticks % (SLOTS + 1), 0xbad00000u | ticks);
    arm_tick();
}

int add(int a, int b)
{
    int s = a + b;                                        /* LINE:add */
    return s;
}

int work(int x)
{
    int y = x * 3;                                        /* LINE:work */
    y = add(y, 1);                                        /* LINE:call_add */
    return y & 0xffff;                                    /* LINE:after_add */
}

int main(void)
{
    uart_init();
    uart_puts("stray: start\n");
    g_state.mode = 1;
    csr_write(mtvec, (uintptr_t)tick_handler);
    deadline = mtime_read();
    arm_tick();
    csr_set(mie, MIE_MTIE);
    csr_set(mstatus, MSTATUS_MIE);

    int x = 1;
    for (;;) {
        x = work(x);                                      /* LINE:call_work */
        g_state.rounds++;
        if (g_state.mode != 1) {                          /* LINE:check */
            csr_clear(mstatus, MSTATUS_MIE);
            uart_printf("stray: mode corrupted to %x after %u rounds\n",
                        (unsigned)g_state.mode, (unsigned)g_state.rounds);
            fw_exit(3);
        }
    }
}
