using Google.Protobuf;

namespace Retrieval.Encoders.Onnx.Runtime;

/// <summary>
/// The smallest model that makes the CUDA provider touch the device: <c>y = Identity(x)</c> on a float[1]. Appending
/// the provider to session options only loads its library; the device itself (driver, cudaSetDevice, memory) is first
/// used when a session is created and run. A GPU machine whose CUDA runtime does not match its driver passed the
/// options-only probe and then refused every model (CUDA error 803), so start-up probes with a real session.
/// Written here with the protobuf wire format (onnx.proto field numbers) rather than shipped as a file.
/// </summary>
internal static class CudaProbeModel
{
    public const string InputName = "x";
    public const string OutputName = "y";

    public static byte[] Bytes { get; } = Build();

    private static byte[] Build()
    {
        var floatOfOne = Message(o =>
        {
            // TypeProto.tensor_type = { elem_type: FLOAT (1), shape: { dim: [{ dim_value: 1 }] } }
            var dim = Message(d => { d.WriteTag(1, WireFormat.WireType.Varint); d.WriteInt64(1); });
            var shape = Message(s => WriteBytes(s, 1, dim));
            var tensor = Message(t =>
            {
                t.WriteTag(1, WireFormat.WireType.Varint);
                t.WriteInt32(1);
                WriteBytes(t, 2, shape);
            });
            WriteBytes(o, 1, tensor);
        });
        byte[] ValueInfo(string name) => Message(v =>
        {
            WriteString(v, 1, name);
            WriteBytes(v, 2, floatOfOne);
        });

        var node = Message(n =>
        {
            WriteString(n, 1, InputName);
            WriteString(n, 2, OutputName);
            WriteString(n, 4, "Identity");
        });
        var graph = Message(g =>
        {
            WriteBytes(g, 1, node);
            WriteString(g, 2, "cuda-probe");
            WriteBytes(g, 11, ValueInfo(InputName));
            WriteBytes(g, 12, ValueInfo(OutputName));
        });
        var opset = Message(s => { s.WriteTag(2, WireFormat.WireType.Varint); s.WriteInt64(13); });
        return Message(m =>
        {
            m.WriteTag(1, WireFormat.WireType.Varint);
            m.WriteInt64(8);
            WriteBytes(m, 7, graph);
            WriteBytes(m, 8, opset);
        });
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer, leaveOpen: true);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }

    private static void WriteBytes(CodedOutputStream output, int field, byte[] value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(value));
    }

    private static void WriteString(CodedOutputStream output, int field, string value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
    }
}
