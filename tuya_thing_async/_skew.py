"""Clock-offset estimation from the server time ``t`` that every Tuya answer carries."""

from __future__ import annotations

#: Re-learn the offset whenever the server's time differs from ours by this much (ms).
RESYNC_MS = 60_000


class ClockOffset:
    """Server time minus local time, in milliseconds, as the NTP midpoint estimate
    ``t_server - (t_sent + t_received) / 2``; updated on a forced resync (the cloud said the
    request time was invalid) or when the estimate moves by ``RESYNC_MS`` or more."""

    def __init__(self) -> None:
        self.ms = 0.0

    def observe(self, server_ms: int, sent_ms: float, received_ms: float, *, force: bool) -> bool:
        """Take one reading; return whether the offset changed."""
        estimate = server_ms - (sent_ms + received_ms) / 2
        if force or abs(estimate - self.ms) >= RESYNC_MS:
            self.ms = estimate
            return True
        return False

    def server_ms(self, local_s: float) -> int:
        """The server's time in ms for the local wall-clock reading ``local_s`` (seconds)."""
        return int(local_s * 1000 + self.ms)
