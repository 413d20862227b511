/* bench-dhry: a Dhrystone-like mix (records, string copy and compare,
 * calls through pointers, switch, arrays); every iteration ends in the
 * same state, which is checked. Not Dhrystone: no scores are claimed. */
#include "bench.h"

#ifndef BENCH_ITERS
#define BENCH_ITERS 60000
#endif

typedef enum { IDENT_1, IDENT_2, IDENT_3, IDENT_4, IDENT_5 } enumeration;

typedef struct record {
    struct record *next;
    enumeration discr;
    enumeration enum_comp;
    int int_comp;
    char str_comp[31];
} record;

static record rec_a, rec_b;
static int int_glob;
static char char_glob_1, char_glob_2;
static int arr_1[50];
static int arr_2[50][50];
static char str_1[31], str_2[31];

static void str_copy(char *d, const char *s)
{
    while ((*d++ = *s++))
        ;
}

static int str_cmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static enumeration func_1(char c1, char c2)
{
    return c1 != c2 ? IDENT_1 : IDENT_2;
}

static int func_2(const char *s1, const char *s2)
{
    int i = 2;
    char c = 'A';
    while (i <= 2) {
        if (func_1(s1[i], s2[i + 1]) == IDENT_1) {
            c = 'A';
            i++;
        }
    }
    if (c >= 'W' && c < 'Z')
        i = 7;
    if (c == 'R')
        return 1;
    if (str_cmp(s1, s2) > 0) {
        int_glob = i + 7;
        return 1;
    }
    return 0;
}

static enumeration proc_6(enumeration e, int v)
{
    switch (e) {
    case IDENT_1: return IDENT_1;
    case IDENT_2: return v > 100 ? IDENT_1 : IDENT_4;
    case IDENT_3: return IDENT_2;
    case IDENT_4: return IDENT_3;
    default:      return IDENT_5;
    }
}

static void proc_8(int *a1, int (*a2)[50], int i1, int i2)
{
    int loc = i1 + 5;
    a1[loc] = i2;
    a1[loc + 1] = a1[loc];
    a1[loc + 30] = loc;
    for (int i = loc; i <= loc + 1; i++)
        a2[loc][i] = loc;
    a2[loc][loc - 1] += 1;
    a2[loc + 20][loc] = a1[loc];
    int_glob = 5;
}

typedef int (*op_fn)(int, int);
static int op_add(int a, int b) { return a + b; }
static int op_mul(int a, int b) { return a * b; }
static int op_div(int a, int b) { return b ? a / b : -1; }
static int op_rem(int a, int b) { return b ? a % b : -1; }
static const op_fn ops[4] = { op_add, op_mul, op_div, op_rem };

int main(void)
{
    rec_a.next = &rec_b;
    rec_a.discr = IDENT_1;
    rec_a.enum_comp = IDENT_3;
    rec_a.int_comp = 40;
    str_copy(rec_a.str_comp, "DHRYSTONE PROGRAM, SOME STRING");
    str_copy(str_1, "DHRYSTONE PROGRAM, 1'ST STRING");
    arr_2[8][7] = 10;

    uint32_t checksum = 0;
    int ok = 1;
    for (unsigned it = 0; it < BENCH_ITERS; it++) {
        char_glob_1 = 'A';
        char_glob_2 = 'B';
        int i1 = 2, i2 = 3, i3;
        str_copy(str_2, "DHRYSTONE PROGRAM, 2'ND STRING");
        int bool_glob = !func_2(str_1, str_2);
        while (i1 < i2) {
            i3 = 5 * i1 - i2;
            i1++;
        }
        proc_8(arr_1, arr_2, i1, i3);
        rec_b = rec_a;                      /* struct copy */
        rec_b.int_comp = ops[it & 3](rec_a.int_comp + (int)(it & 15), (int)(it & 7));
        rec_b.enum_comp = proc_6(rec_a.enum_comp, rec_b.int_comp);
        int k = 0;
        for (char c = 'A'; c <= char_glob_2; c++)
            if (func_1(c, 'C') == IDENT_2)
                k++;
        checksum = checksum * 33 + (uint32_t)rec_b.int_comp + (uint32_t)rec_b.enum_comp + (uint32_t)k;
        ok &= int_glob == 5 && bool_glob == 1 && i1 == 3 && i3 == 7 && arr_1[8] == 7
              && rec_b.enum_comp == IDENT_2 && k == 0 && str_cmp(rec_b.str_comp, rec_a.str_comp) == 0;
    }
    ok &= arr_2[8][7] == 10 + (int)BENCH_ITERS;
    return bench_report("dhry", BENCH_ITERS, checksum, ok);
}
