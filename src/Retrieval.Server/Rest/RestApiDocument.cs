using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.OpenApi.Any;
using Microsoft.OpenApi.Models;
using Retrieval.Contracts.V1;
using Retrieval.Server.Hosting;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Retrieval.Server.Rest;

/// <summary>
/// Makes the served OpenAPI document (<c>/swagger/v1/swagger.json</c>) say exactly what the server does, on top of what
/// Microsoft.AspNetCore.Grpc.Swagger derives from the protos: an operationId per operation (the gRPC method's name),
/// <c>required</c> from the <c>(retrieval.v1.required)</c> field option, request bodies without the fields the path
/// binds, and the routes that are not transcoded gRPC methods (health, metrics, the multipart upload, the protos, snapshot
/// archive download and upload).
/// </summary>
internal static class RestApiDocument
{
    public const string DocumentName = "v1";

    public static void Configure(SwaggerGenOptions swagger)
    {
        swagger.SwaggerDoc(DocumentName, new OpenApiInfo { Title = "Retrieval", Version = "v1" });
        swagger.CustomOperationIds(OperationIdOf);
        swagger.SchemaFilter<RequiredFieldsSchemaFilter>();
        swagger.OperationFilter<PathFieldsOutOfBodyOperationFilter>();
        swagger.DocumentFilter<PlainHttpRoutesDocumentFilter>();
    }

    /// <summary>The gRPC method name (<c>CreateCollection</c>), unique across the services.</summary>
    private static string? OperationIdOf(ApiDescription description) =>
        description.ActionDescriptor.EndpointMetadata.OfType<GrpcJsonTranscodingMetadata>().FirstOrDefault()?.MethodDescriptor.Name;

    /// <summary>Lists the fields marked <c>[(retrieval.v1.required) = true]</c> in the message's <c>required</c>.</summary>
    private sealed class RequiredFieldsSchemaFilter : ISchemaFilter
    {
        public void Apply(OpenApiSchema schema, SchemaFilterContext context)
        {
            if (DescriptorOf(context.Type) is not { } message)
            {
                return;
            }

            foreach (var field in message.Fields.InDeclarationOrder())
            {
                if (field.GetOptions()?.GetExtension(FieldOptionsExtensions.Required) == true)
                {
                    schema.Required.Add(field.JsonName);
                }
            }
        }

        private static MessageDescriptor? DescriptorOf(Type type) =>
            type.GetProperty("Descriptor", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)?.GetValue(null) as MessageDescriptor;
    }

    /// <summary>
    /// A body of <c>"*"</c> is the whole request message, including the fields the path binds (<c>collection</c>): the
    /// body's schema becomes a copy of the message's without them, since the server takes them from the path (and
    /// refuses a body that says otherwise, <see cref="StrictJsonBodyMiddleware"/>).
    /// </summary>
    private sealed class PathFieldsOutOfBodyOperationFilter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            if (operation.RequestBody is not { } body)
            {
                return;
            }

            body.Required = true;
            var pathNames = operation.Parameters.Where(p => p.In == ParameterLocation.Path).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var content in body.Content.Values)
            {
                if (pathNames.Count == 0 || content.Schema?.Reference?.Id is not { } id
                    || !context.SchemaRepository.Schemas.TryGetValue(id, out var message)
                    || !message.Properties.Keys.Any(pathNames.Contains))
                {
                    continue;
                }

                var bodyId = id + "Body";
                if (!context.SchemaRepository.Schemas.ContainsKey(bodyId))
                {
                    context.SchemaRepository.Schemas[bodyId] = new OpenApiSchema
                    {
                        Type = message.Type,
                        Description = message.Description,
                        AdditionalPropertiesAllowed = message.AdditionalPropertiesAllowed,
                        Properties = message.Properties.Where(p => !pathNames.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value),
                        Required = message.Required.Where(name => !pathNames.Contains(name)).ToHashSet(),
                    };
                }

                content.Schema = new OpenApiSchema { Reference = new OpenApiReference { Type = ReferenceType.Schema, Id = bodyId } };
            }
        }
    }

    /// <summary>The routes that are not transcoded gRPC methods, which Grpc.Swagger does not see.</summary>
    private sealed class PlainHttpRoutesDocumentFilter : IDocumentFilter
    {
        public void Apply(OpenApiDocument document, DocumentFilterContext context)
        {
            var status = context.SchemaGenerator.GenerateSchema(typeof(Google.Rpc.Status), context.SchemaRepository);
            var encoder = context.SchemaGenerator.GenerateSchema(typeof(Encoder), context.SchemaRepository);
            AddSnapshotFiles(document, status, context.SchemaGenerator.GenerateSchema(typeof(RestoreSnapshotResponse), context.SchemaRepository));
            document.Paths["/healthz"] = Get("Healthz", "Liveness: 200 `Healthy` as soon as the process serves HTTP.", Text("Healthy"));
            document.Paths["/readyz"] = Get("Readyz",
                "Readiness: 200 `Healthy` once every collection is loaded, 503 `Unhealthy` before.", Text("Healthy"),
                ("503", new OpenApiResponse { Description = "Not ready yet", Content = TextContent("Unhealthy") }));
            document.Paths["/metrics"] = Get("Metrics", "Prometheus text exposition format (docs/operations.md); needs the read scope when API keys are on.",
                new OpenApiResponse { Description = "Metrics", Content = new Dictionary<string, OpenApiMediaType> { ["text/plain"] = new() { Schema = new OpenApiSchema { Type = "string" } } } });
            document.Paths[ProtoDescriptorSetEndpoint.Path] = Get("GetProtoDescriptorSet",
                "The API's protos as a binary google.protobuf.FileDescriptorSet with every import included (protoc --include_imports).",
                new OpenApiResponse
                {
                    Description = "FileDescriptorSet",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        [ProtoDescriptorSetEndpoint.ContentType] = new() { Schema = new OpenApiSchema { Type = "string", Format = "binary" } },
                    },
                });
            document.Paths[EncoderUploadEndpoint.Path] = new OpenApiPathItem
            {
                Operations =
                {
                    [OperationType.Post] = new OpenApiOperation
                    {
                        OperationId = "UploadEncoderMultipart",
                        Tags = [new OpenApiTag { Name = "Encoders" }],
                        Summary = "Uploads an encoder as multipart/form-data; the model streams in, bounded by Retrieval:Encoders:MaxModelBytes (413 beyond it).",
                        RequestBody = new OpenApiRequestBody
                        {
                            Required = true,
                            Content = new Dictionary<string, OpenApiMediaType>
                            {
                                ["multipart/form-data"] = new()
                                {
                                    Schema = new OpenApiSchema
                                    {
                                        Type = "object",
                                        Required = new HashSet<string> { "descriptor", "model" },
                                        Properties = new Dictionary<string, OpenApiSchema>
                                        {
                                            ["descriptor"] = new() { Type = "string", Description = "The EncoderDescriptor as proto3 JSON." },
                                            ["model"] = new() { Type = "string", Format = "binary", Description = "The ONNX model." },
                                            ["vocabulary"] = new() { Type = "string", Format = "binary", Description = "Text encoders: the WordPiece vocabulary." },
                                        },
                                    },
                                    Encoding = new Dictionary<string, OpenApiEncoding> { ["descriptor"] = new() { ContentType = "application/json" } },
                                },
                            },
                        },
                        Responses = new OpenApiResponses
                        {
                            ["200"] = new OpenApiResponse { Description = "The registered encoder", Content = Json(encoder) },
                            ["default"] = new OpenApiResponse { Description = "Error", Content = Json(status) },
                        },
                    },
                },
            };
        }

        /// <summary>The snapshot archive routes (<see cref="SnapshotFileEndpoints"/>): download and upload of raw archives.</summary>
        private static void AddSnapshotFiles(OpenApiDocument document, OpenApiSchema status, OpenApiSchema restored)
        {
            var archive = new Dictionary<string, OpenApiMediaType>
            {
                [SnapshotFileEndpoints.ArchiveContentType] = new() { Schema = new OpenApiSchema { Type = "string", Format = "binary" } },
            };
            OpenApiParameter PathParameter(string name, string description) =>
                new() { Name = name, In = ParameterLocation.Path, Required = true, Description = description, Schema = new OpenApiSchema { Type = "string" } };
            var tags = new List<OpenApiTag> { new() { Name = "Snapshots" } };
            // The path also has the transcoded DeleteSnapshot: the download joins its path item.
            if (!document.Paths.TryGetValue(SnapshotFileEndpoints.DownloadPattern, out var download))
            {
                download = new OpenApiPathItem();
                document.Paths[SnapshotFileEndpoints.DownloadPattern] = download;
            }

            download.Operations[OperationType.Get] = new OpenApiOperation
            {
                OperationId = "DownloadSnapshotFile",
                Tags = tags,
                Summary = "Streams a snapshot's archive (a tar file; docs/operations.md describes its entries). Needs an admin key valid for every collection.",
                Parameters = [PathParameter("collection", "The collection the snapshot was taken of."), PathParameter("name", "The snapshot's name.")],
                Responses = new OpenApiResponses
                {
                    ["200"] = new OpenApiResponse { Description = "The archive", Content = archive },
                    ["default"] = new OpenApiResponse { Description = "Error", Content = Json(status) },
                },
            };
            document.Paths[SnapshotFileEndpoints.UploadPattern] = new OpenApiPathItem
            {
                Operations =
                {
                    [OperationType.Post] = new OpenApiOperation
                    {
                        OperationId = "UploadSnapshotFile",
                        Tags = tags,
                        Summary = "Restores an uploaded snapshot archive (the raw tar body, from this server or another) into the collection in the path, "
                            + "after checking its checksums: a corrupt or truncated archive is INVALID_ARGUMENT naming `archive` and changes nothing. "
                            + "Bounded by Retrieval:Backups:MaxUploadBytes (413 beyond it). Needs an admin key valid for every collection.",
                        Parameters =
                        [
                            PathParameter("collection", "The collection to restore into."),
                            new OpenApiParameter
                            {
                                Name = "overwrite", In = ParameterLocation.Query, Required = false, Schema = new OpenApiSchema { Type = "boolean" },
                                Description = "Replace the collection when it exists (refused while a migration is open on it).",
                            },
                        ],
                        RequestBody = new OpenApiRequestBody { Required = true, Content = archive },
                        Responses = new OpenApiResponses
                        {
                            ["200"] = new OpenApiResponse { Description = "The restored collection and the archive's manifest", Content = Json(restored) },
                            ["default"] = new OpenApiResponse { Description = "Error", Content = Json(status) },
                        },
                    },
                },
            };
        }

        private static OpenApiPathItem Get(string operationId, string summary, OpenApiResponse ok, params (string Code, OpenApiResponse Response)[] others)
        {
            var responses = new OpenApiResponses { ["200"] = ok };
            foreach (var (code, response) in others)
            {
                responses[code] = response;
            }

            return new OpenApiPathItem
            {
                Operations =
                {
                    [OperationType.Get] = new OpenApiOperation
                    {
                        OperationId = operationId,
                        Tags = [new OpenApiTag { Name = "Operations" }],
                        Summary = summary,
                        Responses = responses,
                    },
                },
            };
        }

        private static OpenApiResponse Text(string example) => new() { Description = example, Content = TextContent(example) };

        private static Dictionary<string, OpenApiMediaType> TextContent(string example) =>
            new() { ["text/plain"] = new() { Schema = new OpenApiSchema { Type = "string" }, Example = new OpenApiString(example) } };

        private static Dictionary<string, OpenApiMediaType> Json(OpenApiSchema schema) =>
            new() { ["application/json"] = new() { Schema = schema } };
    }
}
