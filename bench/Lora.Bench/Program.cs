using Lora.Bench;
using Lora.Training.Runtime;

// dotnet run -c Release --project bench/Lora.Bench -- [--quick] [--json]
TorchRuntime.EnsureLoaded();
var options = BenchOptions.Parse(args);
if (!options.NoAllocatorTuning) NativeAllocatorTuning.Apply();   // the sweep runs no engine, which would apply it
if (options.SweepOnly)
{
    using var model = BenchModel.CreateFp32();
    var sweep = new Dictionary<string, object?>
    {
        ["T=32"] = PassSizeSweep.Measure(model, options, options.SeqLen, [1, 4, 16, 32]),
        ["T=128"] = PassSizeSweep.Measure(model, options, options.LargeSeqLen, [1, 2, 4, 8, 16]),
    };
    Console.WriteLine(BenchReport.Serialize(sweep, indented: !options.Json));
    return 0;
}
if (options.ClusterOnly)
{
    using var model = BenchModel.CreateFp32();
    var cluster = await ClusterMode.MeasureAsync(options, model, new BenchTokenizer(BenchModel.Config.VocabSize),
        ScenarioRunner.EngineOptionsFor(options));
    Console.WriteLine(BenchReport.Serialize(BenchReport.Cluster(cluster), indented: !options.Json));
    return 0;
}
var results = await new ScenarioRunner(options).RunAsync();
var json = BenchReport.ToJson(results);
Console.WriteLine(BenchReport.Serialize(json, indented: !options.Json));
return 0;
