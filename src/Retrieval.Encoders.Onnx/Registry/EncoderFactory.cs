using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Preprocessing;
using Retrieval.Encoders.Onnx.Runtime;

namespace Retrieval.Encoders.Onnx.Registry;

/// <summary>
/// Builds a loaded encoder from a package and proves it works: the model loads, the descriptor's inputs and
/// output exist with usable types, and a probe inference yields the declared dimension. Anything wrong is
/// INVALID_ARGUMENT with the reason; nothing the user uploads can take the server down.
/// </summary>
public sealed class EncoderFactory(OnnxSessionFactory sessions)
{
    public OnnxEncoder Create(EncoderPackage package)
    {
        ArgumentNullException.ThrowIfNull(package);
        var descriptor = package.Descriptor;
        EncoderDescriptorValidator.Validate(descriptor, package.Vocabulary is { Length: > 0 });
        if (package.Model.Length == 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("model"), "is empty");
        }

        var session = sessions.Create(package.Model);
        OnnxEncoder? encoder = null;
        try
        {
            var signature = ModelSignature.Read(session, descriptor);
            encoder = new OnnxEncoder(session, descriptor, CreatePreprocessor(package, signature));
            Probe(encoder);
            return encoder;
        }
        catch
        {
            // OnnxEncoder owns the session once built; before that we do.
            if (encoder is null)
            {
                session.Dispose();
            }
            else
            {
                encoder.Dispose();
            }

            throw;
        }
    }

    private static IInputPreprocessor CreatePreprocessor(EncoderPackage package, ModelSignature signature)
    {
        var descriptor = package.Descriptor;
        return descriptor.InputKind switch
        {
            EncoderInputKind.Text => new TextPreprocessor(
                TextTokenizers.Load(package.Vocabulary, descriptor.Text ?? new TextSettings()),
                descriptor.Text ?? new TextSettings(),
                descriptor.MaxSequenceLength),
            EncoderInputKind.Image => CheckImageShape(new ImagePreprocessor(descriptor.Image ?? new ImageSettings()), descriptor, signature),
            _ => new TensorPreprocessor(signature.ItemShape),
        };
    }

    private static ImagePreprocessor CheckImageShape(ImagePreprocessor preprocessor, EncoderDescriptor descriptor, ModelSignature signature)
    {
        var image = descriptor.Image ?? new ImageSettings();
        int[] expected = [3, image.Height, image.Width];
        var shape = signature.ItemShape;
        if (shape.Length != 3 || shape.Zip(expected).Any(p => p.First > 0 && p.First != p.Second))
        {
            throw RetrievalException.Invalid(FieldPath.Of("descriptor").Member("image"), $"the model input is [{string.Join(',', shape)}] per image; the descriptor makes [3,{image.Height},{image.Width}]");
        }

        return preprocessor;
    }

    private static void Probe(OnnxEncoder encoder)
    {
        // Two items where the model allows it, so a batch dimension that does not really batch is caught here.
        var probe = encoder.Preprocessor.Probe();
        var batch = encoder.MaxRunBatch > 1 ? new[] { probe, probe } : [probe];
        var results = encoder.Run(batch, CancellationToken.None);
        var dimension = encoder.Descriptor.Dimension;
        if (results.Any(r => r.Values.Length != r.Rows * dimension || r.Values.Any(v => !float.IsFinite(v))))
        {
            throw RetrievalException.Invalid(FieldPath.Of("descriptor").Member("dimension"), $"the probe inference did not give finite {dimension}-d vectors");
        }
    }
}
