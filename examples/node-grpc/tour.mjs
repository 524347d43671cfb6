// The README tour over gRPC: create a collection, upsert, search with a filter, get, scroll, count, delete.
// Loads ../../protos with protos/ as the include path (the google/api files are placed there by the .NET build, or
// use the server's GET /v1/protos/descriptor-set). Exits non-zero on the first answer that is not what the tour expects.
//   RETRIEVAL_GRPC=127.0.0.1:7701 RETRIEVAL_COLLECTION=products node tour.mjs
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const protos = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../protos');
const definition = await protoLoader.load(
  ['retrieval/v1/collections.proto', 'retrieval/v1/items.proto', 'retrieval/v1/search.proto'],
  { includeDirs: [protos], keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
const v1 = grpc.loadPackageDefinition(definition).retrieval.v1;

const address = process.env.RETRIEVAL_GRPC ?? '127.0.0.1:7701';
const collection = process.env.RETRIEVAL_COLLECTION ?? 'products';
const metadata = new grpc.Metadata();
if (process.env.RETRIEVAL_API_KEY) metadata.set('authorization', `Bearer ${process.env.RETRIEVAL_API_KEY}`);

const clients = Object.fromEntries(['Collections', 'Items', 'Search'].map(
  (name) => [name, new v1[name](address, grpc.credentials.createInsecure())]));
const call = (service, method, request) => new Promise((resolve, reject) =>
  clients[service][method](request, metadata, (error, response) => (error ? reject(error) : resolve(response))));

// google.protobuf.Struct / Value in proto-loader's message form (docs/api.md, "Protos for other toolchains").
const toValue = (x) => {
  if (x === null) return { nullValue: 'NULL_VALUE' };
  if (Array.isArray(x)) return { listValue: { values: x.map(toValue) } };
  switch (typeof x) {
    case 'string': return { stringValue: x };
    case 'number': return { numberValue: x };
    case 'boolean': return { boolValue: x };
    default: return { structValue: toStruct(x) };
  }
};
const toStruct = (object) => ({ fields: Object.fromEntries(Object.entries(object).map(([k, v]) => [k, toValue(v)])) });
const fromValue = (value) => {
  switch (value.kind) {
    case 'nullValue': return null;
    case 'listValue': return value.listValue.values.map(fromValue);
    case 'structValue': return fromStruct(value.structValue);
    default: return value[value.kind];
  }
};
const fromStruct = (struct) => Object.fromEntries(Object.entries(struct?.fields ?? {}).map(([k, v]) => [k, fromValue(v)]));

const item = (id, payload, values) => ({ id, payload: toStruct(payload), vectors: { v1: { values } } });

try {
  const created = await call('Collections', 'CreateCollection', {
    name: collection,
    spaces: [{ name: 'v1', dimension: 4, metric: 'METRIC_COSINE', model: { name: 'demo', version: '1' } }],
  });
  assert.equal(created.name, collection);

  const upserted = await call('Items', 'UpsertItems', {
    collection,
    items: [
      item('red-shoe', { color: 'red', year: 2020 }, [0.9, 0.1, 0, 0]),
      item('blue-shoe', { color: 'blue', year: 2023 }, [0.8, 0.2, 0.1, 0]),
      item('red-hat', { color: 'red', year: 2024 }, [0, 0.1, 0.9, 0.3]),
    ],
  });
  assert.equal(upserted.upserted, 3);

  const found = await call('Search', 'Search', {
    collection, vector: { values: [1, 0, 0, 0] }, k: 2, withPayload: true,
    filter: { must: [{ key: 'color', match: { value: toValue('red') } }, { key: 'year', range: { gte: 2000, lt: 2030 } }] },
  });
  assert.deepEqual(found.hits.map((h) => h.id), ['red-shoe', 'red-hat']);
  assert.deepEqual(fromStruct(found.hits[0].payload), { color: 'red', year: 2020 });
  console.log('search:', found.hits.map((h) => `${h.id} ${h.score.toFixed(3)}`).join(', '));

  const got = await call('Items', 'GetItems', { collection, ids: ['red-hat'], withVectors: true });
  assert.equal(got.items[0].vectors.v1.values.length, 4);

  const page = await call('Items', 'ScrollItems', { collection, limit: 2 });
  assert.equal(page.items.length, 2);
  assert.notEqual(page.nextCursor, '');

  const counted = await call('Items', 'CountItems', {
    collection, filter: { must: [{ key: 'color', match: { any: { values: [toValue('red'), toValue('green')] } } }] },
  });
  assert.equal(counted.count, 2);

  const deleted = await call('Items', 'DeleteItems', { collection, ids: ['blue-shoe'] });
  assert.equal(deleted.deleted, 1);
  console.log(`node-grpc tour: ok (${collection})`);
} finally {
  await call('Collections', 'DeleteCollection', { name: collection }).catch(() => {});
  Object.values(clients).forEach((client) => client.close());
}
