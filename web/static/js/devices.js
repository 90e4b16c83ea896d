// Access to cameras, microphones, screens and speakers, and the words for what can go wrong.
// Browsers differ a lot here (phones, locked-down PCs, old Safari), so every capability is tested
// before use and every failure maps to a sentence that says what to do.

/** "ok", or why the browser gives no camera or microphone at all: "insecure" or "unsupported". */
export function mediaAvailability() {
  if (!window.isSecureContext) return 'insecure';
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return 'unsupported';
  return 'ok';
}

/** Whether this browser can share a screen (phones cannot). */
export function canShareScreen() {
  return !!(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
}

/** Whether audio output can be sent to a chosen speaker (Chromium and Firefox, not Safari). */
export function canPickSpeaker() {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

function cameraConstraints(deviceId) {
  const c = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30, max: 30 } };
  if (deviceId) c.deviceId = { exact: deviceId };
  return c;
}

function microphoneConstraints(deviceId) {
  const c = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  if (deviceId) c.deviceId = { exact: deviceId };
  return c;
}

/** Opens a camera; resolves to its video track. */
export async function openCamera(deviceId) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: cameraConstraints(deviceId) });
  return stream.getVideoTracks()[0];
}

/** Opens a microphone; resolves to its audio track. */
export async function openMicrophone(deviceId) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: microphoneConstraints(deviceId) });
  return stream.getAudioTracks()[0];
}

/**
 * Opens the microphone and, when wanted, the camera, with a single permission prompt. When that
 * fails for another reason than a refusal, each device is tried alone, so that a missing or busy
 * camera does not also cost the microphone. Resolves to {audio, video, errors: {audio, video}}
 * where a track is null when it could not be opened (its error says why) or was not wanted.
 */
export async function openDevices({ audio, video, audioId = '', videoId = '' }) {
  const result = { audio: null, video: null, errors: { audio: null, video: null } };
  if (!audio && !video) return result;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: audio ? microphoneConstraints(audioId) : false,
      video: video ? cameraConstraints(videoId) : false,
    });
    result.audio = stream.getAudioTracks()[0] || null;
    result.video = stream.getVideoTracks()[0] || null;
    return result;
  } catch (err) {
    if (isRefusal(err) || !(audio && video)) {
      if (audio) result.errors.audio = err;
      if (video) result.errors.video = err;
      return result;
    }
  }
  try { result.audio = await openMicrophone(audioId); } catch (err) { result.errors.audio = err; }
  try { result.video = await openCamera(videoId); } catch (err) { result.errors.video = err; }
  return result;
}

/** Asks for a screen, window or tab to share; resolves to its video track. */
export async function openScreen() {
  const stream = await navigator.mediaDevices.getDisplayMedia({
    video: { frameRate: { ideal: 15, max: 30 } },
    audio: false,
  });
  const track = stream.getVideoTracks()[0];
  // Text and maps on a shared screen must stay readable: prefer sharpness over frame rate.
  if ('contentHint' in track) track.contentHint = 'detail';
  return track;
}

/** Whether the person or a policy refused access to a device. */
export function isRefusal(err) {
  return !!err && (err.name === 'NotAllowedError' || err.name === 'SecurityError' || err.name === 'PermissionDeniedError');
}

/** Whether the person (or a policy) said no to the screen picker: not an error worth a banner. */
export function isCancelled(err) {
  return isRefusal(err) || (err && err.name === 'AbortError');
}

/**
 * The i18n key of the sentence for a getUserMedia failure on a device kind ("audio" or "video").
 * Old Chrome names (PermissionDeniedError, DevicesNotFoundError, TrackStartError) still show up
 * on unmanaged PCs.
 */
export function mediaErrorKey(err, kind) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return 'media.denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
    case 'DevicesNotFoundError':
      return `media.notFound.${kind}`;
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return `media.busy.${kind}`;
    default:
      return `media.failed.${kind}`;
  }
}

/**
 * The devices the browser reports, by kind. Labels are empty until a permission was granted;
 * the caller names such devices "Camera 1", "Camera 2"...
 */
export async function listDevices() {
  const found = { cameras: [], microphones: [], speakers: [] };
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return found;
  const all = await navigator.mediaDevices.enumerateDevices();
  for (const d of all) {
    if (!d.deviceId) continue;
    if (d.kind === 'videoinput') found.cameras.push(d);
    else if (d.kind === 'audioinput') found.microphones.push(d);
    else if (d.kind === 'audiooutput') found.speakers.push(d);
  }
  return found;
}
