/*
 * The pages behind the links in our emails (gql_portal.pages):
 *
 * - /login: confirms the email address with the link's token (verifyEmail), offers a new
 *   link when it has expired (resendVerificationEmail), logs in (logIn) and asks for a
 *   password-reset link (requestPasswordReset).
 * - /reset-password: sets a new password with the link's token (resetPassword).
 *
 * An external script, so that the pages' Content-Security-Policy can forbid inline script.
 * The token is read here from location.search (the server never echoes it into the HTML)
 * and is removed from the address bar once it has been used. Every text reaches the page
 * through textContent, never as HTML.
 */
(function () {
  'use strict';

  // The GraphQL operations (tests/test_pages.py validates them against every role's schema).
  const VERIFY_EMAIL = 'mutation($token: String!) { verifyEmail(token: $token) { email } }';
  const RESEND_VERIFICATION_EMAIL =
    'mutation($email: String!) { resendVerificationEmail(email: $email) }';
  const LOG_IN =
    'mutation($email: String!, $password: String!) { logIn(input: {email: $email, password: $password}) { viewer { context user { name } } } }';
  const REQUEST_PASSWORD_RESET =
    'mutation($email: String!) { requestPasswordReset(email: $email) }';
  const RESET_PASSWORD =
    'mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }';

  const REDIRECT_AFTER_LOGIN_MS = 3000;
  const FORGOT_PASSWORD_ANCHOR = '#glomt-losenord';

  const TEXT = {
    network: 'Det gick inte att nå servern. Kontrollera anslutningen och försök igen.',
    unknown: 'Något gick fel. Försök igen om en stund.',
    verifying: 'Bekräftar din e-postadress …',
    verified: 'Din e-postadress är bekräftad. Logga in med din e-postadress och ditt lösenord.',
    verifyUsed: 'Länken har redan använts. Du kan logga in nedan.',
    verifyExpired:
      'Länken har gått ut. Skriv din e-postadress under ”Få en ny länk” så mejlar vi en ny.',
    verifyInvalid:
      'Länken är ogiltig. Kontrollera att du öppnade hela länken från mejlet, ' +
      'eller be om en ny länk under ”Få en ny länk”.',
    resent:
      'Om det finns ett obekräftat konto med den adressen har vi mejlat en ny länk. ' +
      'Tidigare länkar gäller inte längre.',
    wrongCredentials: 'Fel e-postadress eller lösenord.',
    notVerified:
      'Du behöver bekräfta din e-postadress innan du kan logga in. Öppna länken i mejlet ' +
      'vi skickade, eller be om en ny länk under ”Få en ny länk”.',
    loggedInAs: 'Inloggad som ',
    resetRequested:
      'Om det finns ett konto med den adressen har vi mejlat en länk där du kan välja ' +
      'ett nytt lösenord.',
    resetNoToken:
      'Länken saknar sin kod. Öppna hela länken från mejlet, eller be om en ny länk.',
    resetInvalid:
      'Länken är ogiltig. Kontrollera att du öppnade hela länken från mejlet, ' +
      'eller be om en ny länk.',
    resetUsed: 'Länken har redan använts. Be om en ny länk om du vill byta lösenord.',
    resetExpired: 'Länken har gått ut. Be om en ny länk.',
    passwordsDiffer: 'Lösenorden är inte likadana. Skriv samma lösenord i båda fälten.',
  };

  const body = document.body;
  const ENDPOINT = body.dataset.graphql || '/graphql';

  function byId(id) {
    const element = document.getElementById(id);
    if (!element) {
      throw new Error('pages.js: #' + id + ' is missing');
    }
    return element;
  }

  /*
   * POST one operation as JSON to our own endpoint. `credentials: 'same-origin'` sends and
   * receives the HttpOnly session cookie. Resolves to {data, error}: error is null on
   * success, otherwise the first GraphQL error flattened (code, reason, field, message,
   * retryAfterSeconds, problems); code NETWORK or HTTP when no GraphQL answer came back.
   */
  async function graphql(query, variables) {
    let response;
    try {
      response = await fetch(ENDPOINT, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ query: query, variables: variables }),
        credentials: 'same-origin',
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
      });
    } catch (_err) {
      return { data: null, error: { code: 'NETWORK', message: TEXT.network, problems: [] } };
    }
    let payload = null;
    try {
      payload = await response.json();
    } catch (_err) {
      payload = null;
    }
    if (payload && Array.isArray(payload.errors) && payload.errors.length > 0) {
      const first = payload.errors[0] || {};
      const extensions = first.extensions || {};
      return {
        data: null,
        error: {
          code: String(extensions.code || ''),
          reason: String(extensions.reason || ''),
          field: String(extensions.field || ''),
          message: typeof first.message === 'string' && first.message ? first.message : TEXT.unknown,
          retryAfterSeconds: extensions.retryAfterSeconds,
          problems: Array.isArray(extensions.problems) ? extensions.problems : [],
        },
      };
    }
    if (!response.ok || !payload || !payload.data) {
      return {
        data: null,
        error: {
          code: 'HTTP',
          message: 'Oväntat svar från servern (HTTP ' + response.status + '). ' + TEXT.unknown,
          problems: [],
        },
      };
    }
    return { data: payload.data, error: null };
  }

  /* Writes a message into a live region; kind is info, success or error ('' clears). */
  function say(region, text, kind) {
    region.textContent = text;
    region.classList.remove('message--info', 'message--success', 'message--error');
    if (kind) {
      region.classList.add('message--' + kind);
    }
  }

  function clear(region) {
    say(region, '', '');
  }

  function markInvalid(fields, invalid) {
    fields.forEach(function (field) {
      if (invalid) {
        field.setAttribute('aria-invalid', 'true');
      } else {
        field.removeAttribute('aria-invalid');
      }
    });
  }

  /* Runs a form's submit handler once at a time, with its button disabled meanwhile. */
  function onSubmit(form, handler) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (form.getAttribute('aria-busy') === 'true') {
        return;
      }
      const button = form.querySelector('button[type="submit"]');
      form.setAttribute('aria-busy', 'true');
      if (button) {
        button.disabled = true;
      }
      Promise.resolve()
        .then(handler)
        .catch(function (err) {
          window.console.error(err);
        })
        .finally(function () {
          form.removeAttribute('aria-busy');
          if (button) {
            button.disabled = false;
          }
        });
    });
  }

  function linkToken() {
    const token = new URLSearchParams(window.location.search).get('token');
    return token ? token.trim() : '';
  }

  /* Takes the (used) token out of the address bar and the history entry. */
  function forgetToken() {
    try {
      window.history.replaceState(null, '', window.location.pathname + window.location.hash);
    } catch (_err) {
      // Not fatal: the token is single-use anyway.
    }
  }

  function waitText(seconds) {
    const value = Number(seconds);
    if (!Number.isFinite(value) || value <= 0) {
      return 'en stund';
    }
    if (value < 60) {
      const s = Math.ceil(value);
      return s === 1 ? '1 sekund' : s + ' sekunder';
    }
    const minutes = Math.ceil(value / 60);
    return minutes === 1 ? '1 minut' : minutes + ' minuter';
  }

  /* Swedish text for a rejected new password (WEAK_PASSWORD, TOO_LONG, …). */
  function passwordProblemText(error) {
    let raw = error.message;
    for (const problem of error.problems) {
      if (problem && problem.field === 'newPassword' && problem.message) {
        raw = problem.message;
        break;
      }
    }
    let match = /at least (\d+) characters/.exec(raw);
    if (match) {
      return 'Lösenordet är för kort: det måste ha minst ' + match[1] + ' tecken.';
    }
    match = /at most (\d+) characters/.exec(raw);
    if (match) {
      return 'Lösenordet är för långt: det får ha högst ' + match[1] + ' tecken.';
    }
    if (/too easy to guess/.test(raw)) {
      return 'Lösenordet är för lätt att gissa. Välj ett längre eller mindre vanligt lösenord.';
    }
    if (/email address/.test(raw)) {
      return 'Lösenordet får inte innehålla din e-postadress.';
    }
    return 'Lösenordet godtas inte: ' + raw;
  }

  function enableForms() {
    document.querySelectorAll('form button[type="submit"]').forEach(function (button) {
      button.disabled = false;
    });
  }

  // --- /login -------------------------------------------------------------------------

  function initLogin() {
    const verifyStatus = byId('verify-status');
    const resend = byId('resend');
    const resendForm = byId('resend-form');
    const resendEmail = byId('resend-email');
    const resendMessage = byId('resend-message');
    const loginForm = byId('login-form');
    const loginEmail = byId('login-email');
    const loginPassword = byId('login-password');
    const loginMessage = byId('login-message');
    const loggedIn = byId('logged-in');
    const loggedInText = byId('logged-in-text');
    const graphiqlLink = byId('graphiql-link');
    const forgot = byId(FORGOT_PASSWORD_ANCHOR.slice(1));
    const forgotForm = byId('forgot-form');
    const forgotEmail = byId('forgot-email');
    const forgotMessage = byId('forgot-message');

    function offerResend(email) {
      resend.hidden = false;
      if (email && !resendEmail.value) {
        resendEmail.value = email;
      }
      (resendEmail.value ? resendForm.querySelector('button') : resendEmail).focus();
    }

    async function verify(token) {
      say(verifyStatus, TEXT.verifying, 'info');
      const result = await graphql(VERIFY_EMAIL, { token: token });
      const error = result.error;
      if (error && (error.code === 'NETWORK' || error.code === 'HTTP')) {
        // Keep the token in the address: reloading the page tries again.
        say(verifyStatus, error.message, 'error');
        return;
      }
      forgetToken();
      if (!error) {
        say(verifyStatus, TEXT.verified, 'success');
        loginEmail.value = result.data.verifyEmail.email;
        loginPassword.focus();
      } else if (error.code === 'BAD_USER_INPUT' && error.reason === 'USED') {
        say(verifyStatus, TEXT.verifyUsed, 'info');
      } else if (error.code === 'BAD_USER_INPUT' && error.reason === 'EXPIRED') {
        say(verifyStatus, TEXT.verifyExpired, 'error');
        offerResend('');
      } else if (error.code === 'BAD_USER_INPUT' && error.reason === 'INVALID') {
        say(verifyStatus, TEXT.verifyInvalid, 'error');
        offerResend('');
      } else {
        say(verifyStatus, error.message, 'error');
      }
    }

    function loggedInAs(viewer, email) {
      const user = viewer && viewer.user;
      const name = (user && user.name) || email;
      clear(verifyStatus);
      resend.hidden = true;
      loginForm.hidden = true;
      forgot.hidden = true;
      loggedInText.textContent = TEXT.loggedInAs + name;
      loggedIn.hidden = false;
      loggedInText.focus();
      window.setTimeout(function () {
        window.location.assign(graphiqlLink.href);
      }, REDIRECT_AFTER_LOGIN_MS);
    }

    onSubmit(resendForm, async function () {
      clear(resendMessage);
      const result = await graphql(RESEND_VERIFICATION_EMAIL, {
        email: resendEmail.value.trim(),
      });
      if (result.error) {
        say(resendMessage, result.error.message, 'error');
      } else {
        say(resendMessage, TEXT.resent, 'success');
      }
    });

    onSubmit(loginForm, async function () {
      clear(loginMessage);
      markInvalid([loginEmail, loginPassword], false);
      const email = loginEmail.value.trim();
      const result = await graphql(LOG_IN, { email: email, password: loginPassword.value });
      const error = result.error;
      if (!error) {
        loggedInAs(result.data.logIn.viewer, email);
      } else if (error.code === 'BAD_USER_INPUT' && error.reason === 'INVALID_CREDENTIALS') {
        say(loginMessage, TEXT.wrongCredentials, 'error');
        markInvalid([loginEmail, loginPassword], true);
        loginPassword.value = '';
        loginPassword.focus();
      } else if (error.code === 'EMAIL_NOT_VERIFIED') {
        say(loginMessage, TEXT.notVerified, 'error');
        offerResend(email);
      } else if (error.code === 'RATE_LIMITED') {
        say(
          loginMessage,
          'För många misslyckade inloggningsförsök. Vänta ' +
            waitText(error.retryAfterSeconds) +
            ' och försök sedan igen.',
          'error'
        );
      } else {
        say(loginMessage, error.message, 'error');
      }
    });

    onSubmit(forgotForm, async function () {
      clear(forgotMessage);
      const result = await graphql(REQUEST_PASSWORD_RESET, { email: forgotEmail.value.trim() });
      if (result.error) {
        say(forgotMessage, result.error.message, 'error');
      } else {
        say(forgotMessage, TEXT.resetRequested, 'success');
      }
    });

    enableForms();
    const token = linkToken();
    if (token) {
      verify(token);
    } else if (window.location.hash === FORGOT_PASSWORD_ANCHOR) {
      // After load: scrolling to the fragment would otherwise take the focus away again.
      window.addEventListener('load', function () {
        forgotEmail.focus();
      });
    }
  }

  // --- /reset-password ----------------------------------------------------------------

  function initResetPassword() {
    const status = byId('reset-status');
    const form = byId('reset-form');
    const password = byId('new-password');
    const confirmation = byId('confirm-password');
    const message = byId('reset-message');
    const newLink = byId('reset-new-link');
    const done = byId('reset-done');
    const doneText = byId('reset-done-text');

    const tokenTexts = {
      INVALID: TEXT.resetInvalid,
      USED: TEXT.resetUsed,
      EXPIRED: TEXT.resetExpired,
    };

    function linkUnusable(text) {
      form.hidden = true;
      say(status, text, 'error');
      newLink.hidden = false;
    }

    const token = linkToken();
    if (!token) {
      linkUnusable(TEXT.resetNoToken);
      return;
    }

    [password, confirmation].forEach(function (field) {
      field.addEventListener('input', function () {
        markInvalid([field], false);
      });
    });

    onSubmit(form, async function () {
      clear(message);
      markInvalid([password, confirmation], false);
      if (password.value !== confirmation.value) {
        say(message, TEXT.passwordsDiffer, 'error');
        markInvalid([confirmation], true);
        confirmation.focus();
        return;
      }
      const result = await graphql(RESET_PASSWORD, { t: token, p: password.value });
      const error = result.error;
      if (!error) {
        forgetToken();
        password.value = '';
        confirmation.value = '';
        form.hidden = true;
        clear(status);
        done.hidden = false;
        doneText.focus();
      } else if (error.code === 'BAD_USER_INPUT' && error.field === 'newPassword') {
        say(message, passwordProblemText(error), 'error');
        markInvalid([password], true);
        password.focus();
      } else if (
        error.code === 'BAD_USER_INPUT' &&
        error.field === 'token' &&
        Object.prototype.hasOwnProperty.call(tokenTexts, error.reason)
      ) {
        forgetToken();
        linkUnusable(tokenTexts[error.reason]);
      } else {
        say(message, error.message, 'error');
      }
    });

    enableForms();
  }

  if (body.dataset.page === 'login') {
    initLogin();
  } else if (body.dataset.page === 'reset-password') {
    initResetPassword();
  }
})();
