/* two_harts: both harts of -smp 2 busy for ever, on shared and private data
 * (with tests/gdbstub/firmware/start.S: hart 0 runs main, the others
 * other_hart), for the time-travel tests of several harts. */
#include <stdint.h>

volatile uint32_t shared;
volatile uint32_t mine[2];

void fw_exit(int code) __attribute__((noreturn));
void fw_exit(int code)
{
    *(volatile uint32_t *)0x100000 = code ? (((uint32_t)code << 16) | 0x3333) : 0x5555;
    for (;;)
        ;
}

void __attribute__((interrupt("machine"), aligned(4))) trap_entry(void)
{
    fw_exit(2);
}

static uint32_t mix(uint32_t x)
{
    return x * 2654435761u + 1;
}

static void spin(int hart)
{
    uint32_t x = (uint32_t)hart + 1;
    for (;;) {
        x = mix(x);
        mine[hart] = x;
        __atomic_fetch_add(&shared, 1, __ATOMIC_RELAXED);
    }
}

void other_hart(int hart)
{
    spin(hart);
}

int main(void)
{
    spin(0);
    return 0;
}
