"""Runs `rasa run` (or the action server) with wall-clock timers around each stage of a turn.

Used by bench/profile_turns.py; not for production. The timers wrap, in the Rasa server:
the whole `MessageProcessor.handle_message` (server time of a turn, lock excluded), the tracker
store read (`SQLTrackerStore._retrieve` / in-memory `retrieve`, events replayed into a tracker
included), NLU (`_parse_message_with_graph`), slot extraction (`run_action_extract_slots`), each
policy prediction (`_predict_next_with_tracker`), each action by kind (custom actions over HTTP
to the action server, responses, action_listen…), building the action server's request body
(`RemoteAction._action_call_format`: tracker and domain as JSON) and the tracker store write
(`save`). In the action server: the whole `ActionExecutor.run` per action.
Totals are written as JSON to $BOUSSOLE_TIMINGS (rewritten at most once a second).

Usage: python bench/timed_rasa.py rasa run …   (or bot.rasa_ext.launch run …)
   or: python bench/timed_rasa.py rasa_sdk --actions …
"""

from __future__ import annotations

import atexit
import functools
import inspect
import json
import os
import sys
import time
from collections import defaultdict

OUT = os.environ.get("BOUSSOLE_TIMINGS", "/tmp/boussole-timings.json")
stats: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])  # count, wall s, cpu s
_last_dump = [0.0]


def dump(force: bool = False) -> None:
    now = time.monotonic()
    if force or now - _last_dump[0] > 1:
        _last_dump[0] = now
        with open(OUT + ".tmp", "w") as f:
            json.dump(
                {k: {"count": v[0], "wall_s": v[1], "cpu_s": v[2]} for k, v in stats.items()},
                f,
                indent=1,
            )
        os.replace(OUT + ".tmp", OUT)


atexit.register(dump, True)


def record(name: str, wall: float, cpu: float) -> None:
    s = stats[name]
    s[0] += 1
    s[1] += wall
    s[2] += cpu


def timed(owner, attribute: str, name=None) -> None:
    """Wraps owner.attribute (sync or async) with a timer; name may be a function of the args."""
    original = getattr(owner, attribute)
    label = name or f"{owner.__name__}.{attribute}"

    def key(args, kwargs):
        return label(*args, **kwargs) if callable(label) else label

    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def wrapper(*args, **kwargs):
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return await original(*args, **kwargs)
            finally:
                # cpu: thread CPU while this coroutine was running *or* others were (async):
                # only meaningful with one conversation at a time.
                record(key(args, kwargs), time.perf_counter() - t0, time.thread_time() - c0)
                if key(args, kwargs) == "turn (handle_message)":
                    dump()
    else:

        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                record(key(args, kwargs), time.perf_counter() - t0, time.thread_time() - c0)

    setattr(owner, attribute, wrapper)


def action_kind(processor, action_=None, *args, **kwargs) -> str:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.actions.forms import FormAction

    self = action_ or kwargs["action"]
    name = self.name()
    if isinstance(self, FormAction):
        return f"action: form {name} (validation on the action server)"
    if isinstance(self, RemoteAction):
        return f"action: custom {name} (HTTP to the action server)"
    if name.startswith("utter_"):
        return "action: utter_* responses"
    return f"action: {name}"


def patch_rasa() -> None:
    from rasa.core import tracker_store
    from rasa.core.actions import action, forms
    from rasa.core.processor import MessageProcessor

    timed(MessageProcessor, "handle_message", "turn (handle_message)")
    timed(MessageProcessor, "_parse_message_with_graph", "NLU (parse, spaCy + DIET)")
    timed(MessageProcessor, "run_action_extract_slots", "slot extraction (action_extract_slots)")
    timed(MessageProcessor, "_predict_next_with_tracker", "policies (one prediction)")
    timed(MessageProcessor, "_run_action", action_kind)
    timed(
        action.RemoteAction,
        "_action_call_format",
        "  building the action server request (tracker + domain)",
    )
    timed(action.RemoteAction, "run", "  custom action HTTP round trip (RemoteAction.run)")
    timed(forms.FormAction, "run", "  form action (FormAction.run, validation call included)")
    timed(
        tracker_store.SQLTrackerStore, "_retrieve", "tracker store read + replay (SQLTrackerStore)"
    )
    timed(tracker_store.SQLTrackerStore, "save", "tracker store write (SQLTrackerStore.save)")
    timed(tracker_store.InMemoryTrackerStore, "retrieve", "tracker store read + replay (in memory)")
    timed(tracker_store.InMemoryTrackerStore, "save", "tracker store write (in memory)")
    from rasa.shared.core.trackers import DialogueStateTracker

    timed(DialogueStateTracker, "current_state", "  tracker.current_state (serialising events)")


def apply_wins(wins: set[str]) -> None:
    """What-if patches measured by the benchmarks (not used in production), from
    $BOUSSOLE_BENCH_WINS (comma-separated):
    schema — validate the action server's answers with one compiled jsonschema validator instead
             of `jsonschema.validate()`, which re-checks Rasa's big response schema against the
             meta-schema on every call (≈ 40 ms of CPU per custom action call here). Measured
             here first; now part of the product (bot/rasa_ext/rasa_fixes.py), applied from there;
    sqlite — SQLite tracker store in WAL mode with synchronous=NORMAL (no fsync per turn)."""
    from rasa.core import tracker_store

    if "schema" in wins:
        from bot.rasa_ext import (
            rasa_fixes,  # the product's fix (also loaded through credentials.yml)
        )

        rasa_fixes.apply()
    if "sqlite" in wins:
        import sqlalchemy

        original = tracker_store.SQLTrackerStore.__init__

        def init(self, *args, **kwargs):
            original(self, *args, **kwargs)
            if self.engine.dialect.name == "sqlite":

                @sqlalchemy.event.listens_for(self.engine, "connect")
                def pragmas(connection, _record):
                    connection.execute("PRAGMA journal_mode=WAL")
                    connection.execute("PRAGMA synchronous=NORMAL")

                self.engine.dispose()  # reconnect with the pragmas

        tracker_store.SQLTrackerStore.__init__ = init


def patch_sdk() -> None:
    from rasa_sdk.executor import ActionExecutor

    def name(self, action_call, *a, **k):
        return f"action server: {action_call.get('next_action')}"

    timed(ActionExecutor, "run", name)
    original = ActionExecutor.run

    async def run_and_dump(self, action_call):
        try:
            return await original(self, action_call)
        finally:
            dump()

    ActionExecutor.run = run_and_dump


def main() -> None:
    program, sys.argv = sys.argv[1], [sys.argv[1], *sys.argv[2:]]
    import runpy

    if program in ("rasa", "bot.rasa_ext.launch"):  # the floor's stock Rasa, or Boussole's
        patch_rasa()
        apply_wins(set(filter(None, os.environ.get("BOUSSOLE_BENCH_WINS", "").split(","))))
        runpy.run_module(program, run_name="__main__", alter_sys=True)
    else:
        patch_sdk()
        runpy.run_module("rasa_sdk", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
