// set_probe: a design whose single-event-transient outcomes are known by hand (test_set.py).
// Workload ports as examples/avf_probe. In cycle c (after reset) cnt == c; an SET in cycle c
// is seen by the edge that ends it. The combinational nets:
//   sum   (8 b)  cnt ^ KEY, captured by acc only in cycle LOAD: SDC there, masked elsewhere
//   load  (1 b)  acc's enable (cnt == LOAD): forced off in cycle LOAD, acc stays 0 (SDC);
//                forced on in a cycle after LOAD and before the read-out (cycles LOAD+1 ..
//                L-1), acc takes another value (SDC); otherwise masked
//   spare (8 b)  feeds dead_q, a register nothing reads: masked
//   shown (8 b)  feeds only the output port, no flop: masked (outputs are sampled after the
//                transient is released)
//   read_out (1 b) the output strobe, no flop: masked
// Output: one word {56'd0, acc ^ 8'h0F} in the cycle cnt == L.
module set_probe #(
    parameter integer T = 60,
    parameter integer LOAD = 10,
    parameter integer L = 40
) (
    input  wire        clk,
    input  wire        rst,
    output wire        done,
    output wire        out_valid,
    output wire [63:0] out_data
);
    localparam [7:0] KEY = 8'hA5;

    reg [15:0] cnt;
    reg [7:0] acc;
    reg [7:0] dead_q;
    reg fin;

    wire [7:0] sum = cnt[7:0] ^ KEY;
    wire load = cnt == LOAD[15:0];
    wire [7:0] spare = cnt[7:0] + 8'd3;
    wire [7:0] shown = acc ^ 8'h0F;
    wire read_out = cnt == L[15:0];

    always @(posedge clk) begin
        if (rst) begin
            cnt <= 16'd0;
            acc <= 8'd0;
            dead_q <= 8'd0;
            fin <= 1'b0;
        end else begin
            cnt <= cnt + 16'd1;
            if (load) acc <= sum;
            dead_q <= spare;
            if (cnt == T[15:0] - 16'd1) fin <= 1'b1;
        end
    end

    assign done = fin;
    assign out_valid = read_out;
    assign out_data = {56'd0, shown};
endmodule
