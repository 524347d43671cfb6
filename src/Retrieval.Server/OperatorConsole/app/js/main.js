// The console's shell: the sign-in box, the hash router and each page's lifetime (its timers and charts end
// when the operator leaves the page).
import { apiKey, setApiKey } from './api.js';
import { h, replace, clearErrors, showError } from './ui.js';
import * as overview from './pages/overview.js';
import * as collections from './pages/collections.js';
import * as collection from './pages/collection.js';
import * as maps from './pages/maps.js';
import * as mapReport from './pages/map-report.js';
import * as migrations from './pages/migrations.js';
import * as migration from './pages/migration.js';
import * as search from './pages/search.js';
import * as encoders from './pages/encoders.js';

// [pattern, nav entry, module]; patterns are matched against the hash path, segments decoded.
const routes = [
  [/^\/?$/, 'overview', overview],
  [/^\/collections$/, 'collections', collections],
  [/^\/collections\/([^/]+)$/, 'collections', collection],
  [/^\/maps$/, 'maps', maps],
  [/^\/maps\/([^/]+)\/([^/]+)$/, 'maps', mapReport],
  [/^\/migrations$/, 'migrations', migrations],
  [/^\/migrations\/([^/]+)\/([^/]+)$/, 'migrations', migration],
  [/^\/search$/, 'search', search],
  [/^\/encoders$/, 'encoders', encoders],
];

/** What a page may ask of the shell: timers and charts that end with the page. */
class PageLifetime {
  constructor() {
    this.disposers = [];
    this.ended = false;
  }

  /** Runs `action` now and every `ms` milliseconds until the page ends; a failure is shown once per streak. */
  every(ms, action) {
    let failing = false;
    const tick = async () => {
      if (this.ended) {
        return;
      }
      try {
        await action();
        failing = false;
      } catch (e) {
        // A refresh still running when the operator leaves the page may fail on the page's torn-down parts: not news.
        if (!failing && !this.ended) {
          showError(e, 'refresh');
        }
        failing = true;
      }
      if (!this.ended) {
        const timer = setTimeout(tick, ms);
        this.disposers.push(() => clearTimeout(timer));
      }
    };
    return tick();
  }

  onEnd(dispose) {
    this.disposers.push(dispose);
  }

  /**
   * Wraps the page's refresh so that runs never overlap and none starts after the page ended: a call made while one
   * runs waits for it, then runs. (A poll and an action's own refresh would otherwise rebuild the same parts at once,
   * one drawing into what the other removed; and an action's refresh may come due after the operator has left.)
   */
  serialized(refresh) {
    let tail = Promise.resolve();
    return () => {
      const run = tail.catch(() => undefined).then(() => (this.ended ? undefined : refresh()));
      tail = run;
      return run;
    };
  }

  /** A lifetime for a part of the page that is rebuilt: end it before the rebuild; it ends with the page too. */
  part() {
    const part = new PageLifetime();
    this.onEnd(() => part.end());
    return part;
  }

  end() {
    this.ended = true;
    for (const dispose of this.disposers.splice(0)) {
      dispose();
    }
  }
}

let current = null;

async function render() {
  current?.end();
  const lifetime = new PageLifetime();
  current = lifetime;
  clearErrors();
  const [pathPart, queryPart] = location.hash.replace(/^#/, '').split('?');
  const query = new URLSearchParams(queryPart ?? '');
  const root = document.getElementById('page');
  for (const [pattern, nav, module] of routes) {
    const match = pattern.exec(pathPart);
    if (!match) {
      continue;
    }
    for (const link of document.querySelectorAll('#nav a[data-route]')) {
      link.classList.toggle('active', link.dataset.route === nav);
    }
    replace(root, h('p', { class: 'muted' }, 'Loading…'));
    try {
      const params = match.slice(1).map(decodeURIComponent);
      await module.render(root, { params, query, lifetime });
    } catch (e) {
      if (current === lifetime) {
        replace(root, h('p', { class: 'muted' }, 'This page could not be loaded.'));
        showError(e);
      }
    }
    return;
  }
  replace(root, h('p', {}, 'No such page. ', h('a', { href: '#/' }, 'Overview')));
}

function renderSignIn() {
  const form = document.getElementById('signin');
  const key = apiKey();
  if (key) {
    replace(form,
      h('span', { class: 'muted', 'data-testid': 'signed-in' }, 'API key set'),
      h('button', { type: 'button', onclick: () => { setApiKey(''); renderSignIn(); render(); } }, 'Sign out'));
  } else {
    const input = h('input', { type: 'password', name: 'key', placeholder: 'API key (if auth is on)', 'aria-label': 'API key' });
    replace(form, input, h('button', { type: 'submit' }, 'Sign in'));
  }
}

document.getElementById('signin').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = event.target.elements.key;
  if (input && input.value.trim()) {
    setApiKey(input.value.trim());
    renderSignIn();
    render();
  }
});

window.addEventListener('hashchange', render);
renderSignIn();
render();
