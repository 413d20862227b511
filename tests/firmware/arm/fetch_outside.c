/* Jumps to code outside RAM and ROM and reports what became of it, on
   mps2-an385 (-DMPS2) or lm3s6965evb: an unimplemented-device placeholder
   (RAZ: `movs r0, r0` over and over, until SysTick stops it), undecoded space
   (lm3s6965evb ignores the failed fetch and runs zeros too; mps2-an385 takes
   an IBUSERR BusFault, escalated), a peripheral address (execute-never in the
   default map: IACCVIOL). Output and exit through semihosting. */
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define SYST_CSR 0xE000E010
#define SYST_RVR 0xE000E014
#define SYST_CVR 0xE000E018
#define CFSR 0xE000ED28
#define HFSR 0xE000ED2C

extern uint32_t __stack_top;
void reset(void);
void tick_entry(void);
void fault_entry(void);

__attribute__((section(".vectors"), used)) void (*const vectors[16])(void) = {
    (void (*)(void))&__stack_top, reset, fault_entry, fault_entry, fault_entry, fault_entry, fault_entry,
    0, 0, 0, 0, fault_entry, fault_entry, 0, fault_entry, tick_entry,
};

static int semihost(int op, const void *arg) {
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static void put(const char *s) { semihost(0x04, s); }

static void put_hex(const char *name, uint32_t v) {
    char buf[32];
    int i = 0;
    while (*name) buf[i++] = *name++;
    buf[i++] = '=';
    for (int k = 7; k >= 0; k--) buf[i++] = "0123456789abcdef"[(v >> (4 * k)) & 15];
    buf[i++] = ' ';
    buf[i] = 0;
    put(buf);
}

static void sys_exit(int code) {
    uint32_t block[2] = {0x20026, (uint32_t)code};
    semihost(0x20, block);
    for (;;) {}
}

static volatile uint32_t target, seen_pc, seen_r0, seen_cfsr, seen_hfsr, how, active;
static void next_case(void);

/* the stacked frame: r0 r1 r2 r3 r12 lr pc xpsr; return into next_case */
static void leave(uint32_t *frame, uint32_t kind) {
    active = 0;
    how = kind;
    seen_r0 = frame[0];
    seen_pc = frame[6];
    seen_cfsr = REG(CFSR);
    seen_hfsr = REG(HFSR);
    REG(CFSR) = seen_cfsr;
    REG(HFSR) = seen_hfsr;
    frame[6] = (uint32_t)next_case & ~1u;
    frame[7] = 1u << 24;
}

/* SysTick runs all along (QEMU's on lm3s6965evb fires at once when first
   enabled): a tick ends a case only once the core runs from the target on */
void tick_c(uint32_t *frame) {
    if (active && frame[6] - target < 0x1000000)
        leave(frame, 1);
}

void fault_c(uint32_t *frame) { leave(frame, 2); }

__attribute__((naked)) void tick_entry(void) {
    __asm__ volatile("mrs r0, msp\n b tick_c\n");
}

__attribute__((naked)) void fault_entry(void) {
    __asm__ volatile("mrs r0, msp\n b fault_c\n");
}

#ifdef MPS2
static const uint32_t targets[] = {0x00800000, 0x10000000, 0x60000000, 0x40010000};
#else
static const uint32_t targets[] = {0x60000000, 0x10000000, 0x00800000, 0x40010000};
#endif
static volatile unsigned current;

__attribute__((noinline, used)) void jump(uint32_t to) {
    __asm__ volatile(".global jump_bx\n mov r0, %0\n jump_bx: bx r0\n" : : "r"(to | 1) : "r0");
}

static void run_case(void) {
    target = targets[current];
    active = 1;
    jump(target);
}

static void next_case(void) {
    put_hex("target", target);
    if (how == 1) {
        /* stopped by SysTick at the target or past it, r0 untouched */
        put("tick ");
        put_hex("r0", seen_r0);
    } else {
        put_hex("fault pc", seen_pc);
    }
    put_hex("cfsr", seen_cfsr);
    put_hex("hfsr", seen_hfsr);
    put("\n");
    if (++current == sizeof targets / sizeof targets[0])
        sys_exit(0);
    run_case();
}

void reset(void) {
    current = 0;
    REG(SYST_RVR) = 20000;
    REG(SYST_CVR) = 0;
    REG(SYST_CSR) = 7;              /* processor clock, interrupt, enable */
    run_case();
}
