#!/usr/bin/env python3
"""HTTP soak: hostile clients against `flowsentry serve` while a probe and a real client watch.

  bench/http_soak.py --binary build/flowsentry [--seconds 60] [--model models/default]

For --seconds, at once:
  - 16 clients upload 8 MiB /predict bodies without the token, from 127.0.0.18..33, each
    reconnecting as soon as it is answered or cut off (the server must refuse them on their
    headers, not buffer the bodies);
  - 1,000 slow connections trickle request headers a byte at a time from 127.0.0.2..5 (the
    per-client limit applies to them; the request deadline cuts the ones that get in);
  - a poller on 127.0.0.1 asks /healthz over one keep-alive connection, back to back, and
    a prober asks it on a new connection once a second (as a kubelet does);
  - a client on 127.0.0.1 posts well-formed /predict calls with the token.
Pass: server RSS < 1 GB throughout, /healthz p99 <= 50 ms, 0 failed /predict calls, 0 failed
fresh probes.
Prints one JSON line with the figures and the bars; exit status 1 when a bar is missed.
Not part of `make test` (it takes a minute and all the cores).
"""
import argparse
import http.client
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import threading
import time

TOKEN = "soak-token"
ROOT = pathlib.Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect_from(source, port, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def rss_bytes(pid):
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def big_uploader(index, port, stop, stats):
    source = f"127.0.0.{18 + index}"
    chunk = b"[" + b"0," * (32 << 10)
    while not stop.is_set():
        try:
            s = connect_from(source, port)
            s.sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 8388608\r\n\r\n")
            sent = 0
            while sent < (8 << 20) and not stop.is_set():
                s.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # refused or cut off: what the server should do
        finally:
            stats["uploads"] += 1
            try:
                s.close()
            except Exception:
                pass
        time.sleep(0.05)


def slow_connections(port, count, stop, stats):
    open_socks = []

    def open_one(i):
        try:
            s = connect_from(f"127.0.0.{2 + i % 4}", port)
            s.setblocking(False)
            s.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            open_socks.append(s)
            stats["slow_opened"] += 1
        except OSError:
            stats["slow_refused"] += 1

    for i in range(count):
        open_one(i)
    while not stop.is_set():
        time.sleep(0.5)
        alive = []
        for s in open_socks:
            try:
                s.send(b"a")
                alive.append(s)
            except OSError:
                s.close()
                stats["slow_cut"] += 1
        open_socks[:] = alive
        for i in range(count - len(open_socks)):
            open_one(i)
    for s in open_socks:
        s.close()


def poller(port, stop, latencies, stats):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                stats["healthz_errors"] += 1
        except Exception:
            stats["healthz_errors"] += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        latencies.append(time.perf_counter() - t0)
        time.sleep(0.01)


def fresh_prober(port, stop, stats):
    """A liveness probe as kubelet sends it: a new connection each time, once a second."""
    while not stop.is_set():
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            r.read()
            conn.close()
            stats["fresh_probe_ok" if r.status == 200 else "fresh_probe_errors"] += 1
        except Exception:
            stats["fresh_probe_errors"] += 1
        time.sleep(1)


def predictor(port, flow, stop, stats):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    while not stop.is_set():
        try:
            conn.request("POST", "/predict?explain=0", body=flow, headers=headers)
            r = conn.getresponse()
            r.read()
            stats["predict_ok" if r.status == 200 else "predict_errors"] += 1
        except Exception:
            stats["predict_errors"] += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        time.sleep(0.02)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=str(ROOT / "build" / "flowsentry"))
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--slow", type=int, default=1000)
    ap.add_argument("--uploaders", type=int, default=16)
    a = ap.parse_args()

    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="flowsentry-soak-", suffix=".log", delete=False)
    env = dict(os.environ, FLOWSENTRY_API_TOKEN=TOKEN)
    server = subprocess.Popen([a.binary, "serve", "--model", a.model, "--port", str(port)],
                              stdout=log, stderr=log, env=env)
    try:
        for _ in range(100):
            try:
                with connect_from("127.0.0.1", port, 1):
                    break
            except OSError:
                time.sleep(0.1)
        flow = json.dumps({
            "dur": 0.1, "proto": "tcp", "service": "-", "state": "FIN", "spkts": 6, "dpkts": 4,
            "sbytes": 258, "dbytes": 172, "rate": 74.0, "sttl": 252, "dttl": 254, "sload": 14158,
            "dload": 8495, "sloss": 0, "dloss": 0, "sinpkt": 24.3, "dinpkt": 8.4, "sjit": 30.2,
            "djit": 11.8, "swin": 255, "stcpb": 621772692, "dtcpb": 2202533631, "dwin": 255,
            "tcprtt": 0.0, "synack": 0.0, "ackdat": 0.0, "smean": 43, "dmean": 43,
            "trans_depth": 0, "response_body_len": 0, "ct_srv_src": 1, "ct_state_ttl": 0,
            "ct_dst_ltm": 1, "ct_src_dport_ltm": 1, "ct_dst_sport_ltm": 1, "ct_dst_src_ltm": 1,
            "is_ftp_login": 0, "ct_ftp_cmd": 0, "ct_flw_http_mthd": 0, "ct_src_ltm": 1,
            "ct_srv_dst": 1, "is_sm_ips_ports": 0})
        stop = threading.Event()
        stats = {k: 0 for k in ("uploads", "slow_opened", "slow_refused", "slow_cut",
                                "healthz_errors", "fresh_probe_ok", "fresh_probe_errors",
                                "predict_ok", "predict_errors")}
        latencies = []
        threads = [threading.Thread(target=poller, args=(port, stop, latencies, stats)),
                   threading.Thread(target=fresh_prober, args=(port, stop, stats)),
                   threading.Thread(target=predictor, args=(port, flow, stop, stats)),
                   threading.Thread(target=slow_connections, args=(port, a.slow, stop, stats))]
        threads += [threading.Thread(target=big_uploader, args=(i, port, stop, stats))
                    for i in range(a.uploaders)]
        for t in threads:
            t.start()
        peak = 0
        end = time.monotonic() + a.seconds
        while time.monotonic() < end and server.poll() is None:
            peak = max(peak, rss_bytes(server.pid))
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join()
        lat = sorted(latencies) or [float("inf")]
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        result = dict(stats, seconds=a.seconds, healthz_requests=len(latencies),
                      healthz_p99_ms=round(p99 * 1000, 2), peak_rss_mb=round(peak / 2**20, 1),
                      server_alive=server.poll() is None,
                      bars={"peak_rss_mb": "< 1024", "healthz_p99_ms": "<= 50",
                            "predict_errors": "== 0", "fresh_probe_errors": "== 0"})
        ok = (result["server_alive"] and peak < 2**30 and p99 <= 0.050
              and stats["predict_errors"] == 0 and stats["predict_ok"] > 0
              and stats["fresh_probe_errors"] == 0)
        result["pass"] = ok
        print(json.dumps(result))
        return 0 if ok else 1
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        print(f"server log: {log.name}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
