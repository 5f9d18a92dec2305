using Lora.Bench;
using Lora.Training.Runtime;

// dotnet run -c Release --project bench/Lora.Bench -- [--quick] [--json]
TorchRuntime.EnsureLoaded();
var options = BenchOptions.Parse(args);
var results = await new ScenarioRunner(options).RunAsync();
var json = BenchReport.ToJson(results);
Console.WriteLine(BenchReport.Serialize(json, indented: !options.Json));
return 0;
