using Microsoft.Extensions.Logging;
using Retrieval.Encoders.Onnx;
using Retrieval.Encoders.Onnx.GpuCheck;
using Retrieval.Encoders.Onnx.Runtime;

// Usage:
//   gpucheck tensor MODEL INPUT_NAME OUTPUT_NAME DIM SHAPE   (SHAPE = one item without the batch dimension, e.g. 3,224,224)
//   gpucheck text   MODEL VOCAB_TXT  OUTPUT_NAME DIM POOLING (POOLING = cls | mean | max)
// Options: --require-cuda (exit 2 unless the selector chose CUDA), --seconds S per timed point (default 3),
//          --compare-anyway (without CUDA, still run the checks with the chosen provider: a dry run of this tool).
// Exit codes: 0 ok, 1 usage, 2 CUDA not chosen though required, 3 CPU and CUDA outputs differ.
using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
var logger = loggerFactory.CreateLogger("gpucheck");

CheckArguments arguments;
try
{
    arguments = CheckArguments.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

var choice = new ExecutionProviderSelector().Select(new OnnxEncoderOptions { ExecutionProvider = "cuda" }, logger);
Console.WriteLine($"selector: {choice.Provider} ({choice.Reason})");
if (!choice.UseCuda && (arguments.RequireCuda || !arguments.CompareAnyway))
{
    return arguments.RequireCuda ? 2 : 0;
}

using var pair = EncoderPair.Create(arguments.Package, choice);
var inputs = new CheckInputs(pair.Cpu.Preprocessor, arguments, seed: 20261127);

var parity = ParityCheck.Run(pair, inputs, [1, 8, 32]);
Console.WriteLine(parity.Describe());

Console.WriteLine("provider  batch  items/s    run p50 ms  run p99 ms  runs");
foreach (var batchSize in new[] { 1, 8, 32 })
{
    foreach (var (name, encoder) in new[] { ("CPU", pair.Cpu), (choice.Provider, pair.Cuda) })
    {
        var result = ThroughputRun.Measure(encoder, inputs.Batch(batchSize, offset: 1000), TimeSpan.FromSeconds(arguments.Seconds));
        Console.WriteLine($"{name,-8}  {batchSize,5}  {result.ItemsPerSecond,9:F1}  {result.P50Milliseconds,10:F3}  {result.P99Milliseconds,10:F3}  {result.Runs,4}");
    }
}

return parity.Passed ? 0 : 3;
