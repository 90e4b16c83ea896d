// The operator console's sentences, in French and English, apart from the room's (js/i18n.js):
// the console is a work tool for monitoring-centre operators, with its own words. The language
// follows the browser: fr* gives French, anything else English.

const strings = {
  en: {
    'console.title': 'Operator console',
    'console.loading': 'Loading\u2026',
    'console.logout': 'Log out',
    'console.live': 'Live \u00b7 updated {time}',
    'console.offline': 'Connection lost: retrying\u2026',
    'console.unavailable': 'The console is not enabled on this server: the administrator must configure sites and operators.',
    'console.sessionEnded': 'Your session has ended: log in again.',
    'console.retry': 'Try again',

    'login.title': 'Operator console',
    'login.lead': 'Log in with your operator account.',
    'login.username': 'User name',
    'login.password': 'Password',
    'login.submit': 'Log in',
    'login.busy': 'Logging in\u2026',
    'login.failed': 'Wrong user name or password.',
    'login.tooMany': 'Too many failed attempts. Try again in {minutes} min.',
    'login.missing': 'Enter your user name and password.',

    'sites.title': 'Sites',
    'sites.filter': 'Search a site',
    'sites.none': 'No site matches.',
    'sites.cameras': '{n} cameras',
    'sites.camera': '1 camera',
    'sites.noCamera': 'No camera',
    'sites.open': 'Incident open',
    'sites.raise': 'Raise alarm',
    'sites.raiseLabel': 'Raise an alarm for {site}',

    'raise.title': 'Raise an alarm',
    'raise.kind': 'Kind of alarm',
    'raise.warning': 'The site\u2019s crisis committee is alerted by e-mail at once.',
    'raise.confirm': 'Raise the alarm',
    'raise.busy': 'Raising\u2026',
    'raise.opened': 'Alarm raised for {site}: the committee is being alerted.',
    'raise.joined': 'An incident was already open for {site}: the alarm was added to it.',

    'kind.holdup': 'Assault / hold-up',
    'kind.panic': 'Panic',
    'kind.duress': 'Duress',
    'kind.emergency': 'Emergency',
    'kind.other': 'Other',

    'incidents.title': 'Open incidents',
    'incidents.none': 'No open incident.',
    'incidents.opened': 'Opened at {time}',
    'incidents.ago': '{time} ago',
    'incidents.room': 'Open the room',
    'incidents.roomLabel': 'Open the room of {site} in a new tab',
    'incidents.close': 'Close',
    'incidents.closeLabel': 'Close the incident of {site}',
    'incidents.evidence': 'Export evidence',
    'incidents.evidenceLabel': 'Download the signed evidence bundle of {site}',
    'evidence.key': 'Evidence bundles are signed with the key {fingerprint}.',
    'incidents.summary': 'In the room: {joined} \u00b7 Link opened: {opened} \u00b7 Sent: {sent} \u00b7 Failed: {failed}',
    'incidents.noInvitation': 'Nobody is invited: the site has no crisis committee.',
    'incidents.closeTitle': 'Close this incident?',
    'incidents.closeText': '{site}: every link stops working, the room closes and nobody else is alerted.',
    'incidents.closeConfirm': 'Close the incident',
    'incidents.closed': 'Incident of {site} closed.',

    'inv.name': 'Name',
    'inv.role': 'Role',
    'inv.email': 'E-mail',
    'inv.state': 'State',
    'inv.openedAt': 'Opened',
    'inv.joinedAt': 'Joined',
    'inv.actions': 'Actions',
    'inv.revoke': 'Revoke',
    'inv.revokeLabel': 'Revoke the link of {name}',
    'inv.revokeTitle': 'Revoke this link?',
    'inv.revokeText': '{name} ({email}) can no longer enter the room with this link.',
    'inv.revokeConfirm': 'Revoke the link',
    'inv.revoked': 'The link of {name} is revoked.',
    'inv.escalation': 'escalation',

    'invite.open': 'Invite someone',
    'invite.formLabel': 'Invite someone to the incident of {site}',
    'invite.email': 'E-mail',
    'invite.name': 'Name (optional)',
    'invite.role': 'Role',
    'invite.language': 'E-mail language',
    'invite.submit': 'Invite',
    'invite.busy': 'Inviting\u2026',
    'invite.done': '{who} is invited: the e-mail is on its way and its state shows in the list.',
    'invite.missing': 'Enter the e-mail address of the person to invite.',
    'invite.badEmail': '\u201c{email}\u201d is not a valid e-mail address.',
    'invite.already': '{email} is already on this incident\u2019s list ({state}).',
    'invite.closed': 'This incident is closed: nobody can be invited to it any more.',

    'lang.fr': 'French',
    'lang.en': 'English',

    'state.created': 'Queued',
    'state.sent': 'Sent',
    'state.failed': 'Failed',
    'state.retrying': 'Failed, retrying at {time}',
    'state.opened': 'Link opened',
    'state.joined': 'In the room',
    'state.revoked': 'Revoked',

    'role.responder': 'Responder',
    'role.committee': 'Crisis committee',
    'role.observer': 'Observer',

    'common.cancel': 'Cancel',
    'common.minutes': '{n} min',
    'common.hours': '{h} h {m} min',
    'common.seconds': 'less than a minute',

    'error.network': 'The server cannot be reached. Check the network and try again.',
    'error.not_found': 'This incident or invitation no longer exists.',
    'error.bad_request': 'The server refused the request: {message}',
    'error.generic': 'The server had a problem ({message}). Try again.',

    'playback.title': 'Recorded footage',
    'playback.formLabel': 'Play recorded footage of {site} in the room',
    'playback.camera': 'Camera',
    'playback.from': 'Start',
    'playback.to': 'End',
    'playback.hint': 'Local time, with the date. Everyone in the room sees the footage.',
    'playback.play': 'Play in the room',
    'playback.busy': 'Starting\u2026',
    'playback.started': '{camera}: the recording is playing in the room.',
    'playback.line': '{camera} \u2014 recorded {time} \u2014 {state}',
    'playback.range': 'Asked for: {from} to {to}',
    'playback.state.playing': 'playing',
    'playback.state.paused': 'paused',
    'playback.state.ended': 'ended',
    'playback.endedUntil': 'Its clip can be saved until {until}.',
    'playback.dismiss': 'Dismiss',
    'playback.dismissLabel': 'Dismiss the ended recording of {camera}: its clip can no longer be saved',
    'playback.dismissed': '{camera}: the ended recording is dismissed.',
    'playback.forgotten': '{camera}: the ended recording is gone, its clip can no longer be saved.',
    'playback.gone': '{camera}: the recording is no longer playing.',
    'playback.error.ended': 'This recording has ended: only its clip can still be saved.',
    'playback.error.clipGone': 'This recording is gone: its clip can no longer be saved.',
    'playback.listLabel': 'Recordings playing in the room',
    'playback.pause': 'Pause',
    'playback.resume': 'Resume',
    'playback.stop': 'Stop',
    'playback.clip': 'Save clip',
    'playback.clipBusy': 'Saving\u2026',
    'playback.pauseLabel': 'Pause the recording of {camera}',
    'playback.resumeLabel': 'Resume the recording of {camera}',
    'playback.stopLabel': 'Stop the recording of {camera} and take it out of the room',
    'playback.clipLabel': 'Save what was played of {camera} as a clip shared in the room',
    'playback.stopped': '{camera}: the recording is stopped. Its clip can still be saved.',
    'playback.clipDone': 'Clip shared in the room: {name}',
    'playback.error.missing': 'Enter the start and the end, with the date.',
    'playback.error.future': 'The start is in the future: the recorder has nothing yet.',
    'playback.error.order': 'The end must come after the start.',
    'playback.error.tooLong': 'At most 24 hours at a time: move the start or the end.',
    'playback.error.range': 'The recorder cannot play this time range: check the start and the end.',
    'playback.error.camera': 'This camera has no recorder vigie can play from.',
    'playback.error.recorder': 'The recorder cannot be reached or refused the request. Check that it is on, then try again.',
    'playback.error.tooMany': 'Too many recordings are playing at once: stop one, then try again.',
    'playback.error.closed': 'This incident is closed: nothing more can be shown in its room.',
    'playback.error.gone': 'This recording is no longer playing.',
    'playback.error.clip': 'The clip could not be saved. Try again.',
    'playback.error.noFootage': 'Nothing has been shown yet: try again in a few seconds.',
    'playback.error.load': 'The recordings playing could not be listed: retrying\u2026',
  },

  fr: {
    'console.title': 'Console opérateur',
    'console.loading': 'Chargement\u2026',
    'console.logout': 'Se déconnecter',
    'console.live': 'En direct \u00b7 mis à jour à {time}',
    'console.offline': 'Connexion perdue\u00a0: nouvel essai\u2026',
    'console.unavailable': 'La console n\u2019est pas activée sur ce serveur\u00a0: l\u2019administrateur doit configurer des sites et des opérateurs.',
    'console.sessionEnded': 'Votre session a pris fin\u00a0: reconnectez-vous.',
    'console.retry': 'Réessayer',

    'login.title': 'Console opérateur',
    'login.lead': 'Connectez-vous avec votre compte opérateur.',
    'login.username': 'Identifiant',
    'login.password': 'Mot de passe',
    'login.submit': 'Se connecter',
    'login.busy': 'Connexion\u2026',
    'login.failed': 'Identifiant ou mot de passe incorrect.',
    'login.tooMany': 'Trop d\u2019essais infructueux. Réessayez dans {minutes}\u00a0min.',
    'login.missing': 'Saisissez votre identifiant et votre mot de passe.',

    'sites.title': 'Sites',
    'sites.filter': 'Chercher un site',
    'sites.none': 'Aucun site ne correspond.',
    'sites.cameras': '{n} caméras',
    'sites.camera': '1 caméra',
    'sites.noCamera': 'Aucune caméra',
    'sites.open': 'Incident en cours',
    'sites.raise': 'Déclencher une alerte',
    'sites.raiseLabel': 'Déclencher une alerte pour {site}',

    'raise.title': 'Déclencher une alerte',
    'raise.kind': 'Type d\u2019alerte',
    'raise.warning': 'La cellule de crise du site est alertée par e-mail immédiatement.',
    'raise.confirm': 'Déclencher l\u2019alerte',
    'raise.busy': 'Déclenchement\u2026',
    'raise.opened': 'Alerte déclenchée pour {site}\u00a0: la cellule de crise est prévenue.',
    'raise.joined': 'Un incident était déjà ouvert pour {site}\u00a0: l\u2019alerte y a été ajoutée.',

    'kind.holdup': 'Agression / hold-up',
    'kind.panic': 'Panique',
    'kind.duress': 'Contrainte',
    'kind.emergency': 'Urgence',
    'kind.other': 'Autre',

    'incidents.title': 'Incidents en cours',
    'incidents.none': 'Aucun incident en cours.',
    'incidents.opened': 'Ouvert à {time}',
    'incidents.ago': 'il y a {time}',
    'incidents.room': 'Ouvrir la salle',
    'incidents.roomLabel': 'Ouvrir la salle de {site} dans un nouvel onglet',
    'incidents.close': 'Clore',
    'incidents.closeLabel': 'Clore l\u2019incident de {site}',
    'incidents.evidence': 'Exporter les preuves',
    'incidents.evidenceLabel': 'Télécharger le dossier de preuves signé de {site}',
    'evidence.key': 'Les dossiers de preuves sont signés avec la clé {fingerprint}.',
    'incidents.summary': 'Dans la salle\u00a0: {joined} \u00b7 Lien ouvert\u00a0: {opened} \u00b7 Envoyée\u00a0: {sent} \u00b7 Échec\u00a0: {failed}',
    'incidents.noInvitation': 'Personne n\u2019est invité\u00a0: le site n\u2019a pas de cellule de crise.',
    'incidents.closeTitle': 'Clore cet incident\u202f?',
    'incidents.closeText': '{site}\u00a0: tous les liens cessent de fonctionner, la salle ferme et plus personne n\u2019est alerté.',
    'incidents.closeConfirm': 'Clore l\u2019incident',
    'incidents.closed': 'Incident de {site} clos.',

    'inv.name': 'Nom',
    'inv.role': 'Rôle',
    'inv.email': 'E-mail',
    'inv.state': 'État',
    'inv.openedAt': 'Ouvert',
    'inv.joinedAt': 'En salle',
    'inv.actions': 'Actions',
    'inv.revoke': 'Révoquer',
    'inv.revokeLabel': 'Révoquer le lien de {name}',
    'inv.revokeTitle': 'Révoquer ce lien\u202f?',
    'inv.revokeText': '{name} ({email}) ne peut plus entrer dans la salle avec ce lien.',
    'inv.revokeConfirm': 'Révoquer le lien',
    'inv.revoked': 'Le lien de {name} est révoqué.',
    'inv.escalation': 'escalade',

    'invite.open': 'Inviter une personne',
    'invite.formLabel': 'Inviter une personne à l\u2019incident de {site}',
    'invite.email': 'E-mail',
    'invite.name': 'Nom (facultatif)',
    'invite.role': 'Rôle',
    'invite.language': 'Langue de l\u2019e-mail',
    'invite.submit': 'Inviter',
    'invite.busy': 'Invitation\u2026',
    'invite.done': 'Invitation créée pour {who}\u00a0: l\u2019e-mail part, son état s\u2019affiche dans la liste.',
    'invite.missing': 'Saisissez l\u2019adresse e-mail de la personne à inviter.',
    'invite.badEmail': '\u00ab\u00a0{email}\u00a0\u00bb n\u2019est pas une adresse e-mail valable.',
    'invite.already': '{email} figure déjà dans la liste de cet incident ({state}).',
    'invite.closed': 'Cet incident est clos\u00a0: plus personne ne peut y être invité.',

    'lang.fr': 'Français',
    'lang.en': 'Anglais',

    'state.created': 'En attente',
    'state.sent': 'Envoyée',
    'state.failed': 'Échec',
    'state.retrying': 'Échec, nouvel essai à {time}',
    'state.opened': 'Lien ouvert',
    'state.joined': 'Dans la salle',
    'state.revoked': 'Révoquée',

    'role.responder': 'Intervenant',
    'role.committee': 'Cellule de crise',
    'role.observer': 'Observateur',

    'common.cancel': 'Annuler',
    'common.minutes': '{n}\u00a0min',
    'common.hours': '{h}\u00a0h\u00a0{m}\u00a0min',
    'common.seconds': 'moins d\u2019une minute',

    'error.network': 'Le serveur est injoignable. Vérifiez le réseau et réessayez.',
    'error.not_found': 'Cet incident ou cette invitation n\u2019existe plus.',
    'error.bad_request': 'Le serveur a refusé la demande\u00a0: {message}',
    'error.generic': 'Le serveur a rencontré un problème ({message}). Réessayez.',

    'playback.title': 'Images enregistrées',
    'playback.formLabel': 'Lire dans la salle des images enregistrées de {site}',
    'playback.camera': 'Caméra',
    'playback.from': 'Début',
    'playback.to': 'Fin',
    'playback.hint': 'Heure locale, avec la date. Toute la salle voit les images.',
    'playback.play': 'Lire dans la salle',
    'playback.busy': 'Démarrage\u2026',
    'playback.started': '{camera}\u00a0: l\u2019enregistrement est lu dans la salle.',
    'playback.line': '{camera} \u2014 enregistré {time} \u2014 {state}',
    'playback.range': 'Demandé\u00a0: de {from} à {to}',
    'playback.state.playing': 'en lecture',
    'playback.state.paused': 'en pause',
    'playback.state.ended': 'terminé',
    'playback.endedUntil': 'Son extrait peut être enregistré jusqu\u2019à {until}.',
    'playback.dismiss': 'Retirer',
    'playback.dismissLabel': 'Retirer l\u2019enregistrement terminé de {camera}\u00a0: son extrait ne pourra plus être enregistré',
    'playback.dismissed': '{camera}\u00a0: l\u2019enregistrement terminé est retiré.',
    'playback.forgotten': '{camera}\u00a0: l\u2019enregistrement terminé a expiré, son extrait ne peut plus être enregistré.',
    'playback.gone': '{camera}\u00a0: l\u2019enregistrement n\u2019est plus lu.',
    'playback.error.ended': 'Cet enregistrement est terminé\u00a0: seul son extrait peut encore être enregistré.',
    'playback.error.clipGone': 'Cet enregistrement n\u2019est plus disponible\u00a0: son extrait ne peut plus être enregistré.',
    'playback.listLabel': 'Enregistrements lus dans la salle',
    'playback.pause': 'Pause',
    'playback.resume': 'Reprendre',
    'playback.stop': 'Arrêter',
    'playback.clip': 'Enregistrer l\u2019extrait',
    'playback.clipBusy': 'Enregistrement\u2026',
    'playback.pauseLabel': 'Mettre en pause l\u2019enregistrement de {camera}',
    'playback.resumeLabel': 'Reprendre l\u2019enregistrement de {camera}',
    'playback.stopLabel': 'Arrêter l\u2019enregistrement de {camera} et le retirer de la salle',
    'playback.clipLabel': 'Enregistrer ce qui a été lu de {camera} comme extrait partagé dans la salle',
    'playback.stopped': '{camera}\u00a0: l\u2019enregistrement est arrêté. Son extrait peut encore être enregistré.',
    'playback.clipDone': 'Extrait partagé dans la salle\u00a0: {name}',
    'playback.error.missing': 'Indiquez le début et la fin, avec la date.',
    'playback.error.future': 'Le début est dans le futur\u00a0: l\u2019enregistreur n\u2019a encore rien.',
    'playback.error.order': 'La fin doit venir après le début.',
    'playback.error.tooLong': '24\u00a0heures au plus à la fois\u00a0: rapprochez le début et la fin.',
    'playback.error.range': 'L\u2019enregistreur ne peut pas lire cette plage\u00a0: vérifiez le début et la fin.',
    'playback.error.camera': 'Cette caméra n\u2019a pas d\u2019enregistreur que vigie puisse lire.',
    'playback.error.recorder': 'L\u2019enregistreur est injoignable ou a refusé la demande. Vérifiez qu\u2019il est allumé, puis réessayez.',
    'playback.error.tooMany': 'Trop d\u2019enregistrements sont lus en même temps\u00a0: arrêtez-en un, puis réessayez.',
    'playback.error.closed': 'Cet incident est clos\u00a0: plus rien ne peut être montré dans sa salle.',
    'playback.error.gone': 'Cet enregistrement n\u2019est plus lu.',
    'playback.error.clip': 'L\u2019extrait n\u2019a pas pu être enregistré. Réessayez.',
    'playback.error.noFootage': 'Rien n\u2019a encore été montré\u00a0: réessayez dans quelques secondes.',
    'playback.error.load': 'La liste des enregistrements lus n\u2019a pas pu être chargée\u00a0: nouvel essai\u2026',
  },
};

function pickLanguage() {
  const wanted = (navigator.languages && navigator.languages[0]) || navigator.language || 'en';
  return wanted.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

/** The language of the console: "fr" or "en". */
export const lang = pickLanguage();

const locale = lang === 'fr' ? 'fr-FR' : 'en-GB';

/** The sentence for key with {name} placeholders filled; English, then the key, as fallbacks. */
export function t(key, vars = {}) {
  const text = strings[lang][key] ?? strings.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** Whether a sentence exists for key. */
export function has(key) {
  return key in strings.en;
}

/** Fills the static markup: data-i18n (text), data-i18n-label (aria-label), data-i18n-placeholder. */
export function translatePage(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
}

const clock = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' });
const clockSeconds = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dayClock = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

/** "14:05", or "28 Nov, 14:05" for another day than today. */
export function formatTime(date) {
  const now = new Date();
  return date.toDateString() === now.toDateString() ? clock.format(date) : dayClock.format(date);
}

/** "14:05:32", for the last refresh. */
export function formatClock(date) {
  return clockSeconds.format(date);
}

/** How long since date, in words: "less than a minute", "12 min", "2 h 05 min". */
export function formatElapsed(date, now = new Date()) {
  const minutes = Math.floor(Math.max(0, now - date) / 60000);
  if (minutes < 1) return t('common.seconds');
  if (minutes < 60) return t('common.minutes', { n: minutes });
  return t('common.hours', { h: Math.floor(minutes / 60), m: String(minutes % 60).padStart(2, '0') });
}
