/* A tiny bare-metal runtime for QEMU's riscv virt machine: UART output,
 * a small printf, exit through sifive_test, CLINT timer and CSR helpers. */
#ifndef RUNTIME_H
#define RUNTIME_H

#include <stdint.h>
#include <stddef.h>
#include "virt.h"

#define csr_read(csr) ({ unsigned long __v; \
    __asm__ volatile ("csrr %0, " #csr : "=r"(__v)); __v; })
#define csr_write(csr, val) \
    __asm__ volatile ("csrw " #csr ", %0" :: "rK"((unsigned long)(val)))
#define csr_set(csr, val) \
    __asm__ volatile ("csrs " #csr ", %0" :: "rK"((unsigned long)(val)))
#define csr_clear(csr, val) \
    __asm__ volatile ("csrc " #csr ", %0" :: "rK"((unsigned long)(val)))

#define MMIO32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define MMIO8(addr)  (*(volatile uint8_t *)(uintptr_t)(addr))

void uart_init(void);
void uart_putc(char c);
void uart_puts(const char *s);         /* no newline added */
int  uart_getc_nowait(void);           /* -1 when nothing received */
int  uart_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void fw_exit(int code) __attribute__((noreturn));   /* 0 = pass */

uint64_t mtime_read(void);
void mtimecmp_write(uint64_t value);

void fw_unexpected_trap(unsigned long mcause, unsigned long mepc,
                        unsigned long mtval) __attribute__((noreturn));

#endif
