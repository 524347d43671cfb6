import json, math, random, urllib.request, sys
base = "http://127.0.0.1:17700"
def call(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r: return json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        print(path, e.code, e.read().decode()); sys.exit(1)
rnd = random.Random(7)
def vec(d):
    v = [rnd.gauss(0, 1) for _ in range(d)]; n = math.sqrt(sum(x*x for x in v)); return [round(x/n, 6) for x in v]
call("/v1/collections", {"name": "docs", "spaces": [
    {"name": "v1", "dimension": 8, "metric": "METRIC_COSINE", "model": {"name": "old", "version": "1"}, "index": "HNSW8"},
    {"name": "v2", "dimension": 8, "metric": "METRIC_COSINE", "model": {"name": "new", "version": "2"}}]})
items = []
for i in range(120):
    a = vec(8)
    item = {"id": f"item-{i:03d}", "payload": {"color": ["red", "green", "blue"][i % 3], "rank": i}, "vectors": {"v1": {"values": a}}}
    if i < 80:
        # The new model: a fixed rotation-like mix of the old vector plus noise.
        b = [round(a[(j + 1) % 8] * 0.9 + a[j] * 0.1, 6) for j in range(8)]
        item["vectors"]["v2"] = {"values": b}
    items.append(item)
call("/v1/collections/docs/items:upsert", {"items": items})
call("/v1/collections/docs/items:delete", {"ids": ["item-005"]})
m = call("/v1/collections/docs/migrations", {"id": "mig-legacy", "toSpace": "v2"})
print("planned", m.get("phase"))
print(json.dumps(call("/v1/collections/docs/migrations/mig-legacy:fit", {}))[:300])
print(json.dumps(call("/v1/collections/docs/migrations/mig-legacy:activate", {"force": True}))[:200])
