// Every sentence the client shows, in French and English. The language follows the browser:
// fr* gives French, anything else English. Words are written for someone joining under stress,
// on a phone, possibly for the first time: say what happened and what to do next.

const strings = {
  en: {
    'landing.tagline': 'Video rooms for security incidents: the monitoring centre, police and rescue services see the site\u2019s cameras and talk together.',
    'landing.link': 'To join a room, open the personal link you received by e-mail.',
    'landing.nolink': 'No link? Ask the monitoring centre handling the incident to send you one.',

    'prejoin.checking': 'Checking your link\u2026',
    'prejoin.ready': 'Ready to join?',
    'prejoin.room': 'Room',
    'prejoin.name': 'Your name, as others will see it',
    'prejoin.camOff': 'Join with camera off',
    'prejoin.micOff': 'Join with microphone off',
    'prejoin.camera': 'Camera',
    'prejoin.microphone': 'Microphone',
    'prejoin.speaker': 'Speaker',
    'prejoin.default': 'Default',
    'prejoin.deviceN': '{kind} {n}',
    'prejoin.join': 'Join',
    'prejoin.joining': 'Joining\u2026',
    'prejoin.micLevel': 'Microphone level',
    'prejoin.previewOff': 'Camera off',
    'prejoin.noCamera': 'No camera',
    'prejoin.privacy': 'Nothing is sent to the room until you click Join.',
    'prejoin.expires': 'Your link is valid until {time}.',
    'prejoin.retry': 'Try again',
    'prejoin.soundOnly': 'You can join with sound only.',
    'prejoin.receiveOnly': 'You can still join: you will see and hear the others.',
    'prejoin.observer': 'You can watch and write, without microphone or camera.',

    'incident.kind.holdup': 'Hold-up',
    'incident.kind.panic': 'Panic alarm',
    'incident.kind.duress': 'Duress',
    'incident.kind.emergency': 'Emergency',
    'incident.kind.other': 'Alarm',
    'incident.openedAt': 'opened at {time}',
    'incident.openedOn': 'opened on {time}',
    'incident.personal': 'This invitation is personal: do not forward this link.',

    'media.denied': 'Your browser is blocking the camera and microphone. Click the camera icon in the address bar, allow access, then reload the page.',
    'media.notFound.video': 'No camera was found on this device.',
    'media.notFound.audio': 'No microphone was found on this device.',
    'media.busy.video': 'The camera is being used by another application (Teams, Zoom\u2026). Close it, then try again.',
    'media.busy.audio': 'The microphone is being used by another application. Close it, then try again.',
    'media.failed.video': 'The camera could not be started.',
    'media.failed.audio': 'The microphone could not be started.',
    'media.insecure': 'This page is not opened over a secure (https) connection, so the browser gives no access to the camera or microphone.',
    'media.unsupported': 'This browser gives no access to the camera or microphone.',
    'media.failed.screen': 'Your screen could not be shared.',

    'error.token_missing.title': 'This link is incomplete.',
    'error.token_missing.advice': 'Open the link exactly as it appears in your e-mail, or ask the operator who sent it for a new one.',
    'error.token_invalid.title': 'This link is damaged.',
    'error.token_invalid.advice': 'It may have been cut or changed when it was copied. Open it again from your e-mail, or ask the operator who sent it for a new one.',
    'error.token_expired.title': 'This link has expired.',
    'error.token_expired.advice': 'Ask the operator who sent you the link for a new one.',
    'error.token_wrong_room.title': 'This link is for another room.',
    'error.token_wrong_room.advice': 'Open the link you received for this incident, or ask the operator who sent it for the right one.',
    'error.room_not_found.title': 'This room does not exist.',
    'error.room_not_found.advice': 'Check that you opened the whole link from your e-mail. If it still fails, ask the operator who sent it for a new one.',
    'error.room_closed.title': 'This room is closed: this link no longer works.',
    'error.room_closed.advice': 'If you still need to talk to the monitoring centre, call them or ask the operator for a new link.',
    'error.incident_closed.title': 'The incident is closed: this link no longer works.',
    'error.incident_closed.advice': 'If you still need to talk to the monitoring centre, call them.',
    'error.invitation_revoked.title': 'This invitation was withdrawn by the operator.',
    'error.invitation_revoked.advice': 'Contact the monitoring centre if you think this is a mistake.',
    'error.forbidden.title': 'Your invitation does not allow sending sound or video.',
    'error.forbidden.advice': 'You can still watch the cameras and write in the chat.',
    'error.replaced.title': 'Your link was opened in another window or on another device.',
    'error.replaced.advice': 'The call goes on there. To use this window instead, click Rejoin here.',
    'error.negotiation_failed.title': 'The video connection could not be set up.',
    'error.negotiation_failed.advice': 'Click Rejoin. If it happens again, try another browser or network.',
    'error.too_large.title': 'That message is too long (2,000 characters at most).',
    'error.too_large.advice': 'Shorten it and send it again.',
    'error.room_full.title': 'This room is full.',
    'error.room_full.advice': 'Ask the operator to make room for you, then click Rejoin.',
    'error.server_full.title': 'The server is at its limit: it cannot open one more room now.',
    'error.server_full.advice': 'Ask the operator. Try again in a few minutes.',
    'error.too_many_messages.title': 'This page sent too many messages at once and was disconnected.',
    'error.too_many_messages.advice': 'Click Rejoin. If it happens again, reload the page and tell the operator.',
    'error.too_many_connections.title': 'Too many connections from your network in one minute.',
    'error.too_many_connections.advice': 'Wait a minute, then click Rejoin.',
    'error.internal.title': 'The server had a problem.',
    'error.internal.advice': 'Try again in a moment. If it happens again, tell the operator.',
    'error.network.title': 'The server cannot be reached.',
    'error.network.advice': 'Check that you are connected to the network, then try again.',
    'error.generic.title': 'Something went wrong between this page and the server.',
    'error.generic.advice': 'Reload the page. If it happens again, tell the operator who sent you the link.',

    'call.connecting': 'Connecting\u2026',
    'call.reconnecting': 'The connection is unstable. Reconnecting\u2026',
    'call.resuming': 'Reconnecting\u2026',
    'call.lost': 'Connection lost.',
    'call.mediaFailed': 'The video connection failed.',
    'call.rejoin': 'Rejoin',
    'call.dismiss': 'Dismiss',
    'call.waiting': 'Waiting for others to join\u2026',
    'call.soundBlocked': 'Your browser is holding back the sound of the call.',
    'call.enableSound': 'Turn sound on',
    'call.you': 'You',
    'call.youSuffix': '{name} (you)',
    'call.unknown': 'Participant',
    'call.screenOf': 'Screen of {name}',
    'call.recording': 'Recording',

    'controls.label': 'Call controls',
    'controls.mic': 'Mic',
    'controls.micMute': 'Turn microphone off',
    'controls.micUnmute': 'Turn microphone on',
    'controls.cam': 'Camera',
    'controls.camOff': 'Turn camera off',
    'controls.camOn': 'Turn camera on',
    'controls.screen': 'Share',
    'controls.screenStart': 'Share your screen',
    'controls.screenStop': 'Stop sharing your screen',
    'controls.chat': 'Chat',
    'controls.chatOpen': 'Open the chat',
    'controls.chatUnread': 'Open the chat, {n} unread',
    'controls.people': 'People',
    'controls.peopleOpen': 'Show the participants',
    'controls.leave': 'Leave',
    'controls.leaveLabel': 'Leave the room',

    'tile.enlarge': 'Enlarge the video of {name}',
    'tile.shrink': 'Back to all videos',
    'tile.micOff': 'Microphone off',

    'camera.live': 'LIVE',
    'camera.connecting': 'Connecting to the camera\u2026',
    'camera.reconnecting': 'Reconnecting\u2026',
    'camera.failed': 'Camera unavailable',
    'camera.waiting': 'Waiting for the picture\u2026',
    'camera.h265Unsupported': 'This browser cannot show this camera (H.265). Try a recent Chrome or Edge, or ask the administrator to add an H.264 sub-stream.',
    'camera.unnamed': 'Camera',
    'camera.mute': 'Mute this camera (for you only)',
    'camera.unmute': 'Turn this camera\u2019s sound back on',
    'camera.reason.auth': 'Wrong user name or password for the camera',
    'camera.reason.unreachable': 'Camera unreachable',
    'camera.reason.lost': 'Connection to the camera lost',
    'camera.reason.bframes': 'The camera sends B-frames, which browsers cannot play: turn them off in the camera\u2019s settings',
    'camera.reason.noVideo': 'The camera sends no video',
    'camera.reason.codec': 'The camera\u2019s video format ({codec}) is not supported',
    'camera.reason.codecAny': 'The camera\u2019s video format is not supported',
    'camera.audioUnsupported': 'Sound not supported ({codec})',

    'chat.title': 'Chat',
    'chat.close': 'Close the chat',
    'chat.empty': 'No messages yet.',
    'chat.input': 'Message',
    'chat.placeholder': 'Write a message',
    'chat.send': 'Send',

    'people.title': 'Participants',
    'people.close': 'Close the participant list',
    'people.micOn': 'microphone on',
    'people.micOff': 'microphone off',
    'people.camOn': 'camera on',
    'people.camOff': 'camera off',
    'people.screen': 'sharing the screen',
    'people.cameras': 'Cameras',
    'people.cameraLive': 'live',
    'people.cameraConnecting': 'connecting',
    'people.cameraReconnecting': 'reconnecting',
    'people.cameraFailed': 'unavailable',
    'people.watching': 'watches and writes',
    'role.operator': 'Operator',
    'role.participant': 'Participant',
    'role.responder': 'Responder',
    'role.committee': 'Crisis committee',
    'role.observer': 'Observer',
    'role.camera': 'Camera',

    'ended.left': 'You left the room.',
    'ended.leftAdvice': 'You can come back with the same link while it is valid.',
    'ended.rejoin': 'Rejoin',
    'ended.rejoinHere': 'Rejoin here',
  },

  fr: {
    'landing.tagline': 'Salles vidéo pour les incidents de sécurité\u00a0: télésurveillance, forces de l\u2019ordre et secours voient les caméras du site et se parlent.',
    'landing.link': 'Pour rejoindre une salle, ouvrez le lien personnel reçu par e-mail.',
    'landing.nolink': 'Pas de lien\u202f? Demandez-le au centre de télésurveillance qui gère l\u2019incident.',

    'prejoin.checking': 'Vérification de votre lien\u2026',
    'prejoin.ready': 'Prêt à rejoindre\u202f?',
    'prejoin.room': 'Salle',
    'prejoin.name': 'Votre nom, tel que les autres le verront',
    'prejoin.camOff': 'Rejoindre caméra coupée',
    'prejoin.micOff': 'Rejoindre micro coupé',
    'prejoin.camera': 'Caméra',
    'prejoin.microphone': 'Micro',
    'prejoin.speaker': 'Haut-parleur',
    'prejoin.default': 'Par défaut',
    'prejoin.deviceN': '{kind} {n}',
    'prejoin.join': 'Rejoindre',
    'prejoin.joining': 'Connexion\u2026',
    'prejoin.micLevel': 'Niveau du micro',
    'prejoin.previewOff': 'Caméra coupée',
    'prejoin.noCamera': 'Pas de caméra',
    'prejoin.privacy': 'Rien n\u2019est transmis à la salle avant que vous cliquiez sur Rejoindre.',
    'prejoin.expires': 'Votre lien est valable jusqu\u2019au {time}.',
    'prejoin.retry': 'Réessayer',
    'prejoin.soundOnly': 'Vous pouvez rejoindre avec le son seulement.',
    'prejoin.receiveOnly': 'Vous pouvez quand même rejoindre\u00a0: vous verrez et entendrez les autres.',
    'prejoin.observer': 'Vous pourrez voir et écrire, sans micro ni caméra.',

    'incident.kind.holdup': 'Agression',
    'incident.kind.panic': 'Alarme panique',
    'incident.kind.duress': 'Contrainte',
    'incident.kind.emergency': 'Urgence',
    'incident.kind.other': 'Alarme',
    'incident.openedAt': 'ouverte à {time}',
    'incident.openedOn': 'ouverte le {time}',
    'incident.personal': 'Vous êtes invité(e) à titre personnel\u00a0: ne transférez pas ce lien.',

    'media.denied': 'Votre navigateur bloque la caméra et le micro. Cliquez sur l\u2019icône de caméra dans la barre d\u2019adresse, autorisez l\u2019accès, puis rechargez la page.',
    'media.notFound.video': 'Aucune caméra n\u2019a été trouvée sur cet appareil.',
    'media.notFound.audio': 'Aucun micro n\u2019a été trouvé sur cet appareil.',
    'media.busy.video': 'La caméra est utilisée par une autre application (Teams, Zoom\u2026). Fermez-la, puis réessayez.',
    'media.busy.audio': 'Le micro est utilisé par une autre application. Fermez-la, puis réessayez.',
    'media.failed.video': 'La caméra n\u2019a pas pu démarrer.',
    'media.failed.audio': 'Le micro n\u2019a pas pu démarrer.',
    'media.insecure': 'Cette page n\u2019est pas ouverte en connexion sécurisée (https)\u00a0: le navigateur ne donne pas accès à la caméra ni au micro.',
    'media.unsupported': 'Ce navigateur ne donne pas accès à la caméra ni au micro.',
    'media.failed.screen': 'Votre écran n\u2019a pas pu être partagé.',

    'error.token_missing.title': 'Ce lien est incomplet.',
    'error.token_missing.advice': 'Ouvrez le lien tel qu\u2019il figure dans votre e-mail, ou demandez-en un nouveau à l\u2019opérateur qui vous l\u2019a envoyé.',
    'error.token_invalid.title': 'Ce lien est abîmé.',
    'error.token_invalid.advice': 'Il a pu être coupé ou modifié lors d\u2019un copier-coller. Rouvrez-le depuis votre e-mail, ou demandez-en un nouveau à l\u2019opérateur qui vous l\u2019a envoyé.',
    'error.token_expired.title': 'Ce lien a expiré.',
    'error.token_expired.advice': 'Demandez un nouveau lien à l\u2019opérateur qui vous l\u2019a envoyé.',
    'error.token_wrong_room.title': 'Ce lien correspond à une autre salle.',
    'error.token_wrong_room.advice': 'Ouvrez le lien reçu pour cet incident, ou demandez le bon lien à l\u2019opérateur qui vous l\u2019a envoyé.',
    'error.room_not_found.title': 'Cette salle n\u2019existe pas.',
    'error.room_not_found.advice': 'Vérifiez que vous avez ouvert le lien complet depuis votre e-mail. Si cela échoue encore, demandez un nouveau lien à l\u2019opérateur qui vous l\u2019a envoyé.',
    'error.room_closed.title': 'Cette salle est fermée\u00a0: ce lien ne fonctionne plus.',
    'error.room_closed.advice': 'Si vous devez encore joindre le centre de télésurveillance, appelez-le ou demandez un nouveau lien à l\u2019opérateur.',
    'error.incident_closed.title': 'L\u2019incident est clos\u00a0: ce lien ne fonctionne plus.',
    'error.incident_closed.advice': 'Si vous devez encore joindre le centre de télésurveillance, appelez-le.',
    'error.invitation_revoked.title': 'Cette invitation a été retirée par l\u2019opérateur.',
    'error.invitation_revoked.advice': 'Contactez le centre de surveillance si vous pensez que c\u2019est une erreur.',
    'error.forbidden.title': 'Votre invitation ne permet pas d\u2019envoyer du son ni de la vidéo.',
    'error.forbidden.advice': 'Vous pouvez toujours voir les caméras et écrire dans la discussion.',
    'error.replaced.title': 'Votre lien a été ouvert dans une autre fenêtre ou sur un autre appareil.',
    'error.replaced.advice': 'L\u2019appel continue là-bas. Pour utiliser cette fenêtre à la place, cliquez sur Rejoindre ici.',
    'error.negotiation_failed.title': 'La connexion vidéo n\u2019a pas pu être établie.',
    'error.negotiation_failed.advice': 'Cliquez sur Rejoindre. Si cela se reproduit, essayez un autre navigateur ou un autre réseau.',
    'error.too_large.title': 'Ce message est trop long (2\u00a0000 caractères au plus).',
    'error.too_large.advice': 'Raccourcissez-le et renvoyez-le.',
    'error.room_full.title': 'Cette salle est pleine.',
    'error.room_full.advice': 'Demandez à l\u2019opérateur de vous faire une place, puis cliquez sur Rejoindre.',
    'error.server_full.title': 'Le serveur est à sa limite\u00a0: il ne peut pas ouvrir une salle de plus pour le moment.',
    'error.server_full.advice': 'Prévenez l\u2019opérateur. Réessayez dans quelques minutes.',
    'error.too_many_messages.title': 'Cette page a envoyé trop de messages d\u2019un coup et a été déconnectée.',
    'error.too_many_messages.advice': 'Cliquez sur Rejoindre. Si cela se reproduit, rechargez la page et prévenez l\u2019opérateur.',
    'error.too_many_connections.title': 'Trop de connexions depuis votre réseau en une minute.',
    'error.too_many_connections.advice': 'Attendez une minute, puis cliquez sur Rejoindre.',
    'error.internal.title': 'Le serveur a rencontré un problème.',
    'error.internal.advice': 'Réessayez dans un instant. Si cela se reproduit, prévenez l\u2019opérateur.',
    'error.network.title': 'Le serveur est injoignable.',
    'error.network.advice': 'Vérifiez que vous êtes connecté au réseau, puis réessayez.',
    'error.generic.title': 'Un problème est survenu entre cette page et le serveur.',
    'error.generic.advice': 'Rechargez la page. Si cela se reproduit, prévenez l\u2019opérateur qui vous a envoyé le lien.',

    'call.connecting': 'Connexion\u2026',
    'call.reconnecting': 'La connexion est instable. Reconnexion\u2026',
    'call.resuming': 'Reconnexion\u2026',
    'call.lost': 'Connexion perdue.',
    'call.mediaFailed': 'La connexion vidéo a échoué.',
    'call.rejoin': 'Rejoindre',
    'call.dismiss': 'Fermer',
    'call.waiting': 'En attente des autres participants\u2026',
    'call.soundBlocked': 'Votre navigateur retient le son de l\u2019appel.',
    'call.enableSound': 'Activer le son',
    'call.you': 'Vous',
    'call.youSuffix': '{name} (vous)',
    'call.unknown': 'Participant',
    'call.screenOf': 'Écran de {name}',
    'call.recording': 'Enregistrement en cours',

    'controls.label': 'Commandes de l\u2019appel',
    'controls.mic': 'Micro',
    'controls.micMute': 'Couper le micro',
    'controls.micUnmute': 'Activer le micro',
    'controls.cam': 'Caméra',
    'controls.camOff': 'Couper la caméra',
    'controls.camOn': 'Activer la caméra',
    'controls.screen': 'Partager',
    'controls.screenStart': 'Partager votre écran',
    'controls.screenStop': 'Arrêter le partage d\u2019écran',
    'controls.chat': 'Chat',
    'controls.chatOpen': 'Ouvrir la discussion',
    'controls.chatUnread': 'Ouvrir la discussion, {n} non lus',
    'controls.people': 'Présents',
    'controls.peopleOpen': 'Afficher les participants',
    'controls.leave': 'Quitter',
    'controls.leaveLabel': 'Quitter la salle',

    'tile.enlarge': 'Agrandir la vidéo de {name}',
    'tile.shrink': 'Revenir à toutes les vidéos',
    'tile.micOff': 'Micro coupé',

    'camera.live': 'EN DIRECT',
    'camera.connecting': 'Connexion à la caméra\u2026',
    'camera.reconnecting': 'Reconnexion\u2026',
    'camera.failed': 'Caméra indisponible',
    'camera.waiting': 'En attente de l\u2019image\u2026',
    'camera.h265Unsupported': 'Ce navigateur ne sait pas afficher cette caméra (H.265). Essayez Chrome ou Edge récents, ou demandez à l\u2019administrateur d\u2019ajouter un flux secondaire H.264.',
    'camera.unnamed': 'Caméra',
    'camera.mute': 'Couper le son de cette caméra (pour vous seulement)',
    'camera.unmute': 'Rétablir le son de cette caméra',
    'camera.reason.auth': 'Identifiant ou mot de passe de la caméra incorrect',
    'camera.reason.unreachable': 'Caméra injoignable',
    'camera.reason.lost': 'Connexion à la caméra perdue',
    'camera.reason.bframes': 'La caméra envoie des images B, que les navigateurs ne savent pas lire\u00a0: désactivez-les dans ses réglages',
    'camera.reason.noVideo': 'La caméra n\u2019envoie pas de vidéo',
    'camera.reason.codec': 'Format vidéo de la caméra ({codec}) non pris en charge',
    'camera.reason.codecAny': 'Format vidéo de la caméra non pris en charge',
    'camera.audioUnsupported': 'Son non pris en charge ({codec})',

    'chat.title': 'Discussion',
    'chat.close': 'Fermer la discussion',
    'chat.empty': 'Aucun message pour l\u2019instant.',
    'chat.input': 'Message',
    'chat.placeholder': 'Écrire un message',
    'chat.send': 'Envoyer',

    'people.title': 'Participants',
    'people.close': 'Fermer la liste des participants',
    'people.micOn': 'micro activé',
    'people.micOff': 'micro coupé',
    'people.camOn': 'caméra activée',
    'people.camOff': 'caméra coupée',
    'people.screen': 'partage son écran',
    'people.cameras': 'Caméras',
    'people.cameraLive': 'en direct',
    'people.cameraConnecting': 'connexion',
    'people.cameraReconnecting': 'reconnexion',
    'people.cameraFailed': 'indisponible',
    'people.watching': 'voit et écrit',
    'role.operator': 'Opérateur',
    'role.participant': 'Participant',
    'role.responder': 'Intervenant',
    'role.committee': 'Cellule de crise',
    'role.observer': 'Observateur',
    'role.camera': 'Caméra',

    'ended.left': 'Vous avez quitté la salle.',
    'ended.leftAdvice': 'Vous pouvez revenir avec le même lien tant qu\u2019il est valable.',
    'ended.rejoin': 'Rejoindre',
    'ended.rejoinHere': 'Rejoindre ici',
  },
};

function pickLanguage() {
  const wanted = (navigator.languages && navigator.languages[0]) || navigator.language || 'en';
  return wanted.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

/** The language of the page: "fr" or "en". */
export const lang = pickLanguage();

/**
 * The sentence for key, with {name} placeholders replaced from vars. An unknown key falls back to
 * English, then to the key itself, so a missing translation never shows an empty screen.
 */
export function t(key, vars = {}) {
  const text = strings[lang][key] ?? strings.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** Whether a sentence exists for key (used to fall back for unknown error codes). */
export function has(key) {
  return key in strings.en;
}

// Codes that read differently when the link is an incident's invitation.
const incidentWords = { room_closed: 'incident_closed' };

/**
 * The title and advice for a protocol error code. Codes without their own words get the generic
 * sentence: an officer does not need to know what "bad_message" means. With incident true (the
 * link is an invitation to an incident), a closed room is said to be a closed incident.
 */
export function errorWords(code, { incident = false } = {}) {
  const wanted = incident && incidentWords[code] ? incidentWords[code] : code;
  const known = has(`error.${wanted}.title`) ? wanted : 'generic';
  return { title: t(`error.${known}.title`), advice: t(`error.${known}.advice`) };
}

/** The words for an alarm kind (holdup, panic, duress, emergency); any other kind is an "alarm". */
export function alarmKindWords(kind) {
  return has(`incident.kind.${kind}`) ? t(`incident.kind.${kind}`) : t('incident.kind.other');
}

/**
 * Sets <html lang> and fills the static markup: data-i18n sets the text, data-i18n-label the
 * aria-label, data-i18n-placeholder the placeholder, data-i18n-title the title.
 */
export function translatePage(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

/** A clock time such as "14:05" in the page's language. */
export function formatTime(date) {
  return new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { hour: '2-digit', minute: '2-digit' }).format(date);
}

/** A date and time such as "28 Nov, 14:05". */
export function formatDateTime(date) {
  return new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', {
    day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit',
  }).format(date);
}
