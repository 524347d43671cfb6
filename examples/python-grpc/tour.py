#!/usr/bin/env python3
"""The README tour over gRPC with Debian's python3-grpcio (apt install python3-grpcio), no generated code.

The contract comes from the server itself: GET /v1/protos/descriptor-set answers a FileDescriptorSet with every
import, loaded into a descriptor pool; requests are written as proto3 JSON dicts (json_format builds the
google.protobuf.Struct payloads and match values from plain Python values). Exits non-zero on the first answer that is
not what the tour expects.

    RETRIEVAL_REST=http://127.0.0.1:7700 RETRIEVAL_GRPC=127.0.0.1:7701 RETRIEVAL_COLLECTION=products python3 tour.py
"""
import os
import sys
import urllib.request

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

REST = os.environ.get("RETRIEVAL_REST", "http://127.0.0.1:7700")
GRPC = os.environ.get("RETRIEVAL_GRPC", "127.0.0.1:7701")
COLLECTION = os.environ.get("RETRIEVAL_COLLECTION", "products")
API_KEY = os.environ.get("RETRIEVAL_API_KEY")
METADATA = [("authorization", f"Bearer {API_KEY}")] if API_KEY else None


def load_pool():
    request = urllib.request.Request(f"{REST}/v1/protos/descriptor-set")
    if API_KEY:
        request.add_header("authorization", f"Bearer {API_KEY}")
    with urllib.request.urlopen(request, timeout=30) as response:
        files = descriptor_pb2.FileDescriptorSet.FromString(response.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:  # each file follows its imports
        pool.Add(file)
    return pool


def message_class(descriptor):
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(descriptor.file.pool).GetPrototype(descriptor)


class Client:
    def __init__(self, pool, channel):
        self._pool = pool
        self._channel = channel

    def call(self, service, method, request):
        descriptor = self._pool.FindServiceByName(f"retrieval.v1.{service}").FindMethodByName(method)
        request_type = message_class(descriptor.input_type)
        response_type = message_class(descriptor.output_type)
        stub = self._channel.unary_unary(
            f"/retrieval.v1.{service}/{method}",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_type.FromString)
        answer = stub(json_format.ParseDict(request, request_type()), metadata=METADATA, timeout=30)
        return json_format.MessageToDict(answer)


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


def tour(client):
    created = client.call("Collections", "CreateCollection", {
        "name": COLLECTION,
        "spaces": [{"name": "v1", "dimension": 4, "metric": "METRIC_COSINE", "model": {"name": "demo", "version": "1"}}],
    })
    expect(created["name"] == COLLECTION, f"created {created}")

    upserted = client.call("Items", "UpsertItems", {"collection": COLLECTION, "items": [
        {"id": "red-shoe", "payload": {"color": "red", "year": 2020}, "vectors": {"v1": {"values": [0.9, 0.1, 0, 0]}}},
        {"id": "blue-shoe", "payload": {"color": "blue", "year": 2023}, "vectors": {"v1": {"values": [0.8, 0.2, 0.1, 0]}}},
        {"id": "red-hat", "payload": {"color": "red", "year": 2024}, "vectors": {"v1": {"values": [0, 0.1, 0.9, 0.3]}}},
    ]})
    expect(int(upserted["upserted"]) == 3, f"upserted {upserted}")

    found = client.call("Search", "Search", {
        "collection": COLLECTION, "vector": {"values": [1, 0, 0, 0]}, "k": 2, "withPayload": True,
        "filter": {"must": [{"key": "color", "match": {"value": "red"}}, {"key": "year", "range": {"gte": 2000, "lt": 2030}}]},
    })
    # MessageToDict leaves out zero values (a score of 0.0 among them), as proto3 JSON writers do.
    expect([h["id"] for h in found["hits"]] == ["red-shoe", "red-hat"], f"search {found}")
    expect(found["hits"][0]["payload"] == {"color": "red", "year": 2020}, f"payload {found['hits'][0]}")
    print("search:", ", ".join(f"{h['id']} {h.get('score', 0.0):.3f}" for h in found["hits"]))

    got = client.call("Items", "GetItems", {"collection": COLLECTION, "ids": ["red-hat"], "withVectors": True})
    expect(len(got["items"][0]["vectors"]["v1"]["values"]) == 4, f"get {got}")

    page = client.call("Items", "ScrollItems", {"collection": COLLECTION, "limit": 2})
    expect(len(page["items"]) == 2 and page.get("nextCursor"), f"scroll {page}")

    counted = client.call("Items", "CountItems", {
        "collection": COLLECTION, "filter": {"must": [{"key": "color", "match": {"any": ["red", "green"]}}]}})
    expect(int(counted["count"]) == 2, f"count {counted}")

    deleted = client.call("Items", "DeleteItems", {"collection": COLLECTION, "ids": ["blue-shoe"]})
    expect(int(deleted["deleted"]) == 1, f"delete {deleted}")


def main():
    pool = load_pool()
    with grpc.insecure_channel(GRPC) as channel:
        client = Client(pool, channel)
        try:
            tour(client)
        finally:
            try:
                client.call("Collections", "DeleteCollection", {"name": COLLECTION})
            except grpc.RpcError as error:
                print(f"cleanup: {error.code()}", file=sys.stderr)
    print(f"python-grpc tour: ok ({COLLECTION})")


if __name__ == "__main__":
    main()
