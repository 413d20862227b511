/* RISC-V semihosting (the Arm semihosting ABI over the magic
 * slli/ebreak/srai sequence); QEMU needs -semihosting to honour it. */
#ifndef SEMIHOST_H
#define SEMIHOST_H

#define SYS_WRITE0 0x04
#define SYS_EXIT   0x18
#define ADP_Stopped_ApplicationExit 0x20026

long semihost_call(long op, long arg);
void semihost_write0(const char *s);
void semihost_exit(int code) __attribute__((noreturn));

#endif
