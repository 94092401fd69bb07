#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Check what a subscriber saw: lines "topic payload" (mosquitto_sub -v).

  payloads.py raw FILE TOPIC N        raw batches on TOPIC carry the
                                      values 0..N-1 of a counter channel,
                                      each at least once, timestamps rising
  payloads.py windows FILE TOPIC N    window payloads on TOPIC cover the
                                      counter 0..N-1 exactly: counts add up
                                      to N, min/max/first/last/mean agree
                                      with the values, windows do not overlap
  payloads.py keys FILE TOPIC KEY...  the last payload on TOPIC is a JSON
                                      object with these top-level keys

Prints one line of facts; exits 1 with the reason when the check fails.
Duplicates are allowed for raw (QoS 1 is at least once) and reported.
"""
import json
import sys


def payloads(path, topic):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            t, _, p = line.rstrip("\n").partition(" ")
            if t == topic:
                out.append(json.loads(p))
    return out


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check_raw(path, topic, n):
    seen = {}
    last_ts = {}
    msgs = payloads(path, topic)
    for m in msgs:
        prev = None
        for ts, v in m["samples"]:
            if prev is not None and ts <= prev:
                fail(f"timestamps not rising inside a batch: {prev} then {ts}")
            prev = ts
            if not float(v).is_integer():
                fail(f"value {v} is not a counter value")
            v = int(v)
            seen[v] = seen.get(v, 0) + 1
            last_ts[v] = ts
        if m["ts"] != m["samples"][0][0]:
            fail("ts is not the first sample's")
    missing = [v for v in range(n) if v not in seen]
    extra = [v for v in seen if v < 0 or v >= n]
    dups = sum(c - 1 for c in seen.values())
    if missing:
        fail(f"{len(missing)} of {n} values missing, first {missing[:10]}")
    if extra:
        fail(f"unexpected values {extra[:10]}")
    # one timestamp per value, whichever copy carried it
    order = [last_ts[v] for v in range(n)]
    if any(b <= a for a, b in zip(order, order[1:])):
        fail("timestamps do not rise with the counter")
    print(f"ok: {len(msgs)} messages, {n} values, {dups} duplicates")


def check_windows(path, topic, n):
    msgs = payloads(path, topic)
    total = 0
    covered = []
    prev_end = None
    for m in sorted(msgs, key=lambda m: m["window"]["start"]):
        w = m["window"]
        if prev_end is not None and w["start"] < prev_end:
            fail(f"windows overlap or repeat at {w['start']}")
        prev_end = w["end"]
        c = w["count"]
        lo, hi = w["first"][1], w["last"][1]
        if not (w["start"] <= w["first"][0] <= w["last"][0] < w["end"]):
            fail(f"first/last outside the window {w}")
        if (w["min"], w["max"], c) != (lo, hi, hi - lo + 1):
            fail(f"window {w['start']}: min/max/count {w['min']}/{w['max']}/{c}"
                 f" do not match a counter from {lo} to {hi}")
        if abs(w["mean"] - (lo + hi) / 2) > 1e-9 * max(1, hi):
            fail(f"window {w['start']}: mean {w['mean']}, want {(lo + hi) / 2}")
        total += c
        covered.append((lo, hi))
    covered.sort()
    expect = 0
    for lo, hi in covered:
        if lo != expect:
            fail(f"values {expect}..{lo - 1} in no window")
        expect = hi + 1
    if total != n or expect != n:
        fail(f"windows hold {total} samples up to {expect - 1}, want {n}")
    print(f"ok: {len(msgs)} windows, {total} samples")


def check_keys(path, topic, keys):
    msgs = payloads(path, topic)
    if not msgs:
        fail(f"nothing on {topic}")
    missing = [k for k in keys if k not in msgs[-1]]
    if missing:
        fail(f"keys {missing} missing from {msgs[-1]}")
    print(f"ok: {len(msgs)} messages")


def main(argv):
    if len(argv) < 4:
        print(__doc__)
        return 2
    cmd, path, topic = argv[1:4]
    if cmd == "raw":
        check_raw(path, topic, int(argv[4]))
    elif cmd == "windows":
        check_windows(path, topic, int(argv[4]))
    elif cmd == "keys":
        check_keys(path, topic, argv[4:])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
