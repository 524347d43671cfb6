// Migrations of a collection: the list with their progress, and the plan form.
import { get, post, paths } from '../api.js';
import { h, replace, card, fmt, act, notice, field, select, optionalNumber, table, stackedBar } from '../ui.js';
import { collectionChoice, collectionSelector } from '../spaces.js';
import { mapKinds } from '../maps-common.js';

function planForm(collection) {
  const spaceNames = (collection.spaces ?? []).filter((s) => s.kind !== 'SPACE_KIND_MULTI').map((s) => s.name);
  const form = h('form', { class: 'stack', 'data-testid': 'plan-migration' },
    h('div', { class: 'row' },
      field('Id (empty: generated)', h('input', { name: 'id', pattern: '[a-z0-9_\\-]{0,64}', placeholder: 'upgrade' })),
      field('From (old) space', select('fromSpace', spaceNames, collection.defaultSpace)),
      field('To (new) space', select('toSpace', spaceNames, spaceNames.find((s) => s !== collection.defaultSpace))),
      field('Map kind', select('mapKind', mapKinds, 'MAP_KIND_ORTHOGONAL')),
      field('Max anchors (0: all)', h('input', { name: 'maxAnchors', type: 'number', min: 0, value: '0' })),
      field('Backfill rate (items/s, 0: unthrottled)', h('input', { name: 'itemsPerSecond', type: 'number', min: 0, step: 'any', value: '0' })),
      field('Server-side encoder (optional)', h('input', { name: 'encoder', placeholder: 'encoder of the new space' }))),
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Plan migration')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const planned = await act(event.submitter, 'plan migration', () => post(paths.migrations(collection.name), {
      id: form.elements.id.value.trim(),
      fromSpace: form.elements.fromSpace.value,
      toSpace: form.elements.toSpace.value,
      encoder: form.elements.encoder.value.trim(),
      actor: 'console',
      settings: {
        mapKind: form.elements.mapKind.value,
        maxAnchors: optionalNumber(form, 'maxAnchors') ?? 0,
        itemsPerSecond: optionalNumber(form, 'itemsPerSecond') ?? 0,
      },
    }));
    if (planned) {
      notice(`migration ${planned.id} planned`);
      location.hash = `#/migrations/${encodeURIComponent(collection.name)}/${encodeURIComponent(planned.id)}`;
    }
  });
  return form;
}

export function progressBar(progress) {
  return stackedBar([
    { value: Number(progress?.nativeItems ?? 0), class: 'native', label: 'native' },
    { value: Number(progress?.derivedItems ?? 0), class: 'derived', label: 'derived' },
    { value: Number(progress?.missingNewItems ?? 0), class: 'missing', label: 'missing' },
  ], Number(progress?.totalItems ?? 0) || undefined);
}

export async function render(root, { query, lifetime }) {
  const { names, chosen, collections } = await collectionChoice(query);
  if (!chosen) {
    replace(root, h('h1', {}, 'Migrations'), h('p', {}, 'No collections yet. ', h('a', { href: '#/collections' }, 'Create one')));
    return;
  }
  const list = h('div', {});
  const collection = collections.find((c) => c.name === chosen);
  replace(root, h('h1', {}, 'Migrations'), collectionSelector(names, chosen, '#/migrations'), card('Migrations', list),
    card('Plan a migration', (collection.spaces ?? []).length < 2
      ? h('p', { class: 'muted' }, 'A migration moves the collection to a new model\'s space: add that space first.')
      : planForm(collection)));
  await lifetime.every(2000, async () => {
    const { migrations = [] } = await get(paths.migrations(chosen));
    replace(list, table(['Id', 'From → to', 'Phase', 'Progress', 'Native', 'Updated'],
      migrations.map((m) => [
        h('a', { href: `#/migrations/${encodeURIComponent(chosen)}/${encodeURIComponent(m.id)}` }, m.id),
        `${m.fromSpace} → ${m.toSpace}`,
        h('span', { class: 'tag' }, fmt.enumName(m.phase, 'MIGRATION_PHASE_')),
        progressBar(m.progress),
        fmt.pct(m.progress?.fraction ?? 0),
        fmt.time(m.updatedAt)]), { 'data-testid': 'migrations' }));
  });
}
