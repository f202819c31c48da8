// trap_probe: a small design whose upsets stop the simulation, for the engine's robustness
// tests. Workload ports (clk, rst, done, out_valid, out_data; fault_campaigns.workload).
//
// After reset, cycle numbers count rising edges; the engine samples ports after each edge.
//   cnt   (16 b) the timer: done when cnt reaches T - 1
//   data  (16 b) loaded with DATA by the edge ending cycle 0, read out while cnt == L
//   arm   (7 b)  trap triggers: reset to 0, never written again. With TRAPS defined, a set
//                bit stops the simulation at the next rising edge:
//                  [0] $fatal   [1] $stop   [2] $error   [3] a failing immediate assertion
//                  [4] a combinational loop that never settles (Verilator's convergence
//                      check gives up)
//                  [5] an evaluation that never returns (a while loop that never ends)
//                  [6] $finish before done
//   spin  (8 b)  what the while loop leaves (0 unless it ran, which it never finishes)
// Output words (64 bit): [0] data at cnt == L, [1] {osc, spin, arm} at cnt == L + 1.
// Without TRAPS the trap statements are compiled out and nothing else changes: the same
// state and outputs, so a campaign draws the same plan and every injection that does not
// set an arm bit has the same outcome (an arm upset is then an SDC, via output word 1).
//
// GOLDEN_FINISH / GOLDEN_FATAL >= 0: the design calls $finish / $fatal in that cycle of
// every run, the fault-free one included (for the "design ended the golden run" errors).
module trap_probe #(
    parameter integer T = 60,
    parameter integer L = 40,
    parameter integer GOLDEN_FINISH = -1,
    parameter integer GOLDEN_FATAL = -1
) (
    input  wire        clk,
    input  wire        rst,
    output wire        done,
    output wire        out_valid,
    output wire [63:0] out_data
);
    localparam [15:0] DATA = 16'hA5C3;

    reg [15:0] cnt;
    reg [15:0] data;
    reg [6:0] arm;
    reg [7:0] spin;
    reg fin;

`ifdef TRAPS
    // The loop variable lives in the function, so the variants have the same state.
    function automatic [7:0] spin_forever(input go);
        integer k;
        begin
            k = 0;
            while (go) k = k + 1;
            spin_forever = k[7:0];
        end
    endfunction
    wire osc_a, osc_b;
    assign osc_a = arm[4] & ~osc_b;
    assign osc_b = osc_a;
`else
    wire osc_a = 1'b0;
`endif

    always @(posedge clk) begin
        if (rst) begin
            cnt <= 16'd0;
            data <= 16'd0;
            arm <= 7'd0;
            spin <= 8'd0;
            fin <= 1'b0;
        end else begin
            cnt <= cnt + 16'd1;
            if (cnt == 16'd0) data <= DATA;
            if (cnt == T[15:0] - 16'd1) fin <= 1'b1;
`ifdef TRAPS
            if (arm[0]) $fatal(1, "trap_probe: arm[0] set");
            if (arm[1]) $stop;
            if (arm[2]) $error("trap_probe: arm[2] set");
            assert (!arm[3]);
            spin <= spin_forever(arm[5]);
            if (arm[6]) $finish;
`else
            spin <= 8'd0;  // what spin_forever returns unless it never returns
`endif
            if (GOLDEN_FINISH >= 0 && cnt == GOLDEN_FINISH[15:0]) $finish;
            if (GOLDEN_FATAL >= 0 && cnt == GOLDEN_FATAL[15:0]) $fatal(1, "golden fatal");
        end
    end

    assign done = fin;
    assign out_valid = cnt == L[15:0] || cnt == L[15:0] + 16'd1;
    assign out_data = cnt == L[15:0] ? {48'd0, data} : {47'd0, osc_a, spin, arm};
endmodule
