/* <form data-submit-on-load>: sent as soon as the page is read (a SAML message's POST binding;
   the button stays for a browser without script). */
(function () {
  "use strict";
  document.querySelectorAll("form[data-submit-on-load]").forEach(function (form) {
    form.submit();
  });
})();
