// The README tour over REST: create a collection, upsert, search with a filter, get, scroll, count, delete.
// Types come from the server's own OpenAPI document (npm run generate writes src/schema.d.ts from
// $RETRIEVAL_REST/swagger/v1/swagger.json), so a request that does not match the document does not compile.
// Exits non-zero on the first answer that is not what the tour expects.
//   RETRIEVAL_REST=http://127.0.0.1:7700 RETRIEVAL_COLLECTION=products npm run tour
import assert from 'node:assert/strict';
import createClient from 'openapi-fetch';
import type { paths } from './schema.js';

const baseUrl = process.env.RETRIEVAL_REST ?? 'http://127.0.0.1:7700';
const collection = process.env.RETRIEVAL_COLLECTION ?? 'products';
const headers: Record<string, string> = process.env.RETRIEVAL_API_KEY ? { authorization: `Bearer ${process.env.RETRIEVAL_API_KEY}` } : {};
const client = createClient<paths>({ baseUrl, headers });
const path = { collection };

/** The answer's data, or a thrown error with the server's {code, message}. */
function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) {
    throw new Error(`${result.response.status} ${JSON.stringify(result.error)}`);
  }
  return result.data;
}

try {
  const created = ok(await client.POST('/v1/collections', {
    body: { name: collection, spaces: [{ name: 'v1', dimension: 4, metric: 'METRIC_COSINE', model: { name: 'demo', version: '1' } }] },
  }));
  assert.equal(created.name, collection);

  const upserted = ok(await client.POST('/v1/collections/{collection}/items:upsert', {
    params: { path },
    body: {
      items: [
        { id: 'red-shoe', payload: { color: 'red', year: 2020 }, vectors: { v1: { values: [0.9, 0.1, 0, 0] } } },
        { id: 'blue-shoe', payload: { color: 'blue', year: 2023 }, vectors: { v1: { values: [0.8, 0.2, 0.1, 0] } } },
        { id: 'red-hat', payload: { color: 'red', year: 2024 }, vectors: { v1: { values: [0, 0.1, 0.9, 0.3] } } },
      ],
    },
  }));
  assert.equal(upserted.upserted, 3);

  const found = ok(await client.POST('/v1/collections/{collection}:search', {
    params: { path },
    body: {
      vector: { values: [1, 0, 0, 0] }, k: 2, withPayload: true,
      filter: { must: [{ key: 'color', match: { value: 'red' } }, { key: 'year', range: { gte: 2000, lt: 2030 } }] },
    },
  }));
  const hits = found.hits ?? [];
  assert.deepEqual(hits.map((h) => h.id), ['red-shoe', 'red-hat']);
  assert.deepEqual(hits[0]?.payload, { color: 'red', year: 2020 });
  console.log('search:', hits.map((h) => `${h.id} ${(h.score ?? 0).toFixed(3)}`).join(', '));

  const got = ok(await client.POST('/v1/collections/{collection}/items:get', { params: { path }, body: { ids: ['red-hat'], withVectors: true } }));
  assert.equal(got.items?.[0]?.vectors?.['v1']?.values?.length, 4);

  const page = ok(await client.POST('/v1/collections/{collection}/items:scroll', { params: { path }, body: { limit: 2 } }));
  assert.equal(page.items?.length, 2);
  assert.notEqual(page.nextCursor ?? '', '');

  const counted = ok(await client.POST('/v1/collections/{collection}/items:count', {
    params: { path }, body: { filter: { must: [{ key: 'color', match: { any: ['red', 'green'] } }] } },
  }));
  assert.equal(counted.count, 2);

  // A typo is refused by name, as the document's additionalProperties: false says.
  const refused = await client.POST('/v1/collections/{collection}:search', {
    params: { path }, body: { vector: { values: [1, 0, 0, 0] }, k: 1, limt: 3 } as never,
  });
  assert.equal(refused.response.status, 400);
  assert.match(JSON.stringify(refused.error), /limt: unknown field/);

  const deleted = ok(await client.POST('/v1/collections/{collection}/items:delete', { params: { path }, body: { ids: ['blue-shoe'] } }));
  assert.equal(deleted.deleted, 1);
  console.log(`typescript-rest tour: ok (${collection})`);
} finally {
  await client.DELETE('/v1/collections/{name}', { params: { path: { name: collection } } });
}
