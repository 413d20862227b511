/* Each UART of the board says which it is (mps2-an385: CMSDK UART 0-3,
   lm3s6965evb: PL011 UART 0-2), so that a command line with one -serial per
   UART can be checked against QEMU's serial_hd(i) wiring. Built with
   examples/cortexm (-DBOARD_MPS2 or -DBOARD_LM3S). */
#include "cortexm.h"

#if defined(BOARD_MPS2)
static const uint32_t bases[] = {0x40004000, 0x40005000, 0x40006000, 0x40007000};
static void init(uint32_t b) { REG(b + 0x10) = 16; REG(b + 0x08) = 1; }          /* BAUDDIV, TX_EN */
static void put(uint32_t b, char c) { while (REG(b + 0x04) & 1) {} REG(b) = (uint8_t)c; }
#else
static const uint32_t bases[] = {0x4000C000, 0x4000D000, 0x4000E000};
static void init(uint32_t b) { REG(b + 0x30) = 0x301; }                          /* UARTEN, TXE, RXE */
static void put(uint32_t b, char c) { while (REG(b + 0x18) & 0x20) {} REG(b) = (uint8_t)c; }
#endif

int main(void) {
    for (unsigned i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        const char *s = "this is uart 0\n";
        init(bases[i]);
        for (; *s; s++)
            put(bases[i], *s == '0' ? (char)('0' + i) : *s);
    }
    return 0;
}
