/* Vector table, reset, semihosting (BKPT 0xAB) and a HardFault/UsageFault
   handler that records what happened and skips the faulting instruction. */
#include "rt.h"

extern uint32_t __stack_top, __bss_start, __bss_end;
int main(void);
void reset_handler(void);
void fault_handler(void);
void __attribute__((weak)) svc_handler(void) {}
void __attribute__((weak)) pendsv_handler(void) {}
void __attribute__((weak)) systick_handler(void) {}
void __attribute__((weak)) irq_handler(void) {}

volatile uint32_t fault_count, last_cfsr, last_hfsr, last_fault_pc, fault_resume;
void (*volatile fault_hook)(void);

__attribute__((section(".vectors"), used)) void (*const vectors[32])(void) = {
    (void (*)(void))&__stack_top, reset_handler, fault_handler, fault_handler,
    fault_handler, fault_handler, fault_handler, 0, 0, 0, 0, svc_handler, 0, 0,
    pendsv_handler, systick_handler,
    irq_handler, irq_handler, irq_handler, irq_handler, irq_handler, irq_handler, irq_handler, irq_handler,
    irq_handler, irq_handler, irq_handler, irq_handler, irq_handler, irq_handler, irq_handler, irq_handler,
};

int semihost(int op, void *arg) {
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void put(const char *s) { semihost(0x04, (void *)s); }

void put_hex(const char *name, uint32_t v) {
    char buf[24];
    int i = 0;
    while (*name && i < 12) buf[i++] = *name++;
    buf[i++] = '=';
    for (int k = 7; k >= 0; k--) buf[i++] = "0123456789abcdef"[(v >> (4 * k)) & 15];
    buf[i++] = '\n';
    buf[i] = 0;
    put(buf);
}

void sh_exit(int code) {
    uint32_t block[2] = {0x20026, (uint32_t)code};
    semihost(0x20, block);
    for (;;) {}
}

/* the stacked frame: r0 r1 r2 r3 r12 lr pc xpsr */
void fault_c(uint32_t *frame) {
    volatile uint32_t *scb = (uint32_t *)0xE000ED00;
    fault_count++;
#if defined(__ARM_ARCH_7M__)
    last_cfsr = scb[0x28 / 4];
    last_hfsr = scb[0x2C / 4];
    scb[0x28 / 4] = last_cfsr;          /* write one to clear */
    scb[0x2C / 4] = last_hfsr;
#else
    (void)scb;                          /* ARMv6-M has no fault status registers */
#endif
    if (fault_hook) {                    /* the frame may be unreadable: the hook decides */
        void (*hook)(void) = fault_hook;
        fault_hook = 0;
        hook();
        return;
    }
    last_fault_pc = frame[6];
    if (fault_resume) {                  /* a fetch fault: no insn to skip; 1: return to the caller */
        frame[6] = fault_resume == 1 ? frame[5] & ~1u : fault_resume;
        fault_resume = 0;
        return;
    }
    uint16_t hw = *(uint16_t *)frame[6];
    frame[6] += (hw >> 11) >= 0x1D ? 4 : 2;   /* skip it */
}

__attribute__((naked)) void fault_handler(void) {
    __asm__ volatile(
        ".syntax unified\n"
        "movs r0, #4\n"
        "mov r1, lr\n"
        "tst r0, r1\n"
        "beq 1f\n"
        "mrs r0, psp\n"
        "b 2f\n"
        "1: mrs r0, msp\n"
        "2: ldr r2, =fault_c\n"
        "push {r1, lr}\n"
        "blx r2\n"
        "pop {r1, pc}\n"
        ".ltorg\n");
}

void reset_handler(void) {
    for (uint32_t *p = &__bss_start; p < &__bss_end; p++) *p = 0;
    sh_exit(main());
}
