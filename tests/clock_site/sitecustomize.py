"""Put a test's subprocess on the test session's clock (see tests/clock.py).

Only on ``PYTHONPATH`` of processes started by the test suite; it does nothing unless
``HYBRIDCX_TEST_CLOCK_OFFSET`` is set.
"""

import os

_offset = os.environ.get("HYBRIDCX_TEST_CLOCK_OFFSET")
if _offset:
    import time

    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()
