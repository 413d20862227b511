/* The PMSAv7 MPU (Cortex-M3): its registers as QEMU 7.2 reads them back, then
   MemManage faults: a privileged read-only region, an unaligned store across
   a 1 KiB boundary into a no-access region, escalation to HardFault, region
   priority and subregion disables, the background region with and without
   PRIVDEFENA, execute-never (and the default map's XN with the MPU off), an
   unprivileged thread (AP 2, and the SCS refusing it), FAULTMASK turning the
   MPU off without HFNMIENA, and stacking (MSTKERR) and unstacking (MUNSTKERR)
   faults. Each fault prints CFSR, HFSR, MMFAR/BFAR and where it happened. */
#include "rt.h"

#define REG(a) (*(volatile uint32_t *)(a))
#define SHCSR REG(0xE000ED24)
#define SCR   REG(0xE000ED10)
#define MMFAR REG(0xE000ED34)
#define BFAR  REG(0xE000ED38)
#define ICSR  REG(0xE000ED04)
#define MPU_TYPE REG(0xE000ED90)
#define MPU_CTRL REG(0xE000ED94)
#define MPU_RNR  REG(0xE000ED98)
#define MPU_RBAR REG(0xE000ED9C)
#define MPU_RASR REG(0xE000EDA0)
#define MPU_RBAR_A1 REG(0xE000EDA4)
#define MPU_RASR_A1 REG(0xE000EDA8)
#define MPU_RASR_A3 REG(0xE000EDB8)
#define DATA 0x20000000u

#define RASR(ap, xn, size, srd) (((uint32_t)(xn) << 28) | ((uint32_t)(ap) << 24) | ((uint32_t)(srd) << 8) \
                                 | ((uint32_t)(size) << 1) | 1u)
#define SZ_256 7
#define SZ_1K 9
#define SZ_2K 10
#define SZ_4M 21

static void sync(void) { __asm__ volatile("dsb\n isb" ::: "memory"); }
static void region(int n, uint32_t base, uint32_t rasr) { MPU_RNR = n; MPU_RBAR = base; MPU_RASR = rasr; sync(); }
static void off(int n) { MPU_RNR = n; MPU_RASR = 0; sync(); }
static void ctrl(uint32_t v) { MPU_CTRL = v; sync(); }

static uint32_t seen;
static void report(const char *what) {
    put(what); put("\n");
    put_hex("faults", fault_count - seen);
    seen = fault_count;
    put_hex("cfsr", last_cfsr);
    put_hex("hfsr", last_hfsr);
    if (last_cfsr & 0x80) put_hex("mmfar", MMFAR);
    if (last_cfsr & 0x8000) put_hex("bfar", BFAR);
    put_hex("pc", last_fault_pc);
    last_cfsr = last_hfsr = last_fault_pc = 0;
}

static volatile uint32_t svc_action;
void svc_handler(void) {
    if (svc_action == 1)
        region(6, DATA + 0x1300, RASR(0, 1, SZ_256, 0));     /* the frame we return from: no access */
    else
        __asm__ volatile("mrs r0, control\n bic r0, r0, #1\n msr control, r0" ::: "r0");  /* privileged */
    svc_action = 0;
}

static void open_region6(void) { region(6, DATA + 0x1300, RASR(3, 1, SZ_256, 0)); }

/* run an SVC on the process stack ``psp``; the fake frame's pc comes back to psp_resume */
void psp_svc(uint32_t psp);
__attribute__((naked)) void psp_svc(uint32_t psp) {
    __asm__ volatile(
        "push {r4-r11, lr}\n"
        "msr psp, r0\n"
        "movs r1, #2\n"
        "msr control, r1\n"
        "isb\n"
        "svc #0\n"
        ".global psp_resume\n"
        ".thumb_func\n"
        "psp_resume:\n"
        "movs r1, #0\n"
        "msr control, r1\n"
        "isb\n"
        "pop {r4-r11, pc}\n");
}
extern char psp_resume[];

typedef void (*fn_t)(void);

int main(void) {
    /* registers */
    put_hex("type", MPU_TYPE);
    MPU_RNR = 7; MPU_RASR = 0xFFFFFFFFu;
    put_hex("rasr7", MPU_RASR);
    MPU_RASR = 0;
    MPU_RNR = 9;
    put_hex("rnr", MPU_RNR);
    MPU_RBAR = 0x20000013u;                    /* VALID, region 3 */
    put_hex("rnr", MPU_RNR);
    put_hex("rbar", MPU_RBAR);
    put_hex("rbar_a1", MPU_RBAR_A1);
    MPU_RASR_A1 = RASR(6, 1, SZ_1K, 0x5a) & ~1u;
    put_hex("rasr", MPU_RASR);
    put_hex("rasr_a3", MPU_RASR_A3);
    MPU_RBAR = 0x2000001cu;                    /* VALID, region 12: ignored */
    put_hex("rnr", MPU_RNR);
    put_hex("rbar", MPU_RBAR);
    MPU_RASR = 0; MPU_RBAR = 0;
    MPU_CTRL = 0xFFFFFFFFu;
    put_hex("ctrl", MPU_CTRL);
    MPU_CTRL = 0;
    SCR = 0xFFFFFFFFu;
    put_hex("scr", SCR);
    SCR = 0;

    SHCSR |= 7u << 16;                         /* MemManage, BusFault, UsageFault */
    region(0, 0, RASR(3, 0, SZ_4M, 0));        /* code, data and stack */
    region(1, DATA, RASR(5, 1, SZ_1K, 0));     /* privileged read-only */
    ctrl(5);                                   /* ENABLE, PRIVDEFENA */
    put_hex("read ro", REG(DATA + 0x10) + 1);
    REG(DATA + 0x10) = 5;
    report("write ro");

    region(1, DATA, RASR(3, 1, SZ_1K, 0));
    region(2, DATA + 0x400, RASR(0, 1, SZ_1K, 0));
    *(volatile uint32_t *)(DATA + 0x3FE) = 0x11223344;     /* unaligned, across into region 2 */
    report("across 1k");
    put_hex("not written", REG(DATA + 0x3FC));

    SHCSR &= ~(1u << 16);
    REG(DATA + 0x400) = 1;
    report("escalated");
    SHCSR |= 1u << 16;

    region(1, DATA + 0x800, RASR(3, 1, SZ_256, 0));
    region(3, DATA + 0x800, RASR(0, 1, SZ_2K, 0x02));      /* subregion 1 disabled */
    REG(DATA + 0x900) = 1;
    report("srd hole");
    REG(DATA + 0xA00) = 1;
    report("srd on");
    REG(DATA + 0x804) = 1;
    report("region 3 > 1");

    ctrl(1);                                   /* no PRIVDEFENA: the background faults */
    REG(DATA + 0x1000) = 1;
    report("background");
    put_hex("ppb", MPU_CTRL);
    ctrl(5);
    REG(DATA + 0x1000) = 2;
    report("privdefena");

    /* execute-never */
    region(4, DATA + 0x1100, RASR(3, 1, SZ_256, 0));
    REG(DATA + 0x1100) = 0x47704770;           /* bx lr */
    fault_resume = 1;
    ((fn_t)(DATA + 0x1101))();
    report("xn");
    fault_resume = 0;
    region(4, DATA + 0x1100, RASR(3, 0, SZ_256, 0));
    ((fn_t)(DATA + 0x1101))();
    report("x");
    ctrl(0);
    fault_resume = 1;
    ((fn_t)0x40010001)();
    report("default xn");
    fault_resume = 1;
    ((fn_t)0x60000001)();
    report("nothing there");
    fault_resume = 0;

    /* unprivileged */
    ctrl(5);
    region(5, DATA + 0x1200, RASR(2, 1, SZ_256, 0));       /* privileged RW, unprivileged RO */
    __asm__ volatile("mrs r0, control\n orr r0, r0, #1\n msr control, r0\n isb" ::: "r0");
    uint32_t v = REG(DATA + 0x1200);
    REG(DATA + 0x1200) = v + 1;
    uint32_t store_cfsr = last_cfsr;
    (void)ICSR;
    __asm__ volatile("svc #0" ::: "memory");
    report("user");                            /* two faults: the store, then the SCS read */
    put_hex("store cfsr", store_cfsr);
    put_hex("user read", v);

    /* FAULTMASK: negative priority, the MPU off without HFNMIENA */
    region(6, DATA + 0x1300, RASR(0, 1, SZ_256, 0));
    __asm__ volatile("cpsid f");
    REG(DATA + 0x1300) = 7;
    __asm__ volatile("cpsie f");
    report("faultmask");

    /* stacking: the SVC's frame would go where region 6 forbids it */
    open_region6();
    volatile uint32_t *fake = (volatile uint32_t *)(DATA + 0x1380);
    for (int i = 0; i < 6; i++) fake[i] = 0;
    fake[6] = (uint32_t)psp_resume & ~1u;
    fake[7] = 0x01000000;
    region(6, DATA + 0x1300, RASR(0, 1, SZ_256, 0));
    fault_hook = open_region6;
    psp_svc(DATA + 0x13A0);
    report("mstkerr");

    /* unstacking: the SVC handler takes its frame's region away */
    open_region6();
    fault_hook = open_region6;
    svc_action = 1;
    __asm__ volatile(
        "push {r4, lr}\n"
        "mov r4, sp\n"
        "msr psp, %0\n"
        "movs r1, #2\n"
        "msr control, r1\n"
        "isb\n"
        "svc #1\n"
        "movs r1, #0\n"
        "msr control, r1\n"
        "isb\n"
        "mov sp, r4\n"
        "pop {r4, lr}\n" : : "r"(DATA + 0x13F0) : "r1", "memory");
    report("munstkerr");
    ctrl(0);
    put("done\n");
    return 0;
}
