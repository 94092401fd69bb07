#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Run `make demo` as a newcomer would and check what appears on the terminal.

  check.py NAME SECONDS [--interrupt] [--dt] -- COMMAND...

Runs COMMAND (make demo ...), reads its stdout line by line as it comes
("topic payload", as mosquitto_sub -v prints them) and its stderr (the
summary).  With --interrupt it sends SIGINT, as Ctrl-C would, once every
windowed topic has been seen twice, instead of waiting for DEMO_SECONDS.
Then checks, one "PASS|FAIL NAME-check detail" line each:

  exit       the command exited 0, the summary says the guest stopped
             cleanly, no "demo: error:" line
  gwiod      gwiod exited 0 with nothing unacknowledged, refused or lost,
             and every health message shows nothing dropped or lost
  topics     every topic of demo/gwiod.yaml.in appeared
  birth-will the first message is the retained "online", the last "offline"
  ranges     every value within its documented range (docs/quickstart.md):
             temperatures with min <= mean <= max, the door 0/1 and
             alternating from 1, the flow's rate = count * 0.1 / 5 s and
             never above 15 L/min (+1 for rounding)
  flow       the pulses counted in the flow windows add up to the pulses
             the guest generated (summary: "flow pulses N")
  kernel     the summary shows each gwio device's produced/dropped records,
             nothing dropped
  (with --interrupt) interrupt: the demo ended well before DEMO_SECONDS
  (with --dt) the device-tree device is there too: service_button's
             presses (the host's system_powerdown) arrive as 1 then 0
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

SITE = "plant1"
TOPICS = ["boiler_temp", "tank_level", "door_open", "water_flow",
          "pump_vibration", "gwiod/status", "gwiod/status/health"]
WINDOWED = ["boiler_temp", "water_flow", "pump_vibration"]


def main():
    args = sys.argv[1:]
    name, seconds = args[0], int(args[1])
    opts = args[2:args.index("--")]
    interrupt = "--interrupt" in opts
    dt = "--dt" in opts
    cmd = args[args.index("--") + 1:]
    topics = TOPICS + (["service_button"] if dt else [])
    start = time.monotonic()
    # Its own process group, the terminal's foreground job: Ctrl-C is
    # SIGINT to the whole group (make, demo/run.sh and all they started).
    # A test runner started in the background passes SIGINT down ignored,
    # and a shell cannot trap a signal ignored at its start: undo that.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, bufsize=1,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT,
                                                             signal.SIG_DFL))
    lines, seen, sent = [], {}, False
    for line in proc.stdout:
        line = line.rstrip("\n")
        lines.append(line)
        topic = line.partition(" ")[0]
        seen[topic] = seen.get(topic, 0) + 1
        if interrupt and not sent and all(
                seen.get(f"{SITE}/{t}", 0) >= 2 for t in WINDOWED):
            os.killpg(proc.pid, signal.SIGINT)
            sent = time.monotonic() - start
    err = proc.stderr.read()
    rc = proc.wait()
    elapsed = time.monotonic() - start

    results = []

    def check(what, ok, detail):
        results.append(ok)
        print(f"{'PASS' if ok else 'FAIL'} {name}-{what} {detail}")

    clean = "guest: stopped cleanly" in err and "demo: error:" not in err
    # make itself dies of the SIGINT it got with the group ("Interrupt"),
    # after demo/run.sh has stopped the guest and exited 0
    ok_rc = rc == 0 or (sent and rc in (-signal.SIGINT, 130, 2))
    check("exit", ok_rc and clean,
          f"exit {rc}, {'clean' if clean else 'no clean stop'}; "
          f"{len(lines)} lines in {elapsed:.0f} s")
    if not (ok_rc and clean):
        print("\n".join("    " + l for l in err.splitlines()[-40:]))

    msgs = []
    for line in lines:
        topic, _, payload = line.partition(" ")
        msgs.append((topic, payload))
    missing = [t for t in topics if f"{SITE}/{t}" not in seen]
    check("topics", not missing,
          "missing: " + " ".join(missing) if missing else
          ", ".join(f"{t} {seen[SITE + '/' + t]}" for t in topics))

    status = f"{SITE}/gwiod/status"
    first = msgs[0] if msgs else None
    last = msgs[-1] if msgs else None
    check("birth-will",
          first == (status, "online") and last == (status, "offline"),
          f"first {first}, last {last}")

    bad = []
    flow_count = 0
    presses = []
    door = []
    flows = []
    for topic, payload in msgs:
        point = topic[len(SITE) + 1:]
        if point.startswith("gwiod/"):
            continue
        try:
            p = json.loads(payload)
        except ValueError:
            bad.append(f"{topic}: not JSON")
            continue
        w = p.get("window", {})

        def within(v, lo, hi, what):
            if not isinstance(v, (int, float)) or not lo <= v <= hi:
                bad.append(f"{topic} {what}={v} not in [{lo}, {hi}]")

        if point == "boiler_temp":
            # the ADC's sine spans codes 211..236: 18.0 to 26.06 degC
            for k in ("mean", "min", "max"):
                within(w.get(k), 17.9, 26.1, k)
            if not w.get("min", 0) <= w.get("mean", 0) <= w.get("max", 0):
                bad.append(f"{topic}: min <= mean <= max fails: {w}")
        elif point == "tank_level":
            within(p.get("value"), 0, 100, "value")
        elif point in ("door_open", "service_button"):
            if point == "service_button":
                presses += [v for _, v in p.get("samples", [])]
            else:
                door += [v for _, v in p.get("samples", [])]
            for _, v in p.get("samples", []):
                within(v, 0, 1, "sample")
                if v not in (0, 1):
                    bad.append(f"{topic}: {v} is not 0 or 1")
        elif point == "water_flow":
            flow_count += w.get("count", 0)
            flows.append(w)
            # 600 pulses per litre, scale 0.1, 5 s windows
            if abs(w.get("rate", -1) - w.get("count", 0) * 0.1 / 5) > 1e-9:
                bad.append(f"{topic}: rate {w.get('rate')} is not count "
                           f"{w.get('count')} * 0.1 / 5")
            within(w.get("rate"), 0, 16, "rate")
        elif point == "pump_vibration":
            for k in ("min", "max"):
                within(w.get(k), -20.48, 20.48, k)
    # Not checked: that whole windows show 10-15 L/min.  That is a rate
    # in time, and a loaded machine's emulated timer stretches the pulse
    # train (89.8 pulses/s for 100 seen in CI); the count, which the
    # "flow" check holds to the pulses generated, is what must be exact.
    if door != [1, 0] * (len(door) // 2) + [1] * (len(door) % 2):
        bad.append(f"door_open: {door} does not alternate from 1")
    check("ranges", not bad, "; ".join(bad[:5]) if bad else
          f"{len(msgs)} messages in range")

    m = re.search(r"gwiod exit (\d+) summary: (.*)", err)
    summary_ok = bool(m) and m.group(1) == "0" and \
        "0 unacknowledged at exit, 0 refused, 0 lost unsent" in m.group(2)
    health_bad = []
    for topic, payload in msgs:
        if topic == f"{SITE}/gwiod/status/health":
            h = json.loads(payload)
            for src, c in h.get("sources", {}).items():
                if c.get("dropped") or c.get("lost"):
                    health_bad.append(f"{src}: {c}")
    check("gwiod", summary_ok and not health_bad,
          (m.group(0)[:160] if m else "no gwiod summary") +
          ("; health: " + "; ".join(health_bad[:3]) if health_bad else ""))

    m = re.search(r"flow pulses (\d+)", err)
    pulses = int(m.group(1)) if m else None
    check("flow", pulses is not None and pulses == flow_count and pulses > 0,
          f"{flow_count} pulses in the flow windows, {pulses} generated")

    if dt:
        # each press is an edge to 1 and one back to 0
        check("button", len(presses) >= 2 and len(presses) % 2 == 0 and
              presses == [1, 0] * (len(presses) // 2),
              f"levels {presses}")
    devices = re.findall(r"device (\S+) (\S+) produced (\d+) dropped (\d+)", err)
    check("kernel", len(devices) == 3 + dt and all(int(p) > 0 and d == "0"
                                              for _, _, p, d in devices),
          "; ".join(f"{l}: {p} produced, {d} dropped"
                    for _, l, p, d in devices) or "no device counters")

    if interrupt:
        check("interrupt", bool(sent) and elapsed < seconds,
              f"SIGINT after {sent or 0:.0f} s, ended after {elapsed:.0f} s "
              f"of DEMO_SECONDS={seconds}" if sent else "never sent SIGINT")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
