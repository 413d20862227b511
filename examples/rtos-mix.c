/* rtos-mix: firmware of a real RTOS's shape on a small preemptive scheduler
 * of our own, for `python -m emud.bench`.
 *
 * Ten tasks with their own stacks; the machine-timer interrupt is the tick
 * and switches context (round robin within a priority); an ecall yields.
 * A producer, a transformer and a sink pass messages through two blocking
 * queues; the transformer runs each message through three of 64 distinct
 * stage functions picked by its content (many code paths, indirect calls);
 * a sorter runs four sort algorithms, a formatter prints records into
 * strings with its own formatter and parses them back; two tasks share a
 * counter under a mutex and sleep; software timers run in the tick
 * interrupt, one gives a counting semaphore to a worker task.
 *
 * The output does not depend on where the ticks land (each queue has one
 * writer and one reader, the timers fire a fixed number of times), so it is
 * the same on QEMU and emud with or without -icount. Each part is checked
 * against an independent computation; the last line is bench_report's. */
#include "bench.h"

#ifndef BENCH_ITERS
#define BENCH_ITERS 3000                /* messages through the pipeline */
#endif
#ifndef TICK_INTERVAL
#define TICK_INTERVAL 5000              /* mtime units: 0.5 ms at 10 MHz */
#endif
#define SORT_ROUNDS   (BENCH_ITERS / 4)
#define FORMAT_ROUNDS (BENCH_ITERS / 2)
#define MUTEX_ROUNDS  (BENCH_ITERS / 2)
#define T0_FIRES      64                /* semaphore gives to the worker */
#define T1_FIRES      20                /* every 3 ticks: done before T0 */

#if __riscv_xlen == 64
#define MCAUSE_MTI ((1UL << 63) | 7)
#define REG_S "sd"
#define REG_L "ld"
#define RB "8"
#else
#define MCAUSE_MTI ((1UL << 31) | 7)
#define REG_S "sw"
#define REG_L "lw"
#define RB "4"
#endif
#define MCAUSE_ECALL_M 11
#define FRAME_WORDS 32   /* slot 0: mepc; slot n: xn (x1, x5-x31) */

/* ---- context switch: save the frame on the task's stack, let the C side
 * pick the next task, restore that task's frame ---------------------------- */
#define SV(n) "  " REG_S " x" #n ", " #n "*" RB "(sp)\n"
#define LD(n) "  " REG_L " x" #n ", " #n "*" RB "(sp)\n"
__asm__(
    "  .section .text.rtos_trap, \"ax\"\n"
    "  .balign 4\n"
    "  .globl rtos_trap_entry\n"
    "rtos_trap_entry:\n"
    "  addi sp, sp, -32*" RB "\n"
    SV(1) SV(5) SV(6) SV(7) SV(8) SV(9) SV(10) SV(11) SV(12) SV(13) SV(14) SV(15)
    SV(16) SV(17) SV(18) SV(19) SV(20) SV(21) SV(22) SV(23) SV(24) SV(25) SV(26)
    SV(27) SV(28) SV(29) SV(30) SV(31)
    "  csrr t0, mepc\n"
    "  " REG_S " t0, 0(sp)\n"
    "  mv a0, sp\n"
    "  call trap_dispatch\n"
    "  mv sp, a0\n"
    "rtos_restore:\n"
    "  " REG_L " t0, 0(sp)\n"
    "  csrw mepc, t0\n"
    LD(1) LD(5) LD(6) LD(7) LD(8) LD(9) LD(10) LD(11) LD(12) LD(13) LD(14) LD(15)
    LD(16) LD(17) LD(18) LD(19) LD(20) LD(21) LD(22) LD(23) LD(24) LD(25) LD(26)
    LD(27) LD(28) LD(29) LD(30) LD(31)
    "  addi sp, sp, 32*" RB "\n"
    "  mret\n"
    "  .globl rtos_start_first\n"
    "rtos_start_first:\n"
    "  mv sp, a0\n"
    "  j rtos_restore\n"
    "  .text\n");
void rtos_trap_entry(void);
void rtos_start_first(uintptr_t sp) __attribute__((noreturn));

/* ---- tasks and the scheduler ---------------------------------------------- */
enum { READY, SLEEPING, BLOCKED, DONE };
#define MAX_TASKS 10
#define STACK_WORDS 1024

struct task {
    uintptr_t sp;
    int state, prio;
    uint32_t wake_tick;
    const void *waiting_on;
    uintptr_t stack[STACK_WORDS] __attribute__((aligned(16)));
};

static struct task tasks[MAX_TASKS];
static int ntasks, current;
static volatile uint32_t ticks;
static uint64_t next_deadline;
static uint32_t switches;

static inline void irq_off(void) { csr_clear(mstatus, MSTATUS_MIE); }
static inline void irq_on(void) { csr_set(mstatus, MSTATUS_MIE); }
static inline void yield(void) { __asm__ volatile ("ecall" ::: "memory"); }

static void task_exit(void);

static void task_create(void (*entry)(uintptr_t), uintptr_t arg, int prio)
{
    struct task *t = &tasks[ntasks++];
    uintptr_t *frame = &t->stack[STACK_WORDS - FRAME_WORDS];
    for (int i = 0; i < FRAME_WORDS; i++)
        frame[i] = 0;
    frame[0] = (uintptr_t)entry;        /* mepc */
    frame[1] = (uintptr_t)task_exit;    /* ra: a task that returns is done */
    frame[10] = arg;                    /* a0 */
    t->sp = (uintptr_t)frame;
    t->state = READY;
    t->prio = prio;
}

/* the highest-priority ready task, round robin after the current one */
static void schedule(void)
{
    int best = -1, best_prio = -1;
    for (int k = 1; k <= ntasks; k++) {
        int i = (current + k) % ntasks;
        struct task *t = &tasks[i];
        if (t->state == SLEEPING && (int32_t)(ticks - t->wake_tick) >= 0)
            t->state = READY;
        if (t->state == READY && t->prio > best_prio) {
            best = i;
            best_prio = t->prio;
        }
    }
    if (best != current)
        switches++;
    current = best;
}

static void wake_all(const void *obj)
{
    for (int i = 0; i < ntasks; i++)
        if (tasks[i].state == BLOCKED && tasks[i].waiting_on == obj)
            tasks[i].state = READY;
}

/* with interrupts off; returns with them off again */
static void block_on(const void *obj)
{
    tasks[current].state = BLOCKED;
    tasks[current].waiting_on = obj;
    irq_on();
    yield();
    irq_off();
}

static void task_delay(uint32_t n)
{
    irq_off();
    tasks[current].wake_tick = ticks + n;
    tasks[current].state = SLEEPING;
    irq_on();
    yield();
}

/* ---- counting semaphores (a mutex is one that starts at 1) ---------------- */
struct sem { volatile uint32_t count; };

static void sem_take(struct sem *s)
{
    irq_off();
    while (s->count == 0)
        block_on(s);
    s->count--;
    irq_on();
}

static void sem_give_locked(struct sem *s)
{
    s->count++;
    wake_all(s);
}

static void sem_give(struct sem *s)
{
    irq_off();
    sem_give_locked(s);
    irq_on();
    yield();
}

static struct sem done_sem;

static void task_exit(void)
{
    irq_off();
    sem_give_locked(&done_sem);
    tasks[current].state = DONE;
    irq_on();
    for (;;)
        yield();
}

/* ---- blocking queues of messages -------------------------------------------- */
struct msg { uint32_t seq, kind, data[6]; };
#define QLEN 6
struct queue {
    struct msg buf[QLEN];
    unsigned head, count;
    char readers, writers;      /* what blocked tasks wait on */
};

static void queue_send(struct queue *q, const struct msg *m)
{
    irq_off();
    while (q->count == QLEN)
        block_on(&q->writers);
    q->buf[(q->head + q->count) % QLEN] = *m;
    q->count++;
    wake_all(&q->readers);
    irq_on();
}

static void queue_receive(struct queue *q, struct msg *m)
{
    irq_off();
    while (q->count == 0)
        block_on(&q->readers);
    *m = q->buf[q->head];
    q->head = (q->head + 1) % QLEN;
    q->count--;
    wake_all(&q->writers);
    irq_on();
}

/* ---- 64 distinct stages (two shapes, different operators and constants) ---- */
#define STAGE_LOOP(n, A, B) \
static uint32_t stage_##n(uint32_t *v, unsigned len, uint32_t s) \
{ \
    for (unsigned i = 0; i < len; i++) { \
        uint32_t x = v[i] ^ s; \
        if (x & (1u << ((n) & 31))) \
            x = x A (uint32_t)((n) * 2654435761u); \
        else \
            x = (x B (uint32_t)((n) + 7)) ^ (x >> ((n) % 13 + 1)); \
        v[i] = x; \
        s = s * 31u + x; \
    } \
    return s; \
}
#define STAGE_SWITCH(n, A, B) \
static uint32_t stage_##n(uint32_t *v, unsigned len, uint32_t s) \
{ \
    for (unsigned i = 0; i < len; i++) { \
        uint32_t x = v[i]; \
        switch ((x ^ s ^ (n)) & 3) { \
        case 0: x = x A (s | (n)); break; \
        case 1: x = (x << ((n) % 7 + 1)) B s; break; \
        case 2: x = ~x A (uint32_t)(0x9e3779b9u + (n)); break; \
        default: x = (x >> 3) B (x << ((n) % 5 + 2)); break; \
        } \
        v[i] = x; \
        s = (s ^ x) + (uint32_t)(n); \
    } \
    return s; \
}
#define STAGES4(a, b, c, d, A, B) \
    STAGE_LOOP(a, A, B) STAGE_LOOP(b, B, A) STAGE_SWITCH(c, A, B) STAGE_SWITCH(d, B, A)
STAGES4(0, 1, 2, 3, +, ^)     STAGES4(4, 5, 6, 7, ^, -)     STAGES4(8, 9, 10, 11, -, +)
STAGES4(12, 13, 14, 15, |, ^) STAGES4(16, 17, 18, 19, *, +) STAGES4(20, 21, 22, 23, +, *)
STAGES4(24, 25, 26, 27, &, +) STAGES4(28, 29, 30, 31, ^, |) STAGES4(32, 33, 34, 35, -, *)
STAGES4(36, 37, 38, 39, *, ^) STAGES4(40, 41, 42, 43, +, -) STAGES4(44, 45, 46, 47, ^, &)
STAGES4(48, 49, 50, 51, |, -) STAGES4(52, 53, 54, 55, +, |) STAGES4(56, 57, 58, 59, *, -)
STAGES4(60, 61, 62, 63, -, ^)

typedef uint32_t (*stage_fn)(uint32_t *, unsigned, uint32_t);
static stage_fn const stages[64] = {
    stage_0, stage_1, stage_2, stage_3, stage_4, stage_5, stage_6, stage_7,
    stage_8, stage_9, stage_10, stage_11, stage_12, stage_13, stage_14, stage_15,
    stage_16, stage_17, stage_18, stage_19, stage_20, stage_21, stage_22, stage_23,
    stage_24, stage_25, stage_26, stage_27, stage_28, stage_29, stage_30, stage_31,
    stage_32, stage_33, stage_34, stage_35, stage_36, stage_37, stage_38, stage_39,
    stage_40, stage_41, stage_42, stage_43, stage_44, stage_45, stage_46, stage_47,
    stage_48, stage_49, stage_50, stage_51, stage_52, stage_53, stage_54, stage_55,
    stage_56, stage_57, stage_58, stage_59, stage_60, stage_61, stage_62, stage_63,
};

/* ---- checksums --------------------------------------------------------------- */
static uint16_t crc16_ccitt(uint16_t c, const uint8_t *p, unsigned n)
{
    while (n--) {
        c ^= (uint16_t)(*p++ << 8);
        for (int k = 0; k < 8; k++)
            c = (c & 0x8000) ? (uint16_t)((c << 1) ^ 0x1021) : (uint16_t)(c << 1);
    }
    return c;
}

static uint32_t crc32_table[256];

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc32_table[i] = c;
    }
}

static uint32_t crc32(uint32_t c, const void *data, unsigned n)
{
    const uint8_t *p = data;
    c = ~c;
    while (n--)
        c = crc32_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

/* ---- the pipeline: producer -> q1 -> transformer -> q2 -> sink --------------- */
static struct queue q1, q2;
static uint32_t sink_crc;

static void make_msg(struct msg *m, uint32_t seq, uint32_t *seed)
{
    m->seq = seq;
    m->kind = lcg(seed) & 63;
    for (int i = 0; i < 6; i++)
        m->data[i] = lcg(seed);
}

static void transform(struct msg *m)
{
    uint32_t s = m->seq;
    unsigned k = m->kind;
    for (int round = 0; round < 3; round++) {
        s = stages[k](m->data, 6, s);
        k = (k + (s & 15) + 1) & 63;
    }
    m->kind = s;
}

static void producer(uintptr_t seed0)
{
    uint32_t seed = (uint32_t)seed0;
    struct msg m;
    for (uint32_t i = 0; i < BENCH_ITERS; i++) {
        make_msg(&m, i, &seed);
        queue_send(&q1, &m);
    }
}

static void transformer(uintptr_t unused)
{
    (void)unused;
    struct msg m;
    for (uint32_t i = 0; i < BENCH_ITERS; i++) {
        queue_receive(&q1, &m);
        transform(&m);
        queue_send(&q2, &m);
    }
}

static void sink(uintptr_t unused)
{
    (void)unused;
    struct msg m;
    uint16_t c16 = 0xffff;
    for (uint32_t i = 0; i < BENCH_ITERS; i++) {
        queue_receive(&q2, &m);
        if (m.seq != i)
            c16 ^= 0x5a5a;   /* out of order: the check below fails */
        c16 = crc16_ccitt(c16, (const uint8_t *)&m, sizeof m);
    }
    sink_crc = c16;
}

/* the same messages without tasks or queues */
static uint32_t pipeline_reference(uint32_t seed)
{
    struct msg m;
    uint16_t c16 = 0xffff;
    for (uint32_t i = 0; i < BENCH_ITERS; i++) {
        make_msg(&m, i, &seed);
        transform(&m);
        c16 = crc16_ccitt(c16, (const uint8_t *)&m, sizeof m);
    }
    return c16;
}

/* ---- sorting ----------------------------------------------------------------- */
#define SORT_N 48

static void insertion_sort(uint32_t *a, int n)
{
    for (int i = 1; i < n; i++) {
        uint32_t x = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > x) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = x;
    }
}

static void shell_sort(uint32_t *a, int n)
{
    static const int gaps[] = {23, 10, 4, 1};
    for (unsigned g = 0; g < sizeof gaps / sizeof gaps[0]; g++)
        for (int i = gaps[g]; i < n; i++) {
            uint32_t x = a[i];
            int j = i;
            for (; j >= gaps[g] && a[j - gaps[g]] > x; j -= gaps[g])
                a[j] = a[j - gaps[g]];
            a[j] = x;
        }
}

static void sift_down(uint32_t *a, int root, int n)
{
    for (;;) {
        int c = 2 * root + 1;
        if (c >= n)
            return;
        if (c + 1 < n && a[c + 1] > a[c])
            c++;
        if (a[root] >= a[c])
            return;
        uint32_t t = a[root];
        a[root] = a[c];
        a[c] = t;
        root = c;
    }
}

static void heap_sort(uint32_t *a, int n)
{
    for (int i = n / 2 - 1; i >= 0; i--)
        sift_down(a, i, n);
    for (int i = n - 1; i > 0; i--) {
        uint32_t t = a[0];
        a[0] = a[i];
        a[i] = t;
        sift_down(a, 0, i);
    }
}

static void quick_sort(uint32_t *a, int lo, int hi)
{
    while (lo < hi) {
        uint32_t p = a[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) {
                uint32_t t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        if (j - lo < hi - i) {
            quick_sort(a, lo, j);
            lo = i;
        } else {
            quick_sort(a, i, hi);
            hi = j;
        }
    }
}

static uint32_t sort_checksum;
static int sort_ok = 1;

static void sorter(uintptr_t seed0)
{
    uint32_t seed = (uint32_t)seed0, a[SORT_N];
    for (int r = 0; r < SORT_ROUNDS; r++) {
        uint32_t sum = 0, xr = 0;
        for (int i = 0; i < SORT_N; i++) {
            a[i] = lcg(&seed) % (r % 3 == 0 ? 50 : 100000);   /* duplicates too */
            sum += a[i];
            xr ^= a[i] * 2654435761u;
        }
        switch (r & 3) {
        case 0: insertion_sort(a, SORT_N); break;
        case 1: shell_sort(a, SORT_N); break;
        case 2: heap_sort(a, SORT_N); break;
        default: quick_sort(a, 0, SORT_N - 1); break;
        }
        for (int i = 0; i < SORT_N; i++) {
            if (i && a[i - 1] > a[i])
                sort_ok = 0;
            sum -= a[i];
            xr ^= a[i] * 2654435761u;
        }
        if (sum || xr)
            sort_ok = 0;            /* not a permutation of the input */
        sort_checksum = crc32(sort_checksum, a, sizeof a);
    }
}

/* ---- formatting and parsing ---------------------------------------------------- */
static char *put_num(char *p, uint32_t v, unsigned base, int width, char pad)
{
    char tmp[12];
    int n = 0;
    do {
        unsigned d = v % base;
        tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    while (width-- > n)
        *p++ = pad;
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* %u %d %x %s %c with an optional '0' and width; args are uint32_t or strings */
static int format(char *out, const char *fmt, const uintptr_t *args)
{
    char *p = out;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            *p++ = *fmt;
            continue;
        }
        char pad = ' ';
        int width = 0;
        fmt++;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        switch (*fmt) {
        case 'u': p = put_num(p, (uint32_t)*args++, 10, width, pad); break;
        case 'x': p = put_num(p, (uint32_t)*args++, 16, width, pad); break;
        case 'd': {
            int32_t v = (int32_t)*args++;
            if (v < 0) {
                *p++ = '-';
                p = put_num(p, (uint32_t)-v, 10, width - 1, pad);
            } else {
                p = put_num(p, (uint32_t)v, 10, width, pad);
            }
            break;
        }
        case 's': {
            const char *s = (const char *)*args++;
            int n = 0;
            while (s[n])
                n++;
            while (width-- > n)
                *p++ = pad;
            while (*s)
                *p++ = *s++;
            break;
        }
        case 'c': *p++ = (char)*args++; break;
        default: *p++ = *fmt; break;
        }
    }
    *p = 0;
    return (int)(p - out);
}

static const char *skip_to(const char *s, char c)
{
    while (*s && *s != c)
        s++;
    return *s ? s + 1 : s;
}

static uint32_t parse_num(const char **ps, unsigned base)
{
    const char *s = *ps;
    uint32_t v = 0;
    for (;; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (*s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else
            break;
        if (d >= base)
            break;
        v = v * base + d;
    }
    *ps = s;
    return v;
}

static const char *const names[] = {"pump", "valve", "sensor-a", "sensor-b", "motor", "fan", "relay"};
static uint32_t format_crc;
static int format_ok = 1;

static void formatter(uintptr_t seed0)
{
    uint32_t seed = (uint32_t)seed0;
    char line[96];
    for (int r = 0; r < FORMAT_ROUNDS; r++) {
        uint32_t id = lcg(&seed) % 10000, val = lcg(&seed) << 8 | (uint32_t)r;
        int32_t temp = (int32_t)(lcg(&seed) % 20000) - 5000;
        const char *name = names[lcg(&seed) % 7];
        uintptr_t args[] = {id, (uintptr_t)name, val, (uintptr_t)temp, (uintptr_t)(temp < 0 ? 'c' : 'h')};
        int n = format(line, "id=%05u name=%s val=0x%08x temp=%d %c;", args);
        /* read it back */
        const char *s = skip_to(line, '=');
        uint32_t id2 = parse_num(&s, 10);
        s = skip_to(s, '=');
        int same_name = 1;
        for (const char *q = name; *q; q++, s++)
            same_name &= *q == *s;
        s = skip_to(s, 'x');
        uint32_t val2 = parse_num(&s, 16);
        s = skip_to(s, '=');
        int neg = *s == '-';
        s += neg;
        int32_t temp2 = (int32_t)parse_num(&s, 10);
        if (neg)
            temp2 = -temp2;
        if (id2 != id || !same_name || val2 != val || temp2 != temp || line[n - 1] != ';')
            format_ok = 0;
        format_crc = crc32(format_crc, line, (unsigned)n);
    }
}

/* ---- a mutex and sleeping ------------------------------------------------------ */
static struct sem mutex = {1};
static volatile uint32_t shared;

static uint32_t mutex_step(uint32_t salt, uint32_t i)
{
    uint32_t h = salt ^ i;
    for (int k = 0; k < 20; k++)
        h = h * 33u + (uint32_t)k;
    return h;
}

static void mutex_user(uintptr_t salt)
{
    for (uint32_t i = 0; i < MUTEX_ROUNDS; i++) {
        sem_take(&mutex);
        uint32_t v = shared;             /* read, work, write: an update lost without the mutex */
        shared = v + mutex_step((uint32_t)salt, i);
        sem_give(&mutex);
        if ((i & 15) == 15)
            task_delay(1 + (uint32_t)(salt & 1));
    }
}

/* ---- software timers, run in the tick interrupt ------------------------------ */
struct soft_timer {
    uint32_t period, due, fires, limit;
    void (*callback)(struct soft_timer *);
};

static struct sem tick_sem;
static uint32_t t1_acc = 1;

static void t0_callback(struct soft_timer *t)
{
    (void)t;
    sem_give_locked(&tick_sem);
}

static void t1_callback(struct soft_timer *t)
{
    t1_acc = (t1_acc ^ t->fires) * 0x01000193u;
}

static struct soft_timer timers[] = {
    {1, 1, 0, T0_FIRES, t0_callback},
    {3, 3, 0, T1_FIRES, t1_callback},
};

static void run_timers(void)
{
    for (unsigned i = 0; i < sizeof timers / sizeof timers[0]; i++) {
        struct soft_timer *t = &timers[i];
        if (t->fires < t->limit && (int32_t)(ticks - t->due) >= 0) {
            t->due += t->period;
            t->fires++;
            t->callback(t);
        }
    }
}

static uint32_t worker_sum;

static void timer_worker(uintptr_t unused)
{
    (void)unused;
    uint32_t v[8];
    for (uint32_t k = 0; k < T0_FIRES; k++) {
        sem_take(&tick_sem);
        for (int i = 0; i < 8; i++)
            v[i] = k * 8 + (uint32_t)i;
        worker_sum = stages[(k * 7) & 63](v, 8, worker_sum);
    }
}

/* ---- the trap handler's C side -------------------------------------------------- */
uintptr_t trap_dispatch(uintptr_t *frame)
{
    unsigned long cause = csr_read(mcause);
    tasks[current].sp = (uintptr_t)frame;
    if (cause == MCAUSE_MTI) {
        ticks++;
        next_deadline += TICK_INTERVAL;
        uint64_t now = mtime_read();
        if (next_deadline <= now)        /* fell behind: no interrupt storm */
            next_deadline = now + TICK_INTERVAL;
        mtimecmp_write(next_deadline);
        run_timers();
    } else if (cause == MCAUSE_ECALL_M) {
        frame[0] += 4;
    } else {
        fw_unexpected_trap(cause, csr_read(mepc), csr_read(mtval));
    }
    schedule();
    return tasks[current].sp;
}

/* ---- the supervisor ------------------------------------------------------------ */
#define WORKERS 8

static void idle(uintptr_t unused)
{
    (void)unused;
    for (;;)
        __asm__ volatile ("wfi");
}

static void supervisor(uintptr_t unused)
{
    (void)unused;
    for (int i = 0; i < WORKERS; i++)
        sem_take(&done_sem);
    irq_off();
    uint32_t expect_shared = 0;
    for (uint32_t i = 0; i < MUTEX_ROUNDS; i++)
        expect_shared += mutex_step(0x11, i) + mutex_step(0x22, i);
    int mutex_ok = shared == expect_shared;
    uint32_t pipe_ref = pipeline_reference(0x1234);
    int pipe_ok = sink_crc == pipe_ref;
    int timers_ok = timers[0].fires == T0_FIRES && timers[1].fires == T1_FIRES;
    uint32_t t1_ref = 1, w_ref = 0, v[8];
    for (uint32_t f = 1; f <= T1_FIRES; f++)
        t1_ref = (t1_ref ^ f) * 0x01000193u;
    for (uint32_t k = 0; k < T0_FIRES; k++) {
        for (int i = 0; i < 8; i++)
            v[i] = k * 8 + (uint32_t)i;
        w_ref = stages[(k * 7) & 63](v, 8, w_ref);
    }
    timers_ok &= t1_acc == t1_ref && worker_sum == w_ref;
    uart_printf("rtos-mix: pipeline %u messages crc16=0x%04x %s\n", BENCH_ITERS,
                (unsigned)sink_crc, pipe_ok ? "ok" : "FAILED");
    uart_printf("rtos-mix: sort %u arrays crc32=0x%08x %s\n", SORT_ROUNDS,
                (unsigned)sort_checksum, sort_ok ? "ok" : "FAILED");
    uart_printf("rtos-mix: format %u records crc32=0x%08x %s\n", FORMAT_ROUNDS,
                (unsigned)format_crc, format_ok ? "ok" : "FAILED");
    uart_printf("rtos-mix: mutex %u updates shared=0x%08x %s\n", 2 * MUTEX_ROUNDS,
                (unsigned)shared, mutex_ok ? "ok" : "FAILED");
    uart_printf("rtos-mix: timers %u/%u fires acc=0x%08x worker=0x%08x %s\n",
                (unsigned)timers[0].fires, (unsigned)timers[1].fires, (unsigned)t1_acc,
                (unsigned)worker_sum, timers_ok ? "ok" : "FAILED");
    uint32_t sum = crc32(0, &sink_crc, sizeof sink_crc);
    sum = crc32(sum, &sort_checksum, sizeof sort_checksum);
    sum = crc32(sum, &format_crc, sizeof format_crc);
    sum = crc32(sum, &worker_sum, sizeof worker_sum);
    sum = crc32(sum, &t1_acc, sizeof t1_acc);
    sum = crc32(sum, (const void *)&shared, sizeof shared);
    fw_exit(bench_report("rtos-mix", BENCH_ITERS, sum,
                         pipe_ok && sort_ok && format_ok && timers_ok && mutex_ok));
}

int main(void)
{
    uart_init();
    crc32_init();
    task_create(supervisor, 0, 3);
    task_create(timer_worker, 0, 2);
    task_create(producer, 0x1234, 1);
    task_create(transformer, 0, 1);
    task_create(sink, 0, 1);
    task_create(sorter, 0xbeef, 1);
    task_create(formatter, 0xc0ffee, 1);
    task_create(mutex_user, 0x11, 1);
    task_create(mutex_user, 0x22, 1);
    task_create(idle, 0, 0);
    csr_write(mtvec, (uintptr_t)rtos_trap_entry);
    next_deadline = mtime_read() + TICK_INTERVAL;
    mtimecmp_write(next_deadline);
    csr_set(mie, MIE_MTIE);
    /* the first task starts through the trap return: MPP = M, MPIE = 1 */
    csr_set(mstatus, (3UL << 11) | (1UL << 7));
    current = 0;
    rtos_start_first(tasks[0].sp);
}
