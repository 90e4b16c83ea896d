// The sentences of the files panel, in French and English (the page's language, from i18n.js).

import { lang } from './i18n.js';

const strings = {
  en: {
    'files.button': 'Files',
    'files.open': 'Open the files',
    'files.openNew': 'Open the files, {n} new',
    'files.title': 'Files',
    'files.close': 'Close the files',
    'files.add': 'Add files',
    'files.drop': 'Drop the files to share them with the room',
    'files.empty': 'No files yet. Add photos, PDF documents or video clips: everyone in the room will see them.',
    'files.by': '{name}, {time}',
    'files.download': 'Download',
    'files.openPdf': 'Open',
    'files.withdraw': 'Withdraw',
    'files.withdrawConfirm': 'Withdraw \u201c{name}\u201d for everyone in the room? It stays in the incident record.',
    'files.sending': 'Sending {name}\u2026',
    'files.tooLarge': '\u201c{name}\u201d: this file is over {size}.',
    'files.failed': '\u201c{name}\u201d could not be sent. Check your connection, then try again.',
    'files.observer': 'Observers cannot share files.',
    'files.gone': 'This file is no longer available.',
    'files.withdrawFailed': 'The file could not be withdrawn. Try again.',
    'files.mb': '{n} MB',
    'files.gb': '{n} GB',
    'files.kb': '{n} KB',
    'files.bytes': '{n} bytes',
  },
  fr: {
    'files.button': 'Fichiers',
    'files.open': 'Ouvrir les fichiers',
    'files.openNew': 'Ouvrir les fichiers, {n} nouveaux',
    'files.title': 'Fichiers',
    'files.close': 'Fermer les fichiers',
    'files.add': 'Ajouter des fichiers',
    'files.drop': 'Déposez les fichiers pour les partager avec la salle',
    'files.empty': 'Aucun fichier pour l\u2019instant. Ajoutez des photos, des PDF ou des extraits vidéo : toute la salle les verra.',
    'files.by': '{name}, {time}',
    'files.download': 'Télécharger',
    'files.openPdf': 'Ouvrir',
    'files.withdraw': 'Retirer',
    'files.withdrawConfirm': 'Retirer \u00ab\u00a0{name}\u00a0\u00bb pour toute la salle\u00a0? Il reste dans le dossier de l\u2019incident.',
    'files.sending': 'Envoi de {name}\u2026',
    'files.tooLarge': '\u00ab\u00a0{name}\u00a0\u00bb\u00a0: ce fichier dépasse {size}.',
    'files.failed': '\u00ab\u00a0{name}\u00a0\u00bb n\u2019a pas pu être envoyé. Vérifiez votre connexion, puis réessayez.',
    'files.observer': 'Les observateurs ne peuvent pas partager de fichiers.',
    'files.gone': 'Ce fichier n\u2019est plus disponible.',
    'files.withdrawFailed': 'Le fichier n\u2019a pas pu être retiré. Réessayez.',
    'files.mb': '{n} Mo',
    'files.gb': '{n} Go',
    'files.kb': '{n} Ko',
    'files.bytes': '{n} octets',
  },
};

/** The files panel's sentence for key, with {name} placeholders replaced from vars. */
export function ft(key, vars = {}) {
  const text = strings[lang][key] ?? strings.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** A size such as "500 MB" / "500 Mo" (binary multiples, as the server counts). */
export function formatSize(bytes) {
  const n = Number(bytes) || 0;
  const round = (v) => (v >= 10 ? Math.round(v) : Math.round(v * 10) / 10).toLocaleString(lang);
  if (n >= 2 ** 30) return ft('files.gb', { n: round(n / 2 ** 30) });
  if (n >= 2 ** 20) return ft('files.mb', { n: round(n / 2 ** 20) });
  if (n >= 2 ** 10) return ft('files.kb', { n: round(n / 2 ** 10) });
  return ft('files.bytes', { n });
}

/** Fills the files markup of the page: data-files-i18n and data-files-i18n-label. */
export function translateFiles(root = document) {
  for (const node of root.querySelectorAll('[data-files-i18n]')) node.textContent = ft(node.dataset.filesI18n);
  for (const node of root.querySelectorAll('[data-files-i18n-label]')) node.setAttribute('aria-label', ft(node.dataset.filesI18nLabel));
}
