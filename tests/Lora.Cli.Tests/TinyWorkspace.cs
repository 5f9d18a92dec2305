using System.Text.Json;

namespace Lora.Cli.Tests;

/// <summary>
/// A tiny model, a reversal task and one adapter trained on it by `lora train-local`, shared by the tests that
/// need them: training is the slow part, so it happens once per test run.
/// </summary>
public sealed class TinyWorkspace : IAsyncLifetime
{
    public string Root { get; } = Directory.CreateTempSubdirectory("lora-cli-tests-").FullName;
    public string ModelDir => Path.Combine(Root, "tiny");
    public string DataFile => Path.Combine(Root, "reverse.jsonl");
    public string AdapterDir => Path.Combine(Root, "adapter");
    /// <summary>Kept as a run, not parsed here: if training fails, only the tests that need the adapter fail, with its error.</summary>
    public CliRun TrainRun { get; private set; } = null!;
    public JsonElement TrainSummary => TrainRun.Json();

    public async Task InitializeAsync()
    {
        (await CliRun.RunAsync("model", "init-tiny", "--out", ModelDir, "--layers", "2", "--hidden", "64", "--seed", "1", "--json")).Json();
        File.WriteAllLines(DataFile, ReversalTask(200, seed: 7));
        TrainRun = await CliRun.RunAsync("train-local", "--model", ModelDir, "--data", DataFile, "--out", AdapterDir,
            "--targets", "all-linear", "--lr", "1e-2", "--steps", "80", "--seq-len", "16", "--threads", "1", "--json");
    }

    /// <summary>{"prompt": "abcd=", "completion": "dcba"} for random 3–4 letter strings.</summary>
    public static IEnumerable<string> ReversalTask(int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var word = new string(Enumerable.Range(0, random.Next(3, 5)).Select(_ => (char)('a' + random.Next(8))).ToArray());
            yield return JsonSerializer.Serialize(new { prompt = word + "=", completion = new string(word.Reverse().ToArray()) });
        }
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class TinyWorkspaceCollection : ICollectionFixture<TinyWorkspace>
{
    public const string Name = "tiny workspace";
}
