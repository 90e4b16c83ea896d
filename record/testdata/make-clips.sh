#!/bin/sh
# Makes the participants' test clips: 4 s of VP8 (25 fps, a keyframe every
# 2 s) and 4 s of Opus (48 kHz stereo, 20 ms packets).
set -e
cd "$(dirname "$0")"
ffmpeg -y -v error -f lavfi -i testsrc=size=320x240:rate=25 -t 4 -c:v libvpx -b:v 200k -g 50 -keyint_min 50 -auto-alt-ref 0 participant-vp8.ivf
ffmpeg -y -v error -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 4 -ac 2 -c:a libopus -b:a 32k -frame_duration 20 participant-opus.ogg
