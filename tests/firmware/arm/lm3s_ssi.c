/* lm3s6965evb's SSI, driven as the FreeRTOS demo's OLED driver
   (osram128x64x4.c) drives it, and the rest of what QEMU's board has on or
   next to it: PL022 IDs, status and its TX interrupt (NVIC 7), loopback,
   the OLED's init/clear/text/image sequences (GPIO C7 = data/command), the
   SD adapter with no card (selected by GPIO D0 low), the I2C master with
   no slave, and the ADC, at reset and sampling on a GPTM trigger. Prints
   over UART0, exits through semihosting SYS_EXIT with 3. No initialised writable data (no copy-down). */
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define SSI 0x40008000u
#define GPIOA 0x40004000u
#define GPIOC 0x40006000u
#define GPIOD 0x40007000u
#define I2C 0x40020000u
#define ADC 0x40038000u
#define GPTM0 0x40030000u
#define SYSCTL 0x400FE000u

extern uint32_t __stack_top;
void reset(void);
void ssi_isr(void);
static void unused(void) { for (;;) {} }

__attribute__((section(".vectors"), used)) void (*const vectors[16 + 32])(void) = {
    (void (*)(void))&__stack_top, reset, unused, unused, unused, unused, unused, 0, 0, 0, 0,
    unused, unused, 0, unused, unused,
    [16 + 7] = ssi_isr,
};

static void putc_(char c) { while (REG(0x4000C018) & 0x20) {} REG(0x4000C000) = (uint8_t)c; }
static void puts_(const char *s) { while (*s) putc_(*s++); }
static void puthex(uint32_t v, int digits) {
    for (int i = 4 * (digits - 1); i >= 0; i -= 4) putc_("0123456789abcdef"[(v >> i) & 15]);
}
static void show(const char *name, uint32_t v) { puts_(name); putc_(' '); puthex(v, 8); putc_('\n'); }

static void sys_exit(int code) {
    uint32_t block[2] = {0x20026, (uint32_t)code};   /* ADP_Stopped_ApplicationExit */
    register uint32_t r0 __asm__("r0") = 0x20;        /* SYS_EXIT_EXTENDED */
    register uint32_t r1 __asm__("r1") = (uint32_t)block;
    __asm__ volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {}
}

static volatile uint32_t tx_irqs, tx_ris;
void ssi_isr(void) {
    tx_ris = REG(SSI + 0x1C);
    tx_irqs++;
    REG(SSI + 0x14) = 0;                 /* TX cannot be cleared: mask it */
}

/* one frame out, its reply back: SSIDataPut then SSIDataGet, as the driver */
static uint32_t xfer(uint32_t v) {
    while (!(REG(SSI + 0xC) & 0x2)) {}   /* TNF */
    REG(SSI + 8) = v;
    while (!(REG(SSI + 0xC) & 0x4)) {}   /* RNE */
    return REG(SSI + 8);
}

static void oled(int data, const uint8_t *p, int n) {
    REG(GPIOC + (0x80 << 2)) = data ? 0x80 : 0;
    while (n--) xfer(*p++);
}

static const uint8_t init_seq[] = {
    4, 0x15, 0, 63, 0xe3, 4, 0x75, 0, 63, 0xe3, 3, 0x81, 50, 0xe3, 2, 0x85, 0xe3, 3, 0xA0, 0x52, 0xe3,
    3, 0xA1, 0, 0xe3, 3, 0xA2, 0x4C, 0xe3, 2, 0xA4, 0xe3, 3, 0xA8, 63, 0xe3, 3, 0xB1, 0x22, 0xe3,
    3, 0xB2, 70, 0xe3, 3, 0xB3, 0xF1, 0xe3, 3, 0xBF, 0x0D, 0xe3, 3, 0xBE, 0x02, 0xe3, 3, 0xBC, 0x10, 0xe3,
    10, 0xB8, 0x01, 0x11, 0x22, 0x32, 0x43, 0x54, 0x65, 0x76, 0xe3, 3, 0xAD, 0x03, 0xe3, 2, 0xAF, 0xe3,
};
static const uint8_t cols[] = {0x15, 0, 63}, rows[] = {0x75, 0, 79}, vinc[] = {0xA0, 0x56};
static const uint8_t text_rows[] = {0x75, 0, 7}, hinc[] = {0xA0, 0x52};
static const uint8_t img_cols[] = {0x15, 10, 17}, img_rows[] = {0x75, 9, 20};
static const uint8_t cmd0[] = {0x40, 0, 0, 0, 0, 0x95, 0xff, 0xff};

void reset(void) {
    REG(0x4000C030) = 0x301;             /* UART0: UARTEN | TXE | RXE */
    puts_("lm3s6965evb ssi\n");
    REG(SYSCTL + 0x104) |= 0x10;         /* RCGC1: SSI0 */
    REG(SYSCTL + 0x108) |= 0x0D;         /* RCGC2: GPIO A, C, D */

    uint32_t id = 0;
    for (int i = 0; i < 4; i++) id |= (REG(SSI + 0xFE0 + 4 * i) & 0xFF) << (8 * i);
    show("periph id", id);
    id = 0;
    for (int i = 0; i < 4; i++) id |= (REG(SSI + 0xFF0 + 4 * i) & 0xFF) << (8 * i);
    show("cell id", id);
    show("sr", REG(SSI + 0xC));
    show("ris", REG(SSI + 0x18));

    /* OSRAM128x64x4Init: A2/A3/A5 to the SSI, C7 an output (D/C) */
    REG(GPIOA + 0x420) |= 0x2C;
    REG(GPIOA + 0x508) |= 0x2C;
    REG(GPIOA + 0x510) |= 0x2C;
    REG(GPIOA + 0x51C) |= 0x2C;
    REG(GPIOC + 0x400) |= 0x80;
    REG(GPIOC + 0x508) |= 0x80;
    REG(GPIOC + 0x51C) |= 0x80;
    REG(GPIOC + (0x80 << 2)) = 0x80;
    REG(SSI + 4) = 0;                    /* SSIConfig: mode 2, master, 8 bits */
    REG(SSI + 0x10) = 2;
    REG(SSI + 0) = 0x0847;
    REG(SSI + 4) = 2;                    /* SSE */
    while (REG(SSI + 0xC) & 0x4) (void)REG(SSI + 8);
    show("cr0", REG(SSI + 0));

    /* the TX interrupt: raised as soon as it is unmasked (TX FIFO half empty) */
    REG(0xE000E100) = 1u << 7;
    REG(SSI + 0x14) = 0x8;
    for (volatile int i = 0; i < 100 && !tx_irqs; i++) {}
    show("tx irqs", tx_irqs);
    show("tx mis", tx_ris);

    /* OSRAM128x64x4Clear, the init sequence, then text and an image */
    oled(0, cols, 3); oled(0, rows, 3); oled(0, vinc, 2);
    uint32_t replies = 0;
    REG(GPIOC + (0x80 << 2)) = 0x80;
    for (int i = 0; i < 64 * 80; i++) replies |= xfer(0);
    for (unsigned i = 0; i < sizeof(init_seq); i += init_seq[i] + 1) oled(0, init_seq + i + 1, init_seq[i] - 1);
    oled(0, cols, 3); oled(0, text_rows, 3); oled(0, vinc, 2);
    REG(GPIOC + (0x80 << 2)) = 0x80;
    for (int i = 0; i < 48; i++) replies |= xfer((i * 37) & 0xFF);
    oled(0, img_cols, 3); oled(0, img_rows, 3); oled(0, hinc, 2);
    REG(GPIOC + (0x80 << 2)) = 0x80;
    for (int i = 0; i < 96; i++) replies |= xfer((i * 7) & 0xFF);
    show("oled replies", replies);
    show("sr", REG(SSI + 0xC));

    /* the SD card: D0 low selects it (and deselects the OLED); no card: all 0xFF */
    REG(GPIOD + 0x400) |= 1;
    REG(GPIOD + 0x51C) |= 1;
    /* the port thinks D0 is low already (it never drove it): high, then low */
    REG(GPIOD + (1 << 2)) = 1;
    REG(GPIOD + (1 << 2)) = 0;
    uint32_t sd = 0;
    for (unsigned i = 0; i < sizeof(cmd0); i++) sd += xfer(cmd0[i]) == 0xff;   /* how many 0xFF */
    show("sd", sd);
    REG(GPIOD + (1 << 2)) = 1;
    show("deselected", xfer(0xff));

    /* loopback: 8 frames queue up while disabled, then come back */
    REG(SSI + 4) = 0;
    for (int i = 0; i < 9; i++) REG(SSI + 8) = 0xA0 + i;
    show("sr full", REG(SSI + 0xC));
    REG(SSI + 4) = 3;                    /* LBM | SSE */
    show("sr loop", REG(SSI + 0xC));
    show("ris loop", REG(SSI + 0x18));
    uint32_t sum = 0;
    while (REG(SSI + 0xC) & 0x4) sum = sum * 3 + REG(SSI + 8);
    show("loop sum", sum);

    /* I2C master: no slave on the bus */
    REG(SYSCTL + 0x104) |= 0x1000;
    REG(I2C + 0x20) = 0x10;
    REG(I2C + 0) = 0x3D << 1;
    REG(I2C + 8) = 0x80;
    REG(I2C + 4) = 7;
    show("i2c mcs", REG(I2C + 4));
    show("i2c mris", REG(I2C + 0x14));
    show("adc fstat0", REG(ADC + 0x4C));
    show("adc actss", REG(ADC + 0));

    /* the ADC sampling on a timer: GPTM0 one-shot with its ADC trigger output
       (TAOTE); QEMU's ADC takes a sample on each edge of the trigger pulse */
    REG(ADC + 0x14) = 5;                 /* EMUX: sequencer 0 on the timer */
    REG(ADC + 0x08) = 1;
    REG(ADC + 0x00) = 1;
    REG(GPTM0 + 0x00) = 0;
    REG(GPTM0 + 0x04) = 1;               /* one-shot */
    REG(GPTM0 + 0x28) = 5000;
    REG(GPTM0 + 0x0C) = 0x21;            /* TAEN | TAOTE */
    while (!(REG(ADC + 0x04) & 1)) {}
    show("adc ris", REG(ADC + 0x04));
    show("adc fstat0", REG(ADC + 0x4C));
    show("adc sample", REG(ADC + 0x48));
    show("adc sample", REG(ADC + 0x48));
    show("adc fstat0", REG(ADC + 0x4C));
    show("gptm ctl", REG(GPTM0 + 0x0C));
    sys_exit(3);
}
