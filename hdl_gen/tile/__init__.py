"""The int8 GEMM tile: register file, controller, datapath, scratchpads and throttle.

:class:`GemmTile` (:mod:`.top`) joins five components, each testable alone:

* :class:`RegisterFile` (:mod:`.regfile`): the Wishbone target; region decode, registers,
  STATUS with its write-1-to-clear bits, irq, TMR and ECC diagnostics, the THERM_* window.
* :class:`Controller` (:mod:`.controller`): the command FSM (:class:`Ctrl`), loop counters,
  BUSY/DONE/ERROR and CYCLES.
* :class:`Datapath` (:mod:`.datapath`): operands into the systolic array, requantizers,
  result writes.
* :class:`Scratchpads` (:mod:`.scratchpads`): every scratchpad memory, bus and datapath side.
* :class:`~hdl_gen.throttle.ThrottleController`: thermal decisions and the datapath's clock
  enable.

Their interfaces are in :mod:`.signatures`.
"""

from .controller import Controller, Ctrl
from .datapath import Datapath
from .regfile import RegisterFile
from .scratchpads import Scratchpads
from .top import COMPONENTS, GemmTile

__all__ = ["GemmTile", "COMPONENTS", "Ctrl", "Controller", "Datapath", "RegisterFile",
           "Scratchpads"]
