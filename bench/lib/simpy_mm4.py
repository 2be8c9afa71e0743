"""The peer anchor in Python: the M/M/4 station of bench/scenarios/mm4.yaml written with SimPy 2.3.1.

Poisson arrivals at 320/s, one station of 4 servers served first come first served, exponential
service times of mean 10 ms: rho = 320 / (4 x 100) = 0.8, the same model as bench/lib/simjs-mm4.js.

SimPy 2.3.1 is what Debian bookworm ships (package python3-simpy, for /usr/bin/python3); SimPy 3
and 4 are on PyPI only. This uses the SimPy 2 "classic" API of SimPy.Simulation: Process classes
whose generator methods yield hold/request/release commands, a Resource of capacity 4, activate()
and simulate(until=...). Time unit: seconds. Random numbers: random.Random(seed).

Usage: /usr/bin/python3 simpy_mm4.py SIMULATED_SECONDS [SEED]
Prints one JSON line: requests served, wall seconds of simulate() alone, mean response and mean
wait in the queue (seconds) of the requests served.
"""

import json
import random
import sys
import time

from SimPy.Simulation import Process, Resource, activate, hold, initialize, now, release, request, simulate

ARRIVAL_RATE = 320.0  # requests per second
SERVICE_RATE = 100.0  # per server: mean service time 10 ms
SERVERS = 4


class Stats:
    """Sums over the requests served, read once at the end."""

    def __init__(self):
        self.served = 0
        self.response = 0.0
        self.wait = 0.0


class Request(Process):
    """One request: queue for a server, hold it for its service time, leave."""

    def visit(self, station, stats, service):
        arrived = now()
        yield request, self, station
        started = now()
        yield hold, self, service
        yield release, self, station
        stats.served += 1
        stats.wait += started - arrived
        stats.response += now() - arrived


class Arrivals(Process):
    """The Poisson source: a new Request after each exponential gap."""

    def generate(self, station, stats, rng):
        while True:
            yield hold, self, rng.expovariate(ARRIVAL_RATE)
            r = Request()
            activate(r, r.visit(station, stats, rng.expovariate(SERVICE_RATE)))


def run(duration, seed):
    rng = random.Random(seed)
    stats = Stats()
    initialize()
    station = Resource(capacity=SERVERS, name="station")
    source = Arrivals()
    activate(source, source.generate(station, stats, rng))
    start = time.perf_counter()
    simulate(until=duration)
    wall = time.perf_counter() - start
    served = stats.served
    return {
        "requests": served,
        "wall": wall,
        "mean_response_s": stats.response / served if served else None,
        "mean_wait_s": stats.wait / served if served else None,
        "simulated_s": duration,
        "simpy": __import__("SimPy").__version__,
    }


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: simpy_mm4.py SIMULATED_SECONDS [SEED]")
    print(json.dumps(run(float(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1)))
