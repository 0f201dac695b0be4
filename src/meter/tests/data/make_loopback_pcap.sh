#!/usr/bin/env bash
# Records real loopback traffic for the Argus comparison: a Python HTTP server with curl and
# wget clients (keep-alive and one connection per request, a refused port, an upload), a UDP
# request/response service and a one-way UDP stream, all on 127.0.0.x ports 18xxx so other
# loopback traffic is filtered out. Usage: make_loopback_pcap.sh OUT.pcap (needs root for
# tcpdump). The committed loopback.pcap was made with it. Snaplen 256: headers and the
# start of payloads are kept (service detection), every longer packet is snaplen-truncated.
set -euo pipefail
out=${1:?usage: make_loopback_pcap.sh OUT.pcap}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

tcpdump -i lo -s 256 -U -w "$out" \
  'host 127.0.0.18 or host 127.0.0.19 or (ip6 and tcp port 18082)' 2>"$work/tcpdump.log" &
sleep 1

head -c 60000 /dev/urandom > "$work/blob.bin"
echo "hello from flowsentry" > "$work/index.html"
(cd "$work" && exec python3 -m http.server 18080 --bind 127.0.0.18 >/dev/null 2>&1) &
(cd "$work" && exec python3 -m http.server 18082 --bind ::1 >/dev/null 2>&1) &
python3 - <<'PY' &
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.18", 18053))
s.settimeout(20)
try:
    while True:
        data, addr = s.recvfrom(2048)
        if data.startswith(b"q"):
            s.sendto(b"answer:" + data, addr)
except socket.timeout:
    pass
PY
sleep 1

for i in 1 2 3; do curl -s -o /dev/null http://127.0.0.18:18080/index.html; done
curl -s -o /dev/null http://127.0.0.18:18080/blob.bin
curl -s -o /dev/null -o /dev/null http://127.0.0.18:18080/index.html http://127.0.0.18:18080/blob.bin
wget -q -O /dev/null http://127.0.0.18:18080/missing || true
curl -s -o /dev/null -X POST --data-binary @"$work/blob.bin" http://127.0.0.18:18080/ || true
curl -s -o /dev/null --max-time 2 http://127.0.0.18:18081/ || true   # refused: RST
curl -s -o /dev/null -g 'http://[::1]:18082/index.html'                # IPv6
# Eight concurrent clients, interleaved flows.
for i in 1 2 3 4 5 6 7 8; do curl -s -o /dev/null http://127.0.0.18:18080/blob.bin & done
wait_clients=$(jobs -p | tail -8); wait $wait_clients 2>/dev/null || true
python3 - <<'PY'
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.19", 0))
s.settimeout(1)
for i in range(5):
    s.sendto(b"q%d" % i, ("127.0.0.18", 18053))
    try:
        s.recvfrom(2048)
    except socket.timeout:
        pass
    time.sleep(0.05)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.19", 18999))
for i in range(20):
    u.sendto(b"stream" * 20, ("127.0.0.18", 18998))
    time.sleep(0.01)
# A short TCP exchange from a fixed client port, closed by the client.
t = socket.create_connection(("127.0.0.18", 18080), source_address=("127.0.0.19", 18777))
t.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
t.recv(4096)
t.close()
PY
sleep 2
kill %1 2>/dev/null || true
wait %1 2>/dev/null || true
