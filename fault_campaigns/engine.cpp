// orbitbench fault-injection engine: many single-event-upset injections per simulator process.
//
// fault_campaigns/engine.py generates engine_design.h (port names) and a Verilator control
// file making exactly the design's state variables public, and builds this file with the
// verilated model. The engine talks to Python over stdin/stdout, one line per message:
//
//   CONFIG, from the file argv[1], or from stdin up to a line "end" when argv[1] is "-"
//   (no file to leave behind), one directive per line:
//     var ID SCOPE NAME          resolve variable ID (public_flat_rw; NAME: rest of line)
//     state ID                   variable ID belongs to the design state (early-stop check)
//     net ID                     variable ID is a combinational net, made forceable in the
//                                control file (Verilator's __VforceEn/__VforceVal signals)
//     preload ID ELEM HEX        write element ELEM of variable ID before reset
//     event ID C|D MASKHEX       final value differing from golden under MASK -> corrected/detected
//     word_default DATA CORR DET masks (hex) of every output word ...
//     word IDX DATA CORR DET     ... unless overridden for output word IDX
//     elem_bits N / elem_signed 0|1   element view of output data words (error magnitude)
//     observe_words 1            an SDC or DUE result also lists its wrong data words
//                                (" @w IDX:HEX,IDX:HEX,..." after EARLY; index in the output
//                                stream, the faulty word): application-level campaigns
//     reset_cycles N / max_cycles N / hang_factor F / hang_extra N / checkpoint N
//     stim CYCLE INPUT HEX       stimulus: top-level input INPUT (index into the generated
//                                header's obt_input) takes value HEX from cycle CYCLE on
//                                (-1: before reset); see drive_inputs
//     stim_end N                 the stimulus is N cycles long (the job's end without done)
//     observe ID                 variable ID (an internal register) is an observation point
//                                too: its words follow the ports' in every observed cycle
//   stdin commands:
//     golden                     fault-free run; prints "golden T NOUT HEXWORDS...", or
//                                "trap CYCLE finish|stop|timeout MESSAGE" when the design
//                                ended it ($finish, $stop, $fatal, ...) or never raised done
//     inj ID CYCLE N (VAR ELEM BIT)xN   queue an injection (N bits flipped at once); on
//                                nets a single-event transient (see tick)
//     stuck ID CYCLE V N (VAR ELEM BIT)xN   queue a stuck-at-V fault (V 0 or 1) on N bits:
//                                the bits are set to V at CYCLE and again after every later
//                                edge to the end of the run (see apply_stuck)
//     early_stop 0|1 / snapshot fork|copy    options of the next runs (default 1, copy)
//     run                        run the queued injections (sorted by cycle, stably), print one
//                                "res ID OUTCOME SIMCYCLES ENDCYCLE WRONG MAXERR EARLY [MESSAGE]"
//                                each (MESSAGE, the rest of the line, for "crash"), then "ok"
//     replay                     (trace builds) run the single queued injection without fork,
//                                dumping waves to the file named in argv[2]
//     bench SECONDS              repeat the fault-free workload; "bench CYCLES REPEATS SECONDS"
//     quit
//
// Cycle numbering: cycle 0 is the first clock cycle after reset. An injection at cycle c
// flips its bits after the c-th rising edge and before the next one (the middle of the
// cycle; nothing is evaluating), so the upset is seen by the edge that ends cycle c.
//
// Nets (single-event transients): an `inj` on a net inverts the net's settled value for the
// evaluation that precedes the edge ending cycle c: in that cycle's tick the inputs are
// driven and the logic settles, then the struck bits are forced to the opposite of their
// settled value and the logic settles again, the clock rises (the flops the net feeds capture
// the wrong value), and the force is released and the logic settles once more before the
// outputs are sampled. A `stuck` on a net forces its bits from the middle of cycle c to the
// end of the run. Verilator re-evaluates the logic a force control signal feeds when it
// changes, as for any variable the logic reads.
//
// Speed: the parent advances one model through the workload and takes a snapshot at each
// injection's cycle (see run_batch), from which the faulty continuation runs. The
// continuation compares the complete design state with snapshots of the golden run every
// `checkpoint` cycles; once equal (and the outputs so far agree), the rest of the run is
// the golden run and the injection is masked without simulating it.
//
// Traps: an upset may make the design stop the simulation ($fatal, $stop, $error, a failed
// immediate assertion, $finish before done, or Verilator's own "did not converge" check).
// Verilator ends every one of them in vl_fatal or vl_finish, which this file replaces
// (built with -DVL_USER_FATAL -DVL_USER_FINISH): they throw a Trap, the continuation
// catches it and reports the injection as "crash" with the message, and the parent carries
// on from its snapshot (a byte copy is restored over whatever the interrupted evaluation
// left; a forked child simply ends). Whatever the model prints ($display, the "%Fatal: ..."
// line) goes to a small buffer, never into the protocol, which has its own file descriptor.
// An evaluation that never returns cannot be caught here: the Python side's watchdog kills
// the process group (this process and a forked child) and records a hang. The engine dies
// with its parent (PR_SET_PDEATHSIG), so a killed campaign leaves no engine spinning.

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "Vtop.h"
#include "Vtop___024root.h"
#include "engine_design.h"
#include "verilated.h"
#include "verilated_syms.h"
#ifdef OBT_TRACE
#include "verilated_fst_c.h"
#endif

// What the replaced vl_fatal / vl_finish throw out of the model's evaluation.
struct Trap {
    std::string what;
    bool finish;
};

namespace {

FILE* g_proto = nullptr;     // the protocol (the original stdout)
std::string g_model_out;     // the tail of what the model printed since the run began

// The model's stdout: keeps the last few kB, so a chatty design neither fills a pipe nor
// corrupts the protocol, and a trap's "%Fatal: ..." line can be reported.
ssize_t model_out_write(void*, const char* buf, size_t n) {
    g_model_out.append(buf, n);
    if (g_model_out.size() > 8192) g_model_out.erase(0, g_model_out.size() - 4096);
    return static_cast<ssize_t>(n);
}

std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    const size_t a = text.find_first_not_of(' '), b = text.find_last_not_of(' ');
    text = a == std::string::npos ? std::string() : text.substr(a, b - a + 1);
    if (text.size() > 300) text = text.substr(0, 297) + "...";
    return text;
}

// The trap's message: the "%Fatal/%Error: file:line: ..." line the model printed just before
// ($fatal, $error, assertions), else "file:line: what Verilator says".
[[noreturn]] void trap(const char* file, int line, const char* msg, bool finish) {
    std::fflush(stdout);
    std::string printed;
    size_t end = g_model_out.size();
    while (end > 0 && printed.empty()) {
        const size_t start = g_model_out.rfind('\n', end - 1);
        const size_t from = start == std::string::npos ? 0 : start + 1;
        std::string l = g_model_out.substr(from, end - from);
        if (l.find("%Fatal") != std::string::npos || l.find("%Error") != std::string::npos)
            printed = l;
        end = start == std::string::npos ? 0 : start;
    }
    if (!printed.empty() && printed[0] == '[' && printed.find("] ") != std::string::npos)
        printed = printed.substr(printed.find("] ") + 2);  // "[0] %Fatal: ...": no sim time
    std::string where = file ? file : "?";  // as Verilator got it: keep the file name only
    if (where.rfind('/') != std::string::npos) where = where.substr(where.rfind('/') + 1);
    std::string what = printed.empty() || finish || std::strcmp(msg, "Verilog $stop") != 0
        ? where + ":" + std::to_string(line) + ": " + msg
        : printed;
    throw Trap{one_line(what), finish};
}

}  // namespace

// Verilator's end-of-simulation hooks (VL_USER_FATAL, VL_USER_FINISH): see "Traps" above.
void vl_fatal(const char* filename, int linenum, const char* hier, const char* msg) {
    (void)hier;
    trap(filename, linenum, msg, false);
}

void vl_finish(const char* filename, int linenum, const char* hier) {
    (void)hier;
    trap(filename, linenum, "Verilog $finish before done", true);
}

namespace {

[[noreturn]] void fail(const std::string& msg) {
    std::fprintf(stderr, "engine: %s\n", msg.c_str());
    std::fflush(stderr);
    std::_Exit(2);
}

struct Var {
    std::string scope, name, path;
    uint8_t* data = nullptr;  // for a net: its driven (unforced) value
    bool net = false;
    uint8_t* force_en = nullptr;  // a net's force enable and value, per bit like data
    uint8_t* force_val = nullptr;
    size_t elem_bytes = 0;  // storage bytes per element
    uint32_t elem_bits = 0;
    uint32_t elems = 1;
    size_t bytes() const { return elem_bytes * elems; }
};

struct Event {
    int var;
    bool detected;
    std::vector<uint8_t> mask;  // per byte of one element
    std::vector<uint8_t> golden;
};

struct WordSpec {
    uint64_t data = ~0ull, corr = 0, det = 0;
};

struct Flip {
    int var;
    uint32_t elem, bit;
};

struct Injection {
    long long id;
    uint64_t cycle;
    std::vector<Flip> flips;
    int stuck = -1;  // -1: the bits flip once; 0 or 1: they are stuck at that value
    bool transient = false;  // flips on nets: a single-event transient (see tick)
};

struct Result {
    const char* outcome = "masked";
    uint64_t sim_cycles = 0, end_cycle = 0, wrong = 0, max_err = 0;
    bool early = false;
    std::string message;  // why a crash stopped
    std::string words;    // observe_words: "IDX:HEX,..." of the wrong data words
};

std::vector<Var> g_vars;
std::vector<int> g_state;
std::vector<int> g_observe;  // internal observation points (after the ports' words)
std::vector<std::pair<int, std::pair<uint32_t, std::vector<uint8_t>>>> g_preload;
std::vector<Event> g_events;
WordSpec g_word_default;
std::vector<std::pair<size_t, WordSpec>> g_word_over;
std::vector<WordSpec> g_words;  // per golden output word (after golden)
uint32_t g_elem_bits = 64;
bool g_elem_signed = false;
bool g_observe_words = false;
uint64_t g_reset_cycles = 2, g_max_cycles = 100000000, g_hang_extra = 1000, g_checkpoint = 64;
double g_hang_factor = 2.0;

// Stimulus (trace-driven designs): (cycle, input, value bytes) sorted by cycle; the
// engine's own ports (clock, reset) are never in it.
struct Stim {
    long long cycle;
    int input;
    std::vector<uint8_t> bytes;
};
std::vector<Stim> g_stim;
std::vector<size_t> g_stim_at;  // g_stim_at[c]: first stimulus entry of cycle c (after load)
uint64_t g_stim_end = 0;

// Golden run.
uint64_t g_T = 0;
std::vector<uint64_t> g_out;
std::vector<std::vector<uint8_t>> g_snap;  // state at cycles k*checkpoint
std::vector<uint64_t> g_snap_outs;         // output words emitted by then
size_t g_state_bytes = 0;

std::vector<uint8_t> parse_hex(const std::string& hex, size_t bytes) {
    std::vector<uint8_t> out(bytes, 0);
    size_t nib = 0;
    for (size_t i = hex.size(); i-- > 0 && nib / 2 < bytes; ++nib) {
        const char c = hex[i];
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else fail("bad hex digit in '" + hex + "'");
        out[nib / 2] |= static_cast<uint8_t>(v << (4 * (nib % 2)));
    }
    return out;
}

// Point v at its storage in the model of ctx (every model has its own).
void bind(Var& v, const VerilatedContext* ctx) {
    const VerilatedScope* sp = ctx->scopeFind(v.scope.c_str());
    if (!sp) fail("no scope '" + v.scope + "' (is the variable public?)");
    const VerilatedVar* vp = sp->varFind(v.name.c_str());
    if (!vp) fail("no variable '" + v.name + "' in scope '" + v.scope + "'");
    v.data = static_cast<uint8_t*>(vp->datap());
    v.elem_bytes = vp->entSize();
    v.elem_bits = vp->entBits();
    v.elems = 1;
    for (int d = 0; d < vp->udims(); ++d) v.elems *= vp->unpackedRanges()[d].elements();
    if (v.net) {
        const VerilatedForceControlSignals* force = vp->forceControlSignals();
        if (!force || !force->forceEnableSignalp || !force->forceValueSignalp)
            fail("net '" + v.path + "' is not forceable (no forceable line in the control file)");
        if (v.elems != 1) fail("net '" + v.path + "' has unpacked dimensions");
        v.force_en = static_cast<uint8_t*>(force->forceEnableSignalp->datap());
        v.force_val = static_cast<uint8_t*>(force->forceValueSignalp->datap());
    }
}

// --- trace-driven stimulus: inputs indexed by cycle, so a snapshot (a byte copy of the model
// root, which holds the input ports, or a fork) restores the trace position with the cycle.
void index_stimulus() {
    std::stable_sort(g_stim.begin(), g_stim.end(),
                     [](const Stim& a, const Stim& b) { return a.cycle < b.cycle; });
    long long last = g_stim.empty() ? -1 : g_stim.back().cycle;
    g_stim_at.assign(static_cast<size_t>(last + 2) + 1, g_stim.size());
    for (size_t i = g_stim.size(); i-- > 0;)
        g_stim_at[static_cast<size_t>(g_stim[i].cycle + 1)] = i;
    for (size_t c = g_stim_at.size() - 1; c-- > 0;)
        g_stim_at[c] = std::min(g_stim_at[c], g_stim_at[c + 1]);
}

// Set the inputs the stimulus changes in cycle `cycle` (-1: before reset); later cycles keep
// the last values.
void drive_inputs(Vtop* top, long long cycle) {
    const size_t slot = static_cast<size_t>(cycle + 1);
    if (slot + 1 >= g_stim_at.size()) return;
    for (size_t i = g_stim_at[slot]; i < g_stim_at[slot + 1]; ++i) {
        void* ptr = nullptr;
        size_t bytes = 0;
        obt_input(top, g_stim[i].input, &ptr, &bytes);
        std::memcpy(ptr, g_stim[i].bytes.data(), bytes);
    }
}

// Observation points: each is pushed as 64-bit words, least significant first.
template <class F> inline void obt_push(uint64_t v, F&& push) { push(v); }
template <std::size_t N, class F> inline void obt_push(const VlWide<N>& v, F&& push) {
    for (std::size_t i = 0; i < N; i += 2)
        push(static_cast<uint64_t>(v[i])
             | (i + 1 < N ? static_cast<uint64_t>(v[i + 1]) << 32 : 0ull));
}

// Internal observation points: each element of each variable as 64-bit words (least
// significant first; Verilator stores every width little-endian: C/S/I/QData or 32-bit words).
template <class F> inline void obt_push_vars(F&& push) {
    for (int id : g_observe) {
        const Var& v = g_vars[id];
        const size_t words = (v.elem_bits + 63) / 64;
        for (uint32_t e = 0; e < v.elems; ++e) {
            const uint8_t* p = v.data + e * v.elem_bytes;
            for (size_t k = 0; k < words; ++k) {
                uint64_t w = 0;
                for (size_t b = 0; b < 8 && k * 8 + b < v.elem_bytes; ++b)
                    w |= static_cast<uint64_t>(p[k * 8 + b]) << (8 * b);
                const uint32_t left = v.elem_bits - static_cast<uint32_t>(64 * k);
                if (left < 64) w &= (1ull << left) - 1;
                push(w);
            }
        }
    }
}

// Read directives from f up to its end or a line "end".
void load_config(std::istream& f, VerilatedContext* ctx) {
    std::string line;
    while (std::getline(f, line)) {
        std::istringstream in(line);
        std::string key;
        if (!(in >> key) || key[0] == '#') continue;
        if (key == "end") break;
        if (key == "var") {
            size_t id;
            std::string scope, name;
            in >> id >> scope;
            in.get();  // one space; the name is the rest of the line (escaped names end in ' ')
            std::getline(in, name);
            if (id != g_vars.size()) fail("var ids must be consecutive from 0");
            Var v;
            v.scope = scope;
            v.name = name;
            v.path = scope + "." + name;
            g_vars.push_back(v);
            bind(g_vars.back(), ctx);
        } else if (key == "state") {
            int id;
            in >> id;
            g_state.push_back(id);
        } else if (key == "net") {
            size_t id;
            in >> id;
            if (in.fail() || id >= g_vars.size()) fail("net: no variable in: " + line);
            g_vars[id].net = true;
            bind(g_vars[id], ctx);
        } else if (key == "preload") {
            int id;
            uint32_t elem;
            std::string hex;
            in >> id >> elem >> hex;
            g_preload.push_back({id, {elem, parse_hex(hex, g_vars.at(id).elem_bytes)}});
        } else if (key == "event") {
            Event e;
            std::string kind, hex;
            in >> e.var >> kind >> hex;
            e.detected = kind == "D";
            e.mask = parse_hex(hex, g_vars.at(e.var).elem_bytes);
            g_events.push_back(e);
        } else if (key == "word_default" || key == "word") {
            size_t idx = 0;
            if (key == "word") in >> idx;
            std::string d, c, t;
            in >> d >> c >> t;
            WordSpec w{std::stoull(d, nullptr, 16), std::stoull(c, nullptr, 16),
                       std::stoull(t, nullptr, 16)};
            if (key == "word") g_word_over.push_back({idx, w});
            else g_word_default = w;
        } else if (key == "elem_bits") {
            in >> g_elem_bits;
            if (g_elem_bits < 1 || g_elem_bits > 64) fail("elem_bits must be 1..64");
        } else if (key == "observe_words") {
            int s = 0;
            in >> s;
            g_observe_words = s != 0;
        } else if (key == "elem_signed") {
            int s;
            in >> s;
            g_elem_signed = s != 0;
        } else if (key == "reset_cycles") {
            in >> g_reset_cycles;
        } else if (key == "max_cycles") {
            in >> g_max_cycles;
        } else if (key == "hang_factor") {
            in >> g_hang_factor;
        } else if (key == "hang_extra") {
            in >> g_hang_extra;
        } else if (key == "stim") {
            Stim st;
            std::string hex;
            in >> st.cycle >> st.input >> hex;
            void* ptr = nullptr;
            size_t bytes = 0;
            if (in.fail() || !obt_input(nullptr, st.input, &ptr, &bytes) || st.cycle < -1)
                fail("malformed stimulus line: " + line);
            st.bytes = parse_hex(hex, bytes);
            g_stim.push_back(std::move(st));
        } else if (key == "observe") {
            int id;
            in >> id;
            if (in.fail() || id < 0 || static_cast<size_t>(id) >= g_vars.size())
                fail("observe: no variable " + std::to_string(id));
            g_observe.push_back(id);
        } else if (key == "stim_end") {
            in >> g_stim_end;
        } else if (key == "checkpoint") {
            in >> g_checkpoint;
            if (g_checkpoint == 0) fail("checkpoint must be positive");
        } else {
            fail("unknown config directive '" + key + "'");
        }
        if (in.fail()) fail("malformed config line: " + line);
    }
    for (int id : g_state) g_state_bytes += g_vars.at(id).bytes();
    index_stimulus();
}

// Force the struck bits of a transient to the opposite of their settled (driven) value, or
// release them.
void force_transient(const Injection& inj, bool on) {
    for (const Flip& f : inj.flips) {
        const Var& v = g_vars[f.var];
        const size_t byte = f.bit / 8;
        const uint8_t mask = static_cast<uint8_t>(1u << (f.bit % 8));
        if (on) {
            v.force_val[byte] = static_cast<uint8_t>((v.force_val[byte] & ~mask)
                                                     | (~v.data[byte] & mask));
            v.force_en[byte] |= mask;
        } else {
            v.force_en[byte] &= static_cast<uint8_t>(~mask);
            v.force_val[byte] &= static_cast<uint8_t>(~mask);
        }
    }
}

// --- the model ----------------------------------------------------------------------------

struct Sim {
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Vtop> top;
    uint64_t cycle = 0;  // cycles since reset
    bool running = false;  // out of reset: the stimulus drives the inputs
    bool prev_valid = false;  // the valid strobe in the cycle before (strobe on its rise)

    bool rise(bool valid) {
        const bool r = valid && !prev_valid;
        prev_valid = valid;
        return r;
    }
#ifdef OBT_TRACE
    std::unique_ptr<VerilatedFstC> trace;
    uint64_t time = 0;
#endif

    // One clock cycle; `transient`: the single-event transient on nets of this cycle (see
    // "Nets" above).
    void tick(const Injection* transient = nullptr) {
        if (running) drive_inputs(top.get(), static_cast<long long>(cycle));
        top->OBT_CLK = 0;
        top->eval();
        if (transient) {
            force_transient(*transient, true);
            top->eval();
        }
#ifdef OBT_TRACE
        if (trace) trace->dump(time++);
#endif
        top->OBT_CLK = 1;
        top->eval();
        if (transient) {
            force_transient(*transient, false);
            top->eval();
        }
#ifdef OBT_TRACE
        if (trace) trace->dump(time++);
#endif
    }
};

void start(Sim& s, const char* waves) {
    s.ctx = std::make_unique<VerilatedContext>();
#ifdef OBT_TRACE
    if (waves) s.ctx->traceEverOn(true);
#else
    (void)waves;
#endif
    s.top = std::make_unique<Vtop>(s.ctx.get(), "top");
    for (Var& v : g_vars) bind(v, s.ctx.get());
    s.top->OBT_CLK = 0;
    s.top->OBT_RST = OBT_RST_ON;
    s.top->eval();  // initial blocks (memory initialisation) run here, before the preload
#ifdef OBT_TRACE
    if (waves) {
        s.trace = std::make_unique<VerilatedFstC>();
        s.top->trace(s.trace.get(), 99);
        s.trace->open(waves);
    }
#endif
}

// The observation points of s: the ports (the generated header), then internal variables.
template <class F> inline void observe(Sim& s, F&& push) {
    OBT_OBSERVE(s, push);
    obt_push_vars(push);
}

void reset(Sim& s) {
    for (auto& p : g_preload) {
        const Var& v = g_vars.at(p.first);
        if (p.second.first >= v.elems) fail("preload element out of range for " + v.path);
        std::memcpy(v.data + p.second.first * v.elem_bytes, p.second.second.data(), v.elem_bytes);
    }
    drive_inputs(s.top.get(), -1);
    s.running = false;
    s.top->OBT_RST = OBT_RST_ON;
    for (uint64_t i = 0; i < g_reset_cycles; ++i) s.tick();
    s.top->OBT_RST = !OBT_RST_ON;
    s.cycle = 0;
    s.running = true;
    s.prev_valid = false;
}


void snapshot(std::vector<uint8_t>& buf) {
    buf.resize(g_state_bytes);
    size_t off = 0;
    for (int id : g_state) {
        const Var& v = g_vars[id];
        std::memcpy(buf.data() + off, v.data, v.bytes());
        off += v.bytes();
    }
}

bool state_equals(const std::vector<uint8_t>& buf) {
    size_t off = 0;
    for (int id : g_state) {
        const Var& v = g_vars[id];
        if (std::memcmp(buf.data() + off, v.data, v.bytes()) != 0) return false;
        off += v.bytes();
    }
    return true;
}

void golden(const char* waves) {
    Sim s;
    start(s, waves);
    g_out.clear();
    g_snap.clear();
    g_snap_outs.clear();
    g_T = 0;
    g_model_out.clear();
    try {
        reset(s);
        for (;;) {
            if (s.cycle % g_checkpoint == 0) {
                g_snap.emplace_back();
                snapshot(g_snap.back());
                g_snap_outs.push_back(g_out.size());
            }
            s.tick();
            ++s.cycle;
            if (OBT_IS_VALID(s)) observe(s, [&](uint64_t w) { g_out.push_back(w); });
            if (OBT_IS_DONE(s)) break;
            if (s.cycle >= g_max_cycles) {
                std::fprintf(g_proto,
                             "trap %llu timeout " OBT_DONE_NAME " did not rise within %llu cycles\n",
                             static_cast<unsigned long long>(s.cycle),
                             static_cast<unsigned long long>(g_max_cycles));
                std::fflush(g_proto);
                return;
            }
        }
    } catch (const Trap& t) {  // the design ended its own fault-free run
        std::fprintf(g_proto, "trap %llu %s %s\n", static_cast<unsigned long long>(s.cycle),
                     t.finish ? "finish" : "stop", t.what.c_str());
        std::fflush(g_proto);
        return;
    }
    g_T = s.cycle;
    for (auto& e : g_events) {
        const Var& v = g_vars.at(e.var);
        e.golden.assign(v.data, v.data + v.elem_bytes);
    }
    g_words.assign(g_out.size(), g_word_default);
    for (auto& o : g_word_over)
        if (o.first < g_words.size()) g_words[o.first] = o.second;
    std::fprintf(g_proto, "golden %llu %zu", static_cast<unsigned long long>(g_T), g_out.size());
    for (uint64_t w : g_out) std::fprintf(g_proto, " %llx", static_cast<unsigned long long>(w));
    std::fprintf(g_proto, "\n");
    std::fflush(g_proto);
#ifdef OBT_TRACE
    if (s.trace) s.trace->close();
#endif
}

inline int64_t element(uint64_t word, uint32_t pos) {
    const uint64_t m = g_elem_bits == 64 ? ~0ull : ((1ull << g_elem_bits) - 1);
    uint64_t v = (word >> pos) & m;
    if (g_elem_signed && g_elem_bits < 64 && (v >> (g_elem_bits - 1)) & 1) v |= ~m;
    return static_cast<int64_t>(v);
}

struct OutCheck {
    size_t count = 0;
    uint64_t wrong = 0, max_err = 0;
    bool data_bad = false, corr = false, det = false;
    std::string words;  // observe_words: the wrong data words

    void note(size_t idx, uint64_t w) {
        if (!g_observe_words) return;
        char buf[48];
        std::snprintf(buf, sizeof buf, "%s%zu:%llx", words.empty() ? "" : ",", idx,
                      static_cast<unsigned long long>(w));
        words += buf;
    }

    void add(uint64_t w) {
        if (count >= g_out.size()) {  // more words than the golden run
            data_bad = true;
            ++wrong;
            note(count, w);
            ++count;
            return;
        }
        const uint64_t g = g_out[count];
        const WordSpec& spec = g_words[count];
        ++count;
        const uint64_t diff = w ^ g;
        if (!diff) return;
        if (diff & spec.corr) corr = true;
        if (diff & spec.det) det = true;
        if (!(diff & spec.data)) return;
        note(count - 1, w);
        for (uint32_t pos = 0; pos < 64; pos += g_elem_bits) {
            const uint64_t m = (g_elem_bits == 64 ? ~0ull : ((1ull << g_elem_bits) - 1)) << pos;
            if (!(diff & spec.data & m)) continue;
            data_bad = true;
            ++wrong;
            const int64_t a = element(w, pos), b = element(g, pos);
            const uint64_t err = a > b ? static_cast<uint64_t>(a) - static_cast<uint64_t>(b)
                                       : static_cast<uint64_t>(b) - static_cast<uint64_t>(a);
            max_err = std::max(max_err, err);
        }
    }
};

void apply(const Injection& inj) {
    for (const Flip& f : inj.flips) {
        const Var& v = g_vars.at(f.var);
        if (f.elem >= v.elems || f.bit >= v.elem_bits)
            fail("flip out of range: " + v.path + "[" + std::to_string(f.elem) + "] bit "
                 + std::to_string(f.bit));
        if (inj.transient) continue;  // forced inside the next tick
        v.data[f.elem * v.elem_bytes + f.bit / 8] ^= static_cast<uint8_t>(1u << (f.bit % 8));
    }
}

// Stuck-at: the stored bits are forced to the stuck value in the middle of the injection's
// cycle and of every later cycle (after each edge, before the next), so every edge from the
// one ending the injection cycle on sees them stuck, as it sees a flipped bit. Outputs are
// sampled right after each edge, as for every injection.
// A net is forced instead (its force enable and value), which holds until the run ends.
void apply_stuck(const Injection& inj) {
    for (const Flip& f : inj.flips) {
        const Var& v = g_vars.at(f.var);
        const uint8_t mask = static_cast<uint8_t>(1u << (f.bit % 8));
        if (v.net) v.force_en[f.bit / 8] |= mask;
        uint8_t& byte = (v.net ? v.force_val : v.data)[f.elem * v.elem_bytes + f.bit / 8];
        byte = inj.stuck ? static_cast<uint8_t>(byte | mask) : static_cast<uint8_t>(byte & ~mask);
    }
}

void apply_fault(const Injection& inj) {
    if (inj.stuck < 0) {
        apply(inj);
        return;
    }
    for (const Flip& f : inj.flips) {
        const Var& v = g_vars.at(f.var);
        if (f.elem >= v.elems || f.bit >= v.elem_bits)
            fail("stuck bit out of range: " + v.path + "[" + std::to_string(f.elem) + "] bit "
                 + std::to_string(f.bit));
    }
    apply_stuck(inj);
}

// The faulty continuation from s (at inj.cycle, outputs so far = golden prefix).
Result continue_faulty(Sim& s, const Injection& inj, size_t outs_so_far, bool early_stop) {
    apply_fault(inj);
    // A stuck fault persists: equal state at a checkpoint does not mean it is masked.
    early_stop = early_stop && inj.stuck < 0;
    OutCheck out;
    out.count = outs_so_far;
    Result r;
    const uint64_t bound = static_cast<uint64_t>(g_hang_factor * g_T) + g_hang_extra;
    const uint64_t start_cycle = s.cycle;
    bool done = false;
    const Injection* transient = inj.transient ? &inj : nullptr;  // in the first tick only
    g_model_out.clear();
    try {
        while (s.cycle < bound) {
            s.tick(transient);
            transient = nullptr;
            ++s.cycle;
            if (OBT_IS_VALID(s)) observe(s, [&](uint64_t w) { out.add(w); });
            if (inj.stuck >= 0) apply_stuck(inj);
            if (OBT_IS_DONE(s)) {
                done = true;
                break;
            }
            if (early_stop && s.cycle % g_checkpoint == 0 && !out.data_bad && !out.corr
                && !out.det) {
                const size_t k = s.cycle / g_checkpoint;
                if (k < g_snap.size() && g_snap_outs[k] == out.count && state_equals(g_snap[k])) {
                    r.early = true;
                    break;
                }
            }
        }
    } catch (const Trap& t) {  // the edge ending cycle s.cycle stopped the simulation
        r.outcome = "crash";
        r.message = t.what;
        r.end_cycle = s.cycle + 1;
        r.sim_cycles = r.end_cycle - start_cycle;
        // Verilator's $stop returns early once gotFinish is set: clear it for the next run.
        s.ctx->gotFinish(false);
        s.ctx->gotError(false);
        s.ctx->errorCount(0);
        return r;
    }
    r.sim_cycles = s.cycle - start_cycle;
    r.end_cycle = s.cycle;
    if (r.early) return r;  // identical to the golden run from here on: masked
    if (!done) {
        r.outcome = "hang";
        return r;
    }
    if (out.count != g_out.size()) {
        out.data_bad = true;
        if (out.count < g_out.size()) out.wrong += g_out.size() - out.count;
    }
    for (const Event& e : g_events) {
        const Var& v = g_vars.at(e.var);
        for (size_t b = 0; b < v.elem_bytes; ++b) {
            if ((v.data[b] ^ e.golden[b]) & e.mask[b]) {
                (e.detected ? out.det : out.corr) = true;
                break;
            }
        }
    }
    r.wrong = out.wrong;
    r.max_err = out.max_err;
    r.words = out.words;
    if (out.det) r.outcome = "due";
    else if (out.data_bad) r.outcome = "sdc";
    else if (out.corr) r.outcome = "corrected";
    return r;
}

// The result of one injection as the engine prints it after "res ID ".
std::string format_result(const Result& r) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s %llu %llu %llu %llu %d", r.outcome,
                  static_cast<unsigned long long>(r.sim_cycles),
                  static_cast<unsigned long long>(r.end_cycle),
                  static_cast<unsigned long long>(r.wrong),
                  static_cast<unsigned long long>(r.max_err), r.early ? 1 : 0);
    if (!r.words.empty()) return std::string(buf) + " @w " + r.words;
    if (r.message.empty()) return buf;
    return std::string(buf) + " " + one_line(r.message);
}

// Run one faulty continuation in a forked child (copy-on-write snapshot of the process).
std::string run_forked(Sim& s, const Injection& inj, size_t outs, bool early_stop) {
    int fds[2];
    if (pipe(fds) != 0) fail("pipe failed");
    std::fflush(g_proto);
    // No prepareClone()/atClone(): they stop and restart the model's worker threads around
    // a fork, and this model is built single-threaded (measured: they cost two thread
    // creations per injection).
    const pid_t pid = fork();
    if (pid < 0) fail(std::string("fork failed: ") + std::strerror(errno));
    if (pid == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);  // the parent was killed (watchdog): go too
#endif
        close(fds[0]);
        const std::string text = format_result(continue_faulty(s, inj, outs, early_stop));
        const ssize_t n = static_cast<ssize_t>(text.size());
        if (write(fds[1], text.data(), n) != n) std::_Exit(3);
        std::_Exit(0);
    }
    close(fds[1]);
    std::string text;
    char buf[1024];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {  // the model itself crashed (a trap is caught in the child)
        Result r;
        r.outcome = "crash";
        r.end_cycle = s.cycle;
        const int sig = WTERMSIG(status);
        r.message = "the model crashed with signal " + std::to_string(sig) + " ("
                    + strsignal(sig) + ")";
        return format_result(r);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty())
        fail("injection " + std::to_string(inj.id) + " child failed (status "
             + std::to_string(status) + ")");
    return text;
}

// Parent advances one model through the workload; each faulty continuation starts from a
// snapshot of it at the injection's cycle. Snapshots are either a fork (copy-on-write of the
// whole process: always faithful, ~0.2-0.5 ms per injection on the machines measured) or a
// byte copy of the model's root object saved before and restored after the continuation
// (microseconds). The copy is faithful when the root object holds the whole model, as for
// flattened designs; the parent checks it: at every checkpoint its state must equal the
// golden run's, else the engine stops and asks for fork snapshots.
void run_batch(std::vector<Injection>& batch, bool early_stop, bool fork_snapshots) {
    std::stable_sort(batch.begin(), batch.end(),
                     [](const Injection& a, const Injection& b) { return a.cycle < b.cycle; });
    Sim s;
    start(s, nullptr);
    reset(s);
    size_t outs = 0;
    std::vector<uint8_t> saved(sizeof(Vtop___024root));
    for (const Injection& inj : batch) {
        if (inj.cycle >= g_T) fail("injection cycle beyond the workload");
        while (s.cycle < inj.cycle) {
            s.tick();
            ++s.cycle;
            if (OBT_IS_VALID(s)) observe(s, [&](uint64_t) { ++outs; });
            if (s.cycle % g_checkpoint == 0 && !state_equals(g_snap[s.cycle / g_checkpoint]))
                fail("the model diverged from the golden run at cycle "
                     + std::to_string(s.cycle) + (fork_snapshots ? ""
                     : "; copy snapshots are not faithful for this design: use --snapshot fork"));
        }
        std::string text;
        if (fork_snapshots) {
            text = run_forked(s, inj, outs, early_stop);
        } else {
            const uint64_t cycle = s.cycle;
            const bool prev_valid = s.prev_valid;
            std::memcpy(saved.data(), static_cast<void*>(s.top->rootp), saved.size());
            text = format_result(continue_faulty(s, inj, outs, early_stop));
            std::memcpy(static_cast<void*>(s.top->rootp), saved.data(), saved.size());
            s.cycle = cycle;
            s.prev_valid = prev_valid;
        }
        std::fprintf(g_proto, "res %lld %s\n", inj.id, text.c_str());
        std::fflush(g_proto);
    }
}

}  // namespace

namespace {

// Flips on nets are a transient; a flip may not mix nets and stored bits.
void mark_transient(Injection& inj, const std::string& line) {
    size_t nets = 0;
    for (const Flip& f : inj.flips) {
        if (f.var < 0 || static_cast<size_t>(f.var) >= g_vars.size())
            fail("no variable " + std::to_string(f.var) + " in: " + line);
        nets += g_vars[f.var].net;
    }
    if (nets && nets != inj.flips.size()) fail("an injection mixes nets and stored bits: " + line);
    inj.transient = nets > 0;
}

Injection parse_stuck(std::istringstream& in, const std::string& line) {
    Injection inj;
    size_t n;
    in >> inj.id >> inj.cycle >> inj.stuck >> n;
    for (size_t i = 0; i < n && in; ++i) {
        Flip f;
        in >> f.var >> f.elem >> f.bit;
        inj.flips.push_back(f);
    }
    if (in.fail() || (inj.stuck != 0 && inj.stuck != 1)) fail("malformed stuck fault: " + line);
    return inj;
}

int serve(int argc, char** argv) {
    if (std::string(argv[1]) == "--scopes") {  // list the public scopes and variables
        Sim probe;
        start(probe, nullptr);
        for (const auto& it : *probe.ctx->scopeNameMap()) {
            std::fprintf(g_proto, "%s\n", it.first);
            if (const VerilatedVarNameMap* vars = it.second->varsp())
                for (const auto& v : *vars) std::fprintf(g_proto, "  %s\n", v.first);
        }
        return 0;
    }
    {
        // Resolve variables against a throwaway context (scope tables are per model).
        Sim probe;
        start(probe, nullptr);
        if (std::string(argv[1]) == "-") {
            load_config(std::cin, probe.ctx.get());
        } else {
            std::ifstream f(argv[1]);
            if (!f) fail(std::string("cannot open config ") + argv[1]);
            load_config(f, probe.ctx.get());
        }
    }
    const char* waves = argc > 2 ? argv[2] : nullptr;
    std::vector<Injection> queue;
    bool early_stop = true, fork_snapshots = false;
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string cmd;
        if (!(in >> cmd)) continue;
        if (cmd == "golden") {
            golden(nullptr);
        } else if (cmd == "early_stop") {
            int on;
            in >> on;
            early_stop = on != 0;
        } else if (cmd == "snapshot") {
            std::string how;
            in >> how;
            if (how != "fork" && how != "copy") fail("snapshot must be fork or copy");
            fork_snapshots = how == "fork";
        } else if (cmd == "inj") {
            Injection inj;
            size_t n;
            in >> inj.id >> inj.cycle >> n;
            for (size_t i = 0; i < n; ++i) {
                Flip f;
                in >> f.var >> f.elem >> f.bit;
                inj.flips.push_back(f);
            }
            if (in.fail()) fail("malformed injection: " + line);
            mark_transient(inj, line);
            queue.push_back(std::move(inj));
        } else if (cmd == "stuck") {
            queue.push_back(parse_stuck(in, line));
        } else if (cmd == "run") {
            if (g_T == 0) fail("'run' before 'golden'");
            run_batch(queue, early_stop, fork_snapshots);
            queue.clear();
            std::fprintf(g_proto, "ok\n");
            std::fflush(g_proto);
        } else if (cmd == "replay") {
            if (g_T == 0 || queue.size() != 1) fail("'replay' needs 'golden' and one injection");
            Sim s;
            start(s, waves);
            reset(s);
            size_t outs = 0;
            while (s.cycle < queue[0].cycle) {
                s.tick();
                ++s.cycle;
                if (OBT_IS_VALID(s)) observe(s, [&](uint64_t) { ++outs; });
            }
            const std::string text = format_result(continue_faulty(s, queue[0], outs, false));
            std::fprintf(g_proto, "res %lld %s\n", queue[0].id, text.c_str());
#ifdef OBT_TRACE
            if (s.trace) s.trace->close();
#endif
            queue.clear();
            std::fprintf(g_proto, "ok\n");
            std::fflush(g_proto);
        } else if (cmd == "bench") {
            // Raw speed: repeat the fault-free workload from reset for SECONDS of wall time.
            double budget = 1.0;
            in >> budget;
            uint64_t cycles = 0, repeats = 0;
            const auto t0 = std::chrono::steady_clock::now();
            double elapsed = 0;
            do {
                Sim s;
                start(s, nullptr);
                reset(s);
                while (!(OBT_IS_DONE(s)) && s.cycle < g_max_cycles) {
                    s.tick();
                    ++s.cycle;
                }
                cycles += s.cycle;
                ++repeats;
                elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                              .count();
            } while (elapsed < budget);
            std::fprintf(g_proto, "bench %llu %llu %.9f\n",
                         static_cast<unsigned long long>(cycles),
                         static_cast<unsigned long long>(repeats), elapsed);
            std::fflush(g_proto);
        } else if (cmd == "quit") {
            break;
        } else {
            fail("unknown command '" + cmd + "'");
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the campaign that started us
#endif
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CONFIG|- [WAVES.fst]\n", argv[0]);
        return 2;
    }
    // The protocol keeps the original stdout; the model's prints go to a buffer (stdout is
    // an ordinary variable in glibc) and file descriptor 1 to stderr, so nothing the design
    // prints can reach the protocol.
    g_proto = fdopen(dup(1), "w");
    if (!g_proto || dup2(2, 1) < 0) fail("cannot set up the protocol stream");
    cookie_io_functions_t io{};
    io.write = model_out_write;
    FILE* model_out = fopencookie(nullptr, "w", io);
    if (!model_out) fail("cannot set up the model's output buffer");
    stdout = model_out;
    try {
        return serve(argc, argv);
    } catch (const Trap& t) {
        fail("the design stopped the simulation outside an injection: " + t.what);
    }
}
