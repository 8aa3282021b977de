"""Dedup and flapping settings: operator choices, with documented defaults.

These are data, not constants: the correlator's config may carry a ``dedup:`` section validated by
:class:`DedupSettings`; every field below has the default shown.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DedupSettings(BaseModel):
    """How raw raise/clear events become alarms.

    All durations are in seconds. Flapping and reordering are judged on the events' own times
    (``raised_at`` / ``cleared_at``), so a replay in the stream's time decides exactly as live;
    memories that only bound how long something is kept (orphan clears, event ids, cleared
    alarms) run on the injected clock.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    flap_threshold: int = Field(
        default=4, ge=2, description="state changes (raise->clear or clear->raise) that make an alarm flapping ..."
    )
    flap_window_s: float = Field(default=300, gt=0, description="... when they all fall within this many seconds")
    hold_down_s: float = Field(
        default=600,
        ge=0,
        description="flapping ends after this long without a state change; the alarm then takes its last state",
    )
    clear_before_raise_s: float = Field(
        default=3600, ge=0, description="how long a clear that came before its raise is kept waiting for the raise"
    )
    reorder_window_s: float = Field(
        default=3600,
        gt=0,
        description="how late (in event time) an event may arrive and still be placed exactly in an alarm's history;"
        " older edges are folded into a summary",
    )
    event_id_memory_s: float = Field(
        default=86400, ge=0, description="how long an event id is remembered to drop a redelivered event"
    )
    cleared_retention_s: float = Field(
        default=86400,
        ge=0,
        description="how long a cleared alarm stays in the book after its last event (it stays in the store)",
    )

    @model_validator(mode="after")
    def _windows(self) -> DedupSettings:
        if self.reorder_window_s < self.flap_window_s:
            raise ValueError(
                f"reorder_window_s ({self.reorder_window_s}) must be at least flap_window_s ({self.flap_window_s}):"
                " flapping is judged on the history the reorder window keeps"
            )
        return self
