// Raw-speed harness for the orbitbench GEMM tile: a plain C++ loop drives the verilated tile
// over its Wishbone classic port, with nothing between the loop and the model (no VPI, no
// public signals, no Python). bench/raw.py builds it with `--prefix Vtop` and writes the
// workload as the tile program's op words; this program replays them until the wall-time
// budget is spent and prints the figures as one JSON object on stdout.
//
// Usage: raw_harness OPS OUT SECONDS [--cpu N] [--max-repeats R] [--flip-word I]
//                    [--irq-timeout CYCLES]
//
// OPS: the tile program (orbitbench.driver.program), one little-endian uint64 per op in its
// one encoding, LSB first: dat_w[32] | word_adr[OBT_ADDR_WIDTH] | kind[2] (the address width
// comes from the build, -DOBT_ADDR_WIDTH=21), the last op END:
//   0 WRITE     one transfer writing dat_w to word_adr (all byte lanes)
//   1 READ      one transfer reading word_adr
//   2 WAIT_IRQ  bus idle until every irq of the mask dat_w is high (the tile has one: bit 0)
//   3 END       the end of the program
// Consecutive transfers keep cyc/stb high: two cycles each when the tile does not stall.
// OUT receives every word read in the first repeat (uint32, in op order); later repeats
// are compared with the first one ("repeat_mismatches" counts those that differ).
// --flip-word I flips bit 0 of word I of OUT: a deliberately broken output path, used by the
// tests as a negative control of the Python-side bit-exact check.
//
// Timing covers the replay loop only (after reset); "cycles" counts every rising clock edge
// in that loop: operand load, compute, result readback. "seconds" is wall time of the loop,
// "cpu_seconds" the CPU time this process spent in it (CLOCK_PROCESS_CPUTIME_ID): on a
// shared machine only the latter is a speed of the simulator.

#include <sched.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "Vtop.h"
#include "verilated.h"

// Verilator escapes the "__" of the Amaranth port names (bus__adr -> bus___05Fadr).
#define BUS(port) bus___05F##port

namespace {

#ifndef OBT_ADDR_WIDTH
#error "build with -DOBT_ADDR_WIDTH=<word-address bits of the tile's bus>"
#endif
constexpr unsigned kAddrWidth = OBT_ADDR_WIDTH;
constexpr uint64_t kOpWrite = 0, kOpRead = 1, kOpWaitIrq = 2, kOpEnd = 3;
constexpr uint64_t kAckTimeout = 1000000;  // cycles; a scratchpad access stalls while busy

uint64_t g_cycles = 0;

[[noreturn]] void fail(const std::string& msg) {
    std::fprintf(stderr, "raw_harness: %s\n", msg.c_str());
    std::exit(2);
}

// One rising edge: inputs set by the caller are sampled here; registered outputs (ack,
// dat_r, irq) hold their new values afterwards.
inline void tick(Vtop* t) {
    t->clk = 0;
    t->eval();
    t->clk = 1;
    t->eval();
    ++g_cycles;
}

// Present one transfer and clock until ack (registered: the cycle after the request at the
// earliest, later while a scratchpad access stalls). Returns dat_r of the ack cycle.
inline uint32_t transfer(Vtop* t, uint32_t word_adr, bool we, uint32_t data) {
    t->BUS(adr) = word_adr;
    t->BUS(we) = we;
    t->BUS(dat_w) = data;
    uint64_t waited = 0;
    do {
        tick(t);
        if (++waited > kAckTimeout) fail("no ack for word address " + std::to_string(word_adr));
    } while (!t->BUS(ack));
    return t->BUS(dat_r);
}

inline void idle(Vtop* t) {
    t->BUS(cyc) = 0;
    t->BUS(stb) = 0;
    t->BUS(we) = 0;
}

std::vector<uint64_t> load_ops(const char* path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) fail(std::string("cannot open ops file ") + path);
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (bytes.empty() || bytes.size() % 8 != 0) fail("ops file is not a whole number of op words");
    std::vector<uint64_t> ops(bytes.size() / 8);
    std::memcpy(ops.data(), bytes.data(), bytes.size());
    for (size_t i = 0; i < ops.size(); ++i) {
        const uint64_t kind = (ops[i] >> (32 + kAddrWidth)) & 3;
        if ((ops[i] >> (34 + kAddrWidth)) != 0) fail("op " + std::to_string(i) + " has bits above kind");
        if ((kind == kOpEnd) != (i + 1 == ops.size())) fail("the program must end with its only END");
    }
    return ops;
}

// CPU seconds of this process so far (user + system).
double cpu_now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Run the whole program once; every read word lands in reads.
void replay(Vtop* t, const std::vector<uint64_t>& ops, std::vector<uint32_t>& reads,
            uint64_t irq_timeout) {
    reads.clear();
    for (const uint64_t op : ops) {
        const uint64_t kind = (op >> (32 + kAddrWidth)) & 3;
        const uint32_t adr = static_cast<uint32_t>((op >> 32) & ((uint64_t{1} << kAddrWidth) - 1));
        const uint32_t data = static_cast<uint32_t>(op);
        if (kind == kOpWrite || kind == kOpRead) {
            t->BUS(cyc) = 1;
            t->BUS(stb) = 1;
            t->BUS(sel) = 0xF;
            const uint32_t v = transfer(t, adr, kind == kOpWrite, kind == kOpWrite ? data : 0);
            if (kind == kOpRead) reads.push_back(v);
        } else if (kind == kOpWaitIrq) {
            idle(t);
            const uint32_t mask = data;
            if (mask & ~1u) fail("WAIT_IRQ mask names irqs the tile does not have");
            uint64_t waited = 0;
            while ((static_cast<uint32_t>(t->irq) & mask) != mask) {
                tick(t);
                if (++waited > irq_timeout) fail("irq did not rise within the timeout");
            }
        } else {  // END
            break;
        }
    }
    idle(t);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr,
                     "usage: %s OPS OUT SECONDS [--cpu N] [--max-repeats R] [--flip-word I] "
                     "[--irq-timeout CYCLES]\n",
                     argv[0]);
        return 2;
    }
    const char* ops_path = argv[1];
    const char* out_path = argv[2];
    const double budget = std::atof(argv[3]);
    long cpu = -1, flip = -1;
    uint64_t max_repeats = 0;  // 0: no limit
    uint64_t irq_timeout = 100000000;  // cycles
    for (int i = 4; i + 1 < argc; i += 2) {
        const std::string opt = argv[i];
        if (opt == "--cpu") cpu = std::atol(argv[i + 1]);
        else if (opt == "--max-repeats") max_repeats = std::strtoull(argv[i + 1], nullptr, 10);
        else if (opt == "--flip-word") flip = std::atol(argv[i + 1]);
        else if (opt == "--irq-timeout") irq_timeout = std::strtoull(argv[i + 1], nullptr, 10);
        else fail("unknown option " + opt);
    }
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(static_cast<int>(cpu), &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0) fail("sched_setaffinity failed");
    }
    const std::vector<uint64_t> ops = load_ops(ops_path);

    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Vtop>(ctx.get(), "top");
    Vtop* t = top.get();

    // Synchronous reset, as the cocotb testbench does it; not counted or timed.
    idle(t);
    t->BUS(sel) = 0;
    t->BUS(adr) = 0;
    t->BUS(dat_w) = 0;
    t->therm_code = 0;  // no thermal stimulus: the throttle controller never acts
    t->therm_sample = 0;
    t->rst = 1;
    tick(t);
    tick(t);
    t->rst = 0;
    tick(t);
    const uint64_t reset_cycles = g_cycles;
    g_cycles = 0;

    std::vector<uint32_t> first, again;
    uint64_t repeats = 0, repeat_mismatches = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = cpu_now();
    double elapsed = 0.0;
    do {
        replay(t, ops, repeats == 0 ? first : again, irq_timeout);
        if (repeats > 0 && again != first) ++repeat_mismatches;
        ++repeats;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } while (elapsed < budget && (max_repeats == 0 || repeats < max_repeats));
    const uint64_t cycles = g_cycles;
    const double cpu_seconds = cpu_now() - cpu0;

    top->final();

    if (flip >= 0 && static_cast<size_t>(flip) < first.size()) first[flip] ^= 1u;
    std::FILE* f = std::fopen(out_path, "wb");
    if (!f) fail(std::string("cannot write ") + out_path);
    if (!first.empty() && std::fwrite(first.data(), 4, first.size(), f) != first.size())
        fail("short write to the output file");
    std::fclose(f);

    std::printf(
        "{\"cycles\": %llu, \"seconds\": %.9f, \"cycles_per_s\": %.1f, "
        "\"repeats\": %llu, \"cycles_per_repeat\": %llu, \"repeat_mismatches\": %llu, "
        "\"reset_cycles\": %llu, \"read_words\": %zu, \"cpu\": %ld, \"cpu_seconds\": %.9f}\n",
        static_cast<unsigned long long>(cycles), elapsed, cycles / elapsed,
        static_cast<unsigned long long>(repeats),
        static_cast<unsigned long long>(cycles / repeats),
        static_cast<unsigned long long>(repeat_mismatches),
        static_cast<unsigned long long>(reset_cycles), first.size(), cpu, cpu_seconds);
    return 0;
}
