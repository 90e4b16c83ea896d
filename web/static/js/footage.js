// Recorded footage (NVR playback, docs/recording.md) without the page: the times of the console's
// form and the names of the room's recorded tracks. No DOM here, so Node tests it as it is
// (e2e/footage-unit.test.mjs).

/** The longest range a recorder is asked for, as the server checks it. */
export const MAX_RANGE_MS = 24 * 3600 * 1000;

// The form's defaults around the alarm: from 5 minutes before to 1 minute after.
const BEFORE_ALARM_MS = 5 * 60 * 1000;
const AFTER_ALARM_MS = 60 * 1000;

const pad = (n) => String(n).padStart(2, '0');

/** A date as a datetime-local value with seconds, in the browser's time zone: "2026-12-04T15:02:10". */
export function toLocalInput(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/**
 * The date of a datetime-local value read in the browser's time zone ("2026-12-04T15:02" or with
 * seconds, as browsers give it), or null when it is empty or not such a value.
 */
export function fromLocalInput(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(String(value || '').trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((part) => Number(part ?? 0));
  const date = new Date(year, month - 1, day, hour, minute, second);
  // new Date rolls "2026-02-31" over to March: such a value is not a date.
  if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) return null;
  return date;
}

/** A date as the server wants it: RFC 3339 UTC, to the second ("2026-12-04T14:02:10Z"). */
export function toUTC(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The form's default range for an alarm at alarmISO: {from, to} as datetime-local values. */
export function defaultRange(alarmISO) {
  const alarm = new Date(alarmISO);
  const at = Number.isNaN(alarm.getTime()) ? new Date() : alarm;
  at.setMilliseconds(0);
  return {
    from: toLocalInput(new Date(at.getTime() - BEFORE_ALARM_MS)),
    to: toLocalInput(new Date(at.getTime() + AFTER_ALARM_MS)),
  };
}

/**
 * Checks the form's two values; now is the current time. It returns {error} with the reason
 * ("missing", "order", "tooLong", "future") and the field to fix ("from" or "to"), or {from, to}
 * as RFC 3339 UTC times to send.
 */
export function checkRange(fromValue, toValue, now = new Date()) {
  const from = fromLocalInput(fromValue);
  const to = fromLocalInput(toValue);
  if (!from) return { error: 'missing', field: 'from' };
  if (!to) return { error: 'missing', field: 'to' };
  if (from.getTime() >= now.getTime()) return { error: 'future', field: 'from' };
  if (to.getTime() <= from.getTime()) return { error: 'order', field: 'to' };
  if (to.getTime() - from.getTime() > MAX_RANGE_MS) return { error: 'tooLong', field: 'to' };
  return { from: toUTC(from), to: toUTC(to) };
}

/**
 * The site camera whose recorded footage a room track shows, or '' for any other track. The
 * server names a playback's track "<camera>-rec-<playback id>"; cameras are the room's site
 * camera ids, so that a camera whose own id has "-rec-" in it is not taken for a recording.
 */
export function recordedSource(track, cameras) {
  const id = String(track || '');
  const all = [...cameras];
  if (all.includes(id)) return '';
  for (const camera of all) {
    const prefix = `${camera}-rec-`;
    if (id.startsWith(prefix) && /^[0-9A-Za-z_]+$/.test(id.slice(prefix.length))) return camera;
  }
  return '';
}
