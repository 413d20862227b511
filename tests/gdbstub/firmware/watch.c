/* Firmware for the watchpoint differential tests (built -O2 -g, so that the
 * accesses sit in the middle of translation blocks): a counter incremented in
 * a loop (c.lw / c.sw), an AMO and an LR/SC compare-and-swap, and stores of
 * several widths into a struct. Uses start.S (trap_entry, other_hart). */
#include <stdint.h>

#define SIFIVE_TEST ((volatile uint32_t *)0x100000)

volatile uint32_t shared;
uint32_t atom;
struct pair { volatile uint8_t b; volatile uint16_t h; volatile uint32_t w; } pair;
volatile uint32_t result;

uint32_t __attribute__((noinline)) step(uint32_t x) { return x * 3 + 1; }

void fw_exit(int code) __attribute__((noreturn));
void fw_exit(int code)
{
    *SIFIVE_TEST = code ? (((uint32_t)code << 16) | 0x3333) : 0x5555;
    for (;;)
        ;
}

void __attribute__((interrupt("machine"), aligned(4))) trap_entry(void) { }
void other_hart(void) { for (;;) ; }

void __attribute__((noinline)) atomics(void)
{
    __atomic_fetch_add(&atom, 5, __ATOMIC_RELAXED);
    uint32_t expected = 5;
    __atomic_compare_exchange_n(&atom, &expected, 9, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

void __attribute__((noinline)) widths(void)
{
    pair.b = 1;
    pair.h = 0x202;
    pair.w = 0x3030303;
    result = pair.b + pair.h + pair.w;
}

int main(void)
{
    uint32_t a = 0;
    for (int n = 3; n; n--) {
        a = step(a);
        shared++;
    }
    atomics();                    /* amoadd.w, then a successful lr.w/sc.w */
    atomics();                    /* amoadd.w, then an lr.w that fails the compare */
    widths();
    result += shared + a;
    return 0;
}
