/* Firmware for the gdb end-to-end and differential tests (built -O0 -g).
 * Lines the tests stop at carry a marker comment "LINE:<name>"; the tests
 * find their numbers by reading this file, so edits do not break them. */
#include <stdint.h>

#define SIFIVE_TEST ((volatile uint32_t *)0x100000)

volatile int mode;                /* gdb sets it: 1 = spin until interrupted */
volatile uint32_t counter;
volatile uint32_t watched;
volatile uint32_t other_ticks;
volatile int exit_status;         /* main's return value: gdb may change it */
volatile unsigned long trap_cause;
int result;

struct point { int x; int y; };
struct point origin = { 3, 4 };

void fw_exit(int code) __attribute__((noreturn));
void fw_exit(int code)
{
    *SIFIVE_TEST = code ? (((uint32_t)code << 16) | 0x3333) : 0x5555;
    for (;;)
        ;
}

/* ecall from M-mode: cause 11; resume after the ecall */
void __attribute__((interrupt("machine"), aligned(4))) trap_entry(void)
{
    unsigned long cause, epc;
    __asm__ volatile ("csrr %0, mcause" : "=r"(cause));
    __asm__ volatile ("csrr %0, mepc" : "=r"(epc));
    trap_cause = cause;                                   /* LINE:trap */
    __asm__ volatile ("csrw mepc, %0" :: "r"(epc + 4));
}

int add(int a, int b)
{
    int s = a + b;                                        /* LINE:add */
    return s;
}

int square(int x)
{
    int r = x * x;                                        /* LINE:square */
    return r;
}

int inner(int x)
{
    return square(x) + 1;                                 /* LINE:inner */
}

int outer(int x)
{
    return inner(x + 1) * 2;                              /* LINE:outer */
}

int sum_to(int n)
{
    int total = 0;
    for (int i = 1; i <= n; i++)
        total = add(total, i);                            /* LINE:sum_loop */
    return total;
}

void poke(void)
{
    watched = 42;                                         /* LINE:poke_write */
    result = (int)watched + 1;                            /* LINE:poke_read */
}

void do_ecall(void)
{
    __asm__ volatile (".globl ecall_site\necall_site: ecall");   /* LINE:ecall */
}

void spin(void)
{
    while (mode == 1)
        counter++;                                        /* LINE:spin */
}

void other_hart(int hart)
{
    for (;;)
        other_ticks += hart;                              /* LINE:other */
}

int main(void)
{
    int local = 5;                                        /* LINE:main_first */
    local = sum_to(local);                                /* LINE:main_sum */
    result = outer(local);                                /* LINE:main_outer */
    poke();                                               /* LINE:main_poke */
    do_ecall();                                           /* LINE:main_ecall */
    spin();                                               /* LINE:main_spin */
    result += origin.x;                                   /* LINE:main_end */
    return exit_status;                                   /* LINE:main_return */
}
