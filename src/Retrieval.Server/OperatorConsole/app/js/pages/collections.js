// Collections: every collection with its spaces and, per space, the index status (live), and a create form.
import { get, post, paths } from '../api.js';
import { h, replace, card, fmt, act, notice, optionalNumber } from '../ui.js';
import { spaceFields, readSpace, indexStatusView, fetchIndexStatus } from '../spaces.js';

function createForm() {
  const form = h('form', { class: 'stack', 'data-testid': 'create-collection' },
    h('div', { class: 'row' },
      h('label', { class: 'field' }, h('span', {}, 'Name'), h('input', { name: 'collection', required: true, pattern: '[a-z0-9_\\-]{1,64}', placeholder: 'docs' })),
      h('label', { class: 'field' }, h('span', {}, 'Shards'), h('input', { name: 'shards', type: 'number', min: 1, max: 64, placeholder: '1' })),
      h('label', { class: 'field checkbox' }, h('input', { type: 'checkbox', name: 'storeInputs' }), h('span', {}, 'Store raw inputs'))),
    spaceFields('s_'),
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Create collection')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = form.elements.collection.value.trim();
    const created = await act(event.submitter, 'create collection', () => post(paths.collections, {
      name, storeInputs: form.elements.storeInputs.checked, shards: optionalNumber(form, 'shards'), spaces: [readSpace(form, 's_')],
    }));
    if (created) {
      notice(`collection ${name} created`);
      location.hash = `#/collections/${encodeURIComponent(name)}`;
    }
  });
  return form;
}

export async function render(root, { lifetime }) {
  const list = h('div', { 'data-testid': 'collections' });
  replace(root, h('h1', {}, 'Collections'), card(null, list), card('New collection', createForm()));
  await lifetime.every(2000, async () => {
    const { collections = [] } = await get(paths.collections);
    const statuses = await Promise.all(collections.flatMap((c) =>
      (c.spaces ?? []).filter((s) => s.kind !== 'SPACE_KIND_MULTI' || s.index).map(async (s) => [c.name, s.name, await fetchIndexStatus(c.name, s.name)])));
    const statusOf = (c, s) => statuses.find(([cn, sn]) => cn === c && sn === s)?.[2];
    replace(list, h('table', {},
      h('thead', {}, h('tr', {}, ['Name', 'Items', 'Shards', 'Default space', 'Spaces and indexes'].map((t) => h('th', {}, t)))),
      h('tbody', {}, collections.length === 0
        ? h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No collections yet.'))
        : collections.map((c) => h('tr', { 'data-collection': c.name },
          h('td', {}, h('a', { href: `#/collections/${encodeURIComponent(c.name)}` }, c.name)),
          h('td', { 'data-testid': 'items' }, fmt.int(c.itemCount)),
          h('td', {}, c.shards || 1),
          h('td', {}, c.defaultSpace),
          h('td', {}, (c.spaces ?? []).map((s) => h('div', { class: 'space-line' },
            h('span', { class: 'space-name' }, `${s.name} · ${s.dimension}d · ${fmt.enumName(s.metric, 'METRIC_')}`),
            statusOf(c.name, s.name) ? indexStatusView(statusOf(c.name, s.name)) : null))))))));
  });
}
