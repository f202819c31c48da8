// avf_probe: a tiny design whose fault-injection outcomes are known analytically, used by
// the engine's tests and as the README's "your own design" example. It follows the
// workload port convention (clk, rst, done, out_valid, out_data; fault_campaigns.workload).
//
// After reset, cycle numbers count rising edges. The engine samples ports after each edge.
//   data   (16 b)  loaded with DATA by the edge that ends cycle 0, read out while cnt == L
//   dead   (16 b)  loaded by reset, never read: every upset is masked
//   mem    (4x8 b) word 0 written (WORD0) in cycle 0 and read out with data; words 1..3 dead
//   tmr_q  (3x8 b) three copies of TMRV voted on output; a disagreement counts in `fixes`
//   par_q  (8 b) + par_p (1 b) even parity; a parity error at read-out sets `err`
//   cnt    (16 b)  the timer: done rises when cnt reaches T - 1
// Output words (64 bit): [0] = {mem[0], data} at cnt == L, [1] = {par_q, vote(tmr_q)}.
module avf_probe #(
    parameter integer T = 200,
    parameter integer L = 120
) (
    input  wire        clk,
    input  wire        rst,
    output wire        done,
    output wire        out_valid,
    output wire [63:0] out_data
);
    localparam [15:0] DATA = 16'hA5C3;
    localparam [7:0] WORD0 = 8'h5A, TMRV = 8'h3C, PARV = 8'h96;

    reg [15:0] cnt;
    reg [15:0] data;
    reg [15:0] dead;
    reg [7:0] mem[0:3];
    reg [7:0] tmr_q[0:2];
    reg [7:0] par_q;
    reg par_p;
    reg [7:0] fixes;
    reg err;
    reg fin;

    wire [7:0] voted = (tmr_q[0] & tmr_q[1]) | (tmr_q[1] & tmr_q[2]) | (tmr_q[0] & tmr_q[2]);
    wire tmr_bad = (tmr_q[0] != tmr_q[1]) || (tmr_q[1] != tmr_q[2]);
    wire read_out = cnt == L[15:0];

    always @(posedge clk) begin
        if (rst) begin
            cnt <= 16'd0;
            dead <= 16'h1234;
            data <= 16'd0;
            tmr_q[0] <= TMRV;
            tmr_q[1] <= TMRV;
            tmr_q[2] <= TMRV;
            par_q <= PARV;
            par_p <= ^PARV;
            fixes <= 8'd0;
            err <= 1'b0;
            fin <= 1'b0;
        end else begin
            cnt <= cnt + 16'd1;
            if (cnt == 16'd0) begin
                data <= DATA;
                mem[0] <= WORD0;
            end
            if (read_out) begin
                if (tmr_bad) fixes <= fixes + 8'd1;
                if ((^par_q) != par_p) err <= 1'b1;
            end
            if (cnt == T[15:0] - 16'd1) fin <= 1'b1;
        end
    end

    assign done = fin;
    assign out_valid = read_out || cnt == L[15:0] + 16'd1;
    assign out_data = read_out ? {32'd0, 8'd0, mem[0], data} : {48'd0, par_q, voted};
endmodule
