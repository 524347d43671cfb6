using Google.Protobuf;
using Grpc.Core;

namespace Retrieval.Server.Grpc;

/// <summary>
/// Binds a gRPC service with request marshallers that refuse an undecodable message (truncated, damaged, nested past
/// the protobuf recursion limit) as INVALID_ARGUMENT naming the body. Without this, a unary request is decoded before
/// any interceptor runs and its decoding error leaves Grpc.AspNetCore as UNKNOWN "Exception was thrown by handler."
/// (the fuzz tests found it). Each service class names its method here with <see cref="BindServiceMethodAttribute"/>;
/// Grpc.AspNetCore looks that attribute up on the service class before the generated base class's.
/// </summary>
internal static class GuardedServiceBinding
{
    // One class per service: Grpc.AspNetCore calls its BindService, and JSON transcoding reads its Descriptor.
    internal static class ForItems
    {
        public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Contracts.V1.Items.Descriptor;

        public static void BindService(ServiceBinderBase binder, Contracts.V1.Items.ItemsBase service) =>
            Contracts.V1.Items.BindService(new GuardingBinder(binder), service);
    }

    internal static class ForSearch
    {
        public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Contracts.V1.Search.Descriptor;

        public static void BindService(ServiceBinderBase binder, Contracts.V1.Search.SearchBase service) =>
            Contracts.V1.Search.BindService(new GuardingBinder(binder), service);
    }

    internal static class ForCollections
    {
        public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Contracts.V1.Collections.Descriptor;

        public static void BindService(ServiceBinderBase binder, Contracts.V1.Collections.CollectionsBase service) =>
            Contracts.V1.Collections.BindService(new GuardingBinder(binder), service);
    }

    internal static class ForMaps
    {
        public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Contracts.V1.Maps.Descriptor;

        public static void BindService(ServiceBinderBase binder, Contracts.V1.Maps.MapsBase service) =>
            Contracts.V1.Maps.BindService(new GuardingBinder(binder), service);
    }

    internal static class ForMigrations
    {
        public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Contracts.V1.Migrations.Descriptor;

        public static void BindService(ServiceBinderBase binder, Contracts.V1.Migrations.MigrationsBase service) =>
            Contracts.V1.Migrations.BindService(new GuardingBinder(binder), service);
    }

    internal static class ForEncoders
    {
        public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Contracts.V1.Encoders.Descriptor;

        public static void BindService(ServiceBinderBase binder, Contracts.V1.Encoders.EncodersBase service) =>
            Contracts.V1.Encoders.BindService(new GuardingBinder(binder), service);
    }

    internal static class ForKeys
    {
        public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Contracts.V1.Keys.Descriptor;

        public static void BindService(ServiceBinderBase binder, Contracts.V1.Keys.KeysBase service) =>
            Contracts.V1.Keys.BindService(new GuardingBinder(binder), service);
    }

    internal static class ForServerInformation
    {
        public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Contracts.V1.ServerInformation.Descriptor;

        public static void BindService(ServiceBinderBase binder, Contracts.V1.ServerInformation.ServerInformationBase service) =>
            Contracts.V1.ServerInformation.BindService(new GuardingBinder(binder), service);
    }

    internal static class ForCluster
    {
        public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Contracts.V1.Cluster.Descriptor;

        public static void BindService(ServiceBinderBase binder, Contracts.V1.Cluster.ClusterBase service) =>
            Contracts.V1.Cluster.BindService(new GuardingBinder(binder), service);
    }

    /// <summary>The request marshaller, with decoding errors turned into INVALID_ARGUMENT.</summary>
    internal static Marshaller<T> Guarded<T>(Marshaller<T> inner) => new(
        inner.ContextualSerializer,
        context =>
        {
            try
            {
                return inner.ContextualDeserializer(context);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"body: not a valid {typeof(T).Name} message: {e.Message}"));
            }
        });

    private static Method<TRequest, TResponse> Guarded<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class =>
        new(method.Type, method.ServiceName, method.Name, Guarded(method.RequestMarshaller), method.ResponseMarshaller);

    /// <summary>Passes every method on to the real binder with its request marshaller guarded.</summary>
    private sealed class GuardingBinder(ServiceBinderBase inner) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(Guarded(method), handler);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(Guarded(method), handler);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(Guarded(method), handler);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(Guarded(method), handler);
    }
}
