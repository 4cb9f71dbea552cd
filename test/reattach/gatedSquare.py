def gated_square(i, gate, open_below):
    """i * i; calls from open_below on wait (bounded) until the file `gate` exists."""
    import os
    import time
    deadline = time.time() + 600
    while i >= open_below and not os.path.exists(gate) and time.time() < deadline:
        time.sleep(0.05)
    return i * i
