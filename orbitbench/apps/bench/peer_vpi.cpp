// A VPI-style fault injector, the way faultergeist-like tools do it: a faithful minimal peer
// for make bench-campaign (orbitbench/apps/bench/peers.py builds and drives it). The model is
// built with --vpi --public-flat-rw; every injection re-runs the workload from reset in a
// fresh model, writes the preloads through VPI, and flips its bits with a VPI read-xor-write
// (vpi_get_value / vpi_put_value, vpiVectorVal) after the CYCLE-th rising edge after reset,
// the engine's cycle numbering (fault_campaigns/engine.cpp). It classifies nothing: it prints
// the output words, whether done rose and the final values of the event variables, and the
// Python side classifies them by the workload's rules.
//
// usage: peer_vpi JOBFILE SECONDS
// JOBFILE, one directive per line:
//   reset_cycles N / bound N                  reset length; cycles after reset before a hang
//   preload NAME ELEM HEX                     VPI name (scope.var); ELEM -1: not a memory
//   event NAME                                printed at the end of each run
//   inj ID CYCLE N (NAME ELEM BIT)xN          CYCLE -1: no flip (the golden run)
// Runs every injection in order, then again until SECONDS of wall time are spent (the later
// passes only count); prints "res ID DONE ENDCYCLE NWORDS HEX... NEVENTS HEX..." for the first
// pass and finally "done INJECTIONS CPU_SECONDS WALL_SECONDS" (CPU: this process, loop only).

#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "Vtop.h"
#include "peer_design.h"
#include "verilated.h"
#include "verilated_vpi.h"

namespace {

struct Flip {
    std::string name;
    long elem;
    unsigned bit;
};
struct Inj {
    long id;
    long cycle;
    std::vector<Flip> flips;
};
struct Preload {
    std::string name;
    long elem;
    std::string hex;
};

[[noreturn]] void fail(const std::string& msg) {
    std::fprintf(stderr, "peer_vpi: %s\n", msg.c_str());
    std::exit(2);
}

double cpu_now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

vpiHandle handle(const std::string& name, long elem) {
    vpiHandle h = vpi_handle_by_name(const_cast<PLI_BYTE8*>(name.c_str()), nullptr);
    if (!h) fail("no VPI object " + name);
    if (elem >= 0) {
        vpiHandle e = vpi_handle_by_index(h, static_cast<PLI_INT32>(elem));
        if (!e) fail("no element " + std::to_string(elem) + " of " + name);
        return e;
    }
    return h;
}

void tick(Vtop* t) {
    t->OBT_CLK = 0;
    t->eval();
    t->OBT_CLK = 1;
    t->eval();
}

std::string hex_of(vpiHandle h) {
    s_vpi_value v{};
    v.format = vpiHexStrVal;
    vpi_get_value(h, &v);
    return v.value.str;
}

struct Job {
    uint64_t reset_cycles = 2, bound = 1000000;
    std::vector<Preload> preloads;
    std::vector<std::string> events;
    std::vector<Inj> injs;
};

Job read_job(const char* path) {
    std::ifstream in(path);
    if (!in) fail(std::string("cannot read ") + path);
    Job job;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string key;
        ls >> key;
        if (key == "reset_cycles") {
            ls >> job.reset_cycles;
        } else if (key == "bound") {
            ls >> job.bound;
        } else if (key == "preload") {
            Preload p;
            ls >> p.name >> p.elem >> p.hex;
            job.preloads.push_back(p);
        } else if (key == "event") {
            std::string name;
            ls >> name;
            job.events.push_back(name);
        } else if (key == "inj") {
            Inj inj;
            size_t n = 0;
            ls >> inj.id >> inj.cycle >> n;
            for (size_t i = 0; i < n; ++i) {
                Flip f;
                ls >> f.name >> f.elem >> f.bit;
                inj.flips.push_back(f);
            }
            job.injs.push_back(inj);
        } else if (!key.empty()) {
            fail("unknown directive " + key);
        }
    }
    return job;
}

// One run from reset in a fresh model; prints its result when print is set.
void run_one(const Job& job, const Inj& inj, bool print) {
    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Vtop>(ctx.get(), "top");
    Vtop* t = top.get();
    t->OBT_CLK = 0;
    t->OBT_RST = 1;
    t->eval();
    for (const Preload& p : job.preloads) {
        s_vpi_value v{};
        v.format = vpiHexStrVal;
        v.value.str = const_cast<PLI_BYTE8*>(p.hex.c_str());
        vpi_put_value(handle(p.name, p.elem), &v, nullptr, vpiNoDelay);
    }
    for (uint64_t i = 0; i < job.reset_cycles; ++i) tick(t);
    t->OBT_RST = 0;
    uint64_t cycle = 0;
    bool done = false;
    std::vector<uint64_t> words;
    while (cycle < job.bound) {
        if (inj.cycle >= 0 && cycle == static_cast<uint64_t>(inj.cycle)) {
            for (const Flip& f : inj.flips) {  // read, xor, write back through VPI
                vpiHandle h = handle(f.name, f.elem);
                s_vpi_value v{};
                v.format = vpiVectorVal;
                vpi_get_value(h, &v);
                v.value.vector[f.bit / 32].aval ^= 1u << (f.bit % 32);
                vpi_put_value(h, &v, nullptr, vpiNoDelay);
            }
        }
        tick(t);
        ++cycle;
        if (t->OBT_OUT_VALID) words.push_back(static_cast<uint64_t>(t->OBT_OUT_DATA));
        if (t->OBT_DONE) {
            done = true;
            break;
        }
    }
    if (!print) return;
    std::printf("res %ld %d %llu %zu", inj.id, done ? 1 : 0,
                static_cast<unsigned long long>(cycle), words.size());
    for (uint64_t w : words) std::printf(" %llx", static_cast<unsigned long long>(w));
    std::printf(" %zu", job.events.size());
    for (const std::string& e : job.events) std::printf(" %s", hex_of(handle(e, -1)).c_str());
    std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) fail("usage: peer_vpi JOBFILE SECONDS");
    const Job job = read_job(argv[1]);
    const double budget = std::atof(argv[2]);
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = cpu_now();
    uint64_t count = 0;
    bool first = true;
    double wall = 0;
    do {
        for (const Inj& inj : job.injs) {
            run_one(job, inj, first);
            if (inj.cycle >= 0) ++count;
        }
        first = false;
        wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } while (wall < budget);
    std::printf("done %llu %.9f %.9f\n", static_cast<unsigned long long>(count),
                cpu_now() - cpu0, wall);
    return 0;
}
