// Raw-speed harness for the orbitbench GEMM tile: a plain C++ loop drives the verilated tile
// over its Wishbone classic port, with nothing between the loop and the model (no VPI, no
// public signals, no Python). bench/raw.py builds it with `--prefix Vtop` and writes the
// workload as a bus script; this program replays the script until the wall-time budget is
// spent and prints the figures as one JSON object on stdout.
//
// Usage: raw_harness SCRIPT OUT SECONDS [--cpu N] [--max-repeats R] [--flip-word I]
//
// SCRIPT (little-endian uint32 words): magic "OBRW" (0x5752424f), version 1, op count, ops:
//   1 WRITE     byte_addr count word...   one burst of `count` writes to consecutive words
//   2 READ      byte_addr count tag       one burst of `count` reads; tag 1 marks the CYCLES
//                                         register (reported as "gemm_cycles")
//   3 WAIT_IRQ  timeout_cycles            bus idle until the irq pin is high
// OUT receives every word read in the first repeat (uint32, in script order); later repeats
// are compared with the first one ("repeat_mismatches" counts those that differ).
// --flip-word I flips bit 0 of word I of OUT: a deliberately broken output path, used by the
// tests as a negative control of the Python-side bit-exact check.
//
// Timing covers the replay loop only (after reset); "cycles" counts every rising clock edge
// in that loop: operand load, compute, result readback.

#include <sched.h>

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

constexpr uint32_t kMagic = 0x5752424f;  // "OBRW"
constexpr uint32_t kVersion = 1;
constexpr uint32_t kOpWrite = 1, kOpRead = 2, kOpWaitIrq = 3;
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

std::vector<uint32_t> load_script(const char* path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) fail(std::string("cannot open script ") + path);
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (bytes.size() % 4 != 0 || bytes.size() < 12) fail("script is not a whole number of words");
    std::vector<uint32_t> words(bytes.size() / 4);
    std::memcpy(words.data(), bytes.data(), bytes.size());
    if (words[0] != kMagic || words[1] != kVersion) fail("bad script magic or version");
    return words;
}

struct Replay {
    std::vector<uint32_t> reads;
    uint32_t gemm_cycles = 0;
};

// Run the whole script once; every read word lands in out.reads.
void replay(Vtop* t, const std::vector<uint32_t>& s, Replay& out) {
    out.reads.clear();
    const uint32_t n_ops = s[2];
    size_t p = 3;
    for (uint32_t op = 0; op < n_ops; ++op) {
        if (p >= s.size()) fail("script ends inside an op");
        const uint32_t code = s[p++];
        if (code == kOpWrite || code == kOpRead) {
            if (p + 2 > s.size()) fail("truncated op");
            const uint32_t adr = s[p] >> 2, count = s[p + 1];
            p += 2;
            t->BUS(cyc) = 1;
            t->BUS(stb) = 1;
            t->BUS(sel) = 0xF;
            if (code == kOpWrite) {
                if (p + count > s.size()) fail("truncated write burst");
                for (uint32_t i = 0; i < count; ++i) transfer(t, adr + i, true, s[p + i]);
                p += count;
            } else {
                if (p >= s.size()) fail("truncated read op");
                const uint32_t tag = s[p++];
                for (uint32_t i = 0; i < count; ++i) {
                    const uint32_t v = transfer(t, adr + i, false, 0);
                    out.reads.push_back(v);
                    if (tag == 1) out.gemm_cycles = v;
                }
            }
            idle(t);
        } else if (code == kOpWaitIrq) {
            if (p >= s.size()) fail("truncated wait op");
            const uint64_t limit = s[p++];
            uint64_t waited = 0;
            while (!t->irq) {
                tick(t);
                if (++waited > limit) fail("irq did not rise within the timeout");
            }
        } else {
            fail("unknown op code " + std::to_string(code));
        }
    }
    if (p != s.size()) fail("trailing words after the last op");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr,
                     "usage: %s SCRIPT OUT SECONDS [--cpu N] [--max-repeats R] [--flip-word I]\n",
                     argv[0]);
        return 2;
    }
    const char* script_path = argv[1];
    const char* out_path = argv[2];
    const double budget = std::atof(argv[3]);
    long cpu = -1, flip = -1;
    uint64_t max_repeats = 0;  // 0: no limit
    for (int i = 4; i + 1 < argc; i += 2) {
        const std::string opt = argv[i];
        if (opt == "--cpu") cpu = std::atol(argv[i + 1]);
        else if (opt == "--max-repeats") max_repeats = std::strtoull(argv[i + 1], nullptr, 10);
        else if (opt == "--flip-word") flip = std::atol(argv[i + 1]);
        else fail("unknown option " + opt);
    }
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(static_cast<int>(cpu), &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0) fail("sched_setaffinity failed");
    }
    const std::vector<uint32_t> script = load_script(script_path);

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

    Replay first, again;
    uint64_t repeats = 0, repeat_mismatches = 0;
    const auto t0 = std::chrono::steady_clock::now();
    double elapsed = 0.0;
    do {
        replay(t, script, repeats == 0 ? first : again);
        if (repeats > 0 && again.reads != first.reads) ++repeat_mismatches;
        ++repeats;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } while (elapsed < budget && (max_repeats == 0 || repeats < max_repeats));
    const uint64_t cycles = g_cycles;

    top->final();

    if (flip >= 0 && static_cast<size_t>(flip) < first.reads.size()) first.reads[flip] ^= 1u;
    std::FILE* f = std::fopen(out_path, "wb");
    if (!f) fail(std::string("cannot write ") + out_path);
    if (!first.reads.empty()
        && std::fwrite(first.reads.data(), 4, first.reads.size(), f) != first.reads.size())
        fail("short write to the output file");
    std::fclose(f);

    std::printf(
        "{\"cycles\": %llu, \"seconds\": %.9f, \"cycles_per_s\": %.1f, \"gemm_cycles\": %u, "
        "\"repeats\": %llu, \"cycles_per_repeat\": %llu, \"repeat_mismatches\": %llu, "
        "\"reset_cycles\": %llu, \"read_words\": %zu, \"cpu\": %ld}\n",
        static_cast<unsigned long long>(cycles), elapsed, cycles / elapsed, first.gemm_cycles,
        static_cast<unsigned long long>(repeats),
        static_cast<unsigned long long>(cycles / repeats),
        static_cast<unsigned long long>(repeat_mismatches),
        static_cast<unsigned long long>(reset_cycles), first.reads.size(), cpu);
    return 0;
}
