using System.Globalization;
using System.Text.Json;
using Lora.Cli.Output;
using Lora.Training.Pretraining;

namespace Lora.Cli.Tests;

/// <summary>`lora model pretrain-builtin --json` writes the report as is; its nested lists must keep their fields.</summary>
public sealed class PretrainReportJsonTests
{
    [Fact]
    public void PretrainBuiltinJson_WritesTheLossCurveAndDemoSamplesWithTheirFields()
    {
        var pretrain = new PretrainResult(2.1, 5.5, 4096, TimeSpan.FromSeconds(3), [new LossPoint(25, 3.25), new LossPoint(50, 2.1)]);
        var demo = new TaskDemoResult("reverse", 150, 2.0, 0.5, 30, 1, 25, TimeSpan.FromSeconds(40), [new DemoSample("abc=", "aaa", "cba")]);
        var report = new BuiltinReport(pretrain, 2.5, 2.2, 4.0, 5.6, 1234, 800_000, [demo]);
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);

        JsonOutput.Write(stdout, report);

        var json = JsonDocument.Parse(stdout.ToString()).RootElement;
        var point = json.GetProperty("pretrain").GetProperty("curve")[1];
        Assert.Equal(50, point.GetProperty("step").GetInt32());
        Assert.Equal(2.1, point.GetProperty("loss").GetDouble());
        var sample = json.GetProperty("demo")[0].GetProperty("samples")[0];
        Assert.Equal("abc=", sample.GetProperty("prompt").GetString());
        Assert.Equal("aaa", sample.GetProperty("base").GetString());
        Assert.Equal("cba", sample.GetProperty("adapter").GetString());
    }
}
