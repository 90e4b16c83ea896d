// What this browser can decode, as told to the server in `join` (docs/protocol.md: `codecs`). The
// server uses it to pick a camera's stream: a camera whose main stream is H.265 is shown through
// its H.264 sub-stream to a browser that cannot decode H.265.

// Retransmission and error correction formats are listed with the codecs but carry no picture.
const NOT_CODECS = new Set(['video/rtx', 'video/red', 'video/ulpfec', 'video/flexfec-03']);

/**
 * The video mime types this browser can receive, each once, in the browser's order of
 * preference (["video/VP8", "video/VP9", "video/H264", ...]); empty when the browser cannot say.
 */
export function receiveVideoCodecs() {
  let caps = null;
  try {
    caps = typeof RTCRtpReceiver !== 'undefined' && typeof RTCRtpReceiver.getCapabilities === 'function'
      ? RTCRtpReceiver.getCapabilities('video')
      : null;
  } catch {
    caps = null;
  }
  const seen = new Set();
  const out = [];
  for (const codec of (caps && caps.codecs) || []) {
    const mime = String(codec.mimeType || '');
    const key = mime.toLowerCase();
    if (!mime || seen.has(key) || NOT_CODECS.has(key)) continue;
    seen.add(key);
    out.push(mime);
  }
  return out;
}

/** Whether the browser says it can receive this video mime type ("video/H265"). */
export function canReceiveVideo(mime) {
  const wanted = String(mime).toLowerCase();
  return receiveVideoCodecs().some((m) => m.toLowerCase() === wanted);
}
