/* Exceptions as firmware and RTOSes use them: SVC, PRIMASK/BASEPRI masking,
   nested and tail-chained IRQs (STIR), faults with their status registers,
   escalation to HardFault, the exclusive monitor, stack alignment on entry,
   EXC_RETURN values, a PendSV context switch between two PSP threads, and
   SysTick. Every observation is printed for a differential run. */
#include <stdint.h>
#include "rt.h"

#define SCB ((volatile uint32_t *)0xE000ED00)
#define ICSR SCB[1]
#define CCR SCB[5]
#define SHCSR SCB[9]
#define BFAR SCB[14]
#define SHPR ((volatile uint8_t *)0xE000ED18)
#define SYST ((volatile uint32_t *)0xE000E010)
#define ISER ((volatile uint32_t *)0xE000E100)
#define IPR ((volatile uint8_t *)0xE000E400)
#define STIR (*(volatile uint32_t *)0xE000EF00)
#define ISPR ((volatile uint32_t *)0xE000E200)
#define V7 (__ARM_ARCH_7M__ + 0)
/* pend IRQ n: STIR is ARMv7-M only (a Cortex-M0's NVIC has none: ISPR) */
#if V7
#define PEND(n) (STIR = (n))
#else
#define PEND(n) (ISPR[0] = 1u << (n))
#endif

volatile uint32_t svc_count, svc_num, svc_excret, svc_xpsr;
volatile uint32_t ticks, log_pos;
volatile uint8_t order[32];

/* handlers: r0 = the frame, r1 = EXC_RETURN (ARMv6-M-compatible code) */
#define FRAME_HANDLER(name, c_fn)                                  \
    __attribute__((naked)) void name(void) {                      \
        __asm__ volatile(".syntax unified\n movs r0, #4\n mov r1, lr\n tst r0, r1\n" \
                         "beq 1f\n mrs r0, psp\n b 2f\n"           \
                         "1: mrs r0, msp\n 2: ldr r2, =" #c_fn "\n" \
                         "push {r1, lr}\n blx r2\n pop {r1, pc}\n .ltorg\n"); \
    }

void svc_c(uint32_t *frame, uint32_t excret) {
    svc_count++;
    svc_num = ((uint8_t *)frame[6])[-2];
    svc_excret = excret;
    svc_xpsr = frame[7];
    frame[0] *= 2;
}
FRAME_HANDLER(svc_handler, svc_c)

static uint32_t ipsr(void) { uint32_t v; __asm__ volatile("mrs %0, ipsr" : "=r"(v)); return v; }

void irq_handler(void) {
    uint32_t n = ipsr();
    order[log_pos++ & 31] = (uint8_t)n;
    if (n == 16 + 3) {
        PEND(4);                  /* higher priority: preempts now */
        __asm__ volatile("dsb\n isb");
    }
    if (n == 16 + 5) {
        PEND(6);                  /* lower: tail-chains after this one */
        __asm__ volatile("dsb\n isb");
    }
    order[log_pos++ & 31] = (uint8_t)(0x80 | n);
}

static int svc_call(int x) {
    register int r0 __asm__("r0") = x;
    __asm__ volatile("svc 7" : "+r"(r0) :: "memory");
    return r0;
}

static void show_order(const char *name) {
    uint32_t v = 0;
    for (uint32_t i = 0; i < log_pos && i < 4; i++) v = (v << 8) | order[i];
    put_hex(name, v);
    put_hex("n", log_pos);
    log_pos = 0;
}

static void fault_report(const char *name) {
    put_hex(name, fault_count);
    put_hex("cfsr", last_cfsr);
    put_hex("hfsr", last_hfsr);
    fault_count = 0;
}

/* -- two threads on PSP, switched by PendSV ---------------------------------------- */
static uint32_t stack_a[128], stack_b[128];
static uint32_t *sp_saved[2];
static volatile int current, switches;
static char trace[40];
static volatile int trace_len;

void pendsv_switch(void);
__attribute__((naked)) void pendsv_handler(void) {
    __asm__ volatile(
        ".syntax unified\n"
        "mrs r0, psp\n"
        "subs r0, #32\n"
        "stmia r0!, {r4-r7}\n"       /* r4-r7 low, r8-r11 via r4-r7 (v6-M) */
        "mov r4, r8\n mov r5, r9\n mov r6, r10\n mov r7, r11\n"
        "stmia r0!, {r4-r7}\n"
        "subs r0, #32\n"
        "ldr r2, =pendsv_switch\n"
        "mov r12, lr\n"
        "blx r2\n"                    /* r0 in: old sp, r0 out: new sp */
        "adds r0, #16\n"
        "ldmia r0!, {r4-r7}\n"
        "mov r8, r4\n mov r9, r5\n mov r10, r6\n mov r11, r7\n"
        "subs r0, #32\n"
        "ldmia r0!, {r4-r7}\n"
        "adds r0, #16\n"
        "msr psp, r0\n"
        "ldr r0, =0xFFFFFFFD\n"
        "bx r0\n"
        ".ltorg\n");
}

uint32_t *pendsv_switch_c(uint32_t *sp) {
    sp_saved[current] = sp;
    current ^= 1;
    switches++;
    return sp_saved[current];
}
__attribute__((naked)) void pendsv_switch(void) {
    __asm__ volatile("push {r4, lr}\n ldr r1, =pendsv_switch_c\n blx r1\n pop {r4, pc}\n .ltorg\n");
}

static void yield(void) { ICSR = 1u << 28; __asm__ volatile("dsb\n isb"); }

void main_part2(void);
static void task(int id) {
    for (int i = 0; i < 5; i++) {
        trace[trace_len++] = (char)('a' + id * 16 + i);
        yield();
    }
    trace[trace_len] = 0;
    put("trace=");
    put(trace);
    put("\n");
    put_hex("switches", switches);
    uint32_t control;
    __asm__ volatile("mrs %0, control" : "=r"(control));
    put_hex("control", control);
    main_part2();
}
static void task_a(void) { task(0); }
static void task_b(void) { task(1); }

static uint32_t *initial_frame(uint32_t *top, void (*fn)(void)) {
    uint32_t *sp = top - 16;                 /* r4-r11, then the hardware frame */
    for (int i = 0; i < 16; i++) sp[i] = 0;
    sp[8 + 5] = 0xFFFFFFFF;                  /* lr */
    sp[8 + 6] = (uint32_t)fn & ~1u;          /* pc */
    sp[8 + 7] = 1u << 24;                    /* xpsr: Thumb */
    return sp;
}

void systick_handler(void) { ticks++; }

int main(void) {
    /* SVC: the call, its number, EXC_RETURN, the stacked xPSR */
    put_hex("svc", (uint32_t)svc_call(21));
    put_hex("svcnum", svc_num);
    put_hex("excret", svc_excret);
    put_hex("xpsr", svc_xpsr & ~0x200u);
    /* a misaligned SP at entry: the frame is realigned, xPSR bit 9 says so */
    __asm__ volatile("sub sp, #4\n movs r0, #1\n svc 1\n add sp, #4" ::: "r0", "memory");
    put_hex("align", (svc_xpsr >> 9) & 1);

    /* interrupts: masking, preemption, tail-chaining */
    for (int n = 3; n <= 6; n++) ISER[0] = 1u << n;
    /* (priorities in the two bits a Cortex-M0 has) */
    IPR[3] = 0x80; IPR[4] = 0x40; IPR[5] = 0x40; IPR[6] = 0xC0;
    __asm__ volatile("cpsid i");
    PEND(3);
    __asm__ volatile("dsb\n isb");
    put_hex("masked", log_pos);
    __asm__ volatile("cpsie i\n isb");
    show_order("nested");
    PEND(5);
    __asm__ volatile("dsb\n isb");
    show_order("chained");
#if V7
    __asm__ volatile("msr basepri, %0" :: "r"(0x40));
    STIR = 5;                 /* priority 0x40: masked by BASEPRI 0x40 */
    __asm__ volatile("dsb\n isb");
    put_hex("basepri", log_pos);
    __asm__ volatile("msr basepri, %0\n isb" :: "r"(0));
    show_order("unmasked");
#endif

    /* faults */
#if V7
    SHCSR |= 7u << 16;        /* MemManage, BusFault, UsageFault enabled */
#endif
    __asm__ volatile("udf #1");
    fault_report("undef");
    (void)*(volatile uint32_t *)0x60000000;
    fault_report("busfault");
#if V7
    put_hex("bfar", BFAR);
    CCR |= 1u << 4;           /* DIV_0_TRP */
    volatile int zero = 0, q;
    __asm__ volatile("sdiv %0, %1, %2" : "=r"(q) : "r"(7), "r"(zero));
    fault_report("div0");
    CCR &= ~(1u << 4);
    __asm__ volatile("sdiv %0, %1, %2" : "=r"(q) : "r"(7), "r"(zero));
    put_hex("div0res", (uint32_t)q);
    static uint32_t words[4] = {1, 2, 3, 4};
    uint32_t a, b;
    __asm__ volatile("mov r2, %2\n ldm r2, {%0, %1}" : "=r"(a), "=r"(b) : "r"((char *)words + 2) : "r2");
    fault_report("unal_ldm");
    a = *(volatile uint32_t *)((char *)words + 1);   /* allowed */
    put_hex("unal_ok", a);
    CCR |= 1u << 3;           /* UNALIGN_TRP (QEMU 7.2 applies it from its next exception on) */
    __asm__ volatile("svc 3" ::: "r0", "memory");
    a = *(volatile uint32_t *)((char *)words + 1);
    CCR &= ~(1u << 3);
    __asm__ volatile("svc 3" ::: "r0", "memory");
    fault_report("unal_trp");
    SHCSR &= ~(1u << 18);     /* UsageFault off: escalates */
    __asm__ volatile("udf #2");
    fault_report("escalated");
    SHCSR |= 1u << 18;

    /* the exclusive monitor */
    volatile uint32_t cell = 5;
    uint32_t v, st;
    __asm__ volatile("ldrex %0, [%2]\n strex %1, %3, [%2]" : "=&r"(v), "=&r"(st) : "r"(&cell), "r"(9) : "memory");
    put_hex("strex_ok", st);
    __asm__ volatile("ldrex %0, [%2]\n clrex\n strex %1, %3, [%2]" : "=&r"(v), "=&r"(st) : "r"(&cell), "r"(7) : "memory");
    put_hex("strex_clr", st);
    __asm__ volatile("ldrex %0, [%2]\n svc 2\n strex %1, %3, [%2]" : "=&r"(v), "=&r"(st) : "r"(&cell), "r"(7) : "r0", "memory");
    put_hex("strex_exc", st);
    put_hex("cell", cell);
#endif

    /* SysTick from the processor clock, woken from WFI */
    SYST[1] = 25000 - 1;
    SYST[2] = 0;
    SYST[0] = 7;
    while (ticks < 3) __asm__ volatile("wfi");
    SYST[0] = 0;
    put_hex("ticks>=3", ticks >= 3);
    put_hex("calib", SYST[3]);

    /* two threads switched by PendSV (lowest priority), started through SVC-less PSP setup */
    SHPR[14 - 4] = 0xFF;
    sp_saved[1] = initial_frame(stack_b + 128, task_b);
    uint32_t *sp = initial_frame(stack_a + 128, task_a) + 8;   /* task a starts here */
    current = 0;
    __asm__ volatile("msr psp, %0\n movs r0, #2\n msr control, r0\n isb" :: "r"(sp + 8) : "r0");
    ((void (*)(void))((uint32_t)task_a | 1))();
    return 1;
}

void main_part2(void) {
    put_hex("done", 1);
    sh_exit(0);
}
