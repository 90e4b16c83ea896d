// A classic script, written in old JavaScript on purpose: it runs where vigie's modules do not
// (Internet Explorer and old Safari are still found on locked-down office PCs) and replaces the
// endless "Checking your link..." with what to do instead. When the modules have started, they
// have set window.vigie by the time the page has loaded, and this script does nothing.
(function () {
  var fr = /^fr/i.test(navigator.language || navigator.userLanguage || '');
  var text = fr
    ? 'vigie ne peut pas démarrer dans ce navigateur. Ouvrez le lien avec un navigateur récent (Edge, Chrome, Firefox ou Safari), sur ce poste ou sur un téléphone.'
    : 'vigie cannot start in this browser. Open the link in a recent browser (Edge, Chrome, Firefox or Safari), on this computer or on a phone.';

  function check() {
    if (window.vigie) return;
    var box = document.getElementById('prejoin-loading');
    if (!box) return;
    box.innerText = text;
    box.removeAttribute('hidden');
  }

  if (window.addEventListener) window.addEventListener('load', check, false);
  else if (window.attachEvent) window.attachEvent('onload', check);
})();
