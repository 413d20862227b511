/* The tiny runtime of the Cortex-M test programs: semihosting output and exit. */
#include <stdint.h>

int semihost(int op, void *arg);
void put(const char *s);
void put_hex(const char *name, uint32_t v);
void sh_exit(int code);
extern volatile uint32_t fault_count, last_cfsr, last_hfsr, last_fault_pc;
/* nonzero: the fault handler returns there instead of past the faulting insn */
extern volatile uint32_t fault_resume;
/* nonzero: called (once) by the fault handler instead of looking at the frame */
extern void (*volatile fault_hook)(void);
