#!/usr/bin/env bash
# Fan-out figures on a big machine: the ramp to 2,000 viewers of one 2 Mbit/s
# camera with the media port on one socket per core (batched sends), then
# the same with one socket and one system call per datagram, for comparison.
# Usage: scripts/device-fanout.sh OUTDIR   (bin/vigie built beforehand)
set -uo pipefail
out=${1:?usage: scripts/device-fanout.sh OUTDIR}
mkdir -p "$out"
{ nproc; uname -r; ulimit -n; } > "$out/machine.txt"
# Larger socket buffers let 2,000 viewer sockets of the load tool keep up.
sysctl -w net.core.rmem_max=8388608 net.core.wmem_max=8388608 >> "$out/machine.txt" 2>&1 || true
timeout 330 bin/vigie bench fanout --viewers 10,50,100,200,400,600,1000,1500,2000 \
	--duration 10s --cpuprofile "$out/prof" > "$out/fanout.txt" 2> "$out/fanout.err"
echo "rc=$?" >> "$out/fanout.txt"
timeout 150 bin/vigie bench fanout --viewers 1000,2000 --duration 10s \
	--udp-sockets 1 --udp-batch=false > "$out/fanout-1socket.txt" 2> "$out/fanout-1socket.err"
echo "rc=$?" >> "$out/fanout-1socket.txt"
