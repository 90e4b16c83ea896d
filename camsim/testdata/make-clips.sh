#!/bin/sh
# Remakes the camera simulator's clips (run from anywhere; needs ffmpeg with
# libx264, libx265 and drawtext). Each clip is 8 s at 25 fps: a moving test
# pattern with the path name, the time code and the frame number burnt in, so a
# viewer can tell which camera it sees and whether frames are skipped.
set -eu
cd "$(dirname "$0")"

FONT=/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf
DUR=8
FPS=25

# overlay LABEL FONTSIZE: drawtext filter with the label, time code and frame number.
overlay() {
	echo "drawtext=fontfile=$FONT:fontsize=$2:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=12:x=(w-tw)/2:y=h/2-th:text='$1',drawtext=fontfile=$FONT:fontsize=$2:fontcolor=yellow:box=1:boxcolor=black@0.6:boxborderw=12:x=(w-tw)/2:y=h/2+th:timecode='00\:00\:00\:00':rate=$FPS,drawtext=fontfile=$FONT:fontsize=$2:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=12:x=(w-tw)/2:y=h/2+3*th:text='frame %{frame_num}'"
}

# pattern SIZE: the moving test pattern.
pattern() {
	echo "testsrc2=size=$1:rate=$FPS:duration=$DUR"
}

# beep RATE: a 100 ms, 1 kHz beep at the start of every second.
beep() {
	echo "aevalsrc='0.5*sin(2*PI*1000*t)*lt(mod(t\,1)\,0.1)':s=$1:c=mono:d=$DUR"
}

X264="-c:v libx264 -preset medium -pix_fmt yuv420p -sc_threshold 0 -bsf:v h264_metadata=aud=insert"
GOP4="-g 100 -keyint_min 100"

ffmpeg -y -hide_banner -loglevel error -f lavfi -i "$(pattern 1280x720)" \
	-vf "$(overlay 'main 720p H.264' 64)" \
	$X264 -profile:v main -bf 0 $GOP4 -b:v 700k -maxrate 900k -bufsize 1800k \
	-f mpegts main.ts

ffmpeg -y -hide_banner -loglevel error -f lavfi -i "$(pattern 640x360)" \
	-vf "$(overlay 'sub 360p H.264' 32)" \
	$X264 -profile:v main -bf 0 $GOP4 -b:v 250k -maxrate 350k -bufsize 700k \
	-f mpegts sub.ts

ffmpeg -y -hide_banner -loglevel error -f lavfi -i "$(pattern 1280x720)" \
	-vf "$(overlay 'h265 720p H.265' 64)" \
	-c:v libx265 -preset medium -pix_fmt yuv420p -b:v 400k \
	-x265-params log-level=error:bframes=0:keyint=100:min-keyint=100:scenecut=0:vbv-maxrate=600:vbv-bufsize=1200 \
	-f mpegts h265.ts

ffmpeg -y -hide_banner -loglevel error -f lavfi -i "$(pattern 640x360)" \
	-vf "$(overlay 'bframes 360p H.264' 32)" \
	$X264 -profile:v main -bf 2 -b_strategy 0 -g 50 -keyint_min 50 -b:v 250k -maxrate 350k -bufsize 700k \
	-f mpegts bframes.ts

ffmpeg -y -hide_banner -loglevel error -f lavfi -i "$(pattern 640x360)" -f lavfi -i "$(beep 48000)" \
	-vf "$(overlay 'aac 360p H.264' 32)" \
	$X264 -profile:v main -bf 0 $GOP4 -b:v 250k -maxrate 350k -bufsize 700k \
	-c:a aac -b:a 48k -ar 48000 -ac 1 \
	-f mpegts aac.ts

ffmpeg -y -hide_banner -loglevel error -f lavfi -i "$(pattern 640x360)" \
	-vf "$(overlay 'g711 360p H.264' 32)" \
	$X264 -profile:v main -bf 0 $GOP4 -b:v 250k -maxrate 350k -bufsize 700k \
	-f mpegts g711.ts

ffmpeg -y -hide_banner -loglevel error -f lavfi -i "$(beep 8000)" \
	-c:a pcm_mulaw -ar 8000 -ac 1 -f mulaw g711.ulaw

# The load test's camera (vigie bench fanout): 720p25 at a steady 2 Mbit/s
# with a 4 s keyframe interval. Noise over the pattern keeps the encoder at
# its target rate instead of far below it.
ffmpeg -y -hide_banner -loglevel error -f lavfi -i "$(pattern 1280x720)" \
	-vf "noise=alls=12:allf=t,$(overlay 'bench2m 720p H.264 2 Mbit/s' 64)" \
	$X264 -profile:v main -bf 0 $GOP4 -b:v 2M -minrate 2M -maxrate 2M -bufsize 2M \
	-f mpegts bench2m.ts
