using Google.Protobuf;
using Retrieval.Testing.Onnx.Proto;

namespace Retrieval.Testing.Onnx;

/// <summary>A small builder for ONNX graphs, so tests can write real models without any Python tooling.</summary>
public sealed class OnnxGraph
{
    public const int Float = 1;
    public const int Int64 = 7;
    private readonly GraphProto _graph = new() { Name = "test" };

    public OnnxGraph Input(string name, int elementType, params object[] dims)
    {
        _graph.Input.Add(Value(name, elementType, dims));
        return this;
    }

    public OnnxGraph Output(string name, int elementType, params object[] dims)
    {
        _graph.Output.Add(Value(name, elementType, dims));
        return this;
    }

    public OnnxGraph Initializer(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = Float };
        tensor.Dims.Add(dims);
        tensor.FloatData.Add(values);
        _graph.Initializer.Add(tensor);
        return this;
    }

    public OnnxGraph Initializer(string name, long[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = Int64 };
        tensor.Dims.Add(dims);
        tensor.Int64Data.Add(values);
        _graph.Initializer.Add(tensor);
        return this;
    }

    public OnnxGraph Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output + "_" + op };
        node.Input.Add(inputs);
        node.Output.Add(output);
        node.Attribute.Add(attributes);
        _graph.Node.Add(node);
        return this;
    }

    public static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto IntsAttribute(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.Add(values);
        return attribute;
    }

    public byte[] ToBytes()
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "retrieval-tests", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model.ToByteArray();
    }

    /// <summary>Dimensions are numbers (fixed) or strings (symbolic, e.g. "batch").</summary>
    private static ValueInfoProto Value(string name, int elementType, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim is string symbol
                ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture) });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = shape } },
        };
    }
}
