"""Shared pieces of the side-by-side benchmark: progress lines, processes we start (and always
stop), waits with time-outs, /proc sampling, percentiles."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

T0 = time.monotonic()


class BenchError(Exception):
    """A stage could not produce its numbers; the message says what and where to look."""


def log(msg):
    print(f"[bench {time.monotonic() - T0:6.1f}s] {msg}", flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(pred, timeout, what, interval=0.2, proc=None):
    """Polls pred() until it returns a truthy value; raises BenchError after timeout seconds or
    as soon as proc (a Proc) has exited."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{proc.name} exited with status {proc.poll()} while waiting for "
                             f"{what}; last log lines:\n{proc.tail()}")
        if time.monotonic() > deadline:
            extra = f"; last log lines of {proc.name}:\n{proc.tail()}" if proc else ""
            raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}{extra}")
        time.sleep(interval)


class Proc:
    """A process we started, its output in a log file; registered so cleanup() stops it."""
    running = []

    def __init__(self, name, argv, logdir, env=None, cwd=None):
        self.name = name
        self.log_path = os.path.join(logdir, name.replace(" ", "_") + ".log")
        self.log_file = open(self.log_path, "w")
        e = dict(os.environ)
        e.update(env or {})
        self.p = subprocess.Popen(argv, stdout=self.log_file, stderr=subprocess.STDOUT, env=e,
                                  cwd=cwd, start_new_session=True)
        self.pid = self.p.pid
        self.started = time.monotonic()
        Proc.running.append(self)

    def poll(self):
        return self.p.poll()

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def tail(self, n=15):
        return "\n".join(self.log_text().splitlines()[-n:])

    def cpu_seconds(self):
        """utime + stime of the process (not its children), from /proc/PID/stat."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return None

    def stop(self, timeout=20):
        """SIGTERM, then SIGKILL after timeout; the whole session (uvicorn workers too)."""
        if self in Proc.running:
            Proc.running.remove(self)
        if self.p.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name} did not stop in {timeout} s; killing it")
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait(10)
        self.log_file.close()
        return self.p.returncode

    @classmethod
    def cleanup(cls):
        for p in list(cls.running):
            try:
                p.stop(timeout=10)
            except Exception as e:  # cleanup goes on with the others
                print(f"bench: could not stop {p.name}: {e}", file=sys.stderr)


def run(argv, timeout, what, env=None, cwd=None):
    """Runs a command to completion; returns stdout. Raises BenchError on failure/time-out."""
    e = dict(os.environ)
    e.update(env or {})
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=e, cwd=cwd)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what}: timed out after {timeout} s ({' '.join(argv)})")
    if r.returncode != 0:
        raise BenchError(f"{what}: exit {r.returncode} ({' '.join(argv)})\n"
                         f"{(r.stderr or r.stdout)[-2000:]}")
    return r.stdout + ("\n" + r.stderr if r.stderr else "")


def http_get(url, timeout=2):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except Exception:
        return None, ""


def quantile(sorted_values, q):
    if not sorted_values:
        return None
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def histogram_quantile(buckets, q):
    """Prometheus-style: buckets = [(upper bound, cumulative count)], linear inside a bucket."""
    buckets = sorted(buckets)
    total = buckets[-1][1] if buckets else 0
    if total == 0:
        return None
    rank = q * total
    prev_bound, prev_count = 0.0, 0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return prev_bound  # beyond the last finite bucket: report its bound
            if count == prev_count:
                return bound
            return prev_bound + (bound - prev_bound) * (rank - prev_count) / (count - prev_count)
        prev_bound, prev_count = bound, count
    return prev_bound


def scrape_histogram(metrics_text, name):
    """Buckets of one (unlabelled) histogram from a Prometheus text exposition."""
    out = []
    for line in metrics_text.splitlines():
        if line.startswith(name + "_bucket{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            out.append((float("inf") if le == "+Inf" else float(le), float(line.rsplit(" ", 1)[1])))
    return out


def dump(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
