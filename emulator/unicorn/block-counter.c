/*
 * The block counter: nestvm's only C code. One UC_HOOK_BLOCK callback counts whole translated
 * blocks against a budget, and one UC_HOOK_CODE callback counts the instructions of a last,
 * partial block. Everything that decides what a count means stays in TypeScript
 * (block-count.ts); this file only adds, compares and stops.
 *
 * Why a block hook. Unicorn's own count (uc_emu_start with count > 0) calls a C hook before
 * every instruction; a block hook is called once per block, before the block's first
 * instruction and before the block checks for a stop request, so a stop asked for here ends the
 * run with none of the block executed. The hook receives the block's address and size in bytes,
 * not its instruction count: arm64 instructions are 4 bytes, so there the count is size / 4; on
 * x86-64 it comes from the engine (uc_ctl TB_REQUEST_CACHE) on the first sight of a block and
 * from a small cache after that.
 *
 * The shared record (read and written from TypeScript through a koffi view, 8-byte words):
 *
 *    word  name          meaning
 *    0     done          instructions of the blocks entered since arm()
 *    1     budget        a block that would take done past budget is not entered: the run stops
 *    2     last_start    address of the last block entered (its hook ran and counted it)
 *    3     last_icount   its instruction count
 *    4     refused       1: the run stopped before the block below because it did not fit
 *    5     refused_start the block that did not fit
 *    6     refused_icount
 *    7     refused_size  its size in bytes
 *    8     tail          instructions the tail's code hook has seen (it stops the run at tail_budget + 1)
 *    9     tail_budget
 *    10    arm64         1: icount = size / 4; 0: look up (x86-64)
 *    11    misses        engine look-ups so far (a test's window on the cache)
 *    12    last_size     size in bytes of the last block entered
 *    13    pending       1: TypeScript asked for a stop after the instruction in flight (a port
 *                        access); the next hook that runs, a block's or an I/O follower's, stops
 *                        the run before its own instruction, none of which then runs
 *    14    stopped_mid   1: that stop was made by an I/O follower, in the middle of a block
 *    15    stop_pc       where the pending stop left the pc
 *
 * The icount cache (x86-64 only) is direct-mapped, CACHE_SLOTS entries keyed by (address,
 * size): a hit needs both to match, in the current epoch. The engine reports every block it
 * translates to an UC_HOOK_EDGE_GENERATED callback here (after the first block an engine ever
 * runs, every new block has an edge from the last one run, in this run or an earlier one), which
 * stores the new block's count, so a block retranslated after the guest rewrote its code, or
 * after a TB flush, is never counted by a stale entry; the first block of all is a miss, looked
 * up. nestvm_counter_forget() empties the cache in O(1) (a new epoch); TypeScript calls it on
 * every TB flush or remove-cache.
 *
 * I/O followers. A stop asked for from inside an instruction only raises the engine's exit
 * request, and translated code tests that at a block's start, after each memory access (where it
 * then puts the pc back to the block's start when no code hook is listed) and after each code hook;
 * a block without code hooks therefore ran on after a port write that asked for the stop. So
 * TypeScript lists a code hook (nestvm_counter_io) over every address that may follow an x86 port
 * instruction (block-count.ts finds them), and asks for a port's stop as `pending` instead of
 * stopping the engine: the follower's hook, compiled in before the next instruction, stops there
 * with the pc written (exact, like the count hook's stop).
 *
 * Invariant: no callback here allocates, and nothing here outlives the engine it is armed for
 * (the record is freed by nestvm_counter_free after uc_close).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct uc_struct uc_engine;
typedef struct {
  uint64_t pc;
  uint16_t icount;
  uint16_t size;
} nestvm_uc_tb;

int uc_emu_stop(uc_engine *uc);
int uc_reg_write(uc_engine *uc, int regid, const void *value);
int uc_ctl(uc_engine *uc, int control, ...);
int uc_hook_add(uc_engine *uc, size_t *hh, int type, void *callback, void *user_data,
                uint64_t begin, uint64_t end, ...);

/* UC_CTL_TB_REQUEST_CACHE (8), two arguments, read and write: type | nargs << 26 | rw << 30. */
#define REQUEST_CACHE (8 | (2 << 26) | (3u << 30))
#define CACHE_SLOTS 8192u
/* UC_X86_REG_RIP and UC_ARM64_REG_PC. */
#define X86_RIP 41
#define ARM64_PC 260

enum { DONE, BUDGET, LAST_START, LAST_ICOUNT, REFUSED, REFUSED_START, REFUSED_ICOUNT,
       REFUSED_SIZE, TAIL, TAIL_BUDGET, ARM64, MISSES, LAST_SIZE, PENDING, STOPPED_MID, STOP_PC,
       WORDS };

typedef struct {
  uint64_t w[WORDS];
  uint32_t epoch;             /* a slot holds an entry only while its epoch is this one */
  uint64_t key[CACHE_SLOTS];  /* address */
  uint32_t size[CACHE_SLOTS];
  uint32_t icount[CACHE_SLOTS];
  uint32_t slot_epoch[CACHE_SLOTS];
} counter;

/* Empty the cache in O(1): a new epoch (all slots are wiped only when the epoch wraps). */
void nestvm_counter_forget(counter *c) {
  if (++c->epoch == 0) {
    memset(c->slot_epoch, 0, sizeof c->slot_epoch);
    c->epoch = 1;
  }
}

counter *nestvm_counter_new(int arm64) {
  counter *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->w[ARM64] = arm64 ? 1 : 0;
  c->epoch = 1; /* calloc left every slot at epoch 0: empty */
  return c;
}

void nestvm_counter_free(counter *c) {
  free(c);
}

static uint32_t slot_of(uint64_t address) {
  return (uint32_t)((address ^ (address >> 13)) & (CACHE_SLOTS - 1));
}

static void remember(counter *c, const nestvm_uc_tb *tb) {
  uint32_t slot = slot_of(tb->pc);
  c->key[slot] = tb->pc;
  c->size[slot] = tb->size;
  c->icount[slot] = tb->icount;
  c->slot_epoch[slot] = c->epoch;
}

static uint64_t icount_of(counter *c, uc_engine *uc, uint64_t address, uint32_t size) {
  if (c->w[ARM64]) return size / 4;
  uint32_t slot = slot_of(address);
  if (c->key[slot] == address && c->size[slot] == size && c->slot_epoch[slot] == c->epoch)
    return c->icount[slot];
  nestvm_uc_tb tb;
  c->w[MISSES]++;
  if (uc_ctl(uc, REQUEST_CACHE, address, &tb) != 0 || tb.size != size) return 0;
  remember(c, &tb);
  return tb.icount;
}

/* UC_HOOK_EDGE_GENERATED: a block was just translated; its count replaces any older entry. */
void nestvm_counter_edge(uc_engine *uc, nestvm_uc_tb *cur, nestvm_uc_tb *prev, void *ud) {
  (void)uc;
  (void)prev;
  remember(ud, cur);
}

/*
 * Stop before the block at `address`, none of it run. The engine puts the pc back to a block's
 * start when it leaves a block at its stop check, but only while no code hook is listed (a
 * debugger's breakpoint, or the tail's hook, which stays listed until the end of the next run):
 * otherwise the pc is whatever the last synced instruction left, often a block long past. Writing
 * the pc here tells the engine that the hook has set it (its "quit request"), and it is kept.
 */
static void stop_before(counter *c, uc_engine *uc, uint64_t address) {
  uc_reg_write(uc, c->w[ARM64] ? ARM64_PC : X86_RIP, &address);
  c->w[STOP_PC] = address;
  uc_emu_stop(uc);
}

/* UC_HOOK_BLOCK: enter the block if it fits the budget, else stop before it. */
void nestvm_counter_block(uc_engine *uc, uint64_t address, uint32_t size, void *ud) {
  counter *c = ud;
  if (c->w[PENDING]) {
    stop_before(c, uc, address);
    return;
  }
  uint64_t n = icount_of(c, uc, address, size);
  if (c->w[DONE] + n > c->w[BUDGET]) {
    c->w[REFUSED] = 1;
    c->w[REFUSED_START] = address;
    c->w[REFUSED_ICOUNT] = n;
    c->w[REFUSED_SIZE] = size;
    stop_before(c, uc, address);
    return;
  }
  c->w[DONE] += n;
  c->w[LAST_START] = address;
  c->w[LAST_ICOUNT] = n;
  c->w[LAST_SIZE] = size;
}

/* UC_HOOK_CODE over the tail's block: count each instruction, stop before tail_budget + 1. */
void nestvm_counter_code(uc_engine *uc, uint64_t address, uint32_t size, void *ud) {
  counter *c = ud;
  (void)size;
  if (c->w[PENDING]) {
    c->w[STOPPED_MID] = 1;
    stop_before(c, uc, address);
    return;
  }
  if (++c->w[TAIL] > c->w[TAIL_BUDGET]) uc_emu_stop(uc);
}

/* UC_HOOK_CODE over an I/O follower: a pending stop ends the run before this instruction. */
void nestvm_counter_io(uc_engine *uc, uint64_t address, uint32_t size, void *ud) {
  counter *c = ud;
  (void)size;
  if (!c->w[PENDING]) return;
  c->w[STOPPED_MID] = 1;
  stop_before(c, uc, address);
}

/*
 * UC_HOOK_BLOCK everywhere, and on x86-64 UC_HOOK_EDGE_GENERATED (1 << 3, 1 << 15); the handles
 * go to hh[0] and hh[1] (0 when not added) for uc_hook_del.
 */
int nestvm_counter_attach(uc_engine *uc, counter *c, size_t *hh) {
  hh[1] = 0;
  int err = uc_hook_add(uc, &hh[0], 1 << 3, (void *)nestvm_counter_block, c, 1, 0);
  if (err != 0 || c->w[ARM64]) return err;
  return uc_hook_add(uc, &hh[1], 1 << 15, (void *)nestvm_counter_edge, c, 1, 0);
}

/* UC_HOOK_CODE (1 << 2) over [begin, end]: the tail's block only. */
int nestvm_counter_attach_tail(uc_engine *uc, counter *c, uint64_t begin, uint64_t end, size_t *hh) {
  return uc_hook_add(uc, hh, 1 << 2, (void *)nestvm_counter_code, c, begin, end);
}

/* UC_HOOK_CODE (1 << 2) over [begin, end]: I/O followers. */
int nestvm_counter_attach_io(uc_engine *uc, counter *c, uint64_t begin, uint64_t end, size_t *hh) {
  return uc_hook_add(uc, hh, 1 << 2, (void *)nestvm_counter_io, c, begin, end);
}

/* The block the engine translates at `address` now: size << 16 | icount, or -1. */
int64_t nestvm_counter_tb(uc_engine *uc, uint64_t address) {
  nestvm_uc_tb tb;
  if (uc_ctl(uc, REQUEST_CACHE, address, &tb) != 0) return -1;
  return ((int64_t)tb.size << 16) | tb.icount;
}
