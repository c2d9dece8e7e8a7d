"""Smart scripting for agents: scripts per intent with ordered steps, ticked off
from the transcript, suggested in the desk, enforced at resolve and measured."""
