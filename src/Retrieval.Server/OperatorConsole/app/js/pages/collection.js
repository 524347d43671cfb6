// One collection: its spaces with live index status, add a space, set or change an index, ingest items from a
// JSON file, a payload sample, and deletion behind a typed confirmation.
import { get, post, del, paths } from '../api.js';
import { h, replace, card, fmt, act, notice, confirmDialog, field, select, parseJson, table } from '../ui.js';
import { spaceFields, readSpace, indexStatusView, fetchIndexStatus } from '../spaces.js';

function spacesTable(collection, refresh) {
  return table(['Space', 'Dimension', 'Metric', 'Model', 'Encoder', 'Index', ''],
    (collection.spaces ?? []).map((s) => [
      h('span', {}, s.name, s.name === collection.defaultSpace ? h('span', { class: 'tag' }, 'default') : null),
      s.dimension,
      fmt.enumName(s.metric, 'METRIC_'),
      `${s.model?.name ?? ''} ${s.model?.version ?? ''}`,
      s.encoder ? `${s.encoder.name} ${s.encoder.version ?? ''}` : '–',
      s.index || 'exact',
      h('span', { class: 'actions' },
        s.name === collection.defaultSpace ? null : h('button', {
          type: 'button',
          onclick: (event) => act(event.target, 'set default space', async () => {
            await post(paths.setDefaultSpace(collection.name), { space: s.name });
            await refresh();
          }),
        }, 'Make default'),
        s.name === collection.defaultSpace ? null : h('button', {
          type: 'button',
          class: 'danger',
          onclick: async (event) => {
            const ok = await confirmDialog({
              title: `Delete space ${s.name}?`, message: 'Its vectors and index are deleted. Items keep their other spaces.', confirmLabel: 'Delete space', danger: true,
            });
            if (ok) {
              await act(event.target, 'delete space', async () => { await del(paths.space(collection.name, s.name)); await refresh(); });
            }
          },
        }, 'Delete')),
    ]), { 'data-testid': 'spaces' });
}

function setIndexForm(name, spaceNames, refresh) {
  const form = h('form', { class: 'row', 'data-testid': 'set-index' },
    field('Space', select('space', spaceNames, spaceNames[0])),
    field('Index spec (empty: remove)', h('input', { name: 'spec', placeholder: 'HNSW16' })),
    h('div', { class: 'field' }, h('span', {}, '\u00a0'), h('button', { type: 'submit', class: 'primary' }, 'Set index')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const space = form.elements.space.value;
    const spec = form.elements.spec.value.trim();
    const done = await act(event.submitter, 'set index', () => post(paths.setIndex(name, space), { index: spec }));
    if (done) {
      notice(spec ? `building ${spec} on ${space} in the background` : `index of ${space} removed`);
      await refresh();
    }
  });
  return form;
}

function addSpaceForm(name, refresh) {
  const form = h('form', { class: 'stack', 'data-testid': 'add-space' }, spaceFields('a_'),
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Add space')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const done = await act(event.submitter, 'add space', () => post(paths.spaces(name), readSpace(form, 'a_')));
    if (done) {
      form.reset();
      await refresh();
    }
  });
  return form;
}

/** Items as JSON: {"items":[…]} or a bare array, typed in or read from a file; sent in batches of 1000. */
function ingestForm(name, refresh) {
  const text = h('textarea', { name: 'items', rows: 6, 'data-testid': 'items-json', placeholder: '{"items":[{"id":"a","payload":{"lang":"en"},"vectors":{"v1":{"values":[0.1,0.2]}}}]}' });
  const file = h('input', { type: 'file', accept: '.json,application/json', 'data-testid': 'items-file' });
  const result = h('span', { class: 'muted', 'data-testid': 'ingest-result' });
  file.addEventListener('change', async () => {
    if (file.files.length > 0) {
      text.value = await file.files[0].text();
    }
  });
  const form = h('form', { class: 'stack' }, field('JSON file', file), text,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Upsert items'), result));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await act(event.submitter, 'upsert items', async () => {
      const parsed = parseJson(text.value, 'the items');
      const items = Array.isArray(parsed) ? parsed : parsed.items;
      if (!Array.isArray(items) || items.length === 0) {
        throw new Error('expected {"items":[…]} or an array of items');
      }
      let upserted = 0;
      for (let start = 0; start < items.length; start += 1000) {
        const answer = await post(paths.items(name, 'upsert'), { items: items.slice(start, start + 1000) });
        upserted += Number(answer.upserted ?? 0);
        result.textContent = `${fmt.int(upserted)} of ${fmt.int(items.length)} upserted`;
      }
      await refresh();
    });
  });
  return form;
}

function payloadSample(items) {
  return table(['Id', 'Payload'], items.map((i) => [i.id, h('code', {}, JSON.stringify(i.payload ?? {}))]), { 'data-testid': 'payload-sample' });
}

function deleteButton(name) {
  return h('button', {
    type: 'button',
    class: 'danger',
    'data-testid': 'delete-collection',
    onclick: async (event) => {
      const ok = await confirmDialog({
        title: `Delete collection ${name}?`,
        message: 'Every item, space, index, map and migration of this collection is deleted. This cannot be undone.',
        typed: name,
        confirmLabel: 'Delete collection',
        danger: true,
      });
      if (ok && await act(event.target, 'delete collection', () => del(paths.collection(name)))) {
        notice(`collection ${name} deleted`);
        location.hash = '#/collections';
      }
    },
  }, 'Delete collection…');
}

export async function render(root, { params: [name], lifetime }) {
  const summary = h('div', { class: 'stats' });
  const spaces = h('div', {});
  const indexes = h('div', { 'data-testid': 'index-statuses' });
  const sample = h('div', {});
  const setIndexBox = h('div', {});
  const link = (route, text) => h('a', { href: `${route}?collection=${encodeURIComponent(name)}` }, text);
  let spaceNames = [];

  const refresh = lifetime.serialized(async () => {
    const collection = await get(paths.collection(name));
    const names = (collection.spaces ?? []).map((s) => s.name);
    const statuses = await Promise.all((collection.spaces ?? []).map(async (s) => [s.name, await fetchIndexStatus(name, s.name)]));
    replace(summary,
      h('div', { class: 'stat' }, h('div', { class: 'label' }, 'Items'), h('div', { class: 'value', 'data-testid': 'item-count' }, fmt.int(collection.itemCount))),
      h('div', { class: 'stat' }, h('div', { class: 'label' }, 'Shards'), h('div', { class: 'value', 'data-testid': 'shards' }, collection.shards || 1)),
      h('div', { class: 'stat' }, h('div', { class: 'label' }, 'Default space'), h('div', { class: 'value' }, collection.defaultSpace)),
      h('div', { class: 'stat' }, h('div', { class: 'label' }, 'Raw inputs'), h('div', { class: 'value' }, collection.storeInputs ? 'stored' : 'not stored')),
      h('div', { class: 'stat' }, h('div', { class: 'label' }, 'Updated'), h('div', { class: 'value small' }, fmt.time(collection.updatedAt))));
    replace(spaces, spacesTable(collection, refresh));
    replace(indexes, statuses.map(([space, status]) => h('div', { class: 'space-line', 'data-space': space }, h('span', { class: 'space-name' }, space), indexStatusView(status))));
    if (names.join() !== spaceNames.join()) {
      spaceNames = names;
      replace(setIndexBox, setIndexForm(name, names, refresh));
    }
  });

  replace(root,
    h('h1', {}, `Collection ${name}`),
    h('p', { class: 'links' }, link('#/search', 'Search'), ' · ', link('#/maps', 'Maps'), ' · ', link('#/migrations', 'Migrations')),
    summary,
    card('Spaces', spaces),
    card('Indexes (live)', indexes, h('h3', {}, 'Set or change an index'), setIndexBox),
    card('Add a space', addSpaceForm(name, refresh)),
    card('Ingest items', ingestForm(name, async () => { await refresh(); await refreshSample(); })),
    card('Payload sample', sample),
    card('Danger zone', deleteButton(name)));

  const refreshSample = async () => {
    const { items = [] } = await post(paths.items(name, 'scroll'), { limit: 5 });
    replace(sample, payloadSample(items));
  };
  await refreshSample();
  await lifetime.every(2000, refresh);
}
