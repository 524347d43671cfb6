// Search playground: a query as a vector (JSON) or, for a space with an encoder, as text, an image or a tensor;
// a filter builder; k, efSearch, nprobe and targetSpace; hits with score, payload and path, and the latency.
import { get, post, paths } from '../api.js';
import { h, replace, card, fmt, act, field, select, parseJson, table, optionalNumber } from '../ui.js';
import { collectionChoice, collectionSelector } from '../spaces.js';

const clauses = [['must', 'must'], ['mustNot', 'must not'], ['should', 'should']];
const operators = [['value', '='], ['any', 'any of'], ['range', 'range']];

/** A match value typed as text: numbers and booleans as such, anything else a string. */
function scalar(text) {
  const t = text.trim();
  if (t === 'true' || t === 'false') {
    return t === 'true';
  }
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t;
}

function conditionRow(onRemove) {
  const row = h('div', { class: 'row condition' },
    select('clause', clauses, 'must'),
    h('input', { name: 'key', placeholder: 'payload field, e.g. lang or meta.year', 'aria-label': 'field' }),
    select('op', operators, 'value'),
    h('input', { name: 'value', placeholder: 'value; any: a, b; range: gte 2000 lt 2030', 'aria-label': 'value' }),
    h('button', { type: 'button', class: 'link', onclick: () => onRemove(row) }, 'remove'));
  return row;
}

function readCondition(row) {
  const input = (name) => row.querySelector(`[name=${name}]`).value;
  const key = input('key').trim();
  const op = input('op');
  const value = input('value');
  if (!key) {
    return null;
  }
  if (op === 'value') {
    return [input('clause'), { key, match: { value: scalar(value) } }];
  }
  if (op === 'any') {
    return [input('clause'), { key, match: { any: value.split(',').map(scalar) } }];
  }
  const range = {};
  const parts = value.trim().split(/\s+/);
  if (parts.length % 2 !== 0) {
    throw new Error(`filter on ${key}: a range reads like "gte 2000 lt 2030"`);
  }
  for (let i = 0; i < parts.length; i += 2) {
    if (!['gt', 'gte', 'lt', 'lte'].includes(parts[i]) || !Number.isFinite(Number(parts[i + 1]))) {
      throw new Error(`filter on ${key}: a range reads like "gte 2000 lt 2030"`);
    }
    range[parts[i]] = Number(parts[i + 1]);
  }
  return [input('clause'), { key, range }];
}

function filterBuilder() {
  const rows = h('div', { class: 'stack' });
  const remove = (row) => row.remove();
  const box = h('div', { class: 'stack', 'data-testid': 'filter-builder' }, rows,
    h('div', {}, h('button', { type: 'button', onclick: () => rows.appendChild(conditionRow(remove)) }, 'Add condition')));
  box.read = () => {
    const filter = {};
    for (const row of rows.children) {
      const condition = readCondition(row);
      if (condition) {
        (filter[condition[0]] ??= []).push(condition[1]);
      }
    }
    return Object.keys(filter).length ? filter : undefined;
  };
  return box;
}

async function readImage(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function results(answer, latencyMs) {
  const hits = answer.hits ?? [];
  return h('div', {},
    h('p', { class: 'small' },
      h('span', { 'data-testid': 'latency' }, `${latencyMs.toFixed(1)} ms`), ' round trip · ',
      h('span', { 'data-testid': 'hit-count' }, `${hits.length} hits`),
      (answer.mapsUsed ?? []).length ? ` · through ${answer.mapsUsed.join(' → ')}` : ' · native'),
    table(['#', 'Id', 'Score', 'Path', 'Payload'], hits.map((hit, i) => [
      i + 1, h('span', { 'data-testid': 'hit-id' }, hit.id), h('span', { 'data-testid': 'hit-score' }, fmt.num(hit.score ?? 0, 4)),
      hit.path ? h('span', { class: `tag ${hit.path}` }, hit.path) : '–', h('code', {}, JSON.stringify(hit.payload ?? {}))]),
    { 'data-testid': 'hits' }));
}

export async function render(root, { query }) {
  const { names, chosen, collections } = await collectionChoice(query);
  if (!chosen) {
    replace(root, h('h1', {}, 'Search'), h('p', {}, 'No collections yet. ', h('a', { href: '#/collections' }, 'Create one')));
    return;
  }
  const collection = collections.find((c) => c.name === chosen);
  const spaces = collection.spaces ?? [];
  const spaceNames = spaces.map((s) => s.name);
  const encoderKinds = new Map();
  for (const s of spaces.filter((x) => x.encoder?.name)) {
    const encoder = await get(`${paths.encoders}/${encodeURIComponent(s.encoder.name)}?version=${encodeURIComponent(s.encoder.version ?? '')}`);
    encoderKinds.set(s.name, encoder.descriptor?.inputKind);
  }
  const out = h('div', { 'data-testid': 'results' });
  const filter = filterBuilder();
  const vectorText = h('textarea', { name: 'vector', rows: 3, 'data-testid': 'query-vector', placeholder: '[0.1, 0.2, …] or {"values":[…]}' });
  const textInput = h('input', { name: 'text', placeholder: 'raw text for the space\'s encoder' });
  const imageInput = h('input', { name: 'image', type: 'file', accept: 'image/png,image/jpeg' });
  const tensorText = h('textarea', { name: 'tensor', rows: 2, placeholder: '{"shape":[4],"values":[…]}' });
  const itemId = h('input', { name: 'itemId', placeholder: 'item id', 'aria-label': 'item id' });
  const modeBox = h('div', {});
  const form = h('form', { class: 'stack', 'data-testid': 'search-form' },
    h('div', { class: 'row' },
      field('Space', select('space', spaceNames, collection.defaultSpace, { 'data-testid': 'search-space' })),
      field('Target space', select('targetSpace', [['', '(same)'], ...spaceNames], '', { 'data-testid': 'target-space' })),
      field('Query as', select('mode', [['vector', 'vector (JSON)']], 'vector', { 'data-testid': 'query-mode' })),
      field('k', h('input', { name: 'k', type: 'number', min: 1, value: '10' })),
      field('efSearch', h('input', { name: 'efSearch', type: 'number', min: 0, placeholder: 'default' })),
      field('nprobe', h('input', { name: 'nprobe', type: 'number', min: 0, placeholder: 'default' })),
      h('label', { class: 'field checkbox' }, h('input', { type: 'checkbox', name: 'exact' }), h('span', {}, 'exact'))),
    modeBox,
    h('h3', {}, 'Filter'), filter,
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Search')));

  const modes = () => {
    const kind = encoderKinds.get(form.elements.space.value);
    const list = [['vector', 'vector (JSON)']];
    if (kind === 'INPUT_KIND_TEXT') list.push(['text', 'text']);
    if (kind === 'INPUT_KIND_IMAGE') list.push(['image', 'image']);
    if (kind === 'INPUT_KIND_TENSOR') list.push(['tensor', 'tensor']);
    replace(form.elements.mode, list.map(([v, t]) => h('option', { value: v }, t)));
    showMode();
  };
  const showMode = () => {
    const mode = form.elements.mode.value;
    replace(modeBox,
      mode === 'vector' ? h('div', { class: 'stack' }, field('Vector', vectorText),
        h('div', { class: 'row' }, itemId, h('button', {
          type: 'button',
          onclick: (event) => act(event.target, 'load vector', async () => {
            const { items = [] } = await post(paths.items(chosen, 'get'), { ids: [itemId.value.trim()], withVectors: true });
            const values = items[0]?.vectors?.[form.elements.space.value]?.values;
            if (!values) {
              throw new Error(`item '${itemId.value.trim()}' has no vector in ${form.elements.space.value}`);
            }
            vectorText.value = JSON.stringify(values);
          }),
        }, 'Use this item\'s vector'))) : null,
      mode === 'text' ? field('Text', textInput) : null,
      mode === 'image' ? field('Image', imageInput) : null,
      mode === 'tensor' ? field('Tensor', tensorText) : null);
  };
  form.elements.space.addEventListener('change', modes);
  form.elements.mode.addEventListener('change', showMode);
  modes();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await act(event.submitter, 'search', async () => {
      const body = {
        space: form.elements.space.value,
        targetSpace: form.elements.targetSpace.value || undefined,
        k: optionalNumber(form, 'k') ?? 10,
        efSearch: optionalNumber(form, 'efSearch'),
        nprobe: optionalNumber(form, 'nprobe'),
        exact: form.elements.exact.checked || undefined,
        withPayload: true,
        filter: filter.read(),
      };
      const mode = form.elements.mode.value;
      if (mode === 'vector') {
        const parsed = parseJson(vectorText.value, 'the vector');
        body.vector = Array.isArray(parsed) ? { values: parsed } : parsed;
      } else if (mode === 'text') {
        body.input = { text: textInput.value };
      } else if (mode === 'image') {
        if (!imageInput.files.length) {
          throw new Error('choose an image');
        }
        body.input = { image: await readImage(imageInput.files[0]) };
      } else {
        body.input = { tensor: parseJson(tensorText.value, 'the tensor') };
      }
      const started = performance.now();
      const answer = await post(paths.search(chosen), body);
      replace(out, results(answer, performance.now() - started));
    });
  });

  replace(root, h('h1', {}, 'Search'), collectionSelector(names, chosen, '#/search'), card(null, form), card('Results', out));
}
