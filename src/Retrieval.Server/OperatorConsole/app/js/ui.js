// DOM helpers shared by the pages: element building, the error banner, confirmations, number formats.

/** h('div', {class: 'x', onclick: f}, child, 'text', [more]) — children may be nodes, strings, numbers, arrays or null. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'value') {
      element.value = value;
    } else if (name === 'checked') {
      element.checked = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(element, child);
    } else if (child instanceof Node) {
      element.appendChild(child);
    } else {
      element.appendChild(document.createTextNode(String(child)));
    }
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** Shows an error (an ApiError's message is the server's own) until the operator dismisses it. */
export function showError(error, context) {
  const banner = document.getElementById('errors');
  const text = context ? `${context}: ${error.message ?? error}` : String(error.message ?? error);
  const item = h('div', { class: 'error', 'data-testid': 'error' },
    h('span', {}, text),
    h('button', { type: 'button', class: 'link', 'aria-label': 'dismiss', onclick: () => item.remove() }, '×'));
  banner.appendChild(item);
  console.error(context ?? 'console', error);
}

export function clearErrors() {
  document.getElementById('errors').replaceChildren();
}

export function notice(text) {
  const banner = document.getElementById('errors');
  const item = h('div', { class: 'notice', 'data-testid': 'notice' }, text);
  banner.appendChild(item);
  setTimeout(() => item.remove(), 4000);
}

/**
 * Runs an action from a button: disables it while it runs, shows the server's error if it fails.
 * Returns the action's result, or undefined when it failed.
 */
export async function act(button, label, action) {
  if (button) {
    button.disabled = true;
  }
  try {
    return await action();
  } catch (e) {
    showError(e, label);
    return undefined;
  } finally {
    if (button) {
      button.disabled = false;
    }
  }
}

/**
 * A modal confirmation. With `typed`, the confirm button stays disabled until that exact text is typed.
 * Resolves true when confirmed.
 */
export function confirmDialog({ title, message, warning, typed, confirmLabel = 'Confirm', danger = false }) {
  const dialog = document.getElementById('confirm');
  return new Promise((resolve) => {
    const input = typed ? h('input', { type: 'text', 'data-testid': 'confirm-input', placeholder: typed, autocomplete: 'off' }) : null;
    const ok = h('button', { type: 'submit', class: danger ? 'danger' : 'primary', 'data-testid': 'confirm-ok', disabled: Boolean(typed) }, confirmLabel);
    const cancel = h('button', { type: 'button', 'data-testid': 'confirm-cancel' }, 'Cancel');
    input?.addEventListener('input', () => { ok.disabled = input.value !== typed; });
    const form = h('form', { method: 'dialog' },
      h('h3', {}, title),
      h('p', {}, message),
      warning ? h('p', { class: 'warning', 'data-testid': 'confirm-warning' }, warning) : null,
      typed ? h('label', {}, `Type ${typed} to confirm`, input) : null,
      h('div', { class: 'actions' }, cancel, ok));
    const finish = (result) => {
      dialog.close();
      dialog.replaceChildren();
      resolve(result);
    };
    form.addEventListener('submit', (event) => { event.preventDefault(); finish(true); });
    cancel.addEventListener('click', () => finish(false));
    dialog.oncancel = () => finish(false);
    dialog.replaceChildren(form);
    dialog.showModal();
    (input ?? ok).focus();
  });
}

export const fmt = {
  int: (n) => (n === undefined || n === null ? '0' : Number(n).toLocaleString('en-US')),
  num: (n, digits = 3) => (n === undefined || n === null ? '–' : Number(n).toFixed(digits)),
  pct: (f, digits = 1) => (f === undefined || f === null ? '–' : `${(Number(f) * 100).toFixed(digits)}%`),
  time: (t) => (t ? new Date(t).toLocaleString('en-GB', { hour12: false }) : '–'),
  duration: (seconds) => {
    if (!Number.isFinite(seconds) || seconds < 0) {
      return '–';
    }
    if (seconds < 60) {
      return `${Math.round(seconds)} s`;
    }
    if (seconds < 3600) {
      return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
    }
    return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
  },
  /** METRIC_COSINE → cosine, MIGRATION_PHASE_CUT_OVER → cut over */
  enumName: (value, prefix) => (value ? value.replace(prefix, '').toLowerCase().replaceAll('_', ' ') : '–'),
};

export function table(columns, rows, attributes = {}) {
  return h('table', attributes,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c)))),
    h('tbody', {}, rows.length === 0
      ? h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, 'none'))
      : rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c))))));
}

/** A horizontal stacked bar; parts: [{value, class, label}]. */
export function stackedBar(parts, total, attributes = {}) {
  const sum = total ?? parts.reduce((s, p) => s + (p.value ?? 0), 0);
  return h('div', { class: 'bar', ...attributes },
    parts.map((p) => h('span', {
      class: `part ${p.class}`,
      style: `width:${sum > 0 ? (100 * (p.value ?? 0)) / sum : 0}%`,
      title: `${p.label}: ${fmt.int(p.value)}`,
    })));
}

export function card(title, ...content) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, ...content);
}

export function field(label, input) {
  return h('label', { class: 'field' }, h('span', {}, label), input);
}

export function select(name, options, value, attributes = {}) {
  return h('select', { name, ...attributes },
    options.map((o) => {
      const [v, text] = Array.isArray(o) ? o : [o, o];
      return h('option', { value: v, selected: v === value }, text);
    }));
}

/** Reads an optional number field: '' → undefined. */
export function optionalNumber(form, name) {
  const raw = form.elements[name].value.trim();
  if (raw === '') {
    return undefined;
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) {
    throw new Error(`${name}: '${raw}' is not a number`);
  }
  return value;
}

export function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not valid JSON: ${e.message}`);
  }
}
