"""The peer anchor in Python: the M/M/4 station of bench/scenarios/mm4.yaml written with SimPy 3.

Poisson arrivals at 320/s, one station of 4 servers served first come first served, exponential
service times of mean 10 ms: rho = 320 / (4 x 100) = 0.8, the same model as bench/lib/simjs-mm4.js.

Issue #13 measures meshsim against SimPy 3; Debian bookworm ships it as python3-simpy3 (SimPy
3.0.11, module `simpy`, for /usr/bin/python3). This uses the SimPy 3 API: an Environment,
generator processes started with env.process() that yield events (env.timeout(), a Resource
request used as a context manager, which releases the server on leaving the block), a Resource
of capacity 4, and env.run(until=...). Time unit: seconds. Random numbers: random.Random(seed),
drawn in the order arrival gap, then that request's service time.

Usage: /usr/bin/python3 simpy_mm4.py SIMULATED_SECONDS [SEED]
Prints one JSON line: requests served, wall seconds of env.run() alone, mean response and mean
wait in the queue (seconds) of the requests served.
"""

import json
import random
import sys
import time

import simpy

ARRIVAL_RATE = 320.0  # requests per second
SERVICE_RATE = 100.0  # per server: mean service time 10 ms
SERVERS = 4


class Stats:
    """Sums over the requests served, read once at the end."""

    def __init__(self):
        self.served = 0
        self.response = 0.0
        self.wait = 0.0


def visit(env, station, stats, service):
    """One request: queue for a server, hold it for its service time, leave."""
    arrived = env.now
    with station.request() as req:
        yield req
        started = env.now
        yield env.timeout(service)
    stats.served += 1
    stats.wait += started - arrived
    stats.response += env.now - arrived


def arrivals(env, station, stats, rng):
    """The Poisson source: a new request after each exponential gap."""
    while True:
        yield env.timeout(rng.expovariate(ARRIVAL_RATE))
        env.process(visit(env, station, stats, rng.expovariate(SERVICE_RATE)))


def run(duration, seed):
    rng = random.Random(seed)
    stats = Stats()
    env = simpy.Environment()
    station = simpy.Resource(env, capacity=SERVERS)
    env.process(arrivals(env, station, stats, rng))
    start = time.perf_counter()
    env.run(until=duration)
    wall = time.perf_counter() - start
    served = stats.served
    return {
        "requests": served,
        "wall": wall,
        "mean_response_s": stats.response / served if served else None,
        "mean_wait_s": stats.wait / served if served else None,
        "simulated_s": duration,
        "simpy": simpy.__version__,
    }


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: simpy_mm4.py SIMULATED_SECONDS [SEED]")
    print(json.dumps(run(float(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1)))
