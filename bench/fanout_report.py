"""Figures of the fan-out benchmark: one `Measurement` per server and phase, a table, a JSON file."""

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.fanout_client import Phase, spread


@dataclass(frozen=True)
class Measurement:
    backend: str
    server: str  # "api" or "floor"
    mode: str  # "steady" or "burst"
    subscribers: int
    messages: int
    delivered: int
    complete: bool  # every socket got every message, in time
    min_per_socket: int
    max_per_socket: int
    seconds: float  # first send to last receive
    msgs_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_s: float
    client_cpu_s: float
    cpu_us_per_msg: float  # server CPU per delivered message, the mutation or POST included
    net_cpu_us_per_msg: float  # the same, less the cost of the requests without subscribers
    client_us_per_msg: float  # this process's CPU per message: near the server's, the client may be the limit
    first_p50_ms: float  # send to the first socket's receipt, per message: the path before the fan-out
    first_p99_ms: float
    spread_p50_ms: float  # first to last socket's receipt, per message: the fan-out itself
    spread_p99_ms: float
    slowest: list[tuple[int, float, float]]  # (message index, first ms, last ms), by first receipt
    request_p50_ms: float  # the publisher's round trip (the floor answers after writing to every socket)
    request_p99_ms: float


def percentile(sorted_values: list[int], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    return float(sorted_values[min(int(fraction * len(sorted_values)), len(sorted_values) - 1)])


def _ms(nanoseconds: float) -> float:
    return round(nanoseconds / 1e6, 2)


def measurement(
    *, backend: str, server: str, mode: str, phase: Phase, complete: bool, server_cpu_s: float,
    client_cpu_s: float, request_cpu_s: float,
) -> Measurement:
    """`request_cpu_s`: the server's CPU per request when nobody is subscribed (baseline)."""
    latencies = sorted(phase.latencies_ns)
    delivered = len(latencies)
    first = phase.first_sent_ns or 0
    seconds = (phase.last_received_ns - first) / 1e9 if delivered else float("nan")
    fewest, most = spread(phase.counts, range(phase.sockets))
    firsts = sorted(first for first, _ in phase.spans.values())
    spreads = sorted(last - first for first, last in phase.spans.values())
    slowest = sorted(phase.spans.items(), key=lambda item: -item[1][0])[:5]
    requests = sorted(phase.requests_ns)
    net_cpu = server_cpu_s - request_cpu_s * phase.per_socket
    return Measurement(
        backend=backend, server=server, mode=mode, subscribers=phase.sockets, messages=phase.per_socket,
        delivered=delivered, complete=complete and fewest == most == phase.per_socket, min_per_socket=fewest, max_per_socket=most,
        seconds=round(seconds, 3),
        msgs_per_s=round(delivered / seconds, 1) if delivered else 0.0,
        p50_ms=round(percentile(latencies, 0.50) / 1e6, 2),
        p99_ms=round(percentile(latencies, 0.99) / 1e6, 2),
        max_ms=round(latencies[-1] / 1e6, 2) if latencies else float("nan"),
        server_cpu_s=round(server_cpu_s, 3), client_cpu_s=round(client_cpu_s, 3),
        cpu_us_per_msg=round(server_cpu_s / delivered * 1e6, 2) if delivered else float("nan"),
        net_cpu_us_per_msg=round(net_cpu / delivered * 1e6, 2) if delivered else float("nan"),
        client_us_per_msg=round(client_cpu_s / delivered * 1e6, 2) if delivered else float("nan"),
        first_p50_ms=_ms(percentile(firsts, 0.50)),
        first_p99_ms=_ms(percentile(firsts, 0.99)),
        spread_p50_ms=_ms(percentile(spreads, 0.50)),
        spread_p99_ms=_ms(percentile(spreads, 0.99)),
        slowest=[(index, _ms(first), _ms(last)) for index, (first, last) in slowest],
        request_p50_ms=_ms(percentile(requests, 0.50)),
        request_p99_ms=_ms(percentile(requests, 0.99)),
    )


@dataclass(frozen=True)
class Pair:
    """An API measurement and the floor's, taken one after the other."""

    api: Measurement
    floor: Measurement

    def row(self) -> dict[str, Any]:
        a, f = self.api, self.floor
        return {
            "backend": a.backend, "N": a.subscribers, "mode": a.mode,
            "api_msgs_s": a.msgs_per_s, "floor_msgs_s": f.msgs_per_s,
            "ratio": _ratio(a.msgs_per_s, f.msgs_per_s),
            "api_p50_ms": a.p50_ms, "api_p99_ms": a.p99_ms, "floor_p50_ms": f.p50_ms, "floor_p99_ms": f.p99_ms,
            "api_cpu_us": a.cpu_us_per_msg, "floor_cpu_us": f.cpu_us_per_msg,
            "cpu_ratio": _ratio(f.cpu_us_per_msg, a.cpu_us_per_msg),
            "api_net_cpu_us": a.net_cpu_us_per_msg, "floor_net_cpu_us": f.net_cpu_us_per_msg,
            "net_cpu_ratio": _ratio(f.net_cpu_us_per_msg, a.net_cpu_us_per_msg),
            "complete": a.complete and f.complete,
        }


def _ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 2) if denominator else float("nan")


COLUMNS = [
    ("backend", "backend", "{}"), ("N", "N", "{}"), ("mode", "mode", "{}"),
    ("api_msgs_s", "API msg/s", "{:,.0f}"), ("floor_msgs_s", "floor msg/s", "{:,.0f}"), ("ratio", "ratio", "{:.2f}"),
    ("api_p50_ms", "API p50", "{:.1f}"), ("api_p99_ms", "API p99", "{:.1f}"),
    ("floor_p50_ms", "floor p50", "{:.1f}"), ("floor_p99_ms", "floor p99", "{:.1f}"),
    ("api_cpu_us", "API us/msg", "{:.1f}"), ("floor_cpu_us", "floor us/msg", "{:.1f}"), ("cpu_ratio", "floor/API", "{:.2f}"),
    ("api_net_cpu_us", "API net", "{:.1f}"), ("floor_net_cpu_us", "floor net", "{:.1f}"),
    ("net_cpu_ratio", "net f/A", "{:.2f}"), ("complete", "complete", "{}"),
]


def table(pairs: list[Pair]) -> str:
    """A plain-text table: rates in deliveries/s across all subscribers, latencies in ms, CPU in us."""
    rows = [[fmt.format(pair.row()[key]) for key, _, fmt in COLUMNS] for pair in pairs]
    return _aligned([title for _, title, _ in COLUMNS], rows)


def _aligned(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


DIAGNOSTICS = [
    ("backend", "{}"), ("subscribers", "{}"), ("mode", "{}"), ("server", "{}"),
    ("request_p50_ms", "{:.1f}"), ("request_p99_ms", "{:.1f}"), ("first_p50_ms", "{:.1f}"), ("first_p99_ms", "{:.1f}"),
    ("spread_p50_ms", "{:.1f}"), ("spread_p99_ms", "{:.1f}"), ("client_us_per_msg", "{:.1f}"),
]


def diagnostics(pairs: list[Pair]) -> str:
    """Where the latency goes, per server: the publisher's round trip, send to the first
    socket's receipt (before the fan-out), first to last socket (the fan-out), in ms; and
    this client's CPU per message (near the server's, the client may be the limit)."""
    measurements = [m for pair in pairs for m in (pair.api, pair.floor)]
    rows = [[fmt.format(getattr(m, key)) for key, fmt in DIAGNOSTICS] for m in measurements]
    return _aligned([key.removesuffix("_ms").replace("_per_msg", "/msg") for key, _ in DIAGNOSTICS], rows)


def write_json(directory: Path, settings: dict[str, Any], pairs: list[Pair], extra: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"fanout-{datetime.now().strftime('%Y-%m-%d-%H%M%S')}.json"
    document = {
        "settings": settings,
        "rows": [pair.row() for pair in pairs],
        "measurements": [asdict(m) for pair in pairs for m in (pair.api, pair.floor)],
        **extra,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
